//! Land latency and GitHub requests per land, on loopback: pull requests
//! changing 100 files (billing owned by carol, docs by the `acme/eng` team)
//! on the git-backed fake GitHub, each approved by bob and carol and
//! labelled; a `labeled` nudge is published to the embedded bus and the
//! worker gathers the facts, decides and merges (a real squash commit).
//! Measured from publish to the merge call; requests counted per land.
//!
//! `cargo bench -p landq-worker --bench land` (`LANDQ_BENCH_LANDS`, default 100)

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use hdrhistogram::Histogram;
use landq_bus::embedded::{self, EmbeddedBus};
use landq_bus::{Bus, Envelope};
use landq_fake_github::bench;
use landq_fake_github::hub::Hub;
use landq_github::retry::RetryPolicy;
use landq_github::{Auth, GitHub};
use landq_store::sqlite::SqliteStore;
use landq_worker::land::Lander;
use landq_worker::metrics::WorkerMetrics;

const REPO: &str = "acme/app";
const FILES: usize = 100;

fn path(i: usize) -> String {
    if i.is_multiple_of(2) {
        format!("billing/f{i}.rs")
    } else {
        format!("docs/d{i}.md")
    }
}

/// Opens pull request `n`: every one of the 100 files changes.
fn open(hub: &Hub, n: u64) -> u64 {
    let texts: Vec<(String, String)> = (0..FILES).map(|i| (path(i), format!("v{n}\n"))).collect();
    let changes: Vec<(&str, Option<&str>)> = texts
        .iter()
        .map(|(p, t)| (p.as_str(), Some(t.as_str())))
        .collect();
    let branch = format!("change-{n}");
    hub.push(REPO, &branch, "main", &changes, "alice");
    let pr = hub.open_pull(
        REPO,
        "alice",
        &branch,
        "main",
        &format!("Change {n}"),
        "Body.",
    );
    hub.review(REPO, pr, "bob", "APPROVED");
    hub.review(REPO, pr, "carol", "APPROVED");
    hub.label(REPO, pr, "land requested", "dan");
    pr
}

fn main() {
    if bench::only_listing() {
        return;
    }
    let lands = bench::setting("LANDQ_BENCH_LANDS", 100);
    let runtime = bench::runtime();
    runtime.block_on(async move {
        let hub = Hub::start().await;
        let initial: Vec<(String, String)> = (0..FILES).map(|i| (path(i), "v0\n".to_owned())).collect();
        let mut files: Vec<(&str, &str)> = initial.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        files.push((".github/.landqueue", "* @acme/eng\n/billing/ @carol\n"));
        hub.create_repo(REPO, None, &files);
        hub.permit(REPO, "dan", "write");
        hub.join_team("acme/eng", "bob");

        let dir = tempfile::TempDir::new().unwrap();
        let bus: Arc<dyn Bus> = Arc::new(EmbeddedBus::open(dir.path(), embedded::DEFAULT_LEASE).unwrap());
        let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let github = Arc::new(GitHub::new(hub.url(), Auth::Token("t".to_owned().into()), RetryPolicy::default()).unwrap());
        let lander = Arc::new(Lander::new(github, store.clone(), WorkerMetrics::unregistered(), landq_bus::Clock::system()));
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(landq_worker::consume::run(lander, bus.clone(), landq_worker::consume::Consumers { count: 4, max_attempts: landq_worker::consume::DEFAULT_MAX_ATTEMPTS }, stopped));

        let mut latency = Histogram::<u64>::new(3).unwrap();
        let mut requests = 0;
        for n in 0..lands {
            let pr = open(&hub, n);
            let merge = format!("/repos/{REPO}/pulls/{pr}/merge");
            let label = format!("/repos/{REPO}/issues/{pr}/labels/land%20requested");
            let before = hub.seen().len();
            let started = Instant::now();
            bus.publish(&Envelope {
                delivery: format!("bench-{n}"),
                event: "pull_request".into(),
                action: Some("labeled".into()),
                repo: REPO.into(),
                installation: None,
                prs: vec![pr],
                sha: None,
                label: Some("land requested".into()),
                sender: Some("dan".into()),
                received_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            })
            .await
            .unwrap();
            while hub.count("PUT", &merge) == 0 {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            latency.record(started.elapsed().as_micros() as u64).unwrap();
            // Let the land finish (status, label) before the next one.
            while hub.count("DELETE", &label) == 0 {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            requests += hub.seen().len() - before;
        }
        let ms = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
        println!("land: {lands} lands of {FILES}-file pull requests, git-backed fake GitHub on loopback, embedded bus");
        println!(
            "labeled nudge -> merge call   p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms",
            ms(0.5),
            ms(0.9),
            latency.max() as f64 / 1000.0
        );
        println!("GitHub requests per land      {:.1}", requests as f64 / lands as f64);
    });
}
