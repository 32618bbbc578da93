//! Fakes of GitHub's REST API on a loopback port: two fakes, for tests, and
//! the README's walkthrough (`landq-demo`, the one binary built from this
//! crate; `landq` itself never depends on it).
//!
//! - [`hub`]: a stateful fake backed by real git repositories, with fault
//!   injection and request counting; [`demo`] is the walkthrough on it.
//! - [`stub`]: scripted answers per route, for the client's own tests;
//!   [`scenario`] scripts one pull request on it.

#![deny(missing_docs)]

pub mod bench;
pub mod demo;
pub mod hub;
pub mod scenario;
pub mod stub;

pub use stub::Stub;
