//! Prometheus metrics of the worker: outcomes, how long pull requests wait
//! in the queue, and how long a land takes from label to merge.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StackLabels {
    event: &'static str,
}

/// The worker's metrics, registered in a shared registry.
#[derive(Clone)]
pub struct WorkerMetrics {
    processed: Family<OutcomeLabels, Counter>,
    stack: Family<StackLabels, Counter>,
    queue_wait: Histogram,
    land_time: Histogram,
}

impl WorkerMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = WorkerMetrics {
            processed: Family::default(),
            stack: Family::default(),
            // 1 s to ~9 days.
            queue_wait: Histogram::new(exponential_buckets(1.0, 2.0, 20)),
            land_time: Histogram::new(exponential_buckets(1.0, 2.0, 20)),
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

    /// Counts one processed pull request.
    pub fn processed(&self, outcome: &'static str) {
        self.processed
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// Counts one land-queue event.
    pub fn stack(&self, event: &'static str) {
        self.stack.get_or_create(&StackLabels { event }).inc();
    }

    /// Records the wait before a merge call.
    pub fn queue_wait(&self, seconds: f64) {
        self.queue_wait.observe(seconds);
    }

    /// Records a completed land.
    pub fn landed(&self, seconds: f64) {
        self.land_time.observe(seconds);
    }
}
