//! Prometheus metrics of the worker: outcomes, how long pull requests wait
//! in the queue, and how long a land takes from label to merge, each by
//! repository (only repositories that send landq signed events, or that it
//! reconciles, so the label's values stay bounded).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    repo: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StackLabels {
    repo: String,
    event: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RepoLabels {
    repo: String,
}

type Durations = Family<RepoLabels, Histogram, fn() -> Histogram>;

/// 1 s to ~9 days.
fn durations() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 2.0, 20))
}

/// The worker's metrics, registered in a shared registry.
#[derive(Clone)]
pub struct WorkerMetrics {
    processed: Family<OutcomeLabels, Counter>,
    stack: Family<StackLabels, Counter>,
    queue_wait: Durations,
    land_time: Durations,
}

impl WorkerMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = WorkerMetrics {
            processed: Family::default(),
            stack: Family::default(),
            queue_wait: Family::new_with_constructor(durations),
            land_time: Family::new_with_constructor(durations),
        };
        registry.register(
            "landq_processed",
            "Pull requests processed, by outcome (landed, waiting, failed, not_requested, error)",
            metrics.processed.clone(),
        );
        registry.register(
            "landq_stack_events",
            "Land-queue events, by kind (built, conflict, check_failed, never_started, \
             timed_out, retried, tree_mismatch)",
            metrics.stack.clone(),
        );
        registry.register(
            "landq_queue_wait_seconds",
            "From the land label to the merge call",
            metrics.queue_wait.clone(),
        );
        registry.register(
            "landq_land_seconds",
            "From the land label to landed",
            metrics.land_time.clone(),
        );
        metrics
    }

    /// Metrics that go nowhere (tests, tools).
    pub fn unregistered() -> Self {
        WorkerMetrics::register(&mut Registry::default())
    }

    /// Counts one processed pull request of `repo`.
    pub fn processed(&self, repo: &str, outcome: &'static str) {
        let repo = repo.to_owned();
        self.processed
            .get_or_create(&OutcomeLabels { repo, outcome })
            .inc();
    }

    /// Counts one land-queue event of `repo`.
    pub fn stack(&self, repo: &str, event: &'static str) {
        let repo = repo.to_owned();
        self.stack.get_or_create(&StackLabels { repo, event }).inc();
    }

    /// Records the wait before a merge call in `repo`.
    pub fn queue_wait(&self, repo: &str, seconds: f64) {
        let repo = repo.to_owned();
        self.queue_wait
            .get_or_create(&RepoLabels { repo })
            .observe(seconds);
    }

    /// Records a completed land in `repo`.
    pub fn landed(&self, repo: &str, seconds: f64) {
        let repo = repo.to_owned();
        self.land_time
            .get_or_create(&RepoLabels { repo })
            .observe(seconds);
    }
}
