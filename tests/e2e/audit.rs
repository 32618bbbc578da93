//! `landq audit` against the git-backed fake GitHub, with a token: JSON
//! for scripts, a table for people, exit 1 while any repository is not
//! compliant, and the GitHub requests one audit costs.

use std::process::{Command, Output};

use landq_fake_github::hub::Hub;
use serde_json::{Value, json};
use tempfile::TempDir;

const TOKEN: &str = "audit-token";

async fn landq(dir: &std::path::Path, hub: &Hub, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_landq"));
    command
        .arg("audit")
        .args(args)
        .current_dir(dir)
        .env("LANDQ_GITHUB_API_URL", hub.url())
        .env("LANDQ_GITHUB_TOKEN", TOKEN)
        .env_remove("LANDQ_GITHUB_APP_ID")
        .env_remove("LANDQ_AUDIT_POLICY");
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

/// `acme/good`: only the token's user (`landq-bot`) may push, `landq`
/// required, rules owning themselves. `acme/open`: nothing set up.
async fn hub() -> Hub {
    let hub = Hub::start().await;
    hub.require_token(TOKEN);
    let files = [
        (
            ".github/.landqueue",
            "* @acme/eng\n/.github/ @acme/security\n",
        ),
        (
            ".github/workflows/ci.yml",
            "on: [push]\njobs:\n  test:\n    steps:\n      - run: make test\n",
        ),
    ];
    hub.create_repo("acme/good", None, &files);
    hub.protect(
        "acme/good",
        "main",
        json!({
            "required_status_checks": {"strict": false, "contexts": ["landq"]},
            "enforce_admins": {"enabled": true},
            "restrictions": {"users": [{"login": "landq-bot"}], "teams": [], "apps": []},
        }),
    );
    hub.create_repo("acme/open", None, &files);
    hub
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_reports_json_and_a_table_and_exits_1_while_anything_is_not_compliant() {
    let hub = hub().await;
    let dir = TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("landq-audit.toml"),
        "[[required_steps]]\njob = \"test\"\nrun = \"make lint\"\n",
    )
    .unwrap();

    let out = landq(
        dir.path(),
        &hub,
        &[
            "--repos",
            "acme/good,acme/open",
            "--json",
            "--policy",
            "landq-audit.toml",
        ],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["acme/open"]["status"], "not-compliant");
    assert_eq!(
        report["acme/open"]["findings"][0]["check"],
        "anyone_can_push"
    );
    assert_eq!(
        report["acme/good"]["jobs"]["test"],
        json!(["run: make lint (.github/workflows/ci.yml)"])
    );

    let out = landq(dir.path(), &hub, &["--repos", "acme/good"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "acme/good: compliant\n"
    );

    let out = landq(dir.path(), &hub, &["--repos", "acme/open"]).await;
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.starts_with(
            "acme/open: not compliant\n  - `main`: anyone with write access can push or merge, \
             bypassing landq\n    fix: Settings → Branches → protect `main`"
        ),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_says_what_it_needs_and_costs_a_handful_of_requests_per_repository() {
    let hub = hub().await;
    let dir = TempDir::new().unwrap();
    let out = landq(dir.path(), &hub, &[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "landq: error: with a token, name the repositories: --repos owner/name,… (or LANDQ_REPOS)\n"
    );
    std::fs::write(dir.path().join("bad.toml"), "[[required_steps]]\njob = 1\n").unwrap();
    let out = landq(
        dir.path(),
        &hub,
        &["--repos", "acme/good", "--policy", "bad.toml"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("landq: error: bad.toml: "), "{err}");

    let before = hub.seen().len();
    let out = landq(dir.path(), &hub, &["--repos", "acme/good"]).await;
    assert_eq!(out.status.code(), Some(0));
    let repo_requests = hub.seen()[before..]
        .iter()
        .filter(|s| s.path.starts_with("/repos/acme/good"))
        .count();
    // The repository, settings, rules, protection, rulesets, the workflow
    // directory and its one file, CircleCI's configuration.
    assert_eq!(repo_requests, 8, "{:?}", &hub.seen()[before..]);
}
