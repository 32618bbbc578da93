//! `landq serve` end to end: a signed `labeled` delivery goes in, the worker
//! reads the pull request from a stub GitHub, decides and squash-merges it
//! with the evaluated head SHA, and records the land.

use std::time::{Duration, Instant};

use landq_fake_github::Stub;
use landq_fake_github::scenario::{RULES, script};
use landq_store::Store;
use landq_store::sqlite::SqliteStore;
use serde_json::json;
use tempfile::TempDir;

use crate::webhook::{Webhook, fixture};

const MERGE: &str = "PUT /repos/acme/app/pulls/7/merge";

/// GitHub's `labeled` payload, pointed at the scenario's pull request.
fn labeled() -> Vec<u8> {
    let mut payload: serde_json::Value = serde_json::from_slice(&fixture()).unwrap();
    payload["repository"]["full_name"] = json!("acme/app");
    payload["number"] = json!(7);
    payload["pull_request"]["number"] = json!(7);
    payload["pull_request"]["head"]["sha"] = json!("h1");
    payload["label"]["name"] = json!("land requested");
    serde_json::to_vec(&payload).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_labeled_delivery_lands_the_pull_request() {
    let stub = Stub::default();
    script(&stub, RULES);
    stub.on(MERGE, 200, json!({"sha": "sq1", "merged": true}));
    stub.on("POST /repos/acme/app/statuses/h1", 201, json!({"id": 1}));
    stub.on(
        "DELETE /repos/acme/app/issues/7/labels/land%20requested",
        200,
        json!([]),
    );
    let api = stub.start().await;

    let dir = TempDir::new().unwrap();
    let mut serve = Webhook::start_command(
        "serve",
        dir.path(),
        &[
            ("LANDQ_GITHUB_TOKEN", "test-token"),
            ("LANDQ_GITHUB_API_URL", &api),
        ],
    );
    let client = reqwest::Client::new();
    // The same delivery three times: one land.
    for _ in 0..3 {
        let status = serve.deliver(&client, "label-1", labeled()).await;
        assert!(status == 202 || status == 200, "{status}");
    }

    let deadline = Instant::now() + Duration::from_secs(60);
    while stub.count("DELETE /repos/acme/app/issues/7/labels/land%20requested") == 0 {
        assert!(
            Instant::now() < deadline,
            "the worker never finished landing"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(stub.count(MERGE), 1);
    assert_eq!(stub.body_of(MERGE)["sha"], "h1");
    assert_eq!(
        stub.body_of("POST /repos/acme/app/statuses/h1")["state"],
        "success"
    );

    // The outcome is counted just after the land's last GitHub call.
    let mut metrics = serve.get(&client, "/metrics").await;
    while !metrics.contains(r#"landq_processed_total{outcome="landed"} 1"#) {
        assert!(
            Instant::now() < deadline,
            "the land was never counted:\n{metrics}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        metrics = serve.get(&client, "/metrics").await;
    }
    for line in [
        r#"landq_processed_total{outcome="landed"} 1"#,
        "landq_land_seconds_count 1",
        "landq_queue_wait_seconds_count 1",
        r#"landq_webhook_deliveries_total{event="pull_request",outcome="accepted"} 1"#,
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "missing `{line}` in:\n{metrics}"
        );
    }

    let status = std::process::Command::new("kill")
        .args(["-TERM", &serve.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(serve.child.wait().unwrap().code(), Some(0));
    let lands = SqliteStore::open(dir.path())
        .unwrap()
        .lands("acme/app", 10)
        .await
        .unwrap();
    assert_eq!(lands.len(), 1);
    assert_eq!(
        (lands[0].squash_sha.as_str(), lands[0].approvers.clone()),
        ("sq1", vec!["bob".to_owned(), "carol".to_owned()])
    );
}

#[test]
fn serve_refuses_to_start_without_github_credentials() {
    let dir = TempDir::new().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_landq"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("LANDQ_WEBHOOK_SECRET", "s")
        .env_remove("LANDQ_GITHUB_TOKEN")
        .env_remove("LANDQ_GITHUB_APP_ID")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "landq: error: no GitHub credentials: set LANDQ_GITHUB_APP_ID with LANDQ_GITHUB_APP_KEY_FILE (a \
         GitHub App), or LANDQ_GITHUB_TOKEN (a token, for trials)\n"
    );
    assert!(!dir.path().join(".landq").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_that_never_arrived_is_landed_by_the_reconcile() {
    let stub = Stub::default();
    script(&stub, RULES);
    stub.on(MERGE, 200, json!({"sha": "sq2", "merged": true}));
    stub.on("POST /repos/acme/app/statuses/h1", 201, json!({"id": 1}));
    stub.on(
        "DELETE /repos/acme/app/issues/7/labels/land%20requested",
        200,
        json!([]),
    );
    stub.on(
        "GET /repos/acme/app/issues?state=open&labels=land%20requested&per_page=100&page=1",
        200,
        json!([{"number": 7, "pull_request": {}}]),
    );
    let api = stub.start().await;

    let dir = TempDir::new().unwrap();
    let _serve = Webhook::start_command(
        "serve",
        dir.path(),
        &[
            ("LANDQ_GITHUB_TOKEN", "test-token"),
            ("LANDQ_GITHUB_API_URL", &api),
            ("LANDQ_REPOS", "acme/app"),
            ("LANDQ_RECONCILE_INTERVAL", "1"),
        ],
    );
    // No webhook delivery at all.
    let deadline = Instant::now() + Duration::from_secs(60);
    while stub.count(MERGE) == 0 {
        assert!(Instant::now() < deadline, "the reconcile never landed it");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(stub.body_of(MERGE)["sha"], "h1");
}
