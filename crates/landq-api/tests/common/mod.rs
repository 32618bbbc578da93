//! The fixtures the dashboard's tests share: a SQLite store with a queue
//! and land records, and requests through the router.

#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use landq_api::{Access, Dashboard};
use landq_store::sqlite::SqliteStore;
use landq_store::{EntryState, LandRecord, QueueEntry, Stacked, Store};
use serde_json::Value;
use tempfile::TempDir;
use tower::ServiceExt;

pub const REPO: &str = "acme/app";

pub use landq_store::now_ms;

pub fn land(pr: u64, author: &str, landed_at_ms: i64) -> LandRecord {
    LandRecord {
        repo: REPO.into(),
        pr,
        base: "main".into(),
        head_sha: format!("h{pr}"),
        squash_sha: format!("{pr:040}"),
        requested_by: "dan".into(),
        approvers: vec!["bob".into()],
        ownership: Vec::new(),
        rules_sha: None,
        requested_at_ms: landed_at_ms - 600_000,
        landed_at_ms,
        paths: vec!["docs/a.md".into()],
        author: author.into(),
        title: format!("Change {pr}"),
        queued_at_ms: Some(landed_at_ms - 300_000),
    }
}

/// A store holding two queued entries (one tested), one waiting, five lands.
pub async fn dashboard(access: Access) -> (TempDir, Dashboard) {
    let dir = TempDir::new().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let now = now_ms();
    let testing = QueueEntry {
        state: EntryState::Testing,
        title: "Rename old".into(),
        author: "alice".into(),
        head_sha: Some("h7".into()),
        stack: Some(Stacked {
            head_sha: "h7".into(),
            parent: "p".into(),
            parent_tree: "pt".into(),
            commit: "c0ffee".repeat(6) + "c0ff",
            tree: "t".into(),
            built_at_ms: now,
            retries: 0,
        }),
        checks: Some("pending".into()),
        ..QueueEntry::requested(REPO, 7, "main", "dan", now - 2_000)
    };
    let queued = QueueEntry {
        state: EntryState::Queued,
        title: "Add caller".into(),
        author: "erin".into(),
        ..QueueEntry::requested(REPO, 8, "main", "dan", now - 1_000)
    };
    let waiting = QueueEntry {
        state: EntryState::Waiting,
        title: "Docs".into(),
        author: "alice".into(),
        reasons: vec!["`docs/a.md` needs an approval from @acme/eng".into()],
        ..QueueEntry::requested(REPO, 9, "main", "dan", now - 3_000)
    };
    for entry in [testing, queued, waiting] {
        store.put_entry(&entry).await.unwrap();
    }
    for (pr, author, ago) in [
        (1, "alice", 5),
        (2, "erin", 4),
        (3, "alice", 3),
        (4, "alice", 2),
        (5, "erin", 1),
    ] {
        store
            .record_land(&land(pr, author, now - ago * 3_600_000))
            .await
            .unwrap();
    }
    let dashboard = Dashboard::new(
        store,
        vec!["acme/quiet".into()],
        "https://github.com",
        access,
    );
    (dir, dashboard)
}

pub async fn get(router: &axum::Router, uri: &str) -> (StatusCode, String) {
    let answer = router
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = answer.status();
    let bytes = answer.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

pub async fn json(router: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let (status, text) = get(router, uri).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{uri}: {text}")),
    )
}
