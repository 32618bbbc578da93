//! The reconcile finds labeled pull requests a lost delivery would strand.

use landq_bus::embedded::{self, EmbeddedBus};
use landq_fake_github::Stub;
use landq_store::QueueEntry;
use landq_store::sqlite::SqliteStore;
use std::sync::Arc;

use landq_bus::Clock;
use landq_worker::reconcile::{Reconcile, Repositories};
use serde_json::json;
use tempfile::TempDir;

use crate::common::github;

/// A reconcile of `acme/app` on `dir`, its clock reading `now_ms`.
fn reconcile(stub_github: landq_github::GitHub, dir: &TempDir, now_ms: i64) -> Reconcile {
    Reconcile {
        github: Arc::new(stub_github),
        bus: Arc::new(EmbeddedBus::open(dir.path(), embedded::DEFAULT_LEASE).unwrap()),
        store: Arc::new(SqliteStore::open(dir.path()).unwrap()),
        repositories: Repositories::Listed(vec!["acme/app".into()]),
        clock: Clock::starting_at(now_ms),
    }
}

#[tokio::test]
async fn nudges_each_open_labeled_pull_request_once_per_minute() {
    let stub = Stub::default();
    stub.on(
        "GET /repos/acme/app/issues?state=open&labels=land%20requested&per_page=100&page=1",
        200,
        json!([
            {"number": 7, "pull_request": {"url": "…"}},
            {"number": 8, "title": "an issue, not a pull request"}
        ]),
    );
    let dir = TempDir::new().unwrap();
    // 10:00:05 on some day: the next passes fall in the same minute.
    let pass = reconcile(github(&stub).await, &dir, 1_764_583_205_000);
    assert_eq!(pass.once().await.unwrap(), 1);
    let nudges = embedded::list(dir.path()).unwrap();
    assert_eq!(nudges.len(), 1);
    assert_eq!(
        (
            nudges[0].repo.as_str(),
            nudges[0].prs.clone(),
            nudges[0].event.as_str()
        ),
        ("acme/app", vec![7], "reconcile")
    );
    // A second pass within the same minute publishes nothing new…
    let later = Reconcile {
        clock: Clock::starting_at(1_764_583_259_000),
        ..pass
    };
    assert_eq!(later.once().await.unwrap(), 0);
    assert_eq!(embedded::list(dir.path()).unwrap().len(), 1);
    // …and the next minute's does.
    let next_minute = Reconcile {
        clock: Clock::starting_at(1_764_583_265_000),
        ..later
    };
    assert_eq!(next_minute.once().await.unwrap(), 1);
    assert_eq!(embedded::list(dir.path()).unwrap().len(), 2);
}

fn entry(pr: u64, requested_at_ms: i64) -> QueueEntry {
    QueueEntry::requested("acme/app", pr, "main", "dan", requested_at_ms)
}

#[tokio::test]
async fn nudges_in_the_order_the_label_was_applied() {
    let stub = Stub::default();
    // GitHub lists the newest pull request first.
    stub.on(
        "GET /repos/acme/app/issues?state=open&labels=land%20requested&per_page=100&page=1",
        200,
        json!([
            {"number": 12, "pull_request": {}},
            {"number": 11, "pull_request": {}},
            {"number": 10, "pull_request": {}},
            {"number": 9, "pull_request": {}}
        ]),
    );
    // 12 was labelled at 1.5 s, 9 has no label event GitHub still lists.
    stub.on(
        "GET /repos/acme/app/issues/12/events?per_page=100&page=1",
        200,
        json!([{"event": "labeled", "actor": {"login": "dan"},
                "label": {"name": "land requested"}, "created_at": "1970-01-01T00:00:01.500Z"}]),
    );
    stub.on(
        "GET /repos/acme/app/issues/9/events?per_page=100&page=1",
        200,
        json!([]),
    );
    let dir = TempDir::new().unwrap();
    let pass = reconcile(github(&stub).await, &dir, 1_764_583_205_000);
    // 11 was labelled before 10; 12 and 9 were never seen (lost deliveries).
    pass.store.put_entry(&entry(10, 2_000)).await.unwrap();
    pass.store.put_entry(&entry(11, 1_000)).await.unwrap();

    assert_eq!(pass.once().await.unwrap(), 4);
    let order: Vec<u64> = embedded::list(dir.path())
        .unwrap()
        .iter()
        .map(|e| e.prs[0])
        .collect();
    assert_eq!(order, [11, 12, 10, 9]);
}
