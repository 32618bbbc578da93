//! The HTTP server every landq process runs, and the probe routes.
//!
//! [`serve`] is axum on hyper with the limits a public endpoint needs: a
//! client gets [`HEADER_TIMEOUT`] to send its headers, and shutdown lets
//! in-flight requests finish for at most [`DRAIN_TIMEOUT`]. Bodies are
//! bounded by whoever reads them (the webhook's extractor). [`probes`] are
//! `/healthz`, `/readyz` and `/metrics`, served by the webhook and by the
//! worker alone.

#![deny(missing_docs)]

pub mod probes;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;

/// How long a client may take to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long, after `shutdown`, in-flight requests may take to finish before
/// the server stops anyway.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting
/// and lets in-flight requests (and their publishes) finish, for at most
/// [`DRAIN_TIMEOUT`]. A client gets [`HEADER_TIMEOUT`] to send its headers
/// (the webhook bounds the body's time itself), so stalled connections
/// cannot pile up. Each request carries its peer's `ConnectInfo`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(error = %err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            tower::ServiceExt::oneshot(app.clone(), request.map(Body::new))
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%peer, error = %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN_TIMEOUT) => {
            tracing::warn!("requests still in flight after the drain; stopping anyway");
        }
    }
    Ok(())
}
