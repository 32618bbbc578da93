//! The worker against a stub GitHub, compiled as one test binary.

mod common;
mod gather;
mod land;
mod reconcile;
mod stack;
