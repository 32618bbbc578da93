//! landq's worker: for each nudge from the bus, read the truth from GitHub,
//! decide with `landq-policy`, and act.
//!
//! - [`gather`]: every fact `decide` needs, read concurrently, with compiled
//!   rules cached by the rules file's blob SHA.
//!
//! The consumer loop, the land state machine and the reconcile follow (see
//! issue 4).

#![deny(missing_docs)]

pub mod gather;
