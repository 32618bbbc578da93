//! The organisation jobs through the binary: three `landq remind`
//! processes at once against one data directory announce each stale pull
//! request once; `landq serve --audit-interval` keeps the audit and serves
//! it at `/api/v1/audit`.

use std::process::Command;
use std::time::Duration;

use landq_fake_github::Stub;
use serde_json::json;
use tempfile::TempDir;

use crate::land::{Land, REPO};

const POST: &str = "POST /chat.postMessage";

async fn slack() -> (Stub, String) {
    let stub = Stub::default();
    stub.on_with(
        POST,
        200,
        vec![("content-type", "application/json".into())],
        json!({"ok": true, "channel": "C1", "ts": "1.1", "message": {"ts": "1.1", "text": "x"}}),
    );
    let url = stub.start().await;
    (stub, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_remind_processes_at_once_announce_each_stale_pull_request_once() {
    let land = Land::start_holding(
        &[],
        &[(
            ".github/landq.toml",
            "[remind]\nafter = \"1d\"\nchannel = \"#eng\"\n",
        )],
    )
    .await;
    let stale = land.pull_changing("stale", &[("docs/a.md", Some("# Stale\n"))]);
    land.hub
        .opened_ago(REPO, stale, Duration::from_secs(2 * 86_400));
    let fresh = land.pull_changing("fresh", &[("docs/b.md", Some("# Fresh\n"))]);
    let (stub, slack_url) = slack().await;
    let dir = TempDir::new().unwrap();
    let runs: Vec<_> = (0..3)
        .map(|_| {
            let mut command = Command::new(env!("CARGO_BIN_EXE_landq"));
            command
                .args(["remind", "--repos", REPO, "--data-dir"])
                .arg(dir.path())
                .env("LANDQ_GITHUB_API_URL", land.hub.url())
                .env("LANDQ_GITHUB_TOKEN", crate::land::TOKEN)
                .env("LANDQ_SLACK_TOKEN", "xoxb-e2e-secret")
                .env("LANDQ_SLACK_API_URL", &slack_url)
                .env_remove("LANDQ_SLACK_WEBHOOK_URL");
            command
        })
        .collect();
    let outputs = futures::future::join_all(
        runs.into_iter()
            .map(|mut command| tokio::task::spawn_blocking(move || command.output().unwrap())),
    )
    .await;
    let mut announced = 0;
    for output in outputs {
        let output = output.unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(
            !stderr.contains("xoxb-e2e-secret"),
            "the token reached the log"
        );
        let stdout = String::from_utf8(output.stdout).unwrap();
        if stdout == format!("{REPO}: announced #{stale}\n") {
            announced += 1;
        } else {
            assert!(
                stdout == format!("{REPO}: nothing to announce\n")
                    || stdout == format!("{REPO}: another landq is on it\n"),
                "{stdout}"
            );
        }
    }
    assert_eq!(announced, 1);
    assert_eq!(stub.count(POST), 1);
    let text = stub.body_of(POST)["text"].as_str().unwrap().to_owned();
    assert!(text.contains(&format!("/pull/{stale}|#{stale} ")), "{text}");
    assert!(!text.contains(&format!("#{fresh} ")), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_an_audit_interval_keeps_the_audit_and_serves_it() {
    let land = Land::start_with(&[("LANDQ_AUDIT_INTERVAL", "1h"), ("LANDQ_REPOS", REPO)]).await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/audit", land.url());
    let mut audit = serde_json::Value::Null;
    for _ in 0..200 {
        audit = client.get(&url).send().await.unwrap().json().await.unwrap();
        if audit.get(REPO).is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(audit[REPO]["status"], "not-compliant", "{audit}");
    assert_eq!(audit[REPO]["findings"][0]["check"], "anyone_can_push");
}
