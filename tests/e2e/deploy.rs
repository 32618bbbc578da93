//! What the Google Cloud deployment relies on, against loopback fakes:
//! `landq firewall` (GitHub's meta in, App Engine's batch update out) and
//! secrets read from Secret Manager at start-up.

use std::process::{Command, Output};

use landq_fake_github::Stub;
use serde_json::json;
use tempfile::TempDir;

use crate::webhook::{Webhook, listed};

/// Google's clients send the system parameter `$alt=json;enum-encoding=int`.
const ALT: &str = "?%24alt=json%3Benum-encoding%3Dint";
const BATCH: &str =
    "POST /v1/apps/my-proj/firewall/ingressRules:batchUpdate?%24alt=json%3Benum-encoding%3Dint";
const SECRET_VERSION: &str = "projects/p/secrets/landq-webhook-secret/versions/latest";
const TOKEN_PATH: &str = "GET /computeMetadata/v1/instance/service-accounts/default/token";

async fn landq(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_landq"));
    command
        .args(args)
        .env_remove("GOOGLE_OAUTH_ACCESS_TOKEN")
        .env_remove("LANDQ_WEBHOOK_SECRET")
        .envs(envs.iter().copied());
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn meta(stub: &Stub, hooks: serde_json::Value) {
    stub.on(
        "GET /meta",
        200,
        json!({"verifiable_password_authentication": false, "hooks": hooks, "web": ["1.2.3.0/24"]}),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firewall_prints_githubs_hook_ranges_for_terraform() {
    let stub = Stub::default();
    meta(
        &stub,
        json!(["192.30.252.0/22", "2a0a:a440::/29", "185.199.108.0/22"]),
    );
    let api = stub.start().await;
    let out = landq(
        &["firewall", "--format", "tfvars"],
        &[("LANDQ_GITHUB_API_URL", &api)],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "github_hook_ranges = [\n  \"185.199.108.0/22\",\n  \"192.30.252.0/22\",\n  \"2a0a:a440::/29\"\n]\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firewall_apply_replaces_the_rules_in_one_batch_ending_in_deny() {
    let stub = Stub::default();
    meta(&stub, json!(["192.30.252.0/22", "2a0a:a440::/29"]));
    stub.on(BATCH, 200, json!({"ingressRules": []}));
    stub.on(
        TOKEN_PATH,
        200,
        json!({"access_token": "from-metadata", "expires_in": 3599, "token_type": "Bearer"}),
    );
    let url = stub.start().await;
    let host = url.trim_start_matches("http://");
    let out = landq(
        &[
            "firewall",
            "--apply",
            "my-proj",
            "--dashboard-ranges",
            "203.0.113.0/24,192.30.252.0/22",
        ],
        &[
            ("LANDQ_GITHUB_API_URL", &url),
            ("LANDQ_APPENGINE_API_URL", &url),
            ("GCE_METADATA_HOST", host),
        ],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stub.count(BATCH), 1);
    let auth = stub
        .seen
        .lock()
        .unwrap()
        .iter()
        .find(|s| s.0 == BATCH)
        .unwrap()
        .1
        .clone();
    assert_eq!(auth.as_deref(), Some("Bearer from-metadata"));
    let rules = stub.body_of(BATCH)["ingressRules"]
        .as_array()
        .unwrap()
        .clone();
    // With `enum-encoding=int`, the API's FirewallRule.Action is ALLOW = 1, DENY = 2.
    let shape: Vec<(u64, &str)> = rules
        .iter()
        .map(|r| {
            (
                r["action"].as_u64().unwrap(),
                r["sourceRange"].as_str().unwrap(),
            )
        })
        .collect();
    // GitHub's two ranges and the dashboard's one not among them, allowed.
    assert_eq!(shape.len(), 5);
    assert!(shape[..3].iter().all(|(action, _)| *action == 1));
    assert!(shape[..3].contains(&(1, "203.0.113.0/24")));
    assert_eq!(shape[3..], [(2, "*"), (2, "*")]);
    assert_eq!(rules[4]["priority"], 2147483647);
}

/// `landq firewall --apply my-proj` with GitHub and App Engine at `url`.
async fn apply_against(url: &str) -> Output {
    landq(
        &["firewall", "--apply", "my-proj"],
        &[
            ("LANDQ_GITHUB_API_URL", url),
            ("LANDQ_APPENGINE_API_URL", url),
            ("GOOGLE_OAUTH_ACCESS_TOKEN", "t"),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firewall_refuses_an_empty_range_list_and_a_refused_update() {
    let stub = Stub::default();
    meta(&stub, json!([]));
    let url = stub.start().await;
    let out = apply_against(&url).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "landq: error: cannot read GitHub's webhook ranges from {url}/meta: unexpected answer \
             from GitHub to /meta: no `hooks` ranges listed: refusing to deny every webhook\n"
        )
    );
    assert_eq!(stub.count(BATCH), 0);

    let stub = Stub::default();
    meta(&stub, json!(["192.30.252.0/22"]));
    stub.on(
        BATCH,
        403,
        // Google's error shape: https://cloud.google.com/apis/design/errors
        json!({"error": {"code": 403, "message": "The caller does not have permission", "status": "PERMISSION_DENIED"}}),
    );
    let url = stub.start().await;
    let out = apply_against(&url).await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("landq: error: App Engine refused the firewall update: ")
            && err.contains("PERMISSION_DENIED")
            && err.contains("The caller does not have permission"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_secret_comes_from_secret_manager() {
    use base64::Engine;
    let stub = Stub::default();
    let version = SECRET_VERSION;
    stub.on(
        &format!("GET /v1/{version}:access{ALT}"),
        200,
        json!({"name": version, "payload": {"data": base64::engine::general_purpose::STANDARD.encode("e2e-secret\n")}}),
    );
    let url = stub.start().await;
    let dir = TempDir::new().unwrap();
    let webhook = Webhook::start_command(
        "webhook",
        dir.path(),
        &[
            ("LANDQ_WEBHOOK_SECRET", ""),
            ("LANDQ_WEBHOOK_SECRET_VERSION", version),
            ("LANDQ_SECRET_MANAGER_URL", &url),
            ("GOOGLE_OAUTH_ACCESS_TOKEN", "sm-token"),
        ],
    );
    // Signed with the secret the test harness uses: accepted.
    let client = reqwest::Client::new();
    let status = webhook
        .deliver(&client, "sm-1", crate::webhook::fixture())
        .await;
    assert_eq!(status, 202);
    assert_eq!(
        stub.seen.lock().unwrap()[0].1.as_deref(),
        Some("Bearer sm-token")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_secret_stops_start_up_with_the_reason() {
    let stub = Stub::default();
    let version = SECRET_VERSION;
    stub.on(
        &format!("GET /v1/{version}:access{ALT}"),
        403,
        json!({"error": {"code": 403, "message": "Permission denied on secret", "status": "PERMISSION_DENIED"}}),
    );
    let url = stub.start().await;
    let dir = TempDir::new().unwrap();
    let out = landq(
        &[
            "webhook",
            "--data-dir",
            dir.path().join("d").to_str().unwrap(),
        ],
        &[
            ("LANDQ_WEBHOOK_SECRET_VERSION", version),
            ("LANDQ_SECRET_MANAGER_URL", &url),
            ("GOOGLE_OAUTH_ACCESS_TOKEN", "t"),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with(&format!(
            "landq: error: Secret Manager refused {version}: the service reports an error with \
             code PERMISSION_DENIED described as: Permission denied on secret"
        )),
        "{err}"
    );
    assert!(!dir.path().join("d").exists(), "nothing was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_hooks_only_admits_githubs_ranges_and_nothing_else() {
    let stub = Stub::default();
    meta(&stub, json!(["192.30.252.0/22", "2a0a:a440::/29"]));
    let api = stub.start().await;
    let dir = TempDir::new().unwrap();
    let webhook = Webhook::start_command(
        "webhook",
        dir.path(),
        &[
            ("LANDQ_GITHUB_HOOKS_ONLY", "true"),
            ("LANDQ_GITHUB_API_URL", &api),
        ],
    );
    let client = reqwest::Client::new();
    let send = |id: &'static str, forwarded: Option<&'static str>| {
        let extra: Vec<(&str, &str)> = forwarded
            .map(|f| ("x-forwarded-for", f))
            .into_iter()
            .collect();
        let (webhook, client) = (&webhook, &client);
        async move {
            webhook
                .post_signed(
                    client,
                    "pull_request",
                    id,
                    crate::webhook::fixture(),
                    &extra,
                )
                .await
        }
    };
    // App Engine appended GitHub's address and its load balancer's.
    assert_eq!(send("ok-1", Some("192.30.252.9, 169.254.1.1")).await.0, 202);
    // A GitHub address the client wrote itself proves nothing.
    assert_eq!(
        send("forged-1", Some("192.30.252.9, 203.0.113.7, 169.254.1.1")).await,
        (
            403,
            "source address 203.0.113.7 is not in GitHub's webhook ranges\n".into()
        )
    );
    // Straight from loopback, no proxy: the peer is the client.
    assert_eq!(send("direct-1", None).await.0, 403);
    assert_eq!(listed(dir.path()), ["ok-1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_range_that_is_not_cidr_is_a_usage_error_before_anything_is_sent() {
    let stub = Stub::default();
    meta(&stub, json!(["192.30.252.0/22"]));
    let url = stub.start().await;
    let out = landq(
        &[
            "firewall",
            "--apply",
            "my-proj",
            "--dashboard-ranges",
            "203.0.113.0/24,office",
        ],
        &[
            ("LANDQ_GITHUB_API_URL", &url),
            ("LANDQ_APPENGINE_API_URL", &url),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("invalid value 'office' for '--dashboard-ranges")
            && err.contains("`office` is not a CIDR range (203.0.113.0/24)"),
        "{err}"
    );
    assert_eq!(stub.seen.lock().unwrap().len(), 0);
}
