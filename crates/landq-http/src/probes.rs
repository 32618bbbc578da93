//! The probe routes every landq process serves: `GET /healthz` (alive),
//! `GET /readyz` (its backend answers) and `GET /metrics` (Prometheus text).

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::registry::Registry;

/// The probe routes: `/readyz` answers 503 naming `what` when `ready` fails;
/// `/metrics` renders `registry`.
pub fn router<F, Fut>(what: &'static str, ready: F, registry: Arc<Registry>) -> Router
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/readyz",
            get(move || async move {
                match ready().await {
                    Ok(()) => (StatusCode::OK, "ready\n".to_owned()),
                    Err(err) => (
                        StatusCode::SERVICE_UNAVAILABLE,
                        format!("{what} unavailable: {err}\n"),
                    ),
                }
            }),
        )
        .route("/metrics", get(move || async move { metrics(&registry) }))
}

fn metrics(registry: &Registry) -> Response {
    let mut text = String::new();
    if let Err(err) = prometheus_client::encoding::text::encode(&mut text, registry) {
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
