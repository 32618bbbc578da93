//! The stack's timeouts, with time moved by tokio rather than waited out:
//! a speculative commit no check ever appears on (the CI is not triggered on
//! `landq/stack/**`), and stack checks that run too long.

use std::sync::Arc;
use std::time::Duration;

use landq_fake_github::hub::Hub;
use landq_fake_github::hub::ci::Ci;
use landq_store::Store;
use landq_store::sqlite::SqliteStore;
use landq_worker::land::{Lander, Outcome};
use landq_worker::metrics::WorkerMetrics;
use landq_worker::queue::Focus;
use tempfile::TempDir;

const REPO: &str = "acme/app";
const SETTINGS: &str =
    "stack_checks = [\"ci / test\"]\nstack_start_timeout = \"10m\"\nstack_timeout = \"1h\"\n";

/// A fake GitHub with one approved, labelled pull request, and a lander.
async fn ready() -> (Hub, TempDir, Arc<SqliteStore>, Lander, u64) {
    let hub = Hub::start().await;
    hub.create_repo(
        REPO,
        None,
        &[
            (".github/.landqueue", "* @bob\n"),
            (".github/landq.toml", SETTINGS),
        ],
    );
    hub.permit(REPO, "dan", "write");
    hub.push(REPO, "f", "main", &[("a.txt", Some("a\n"))], "alice");
    let pr = hub.open_pull(REPO, "alice", "f", "main", "Add a", "");
    hub.review(REPO, pr, "bob", "APPROVED");
    hub.label(REPO, pr, "land requested", "dan");
    let github = crate::common::github_at(hub.url());
    let dir = TempDir::new().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let lander = Lander::new(
        Arc::new(github),
        store.clone(),
        WorkerMetrics::unregistered(),
        landq_bus::Clock::starting_at(1_764_583_200_000),
    );
    (hub, dir, store, lander, pr)
}

/// Moves tokio's clock by `by` at once.
async fn jump(by: Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
}

#[tokio::test]
async fn a_stack_no_check_ever_starts_on_is_taken_out_with_the_workflow_fix() {
    let (hub, _dir, store, lander, pr) = ready().await;
    assert_eq!(
        lander.process(None, REPO, pr).await.unwrap(),
        Outcome::Queued
    );
    let entry = store.entry(REPO, pr).await.unwrap().unwrap();
    let commit = entry.stack.expect("built").commit;
    assert_eq!(hub.tip(REPO, "landq/stack/1"), commit);

    // Nine minutes: still waiting for the CI.
    jump(Duration::from_secs(9 * 60)).await;
    lander.drive_repo(None, REPO, Focus::All).await.unwrap();
    assert!(hub.comments(REPO, pr).is_empty());

    jump(Duration::from_secs(2 * 60)).await;
    lander.drive_repo(None, REPO, Focus::All).await.unwrap();
    let comments = hub.comments(REPO, pr);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0].contains("no check appeared on landq's test commit within 10m"),
        "{}",
        comments[0]
    );
    assert!(
        comments[0].contains("branches: [\"landq/stack/**\"]"),
        "{}",
        comments[0]
    );
    assert!(hub.pull_state(REPO, pr).0.is_empty(), "label removed");
    assert!(store.entry(REPO, pr).await.unwrap().is_none());
    assert_eq!(
        hub.count("DELETE", "/repos/acme/app/git/refs/heads/landq/stack/1"),
        1
    );
}

#[tokio::test]
async fn stack_checks_that_run_too_long_time_out() {
    let (hub, _dir, store, lander, pr) = ready().await;
    hub.run_ci(Ci {
        name: "ci / test".into(),
        delay: Duration::from_secs(10 * 3600),
        judge: Arc::new(|_| true),
    });
    assert_eq!(
        lander.process(None, REPO, pr).await.unwrap(),
        Outcome::Queued
    );
    assert_eq!(hub.ci_runs(REPO), 1, "the push started the CI");

    jump(Duration::from_secs(30 * 60)).await;
    lander.drive_repo(None, REPO, Focus::All).await.unwrap();
    assert!(
        store.entry(REPO, pr).await.unwrap().is_some(),
        "started: no start timeout"
    );

    jump(Duration::from_secs(31 * 60)).await;
    lander.drive_repo(None, REPO, Focus::All).await.unwrap();
    let comments = hub.comments(REPO, pr);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0].contains("`ci / test` did not finish on landq's test commit within 1h"),
        "{}",
        comments[0]
    );
    assert_eq!(hub.pull_state(REPO, pr).2, None, "never landed");
}
