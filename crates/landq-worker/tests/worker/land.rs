//! The land state machine: what landq does on GitHub and records, per outcome.

use std::sync::Arc;

use landq_fake_github::Stub;
use landq_store::sqlite::SqliteStore;
use landq_store::{EntryState, QueueEntry, Store};
use landq_worker::land::{Lander, Outcome};
use landq_worker::metrics::WorkerMetrics;
use serde_json::json;
use tempfile::TempDir;

use crate::common::{RULES, github, pull, script};

const MERGE: &str = "PUT /repos/acme/app/pulls/7/merge";
const STATUS_H1: &str = "POST /repos/acme/app/statuses/h1";
const UNLABEL: &str = "DELETE /repos/acme/app/issues/7/labels/land%20requested";
const COMMENT: &str = "POST /repos/acme/app/issues/7/comments";

async fn lander(stub: &Stub) -> (TempDir, Arc<SqliteStore>, Lander) {
    let dir = TempDir::new().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let lander = Lander::new(
        Arc::new(github(stub).await),
        store.clone(),
        WorkerMetrics::unregistered(),
        landq_bus::Clock::system(),
    );
    stub.on(STATUS_H1, 201, json!({"id": 1}));
    stub.on(UNLABEL, 200, json!([]));
    stub.on(COMMENT, 201, json!({"id": 2}));
    stub.on(
        "GET /repos/acme/app/issues/7/comments?per_page=100&page=1",
        200,
        json!([]),
    );
    (dir, store, lander)
}

#[tokio::test]
async fn lands_records_reports_and_unlabels() {
    let stub = Stub::default();
    script(&stub, RULES);
    stub.on(MERGE, 200, json!({"sha": "sq1", "merged": true}));
    let (_dir, store, lander) = lander(&stub).await;

    let outcome = lander.process(None, "acme/app", 7).await.unwrap();
    assert_eq!(outcome, Outcome::Landed { sha: "sq1".into() });
    let merge = stub.body_of(MERGE);
    assert_eq!(merge["sha"], "h1");
    assert_eq!(merge["merge_method"], "squash");
    assert_eq!(merge["commit_title"], "Charge in cents (#7)");
    assert_eq!(
        merge["commit_message"],
        "Why.\n\nApproved-by: bob\nApproved-by: carol\n"
    );
    assert_eq!(stub.body_of(STATUS_H1)["state"], "success");
    assert_eq!(stub.count(UNLABEL), 1);

    let lands = store.lands("acme/app", 10).await.unwrap();
    assert_eq!(lands.len(), 1);
    assert_eq!(
        (lands[0].squash_sha.as_str(), lands[0].requested_by.as_str()),
        ("sq1", "dan")
    );
    assert_eq!(lands[0].rules_sha.as_deref(), Some("blob-1"));
    let owners: Vec<(&str, &str)> = lands[0]
        .ownership
        .iter()
        .map(|o| (o.path.as_str(), o.owner.as_str()))
        .collect();
    assert_eq!(
        owners,
        [("billing/pay.rs", "@carol"), ("docs/a.md", "@acme/eng")]
    );
    assert!(store.entries("acme/app").await.unwrap().is_empty());
    let requests = stub.seen.lock().unwrap().len();
    assert!(requests <= 13, "{requests} GitHub requests for one land");
}

#[tokio::test]
async fn a_missing_owner_approval_waits_and_says_who() {
    let stub = Stub::default();
    script(&stub, "* @acme/eng\n/billing/ @erin\n");
    let (_dir, store, lander) = lander(&stub).await;

    let Outcome::Waiting(reasons) = lander.process(None, "acme/app", 7).await.unwrap() else {
        panic!("must wait")
    };
    assert_eq!(
        reasons,
        ["`billing/pay.rs` needs an approval from @erin (.github/.landqueue line 2)"]
    );
    assert_eq!(stub.count(MERGE), 0);
    let status = stub.body_of(STATUS_H1);
    assert_eq!(status["state"], "pending");
    assert!(
        status["description"].as_str().unwrap().contains("@erin"),
        "{status}"
    );
    let entry = store.entry("acme/app", 7).await.unwrap().unwrap();
    assert_eq!(
        (entry.state, entry.reasons.clone()),
        (EntryState::Waiting, reasons)
    );
    assert_eq!(stub.count(UNLABEL), 0, "waiting keeps the label");
}

#[tokio::test]
async fn a_labeler_without_write_access_is_refused_with_a_comment() {
    let stub = Stub::default();
    script(&stub, RULES);
    stub.script
        .lock()
        .unwrap()
        .remove("GET /repos/acme/app/collaborators/dan/permission");
    stub.on(
        "GET /repos/acme/app/collaborators/dan/permission",
        200,
        json!({"permission": "read", "role_name": "read"}),
    );
    let (_dir, store, lander) = lander(&stub).await;

    let Outcome::Failed(reasons) = lander.process(None, "acme/app", 7).await.unwrap() else {
        panic!("must refuse")
    };
    assert!(
        reasons[0].starts_with("@dan applied `land requested` but has read access"),
        "{reasons:?}"
    );
    assert_eq!(stub.count(MERGE), 0);
    assert_eq!(stub.count(UNLABEL), 1);
    let comment = stub.body_of(COMMENT)["body"].as_str().unwrap().to_owned();
    assert!(
        comment.contains("@dan applied `land requested` but has read access"),
        "{comment}"
    );
    assert!(store.entry("acme/app", 7).await.unwrap().is_none());
}

#[tokio::test]
async fn a_push_between_decision_and_merge_never_lands_unreviewed() {
    let stub = Stub::default();
    script(&stub, RULES);
    // The second read of the pull request sees the new head h2; the reviews
    // are all on h1.
    stub.on(
        "GET /repos/acme/app/pulls/7",
        200,
        pull("h2", "open", false),
    );
    stub.on(
        MERGE,
        409,
        json!({"message": "Head branch was modified. Review and try the merge again."}),
    );
    stub.on("POST /repos/acme/app/statuses/h2", 201, json!({"id": 3}));
    let (_dir, _store, lander) = lander(&stub).await;

    let Outcome::Waiting(reasons) = lander.process(None, "acme/app", 7).await.unwrap() else {
        panic!("must wait for fresh approvals")
    };
    assert!(
        reasons[0].contains("approved an earlier commit"),
        "{reasons:?}"
    );
    assert_eq!(
        stub.count(MERGE),
        1,
        "one merge attempt, with the evaluated head"
    );
    assert_eq!(stub.body_of(MERGE)["sha"], "h1");
}

#[tokio::test]
async fn a_conflict_blocks_with_feedback_keeps_the_label_and_merges_nothing() {
    let stub = Stub::default();
    script(&stub, RULES);
    stub.on(
        MERGE,
        405,
        json!({"message": "Pull Request is not mergeable"}),
    );
    let (_dir, store, lander) = lander(&stub).await;

    let outcome = lander.process(None, "acme/app", 7).await.unwrap();
    assert_eq!(outcome, Outcome::Blocked);
    let status = stub.body_of(STATUS_H1);
    assert_eq!(status["state"], "pending");
    assert!(
        status["description"]
            .as_str()
            .unwrap()
            .starts_with("Blocked: conflicts with `main`"),
        "{status}"
    );
    assert_eq!(stub.count(COMMENT), 0, "the check says it; no comment");
    assert_eq!(
        stub.count(UNLABEL),
        0,
        "blocked, not dropped: the label stays"
    );
    let entry = store.entry("acme/app", 7).await.unwrap().unwrap();
    assert_eq!(entry.state, EntryState::Blocked);

    // The same head again: blocked still, and nothing said twice.
    let outcome = lander.process(None, "acme/app", 7).await.unwrap();
    assert_eq!(outcome, Outcome::Blocked);
    assert_eq!(stub.count(MERGE), 1);
    assert_eq!(stub.count(STATUS_H1), 1);
}

#[tokio::test]
async fn a_merge_done_before_a_crash_is_recorded_not_repeated() {
    let stub = Stub::default();
    script(&stub, RULES);
    stub.script
        .lock()
        .unwrap()
        .remove("GET /repos/acme/app/pulls/7");
    stub.on(
        "GET /repos/acme/app/pulls/7",
        200,
        pull("h1", "closed", true),
    );
    let (_dir, store, lander) = lander(&stub).await;
    store
        .put_entry(&QueueEntry {
            state: EntryState::Landing,
            head_sha: Some("h1".into()),
            attempts: 1,
            ..QueueEntry::requested("acme/app", 7, "main", "dan", 1)
        })
        .await
        .unwrap();

    let outcome = lander.process(None, "acme/app", 7).await.unwrap();
    assert_eq!(outcome, Outcome::Landed { sha: "m1".into() });
    assert_eq!(stub.count(MERGE), 0);
    let lands = store.lands("acme/app", 10).await.unwrap();
    assert_eq!((lands.len(), lands[0].squash_sha.as_str()), (1, "m1"));
    assert_eq!(lands[0].approvers, ["bob", "carol"]);
}

#[tokio::test]
async fn without_the_label_nothing_happens() {
    let stub = Stub::default();
    script(&stub, RULES);
    stub.script
        .lock()
        .unwrap()
        .remove("GET /repos/acme/app/pulls/7");
    let mut unlabeled = pull("h1", "open", false);
    unlabeled["labels"] = json!([]);
    stub.on("GET /repos/acme/app/pulls/7", 200, unlabeled);
    let (_dir, _store, lander) = lander(&stub).await;
    assert_eq!(
        lander.process(None, "acme/app", 7).await.unwrap(),
        Outcome::NotRequested
    );
    assert_eq!(
        stub.count(MERGE) + stub.count(STATUS_H1) + stub.count(COMMENT),
        0
    );
}

#[tokio::test]
async fn a_status_event_reaches_the_pull_requests_of_its_commit() {
    let stub = Stub::default();
    script(&stub, RULES);
    stub.on(
        "GET /repos/acme/app/commits/h1/pulls?per_page=100",
        200,
        json!([
            {"number": 7, "state": "open", "head": {"sha": "h1", "ref": "f"}},
            {"number": 5, "state": "closed", "head": {"sha": "h1", "ref": "old"}},
            {"number": 6, "state": "open", "head": {"sha": "other", "ref": "g"}}
        ]),
    );
    let (_dir, _store, lander) = lander(&stub).await;
    let status = landq_bus::Envelope {
        delivery: "s-1".into(),
        event: "status".into(),
        action: None,
        repo: "acme/app".into(),
        installation: None,
        prs: vec![],
        sha: Some("h1".into()),
        label: None,
        sender: None,
        received_at: "2026-11-23T09:00:00Z".into(),
    };
    assert_eq!(lander.pulls_of(&status).await.unwrap(), [7]);
    let labeled = landq_bus::Envelope {
        event: "pull_request".into(),
        prs: vec![9],
        ..status
    };
    assert_eq!(lander.pulls_of(&labeled).await.unwrap(), [9]);
}
