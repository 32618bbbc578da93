//! The land queue under load, on loopback: pull requests arrive faster than
//! the CI can test them one by one, on the git-backed fake GitHub whose fake
//! CI takes a fixed time T per run on `landq/stack/**`, and a fraction p =
//! 0.1 of them break the build. Serial (`stack_depth = 1`) and a stack of 8
//! run in the same process, one after the other, each on its own fresh
//! repository, with the same arrivals.
//!
//! Reported per depth: pull requests landed per T, label-to-land p50 and p95
//! in units of T, CI runs and GitHub requests (reads and writes apart) per
//! landed pull request, main breakages (commits on main's first-parent
//! history whose files fail the CI's judge) and tree mismatches.
//!
//! `cargo bench -p landq-worker --bench queue` (`LANDQ_BENCH_PRS`, default
//! 60; `LANDQ_BENCH_CI_MS`, default 400)

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use landq_bus::embedded::{self, EmbeddedBus};
use landq_bus::{Bus, Envelope};
use landq_fake_github::bench;
use landq_fake_github::hub::ci::{Ci, Files};
use landq_fake_github::hub::{Event, Hub};
use landq_github::retry::RetryPolicy;
use landq_github::{Auth, GitHub};
use landq_store::sqlite::SqliteStore;
use landq_worker::consume::{Consumers, DEFAULT_MAX_ATTEMPTS};
use landq_worker::land::Lander;
use landq_worker::metrics::WorkerMetrics;
use prometheus_client::registry::Registry;

const REPO: &str = "acme/app";
const LABEL: &str = "land requested";

/// The fake CI's verdict: no file may say BROKEN.
fn builds(files: &Files) -> bool {
    files.iter().all(|(_, text)| !text.contains("BROKEN"))
}

/// Whether pull request `n` breaks the build: one in ten, spread out.
fn breaks(n: usize) -> bool {
    n % 10 == 3
}

/// What one depth's run measured.
struct Run {
    depth: usize,
    landed: usize,
    taken_out: usize,
    elapsed: Duration,
    label_to_land: Vec<Duration>,
    ci_runs: usize,
    reads: usize,
    writes: usize,
    breakages: usize,
    tree_mismatches: u64,
}

fn envelope(
    event: &str,
    action: Option<&str>,
    prs: Vec<u64>,
    sha: Option<String>,
    n: usize,
) -> Envelope {
    Envelope {
        delivery: format!("bench-{event}-{n}-{}", prs.first().copied().unwrap_or(0)),
        event: event.into(),
        action: action.map(str::to_owned),
        repo: REPO.into(),
        installation: None,
        prs,
        sha,
        label: None,
        sender: Some("dan".into()),
        received_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
    }
}

async fn run(depth: usize, prs: usize, t: Duration) -> Run {
    let hub = Hub::start().await;
    let settings = format!(
        "stack_checks = [\"ci / test\"]\nstack_depth = {depth}\nstack_start_timeout = \"1h\"\n"
    );
    hub.create_repo(
        REPO,
        None,
        &[
            (".github/.landqueue", "* @bob\n"),
            (".github/landq.toml", &settings),
            ("README.md", "# app\n"),
        ],
    );
    hub.permit(REPO, "dan", "write");
    hub.run_ci(Ci {
        name: "ci / test".into(),
        delay: t,
        judge: Arc::new(builds),
    });

    let dir = tempfile::TempDir::new().unwrap();
    let bus: Arc<dyn Bus> =
        Arc::new(EmbeddedBus::open(dir.path(), embedded::DEFAULT_LEASE).unwrap());
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let github = Arc::new(
        GitHub::new(
            hub.url(),
            Auth::Token("t".to_owned().into()),
            RetryPolicy::default(),
        )
        .unwrap(),
    );
    let mut registry = Registry::default();
    let metrics = WorkerMetrics::register(&mut registry);
    let lander = Arc::new(Lander::new(
        github,
        store,
        metrics,
        landq_bus::Clock::system(),
    ));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let consumers = tokio::spawn(landq_worker::consume::run(
        lander,
        bus.clone(),
        Consumers {
            count: 4,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        },
        stopped,
    ));
    // The CI's check runs reach landq as GitHub would deliver them.
    let (sink_bus, events) = (
        bus.clone(),
        Arc::new(std::sync::atomic::AtomicUsize::new(0)),
    );
    hub.on_event(move |event: Event| {
        let bus = sink_bus.clone();
        let n = events.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let sha = event.payload["check_run"]["head_sha"]
            .as_str()
            .map(str::to_owned);
        tokio::spawn(async move {
            bus.publish(&envelope(event.name, Some("completed"), vec![], sha, n))
                .await
        });
    });

    let started = Instant::now();
    let before = hub.seen().len();
    let mut labelled: HashMap<u64, Instant> = HashMap::new();
    let mut numbers = Vec::new();
    // Arrivals: one pull request every T/8, faster than a serial queue lands.
    for n in 0..prs {
        let text = if breaks(n) { "BROKEN\n" } else { "fine\n" };
        let path = format!("docs/p{n}.md");
        let branch = format!("p{n}");
        hub.push(REPO, &branch, "main", &[(&path, Some(text))], "alice");
        let pr = hub.open_pull(REPO, "alice", &branch, "main", &format!("Change {n}"), "");
        hub.review(REPO, pr, "bob", "APPROVED");
        hub.label(REPO, pr, LABEL, "dan");
        labelled.insert(pr, Instant::now());
        numbers.push(pr);
        bus.publish(&envelope(
            "pull_request",
            Some("labeled"),
            vec![pr],
            None,
            n,
        ))
        .await
        .unwrap();
        tokio::time::sleep(t / 8).await;
    }

    let mut label_to_land = Vec::new();
    let mut settled: HashMap<u64, bool> = HashMap::new();
    while settled.len() < numbers.len() {
        for &pr in &numbers {
            if settled.contains_key(&pr) {
                continue;
            }
            let (labels, _, merged) = hub.pull_state(REPO, pr);
            if merged.is_some() {
                label_to_land.push(labelled[&pr].elapsed());
                settled.insert(pr, true);
            } else if labels.is_empty() {
                settled.insert(pr, false);
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let elapsed = started.elapsed();
    let seen = &hub.seen()[before..];
    let reads = seen.iter().filter(|s| s.method == "GET").count();
    let writes = seen.len() - reads;

    // Every commit on main's first-parent history must build.
    let mut breakages = 0;
    let mut commit = hub.tip(REPO, "main");
    loop {
        if !hub.judge(REPO, &commit, builds) {
            breakages += 1;
        }
        match hub.commit_message(REPO, &commit).1.first() {
            Some(parent) => commit = parent.clone(),
            None => break,
        }
    }
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    let tree_mismatches = text
        .lines()
        .find(|l| {
            l.starts_with("landq_stack_events_total{repo=\"acme/app\",event=\"tree_mismatch\"}")
        })
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0);
    stop.send(true).unwrap();
    let _ = consumers.await;
    let landed = settled.values().filter(|l| **l).count();
    Run {
        depth,
        landed,
        taken_out: settled.len() - landed,
        elapsed,
        label_to_land,
        ci_runs: hub.ci_runs(REPO),
        reads,
        writes,
        breakages,
        tree_mismatches,
    }
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    if bench::only_listing() {
        return;
    }
    let prs = bench::setting("LANDQ_BENCH_PRS", 60) as usize;
    let t = Duration::from_millis(bench::setting("LANDQ_BENCH_CI_MS", 400));
    let runtime = bench::runtime();
    let runs: Vec<Run> =
        runtime.block_on(async { vec![run(1, prs, t).await, run(8, prs, t).await] });

    println!(
        "queue: {prs} pull requests arriving every T/8, CI of T = {} ms on landq/stack/**, p = 0.1 break the build; git-backed fake GitHub on loopback, embedded bus",
        t.as_millis()
    );
    let per_t = |r: &Run| r.landed as f64 / (r.elapsed.as_secs_f64() / t.as_secs_f64());
    for r in &runs {
        let mut times = r.label_to_land.clone();
        times.sort();
        let in_t = |d: Duration| d.as_secs_f64() / t.as_secs_f64();
        println!(
            "depth {:>2}: {} landed, {} taken out in {:.1} s: {:.2} landed per T; label->land p50 {:.1} T, p95 {:.1} T; per landed: {:.2} CI runs, {:.1} reads, {:.1} writes; main breakages {}, tree mismatches {}",
            r.depth,
            r.landed,
            r.taken_out,
            r.elapsed.as_secs_f64(),
            per_t(r),
            in_t(quantile(&times, 0.5)),
            in_t(quantile(&times, 0.95)),
            r.ci_runs as f64 / r.landed as f64,
            r.reads as f64 / r.landed as f64,
            r.writes as f64 / r.landed as f64,
            r.breakages,
            r.tree_mismatches,
        );
    }
    println!(
        "depth 8 lands {:.1}x as many per T as depth 1",
        per_t(&runs[1]) / per_t(&runs[0])
    );
}
