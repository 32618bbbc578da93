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

/// `landq COMMAND` against `api` with `envs`, run to its exit.
async fn exit_of(command: &str, api: &str, envs: &[(&str, &str)]) -> (Option<i32>, String, bool) {
    let dir = TempDir::new().unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_landq"))
        .args([command, "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("LANDQ_WEBHOOK_SECRET", "s")
        .env("LANDQ_GITHUB_API_URL", api)
        .env_remove("LANDQ_GITHUB_TOKEN")
        .env_remove("LANDQ_GITHUB_APP_ID")
        .envs(envs.iter().copied())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    (
        out.status.code(),
        stderr,
        dir.path().join(".landq").exists(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_github_refuses_stops_landq_at_start_up() {
    let hub = landq_fake_github::hub::Hub::start().await;
    hub.require_token("the-right-token");
    for command in ["serve", "worker"] {
        let (code, stderr, data) = exit_of(
            command,
            hub.url(),
            &[("LANDQ_GITHUB_TOKEN", "a-wrong-token")],
        )
        .await;
        assert_eq!(code, Some(1), "{command}: {stderr}");
        let last = stderr.lines().last().unwrap();
        assert_eq!(
            last,
            format!(
                "landq: error: GitHub at {} refuses landq's credentials (Bad credentials): check \
                 LANDQ_GITHUB_TOKEN",
                hub.url()
            ),
            "{command}"
        );
        assert!(!data, "{command} opened its data dir before the check");
        assert!(
            !stderr.contains("a-wrong-token"),
            "the token reached the log"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_github_refuses_stops_landq_at_start_up() {
    let hub = landq_fake_github::hub::Hub::start().await;
    hub.install_app(landq_fake_github::hub::App::test(42));
    let key = TempDir::new().unwrap();
    let key_file = key.path().join("app.pem");
    std::fs::write(&key_file, landq_fake_github::hub::TEST_KEY).unwrap();
    // The right key, but the id of another App.
    let (code, stderr, _) = exit_of(
        "serve",
        hub.url(),
        &[
            ("LANDQ_GITHUB_APP_ID", "7"),
            ("LANDQ_GITHUB_APP_KEY_FILE", key_file.to_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("refuses landq's credentials")
            && stderr.contains("check LANDQ_GITHUB_APP_ID and the App's private key"),
        "{stderr}"
    );
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
    // OpenMetrics text; the worker's series appear per repository once it
    // has processed something (tested with the lands).
    assert!(metrics.ends_with("# EOF\n"), "{metrics}");
    // The dashboard beside them: open on this loopback listener.
    assert_eq!(worker.get(&client, "/api/v1/repos").await, "[]");
}
