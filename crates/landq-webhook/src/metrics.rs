//! Prometheus metrics of the webhook: deliveries by event and outcome, and
//! how long publishing takes.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Labels of `landq_webhook_deliveries_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    event: &'static str,
    outcome: &'static str,
}

/// The webhook's metrics, registered in a shared registry.
#[derive(Clone)]
pub struct WebhookMetrics {
    deliveries: Family<DeliveryLabels, Counter>,
    publish_seconds: Histogram,
}

/// Event names used as label values; anything else counts as `other`, so a
/// sender cannot grow the label set.
const EVENTS: &[&str] = &[
    "pull_request",
    "pull_request_review",
    "check_suite",
    "check_run",
    "workflow_run",
    "status",
    "installation",
    "installation_repositories",
    "ping",
    // Requests rejected before their signature was verified.
    "unverified",
];

impl WebhookMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = WebhookMetrics {
            deliveries: Family::default(),
            // 100 µs to ~3 s.
            publish_seconds: Histogram::new(
                prometheus_client::metrics::histogram::exponential_buckets(0.0001, 2.0, 16),
            ),
        };
        registry.register(
            "landq_webhook_deliveries",
            "Webhook deliveries by event and outcome",
            metrics.deliveries.clone(),
        );
        registry.register(
            "landq_webhook_publish_seconds",
            "Time to publish an accepted delivery durably",
            metrics.publish_seconds.clone(),
        );
        metrics
    }

    /// Counts one delivery.
    pub fn delivery(&self, event: &str, outcome: &'static str) {
        let event = EVENTS
            .iter()
            .find(|e| **e == event)
            .copied()
            .unwrap_or("other");
        self.deliveries
            .get_or_create(&DeliveryLabels { event, outcome })
            .inc();
    }

    /// Records one publish's duration.
    pub fn published(&self, seconds: f64) {
        self.publish_seconds.observe(seconds);
    }
}
