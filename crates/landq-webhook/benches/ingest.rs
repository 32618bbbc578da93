//! Ingest load on loopback: how many signed 30 KB `pull_request` deliveries
//! per second the webhook accepts durably on the embedded bus, and its
//! latency at a steady rate, against a bare axum handler that reads the body
//! and answers `202` without checking or storing anything, on the same server
//! (`landq_http::serve`), measured in the same run.
//!
//! `cargo bench -p landq-webhook --bench ingest`
//! (`LANDQ_BENCH_SECONDS`, default 5, sets each phase's length.)

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use landq_bus::embedded::{self, EmbeddedBus};
use landq_webhook::{AppState, WebhookSecret, router};

const SECRET: &str = "bench-secret";
const CONNECTIONS: usize = 32;
const STEADY_RATE: u64 = 2_000;

type HttpClient = Client<HttpConnector, Full<Bytes>>;

struct Load {
    client: HttpClient,
    body: Bytes,
    signature: String,
    next_id: AtomicU64,
}

impl Load {
    /// One delivery with a fresh delivery id; returns the status code.
    async fn send(&self, addr: SocketAddr) -> u16 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let request = hyper::Request::post(format!("http://{addr}/webhook"))
            .header("content-type", "application/json")
            .header("x-github-event", "pull_request")
            .header("x-github-delivery", format!("bench-{id}"))
            .header("x-hub-signature-256", &self.signature)
            .body(Full::new(self.body.clone()))
            .expect("valid request");
        match self.client.request(request).await {
            Ok(response) => {
                let status = response.status().as_u16();
                drop(http_body_util::BodyExt::collect(response.into_body()).await);
                status
            }
            Err(_) => 0,
        }
    }

    /// Closed loop: CONNECTIONS requests in flight for `length`.
    async fn saturate(self: &Arc<Self>, addr: SocketAddr, length: Duration) -> (f64, u64) {
        let deadline = Instant::now() + length;
        let started = Instant::now();
        let tasks: Vec<_> = (0..CONNECTIONS)
            .map(|_| {
                let load = self.clone();
                tokio::spawn(async move {
                    let (mut ok, mut failed) = (0u64, 0u64);
                    while Instant::now() < deadline {
                        if load.send(addr).await == 202 {
                            ok += 1
                        } else {
                            failed += 1
                        }
                    }
                    (ok, failed)
                })
            })
            .collect();
        let (mut ok, mut failed) = (0, 0);
        for task in tasks {
            let (o, f) = task.await.expect("load task");
            ok += o;
            failed += f;
        }
        (ok as f64 / started.elapsed().as_secs_f64(), failed)
    }

    /// Open loop at `rate` per second; latency measured from each request's
    /// scheduled start, so a stall is not hidden (no coordinated omission).
    async fn steady(
        self: &Arc<Self>,
        addr: SocketAddr,
        rate: u64,
        length: Duration,
    ) -> (Histogram<u64>, u64) {
        let total = rate * length.as_secs();
        let interval = Duration::from_nanos(1_000_000_000 / rate);
        let start = Instant::now();
        let mut tasks = Vec::with_capacity(total as usize);
        for i in 0..total {
            let scheduled = start + interval * i as u32;
            tokio::time::sleep_until(scheduled.into()).await;
            let load = self.clone();
            tasks.push(tokio::spawn(async move {
                let status = load.send(addr).await;
                (status, scheduled.elapsed())
            }));
        }
        let mut histogram = Histogram::<u64>::new(3).expect("histogram");
        let mut failed = 0;
        for task in tasks {
            let (status, latency) = task.await.expect("load task");
            if status != 202 {
                failed += 1;
            }
            histogram
                .record(latency.as_micros() as u64)
                .expect("in range");
        }
        (histogram, failed)
    }
}

/// Serves `app` on a free loopback port in its own 2-thread runtime, with
/// the server every landq process runs (`landq_http::serve`).
fn spawn_server(app: Router) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("address"))
                .expect("report address");
            landq_http::serve(listener, app, std::future::pending())
                .await
                .expect("serve");
        });
    });
    rx.recv().expect("server started")
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` and `--list`: nothing to run here.
    }
    let seconds: u64 = std::env::var("LANDQ_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let length = Duration::from_secs(seconds);
    let body = Bytes::from(
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/webhooks/pull_request.labeled.json"
        ))
        .expect("fixture"),
    );

    let dir = tempfile::TempDir::new().expect("temp dir");
    let bus = EmbeddedBus::open(dir.path(), embedded::DEFAULT_LEASE).expect("bus");
    let landq = spawn_server(router(AppState::new(
        Arc::new(bus),
        WebhookSecret::new(SECRET),
    )));
    let bare = spawn_server(Router::new().route(
        "/webhook",
        post(|_body: axum::body::Bytes| async { StatusCode::ACCEPTED }),
    ));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("client runtime");
    runtime.block_on(async {
        let load = Arc::new(Load {
            client: Client::builder(TokioExecutor::new()).pool_max_idle_per_host(CONNECTIONS).build_http(),
            signature: WebhookSecret::new(SECRET).sign(&body),
            body,
            next_id: AtomicU64::new(0),
        });
        println!(
            "ingest: {}-byte signed pull_request delivery, loopback, {CONNECTIONS} connections, {seconds} s per phase",
            load.body.len()
        );
        // Warm up both servers and the connection pool.
        load.saturate(bare, Duration::from_secs(1)).await;
        load.saturate(landq, Duration::from_secs(1)).await;

        let (ceiling, bare_failed) = load.saturate(bare, length).await;
        let (rate, failed) = load.saturate(landq, length).await;
        println!("bare 202 handler (ceiling)        {ceiling:>9.0} deliveries/s   ({bare_failed} not 202)");
        println!(
            "landq webhook, embedded bus       {rate:>9.0} deliveries/s   ({failed} not 202), {:.0}% of the ceiling",
            100.0 * rate / ceiling
        );
        let (latency, failed) = load.steady(landq, STEADY_RATE, length).await;
        let ms = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "landq at a steady {STEADY_RATE}/s          p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({failed} not 202)",
            ms(0.5),
            ms(0.99),
            latency.max() as f64 / 1000.0
        );
    });
    let stored = embedded::list(dir.path()).expect("list").len();
    println!("stored on the embedded bus: {stored} envelopes (every 202 is on disk)");
}
