//! landq's worker: for each nudge from the bus, read the truth from GitHub,
//! decide with `landq-policy`, and act.
//!
//! - [`gather`]: every fact `decide` needs, read concurrently, with compiled
//!   rules cached by the rules file's blob SHA.
//! - [`land`]: the state machine that acts on a decision, with the merge
//!   guarded by the evaluated head SHA, feedback on the pull request and an
//!   audit record per land.
//! - [`consume`]: the loop that feeds nudges from the bus to the lander.
//! - [`reconcile`]: the periodic pass that nudges every labeled pull request.
//! - [`metrics`]: outcomes, queue wait and land time for Prometheus.

#![deny(missing_docs)]

mod bounded;
pub mod consume;
pub mod gather;
pub mod land;
pub mod metrics;
pub mod reconcile;
