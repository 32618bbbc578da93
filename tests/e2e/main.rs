//! End-to-end tests of the `landq` binary, compiled as one test binary.

mod audit;
mod cli;
mod deploy;
mod git;
mod land;
mod org;
mod queue;
mod readme;
mod serve;
mod webhook;
