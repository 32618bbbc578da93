//! landq's webhook: verify, filter, reduce, publish, answer.
//!
//! GitHub gives a webhook 10 seconds and does not retry a failed delivery by
//! itself, so this does as little as possible: the [`extract::Delivery`]
//! extractor authenticates and bounds the request, [`payload::reduce`] turns
//! it into an envelope without caring about fields it does not need, and the
//! handler answers `202` once the bus has the envelope durably.
//!
//! | answer | when |
//! |---|---|
//! | `202` | accepted and durably published |
//! | `200` | valid delivery landq ignores, `ping`, or a delivery id seen before |
//! | `400` | malformed body or headers |
//! | `401` | missing or wrong signature |
//! | `403` | from outside GitHub's webhook ranges (only with a [`SourceGuard`]) |
//! | `408` | the body took longer than 10 s to arrive |
//! | `413` | body over 25 MiB |
//! | `503` | the bus refused, or too many bodies are being read at once; GitHub shows the failed delivery for redelivery |

#![deny(missing_docs)]

pub mod extract;
pub mod metrics;
pub mod payload;
pub mod signature;
pub mod source;

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use landq_bus::{Bus, Clock, Published};
use prometheus_client::registry::Registry;
use tracing::Instrument;

use crate::extract::{Delivery, MAX_BODY_BYTES, Rejection};
use crate::metrics::WebhookMetrics;
use crate::payload::Reduced;
pub use crate::signature::WebhookSecret;
pub use crate::source::SourceGuard;

/// What the webhook's handlers share.
#[derive(Clone)]
pub struct AppState {
    /// Where accepted envelopes go.
    pub bus: Arc<dyn Bus>,
    /// The shared webhook secret.
    pub secret: WebhookSecret,
    /// The webhook's own metrics.
    pub metrics: WebhookMetrics,
    /// Every metric of the process, rendered at `/metrics`.
    pub registry: Arc<Registry>,
    /// When set, only GitHub's webhook ranges may deliver.
    pub source: Option<SourceGuard>,
    /// When deliveries arrive (the envelope's `received_at`).
    pub clock: Clock,
    /// Permits to read a body not yet authenticated (see
    /// [`extract::MAX_UNVERIFIED_BODIES`]).
    pub bodies: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// State with a fresh registry holding the webhook's metrics.
    pub fn new(bus: Arc<dyn Bus>, secret: WebhookSecret) -> Self {
        AppState::with_registry(bus, secret, Registry::default())
    }

    /// State whose `/metrics` also renders what `registry` already holds
    /// (the worker's metrics, in `landq serve`).
    pub fn with_registry(bus: Arc<dyn Bus>, secret: WebhookSecret, mut registry: Registry) -> Self {
        let metrics = WebhookMetrics::register(&mut registry);
        AppState {
            bus,
            secret,
            metrics,
            registry: Arc::new(registry),
            source: None,
            clock: Clock::system(),
            bodies: Arc::new(tokio::sync::Semaphore::new(extract::MAX_UNVERIFIED_BODIES)),
        }
    }
}

/// The webhook's routes: `POST /webhook`, and the probes `GET /healthz`,
/// `/readyz` (the bus answers) and `/metrics`.
pub fn router(state: AppState) -> Router {
    let bus = state.bus.clone();
    let ready = move || {
        let bus = bus.clone();
        async move { bus.check().await.map_err(|err| err.to_string()) }
    };
    Router::new()
        .route(
            "/webhook",
            post(webhook).layer(axum::middleware::from_fn_with_state(
                state.clone(),
                source::github_only,
            )),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state.clone())
        .merge(landq_http::probes::router("bus", ready, state.registry))
}

/// Serves the webhook (`router(state)`) on `listener` until `shutdown`
/// resolves, with [`landq_http::serve`]'s time limits and bounded drain.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    landq_http::serve(listener, router(state), shutdown).await
}

async fn webhook(State(state): State<AppState>, delivery: Result<Delivery, Rejection>) -> Response {
    let delivery = match delivery {
        Ok(delivery) => delivery,
        Err(rejection) => {
            tracing::warn!(reason = %rejection, "webhook delivery rejected");
            state.metrics.delivery("unverified", rejection.outcome());
            return rejection.into_response();
        }
    };
    let span = tracing::info_span!("delivery", delivery = %delivery.id, event = %delivery.event);
    handle(state, delivery).instrument(span).await
}

async fn handle(state: AppState, delivery: Delivery) -> Response {
    let event = delivery.event.as_str();
    if event == "ping" {
        state.metrics.delivery(event, "ignored");
        return (StatusCode::OK, "pong\n").into_response();
    }
    let received_at = humantime::format_rfc3339_seconds(state.clock.now()).to_string();
    let envelope = match payload::reduce(event, &delivery.id, &delivery.body, received_at) {
        Ok(Reduced::Keep(envelope)) => envelope,
        Ok(Reduced::Ignore(why)) => {
            tracing::debug!(%why, "ignored");
            state.metrics.delivery(event, "ignored");
            return (StatusCode::OK, format!("ignored: {why}\n")).into_response();
        }
        Err(malformed) => {
            tracing::warn!(reason = %malformed, "malformed delivery");
            state.metrics.delivery(event, "malformed");
            return Rejection::Malformed(malformed.0).into_response();
        }
    };
    let started = Instant::now();
    let published = state.bus.publish(&envelope).await;
    state.metrics.published(started.elapsed().as_secs_f64());
    match published {
        Ok(Published::Accepted) => {
            tracing::info!(repo = %envelope.repo, prs = ?envelope.prs, action = envelope.action.as_deref().unwrap_or(""), "accepted");
            state.metrics.delivery(event, "accepted");
            (StatusCode::ACCEPTED, "accepted\n").into_response()
        }
        Ok(Published::Duplicate) => {
            tracing::info!(repo = %envelope.repo, "duplicate delivery, not published again");
            state.metrics.delivery(event, "duplicate");
            (StatusCode::OK, "duplicate delivery: already accepted\n").into_response()
        }
        Err(err) => {
            tracing::error!(error = %err, repo = %envelope.repo, "publish failed");
            state.metrics.delivery(event, "bus_error");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the event bus is unavailable; redeliver later\n",
            )
                .into_response()
        }
    }
}
