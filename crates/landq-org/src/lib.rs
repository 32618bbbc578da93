//! landq's organisation tools, run beside the queue:
//!
//! - [`audit`]: is every repository set up so that only landq writes to
//!   its guarded branches, with valid rules, and do its CI jobs run the
//!   organisation's required steps? (`landq audit`)

#![deny(missing_docs)]

pub mod audit;
