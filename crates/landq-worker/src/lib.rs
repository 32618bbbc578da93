//! landq's worker: for each nudge from the bus, read the truth from GitHub,
//! decide with `landq-policy`, and act.
//!
//! - [`gather`]: every fact `decide` needs, read concurrently, with compiled
//!   rules cached by the rules file's blob SHA.
//! - [`land`]: the state machine that acts on a decision, with the merge
//!   guarded by the evaluated head SHA, feedback on the pull request and an
//!   audit record per land.
//! - [`queue`]: the land queue of a base branch: the ordered speculative
//!   stack, its checks, conflicts named, lands in order.
//! - [`consume`]: the loop that feeds nudges from the bus to the lander.
//! - [`reconcile`]: the periodic pass that nudges every labeled pull request.
//! - [`metrics`]: outcomes, queue wait and land time for Prometheus.
//!
//! [`Worker::run`] is the entry point: the consumers and the reconcile until
//! told to stop.

#![deny(missing_docs)]

mod bounded;
pub mod consume;
mod error;
pub mod gather;
pub mod land;
pub mod metrics;
pub mod queue;
pub mod reconcile;

use std::sync::Arc;
use std::time::Duration;

use landq_bus::{Bus, Clock};
use landq_github::GitHub;
use landq_store::Store;
use prometheus_client::registry::Registry;
use tokio::sync::watch;

pub use crate::error::ProcessError;

use crate::consume::Consumers;
use crate::land::Lander;
use crate::metrics::WorkerMetrics;
use crate::reconcile::{Reconcile, Repositories};

/// How the worker runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// The consumers of the bus.
    pub consumers: Consumers,
    /// Time between reconcile passes; `None` turns the reconcile off.
    pub reconcile_every: Option<Duration>,
    /// With a token: the repositories to reconcile (a GitHub App reconciles
    /// every repository of its installations).
    pub repos: Vec<String>,
}

/// The worker: consumers of the bus that land pull requests, and the
/// periodic reconcile.
pub struct Worker {
    lander: Arc<Lander>,
    github: Arc<GitHub>,
    bus: Arc<dyn Bus>,
    store: Arc<dyn Store>,
    config: Config,
    clock: Clock,
}

impl Worker {
    /// A worker acting through `github`, consuming `bus`, remembering in
    /// `store`; its metrics go into `registry`.
    pub fn new(
        github: Arc<GitHub>,
        bus: Arc<dyn Bus>,
        store: Arc<dyn Store>,
        config: Config,
        registry: &mut Registry,
    ) -> Worker {
        let metrics = WorkerMetrics::register(registry);
        let clock = Clock::system();
        let lander = Arc::new(Lander::new(
            github.clone(),
            store.clone(),
            metrics,
            clock.clone(),
        ));
        Worker {
            lander,
            github,
            bus,
            store,
            config,
            clock,
        }
    }

    /// Runs until `stop` turns true: each consumer finishes the pull request
    /// in hand, the reconcile its pass.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        let reconcile = self.repositories().map(|(repositories, every)| {
            let pass = Reconcile {
                github: self.github.clone(),
                bus: self.bus.clone(),
                store: self.store.clone(),
                repositories,
                clock: self.clock.clone(),
            };
            tokio::spawn(pass.run(every, stop.clone()))
        });
        consume::run(self.lander, self.bus, self.config.consumers, stop).await;
        if let Some(reconcile) = reconcile {
            let _ = reconcile.await;
        }
    }

    /// What the reconcile covers and how often, if it runs.
    fn repositories(&self) -> Option<(Repositories, Duration)> {
        let every = self.config.reconcile_every?;
        if self.github.is_app() {
            return Some((Repositories::Installations, every));
        }
        if self.config.repos.is_empty() {
            tracing::warn!(
                "reconcile off: with a token, set LANDQ_REPOS to the repositories landq serves"
            );
            return None;
        }
        Some((Repositories::Listed(self.config.repos.clone()), every))
    }
}
