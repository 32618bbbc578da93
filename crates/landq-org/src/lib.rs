//! landq's organisation tools, run beside the queue:
//!
//! - [`audit`]: is every repository set up so that only landq writes to
//!   its guarded branches, with valid rules, and do its CI jobs run the
//!   organisation's required steps? (`landq audit`)
//! - [`remind`]: stale pull requests announced on Slack ([`slack`]), each
//!   at most once per period however many processes run (`landq remind`).

#![deny(missing_docs)]

pub mod audit;
pub mod remind;
pub mod slack;
