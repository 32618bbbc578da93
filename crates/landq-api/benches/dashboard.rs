//! The dashboard under load, on loopback: a SQLite store holding 10,000 land
//! records of one repository (spread over 30 days) and a queue of 20, served
//! by the dashboard's router on `landq_http::serve`; a client with 8
//! connections asks each route in turn for a fixed time, and, as the
//! baseline in the same run, a route of the same server that answers a
//! fixed JSON body without touching the store.
//!
//! `cargo bench -p landq-api --bench dashboard` (`LANDQ_BENCH_LANDS`,
//! default 10000; `LANDQ_BENCH_SECONDS` per route, default 3)

use landq_fake_github::bench;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hdrhistogram::Histogram;
use landq_api::{Access, Dashboard};
use landq_store::sqlite::SqliteStore;
use landq_store::{EntryState, LandRecord, QueueEntry, Store};

const REPO: &str = "acme/app";
const CONNECTIONS: usize = 8;

fn main() {
    if bench::only_listing() {
        return;
    }
    let lands = bench::setting("LANDQ_BENCH_LANDS", 10_000);
    let seconds = Duration::from_secs(bench::setting("LANDQ_BENCH_SECONDS", 3));
    let runtime = bench::runtime();
    runtime.block_on(async move {
        let dir = tempfile::TempDir::new().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64;
        let spread = 30 * 86_400_000 / lands as i64;
        for pr in 0..lands {
            let landed_at_ms = now - pr as i64 * spread;
            store
                .record_land(&LandRecord {
                    repo: REPO.into(),
                    pr,
                    base: "main".into(),
                    head_sha: format!("{pr:040}"),
                    squash_sha: format!("{:040}", pr + 1),
                    requested_by: "dan".into(),
                    approvers: vec!["bob".into(), "carol".into()],
                    ownership: Vec::new(),
                    rules_sha: Some("r".repeat(40)),
                    requested_at_ms: landed_at_ms - 600_000 - (pr as i64 % 7) * 60_000,
                    landed_at_ms,
                    paths: vec!["docs/a.md".into(), "billing/pay.rs".into()],
                    author: ["alice", "erin", "frank"][pr as usize % 3].into(),
                    title: format!("Change {pr}"),
                    queued_at_ms: Some(landed_at_ms - 300_000),
                })
                .await
                .unwrap();
        }
        for pr in 0..20 {
            store
                .put_entry(&QueueEntry {
                    state: if pr < 4 { EntryState::Testing } else { EntryState::Queued },
                    title: format!("Queued {pr}"),
                    author: "alice".into(),
                    ..QueueEntry::requested(REPO, 100_000 + pr, "main", "dan", now - 1_000 + pr as i64)
                })
                .await
                .unwrap();
        }
        let dashboard = Dashboard::new(store, Vec::new(), "https://github.com", Access::Open);
        let body = serde_json::json!({"lands": [], "next_cursor": null});
        let app = landq_api::router(Arc::new(dashboard))
            .route("/baseline", axum::routing::get(move || { let body = body.clone(); async move { axum::Json(body) } }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(landq_http::serve(listener, app, std::future::pending()));

        println!("dashboard: {lands} land records of {REPO} over 30 days, a queue of 20, SQLite store; {CONNECTIONS} connections on loopback, {} s per route", seconds.as_secs());
        let baseline = load(&base, "/baseline", seconds).await;
        report("baseline (fixed JSON, no store)", &baseline, None);
        for path in [
            "/api/v1/repos",
            "/api/v1/repos/acme/app/queue",
            "/api/v1/repos/acme/app/lands",
            "/api/v1/repos/acme/app/lands?author=erin&limit=50",
            "/api/v1/repos/acme/app/stats?window=7d",
            "/api/v1/repos/acme/app/stats?window=30d",
            "/repos/acme/app",
        ] {
            let run = load(&base, path, seconds).await;
            report(path, &run, Some(&baseline));
        }
    });
}

/// Latencies (µs) and requests per second of `path` for `time`.
async fn load(base: &str, path: &str, time: Duration) -> (Histogram<u64>, f64) {
    let url = format!("{base}{path}");
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut latency = Histogram::<u64>::new(3).unwrap();
                while started.elapsed() < time {
                    let sent = Instant::now();
                    let answer = client.get(&url).send().await.unwrap();
                    assert!(answer.status().is_success(), "{url}: {}", answer.status());
                    answer.bytes().await.unwrap();
                    latency.record(sent.elapsed().as_micros() as u64).unwrap();
                }
                latency
            })
        })
        .collect();
    let mut all = Histogram::<u64>::new(3).unwrap();
    for task in tasks {
        all.add(task.await.unwrap()).unwrap();
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    (all, rate)
}

fn report(
    what: &str,
    (latency, rate): &(Histogram<u64>, f64),
    baseline: Option<&(Histogram<u64>, f64)>,
) {
    let ms = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
    let ratio = baseline
        .map(|(b, _)| {
            format!(
                ", p50 {:.0}x the baseline's",
                latency.value_at_quantile(0.5) as f64 / b.value_at_quantile(0.5).max(1) as f64
            )
        })
        .unwrap_or_default();
    println!(
        "{what:<52} p50 {:>7.2} ms, p99 {:>7.2} ms, {:>7.0} requests/s{ratio}",
        ms(0.5),
        ms(0.99),
        rate
    );
}
