//! `landq serve` start-up; its landing flow is tested in `land.rs`.

use tempfile::TempDir;

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
async fn the_worker_alone_serves_its_probes() {
    let dir = TempDir::new().unwrap();
    let worker = crate::webhook::Webhook::start_command(
        "worker",
        dir.path(),
        &[
            ("LANDQ_GITHUB_TOKEN", "t"),
            ("LANDQ_GITHUB_API_URL", "http://127.0.0.1:9"),
            ("LANDQ_RECONCILE_INTERVAL", "0"),
        ],
    );
    let client = reqwest::Client::new();
    assert_eq!(worker.get(&client, "/healthz").await, "ok\n");
    assert_eq!(worker.get(&client, "/readyz").await, "ready\n");
    let metrics = worker.get(&client, "/metrics").await;
    assert!(
        metrics.contains("landq_queue_wait_seconds_count 0"),
        "{metrics}"
    );
}
