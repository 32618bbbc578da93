//! The worker's own HTTP surface when it runs alone (`landq worker`):
//! `GET /healthz`, `GET /readyz` (store reachable) and `GET /metrics`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use landq_store::Store;
use prometheus_client::registry::Registry;

#[derive(Clone)]
struct Probe {
    store: Arc<dyn Store>,
    registry: Arc<Registry>,
}

/// The worker's health and metrics routes.
pub fn router(store: Arc<dyn Store>, registry: Arc<Registry>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .with_state(Probe { store, registry })
}

async fn ready(State(probe): State<Probe>) -> Response {
    match probe.store.check().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(err) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("store unavailable: {err}\n"),
        )
            .into_response(),
    }
}

async fn metrics(State(probe): State<Probe>) -> Response {
    let mut text = String::new();
    if let Err(err) = prometheus_client::encoding::text::encode(&mut text, &probe.registry) {
        return (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
