//! Land latency and GitHub requests per land, on loopback: a `labeled` nudge
//! is published to the embedded bus, the worker gathers the facts from the
//! stub GitHub (a pull request changing 100 files, two approvals, a team
//! owner), decides and calls merge. Measured from publish to the merge call.
//!
//! `cargo bench -p landq-worker --bench land` (`LANDQ_BENCH_LANDS`, default 200)

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use hdrhistogram::Histogram;
use landq_bus::embedded::{self, EmbeddedBus};
use landq_bus::{Bus, Envelope};
use landq_fake_github::Stub;
use landq_fake_github::scenario::{RULES, script};
use landq_github::retry::RetryPolicy;
use landq_github::{Auth, GitHub};
use landq_store::sqlite::SqliteStore;
use landq_worker::land::Lander;
use landq_worker::metrics::WorkerMetrics;
use serde_json::json;

const MERGE: &str = "PUT /repos/acme/app/pulls/7/merge";

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let lands: u64 = std::env::var("LANDQ_BENCH_LANDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let stub = Stub::default();
        script(&stub, RULES);
        // 100 changed files under two owners.
        let files: Vec<_> = (0..100)
            .map(|i| json!({"filename": if i % 2 == 0 { format!("billing/f{i}.rs") } else { format!("docs/d{i}.md") }}))
            .collect();
        stub.script.lock().unwrap().remove("GET /repos/acme/app/pulls/7/files?per_page=100&page=1");
        stub.on("GET /repos/acme/app/pulls/7/files?per_page=100&page=1", 200, json!(files));
        stub.on("GET /repos/acme/app/pulls/7/files?per_page=100&page=2", 200, json!([]));
        let mut pull = landq_fake_github::scenario::pull("h1", "open", false);
        pull["changed_files"] = json!(100);
        stub.script.lock().unwrap().remove("GET /repos/acme/app/pulls/7");
        stub.on("GET /repos/acme/app/pulls/7", 200, pull);
        stub.on(MERGE, 200, json!({"sha": "sq", "merged": true}));
        stub.on("POST /repos/acme/app/statuses/h1", 201, json!({"id": 1}));
        stub.on("DELETE /repos/acme/app/issues/7/labels/land%20requested", 200, json!([]));
        let api = stub.start().await;

        let dir = tempfile::TempDir::new().unwrap();
        let bus: Arc<dyn Bus> = Arc::new(EmbeddedBus::open(dir.path(), embedded::DEFAULT_LEASE).unwrap());
        let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let github = Arc::new(GitHub::new(&api, Auth::Token("t".to_owned().into()), RetryPolicy::default()).unwrap());
        let lander = Arc::new(Lander::new(github, store.clone(), WorkerMetrics::unregistered()));
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(landq_worker::consume::run(lander, bus.clone(), store, 4, stopped));

        let mut latency = Histogram::<u64>::new(3).unwrap();
        let before = stub.seen.lock().unwrap().len();
        for i in 0..lands {
            let started = Instant::now();
            bus.publish(&Envelope {
                delivery: format!("bench-{i}"),
                event: "pull_request".into(),
                action: Some("labeled".into()),
                repo: "acme/app".into(),
                installation: None,
                prs: vec![7],
                sha: Some("h1".into()),
                label: Some("land requested".into()),
                sender: Some("dan".into()),
                received_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            })
            .await
            .unwrap();
            while stub.count(MERGE) < (i + 1) as usize {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            latency.record(started.elapsed().as_micros() as u64).unwrap();
            // Let the land finish (status, label) before the next one.
            while stub.count("DELETE /repos/acme/app/issues/7/labels/land%20requested") < (i + 1) as usize {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        }
        let requests = stub.seen.lock().unwrap().len() - before;
        let ms = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
        println!("land: {lands} lands of a 100-file pull request, stub GitHub on loopback, embedded bus");
        println!(
            "labeled nudge -> merge call   p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms",
            ms(0.5),
            ms(0.9),
            latency.max() as f64 / 1000.0
        );
        println!("GitHub requests per land      {:.1}", requests as f64 / lands as f64);
    });
}
