//! The audit on the git-backed fake GitHub: a compliant repository has no
//! finding; each way a repository can bypass landq, or break it, is
//! reported with its fix; malformed CI files are findings, never crashes.

use landq_fake_github::hub::{App, Hub, TEST_KEY};
use landq_github::retry::RetryPolicy;
use landq_github::{Auth, GitHub};
use landq_org::audit::{Policy, Status, audit_all};
use serde_json::json;

const INSTALLATION: u64 = 7;
const APP_ID: u64 = 42;
const RULES: &str = "* @acme/eng\n/.github/.landqueue @acme/security\n";
const WORKFLOW: &str = "on:\n  pull_request:\n  push:\n    branches: [\"landq/stack/**\"]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: cargo deny check && cargo test\n";
const POLICY: &str = "[[required_steps]]\njob = \"test\"\nrun = \"cargo deny check\"\n\n[[required_steps]]\njob = \"test\"\nuses = \"actions/checkout\"\n";

/// The protection that leaves `main` to landq alone (the App's slug).
fn only_landq() -> serde_json::Value {
    json!({
        "url": "https://api.github.com/repos/acme/x/branches/main/protection",
        "required_status_checks": {"strict": false, "contexts": ["landq"], "checks": [{"context": "landq", "app_id": APP_ID}]},
        "enforce_admins": {"enabled": true},
        "restrictions": {"users": [], "teams": [], "apps": [{"slug": "landq-test", "id": APP_ID}]},
        "allow_force_pushes": {"enabled": false},
    })
}

async fn app_hub() -> (Hub, GitHub) {
    let hub = Hub::start().await;
    hub.install_app(App::test(APP_ID));
    let github = GitHub::new(
        hub.url(),
        Auth::App {
            app_id: APP_ID,
            private_key: TEST_KEY.to_owned().into(),
        },
        RetryPolicy::default(),
    )
    .unwrap();
    (hub, github)
}

fn compliant_files() -> Vec<(&'static str, &'static str)> {
    vec![
        (".github/.landqueue", RULES),
        (".github/landq.toml", "stack_checks = [\"ci / test\"]\n"),
        (".github/workflows/ci.yml", WORKFLOW),
    ]
}

async fn run(hub: &Hub, github: &GitHub, repos: &[&str], policy: &str) -> landq_org::audit::Audit {
    let me = github.me().await.unwrap();
    assert_eq!(
        (me.id, me.name.as_str(), me.app),
        (APP_ID, "landq-test", true)
    );
    let _ = hub;
    let repos = repos
        .iter()
        .map(|r| (Some(INSTALLATION), r.to_string()))
        .collect();
    audit_all(github, &me, repos, &Policy::parse(policy).unwrap()).await
}

fn checks(report: &landq_org::audit::Report) -> Vec<&str> {
    report.findings.iter().map(|f| f.check.as_str()).collect()
}

#[tokio::test]
async fn a_repository_only_landq_writes_to_is_compliant() {
    let (hub, github) = app_hub().await;
    hub.create_repo("acme/good", Some(INSTALLATION), &compliant_files());
    hub.protect("acme/good", "main", only_landq());
    let audit = run(&hub, &github, &["acme/good"], POLICY).await;
    let report = &audit["acme/good"];
    assert_eq!(report.findings, []);
    assert!(report.jobs.is_empty(), "{:?}", report.jobs);
    assert_eq!(report.status, Status::Compliant);
}

#[tokio::test]
async fn each_way_around_landq_is_reported_with_its_fix() {
    let (hub, github) = app_hub().await;
    // Unprotected, no rules file, broken settings, a stack nobody tests, a
    // job without a required step, a broken workflow.
    hub.create_repo(
        "acme/open",
        Some(INSTALLATION),
        &[
            (".github/landq.toml", "stack_depth = \"deep\"\n"),
            (
                ".github/workflows/ci.yml",
                "on: pull_request\njobs:\n  test:\n    steps:\n      - run: cargo test\n",
            ),
            (".github/workflows/bad.yml", "jobs:\n  x: [unclosed\n"),
            (
                ".circleci/config.yml",
                "jobs:\n  test:\n    steps:\n      - checkout\n",
            ),
        ],
    );
    let audit = run(&hub, &github, &["acme/open"], POLICY).await;
    let report = &audit["acme/open"];
    assert_eq!(report.status, Status::NotCompliant);
    assert_eq!(
        checks(report),
        [
            "settings_invalid",
            "rules_missing",
            "anyone_can_push",
            "landq_check_not_required",
            "ci_file_invalid",
        ]
    );
    let fix = |check: &str| {
        report
            .findings
            .iter()
            .find(|f| f.check == check)
            .map(|f| f.fix.clone())
            .unwrap()
    };
    assert!(
        fix("anyone_can_push").contains("to `landq-test` only"),
        "{}",
        fix("anyone_can_push")
    );
    assert!(fix("landq_check_not_required").contains("add `landq`"));
    assert!(fix("rules_missing").contains("/.github/.landqueue @ORG/security"));
    assert!(fix("ci_file_invalid").contains(".github/workflows/bad.yml"));
    assert_eq!(
        report.jobs["test"],
        [
            "run: cargo deny check (.github/workflows/ci.yml)",
            "run: cargo deny check (.circleci/config.yml)",
            "uses: actions/checkout (.github/workflows/ci.yml)",
            "uses: actions/checkout (.circleci/config.yml)",
        ]
    );

    // Stack checks with no workflow on landq/stack/**, rules that do not
    // own themselves, and a protection with holes.
    hub.create_repo(
        "acme/holes",
        Some(INSTALLATION),
        &[
            (".github/.landqueue", "/src/ @acme/eng\n"),
            (".github/landq.toml", "stack_checks = [\"ci / test\"]\n"),
        ],
    );
    hub.protect(
        "acme/holes",
        "main",
        json!({
            "required_status_checks": {"strict": true, "contexts": ["landq"]},
            "enforce_admins": {"enabled": false},
            "restrictions": {"users": [{"login": "mallory"}], "teams": [{"slug": "release"}], "apps": [{"slug": "landq-test"}]},
        }),
    );
    let audit = run(&hub, &github, &["acme/holes"], "").await;
    let report = &audit["acme/holes"];
    assert_eq!(
        checks(report),
        [
            "rules_not_self_owned",
            "push_restricted_to_others",
            "admins_bypass",
            "up_to_date_required",
            "stack_not_tested",
        ]
    );
    assert!(
        report.findings[1]
            .message
            .contains("@mallory, team release")
    );
    assert!(report.findings[4].fix.contains("landq/stack/**"));
}

#[tokio::test]
async fn a_ruleset_only_landq_bypasses_guards_the_branch_and_another_bypass_is_found() {
    let (hub, github) = app_hub().await;
    let ruleset = |bypass: serde_json::Value| {
        json!({
            "name": "main only through landq",
            "target": "branch",
            "enforcement": "active",
            "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
            "rules": [
                {"type": "update", "parameters": {"update_allows_fetch_and_merge": false}},
                {"type": "required_status_checks", "parameters": {
                    "strict_required_status_checks_policy": false,
                    "required_status_checks": [{"context": "landq", "integration_id": APP_ID}]}},
            ],
            "bypass_actors": bypass,
        })
    };
    hub.create_repo("acme/ruled", Some(INSTALLATION), &compliant_files());
    hub.add_ruleset(
        "acme/ruled",
        ruleset(
            json!([{"actor_id": APP_ID, "actor_type": "Integration", "bypass_mode": "always"}]),
        ),
    );
    hub.create_repo("acme/leaky", Some(INSTALLATION), &compliant_files());
    hub.add_ruleset(
        "acme/leaky",
        ruleset(json!([
            {"actor_id": APP_ID, "actor_type": "Integration", "bypass_mode": "always"},
            {"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "always"},
        ])),
    );
    // GitHub lists bypass actors only to those with write access to the
    // ruleset: unknown is not "only landq".
    hub.create_repo("acme/hidden", Some(INSTALLATION), &compliant_files());
    let mut hidden = ruleset(json!([]));
    hidden.as_object_mut().unwrap().remove("bypass_actors");
    hub.add_ruleset("acme/hidden", hidden);
    let audit = run(
        &hub,
        &github,
        &["acme/ruled", "acme/leaky", "acme/hidden"],
        POLICY,
    )
    .await;
    assert_eq!(checks(&audit["acme/hidden"]), ["ruleset_unreadable"]);
    assert!(
        audit["acme/hidden"].findings[0]
            .fix
            .contains("Administration: read")
    );
    assert_eq!(
        audit["acme/ruled"].status,
        Status::Compliant,
        "{:?}",
        audit["acme/ruled"]
    );
    assert_eq!(checks(&audit["acme/leaky"]), ["ruleset_bypass"]);
    assert!(
        audit["acme/leaky"].findings[0]
            .message
            .contains("RepositoryRole (ruleset `main only through landq`) may bypass")
    );
}

#[tokio::test]
async fn a_repository_landq_cannot_read_is_not_compliant_and_says_why() {
    let (hub, github) = app_hub().await;
    hub.create_repo("acme/good", Some(INSTALLATION), &compliant_files());
    hub.protect("acme/good", "main", only_landq());
    hub.fail(
        "GET",
        "/repos/acme/good/branches/main/protection",
        landq_fake_github::hub::Fault::Status(403, vec![]),
        1,
    );
    let audit = run(&hub, &github, &["acme/good"], "").await;
    let report = &audit["acme/good"];
    assert_eq!(checks(report), ["unreadable"]);
    assert!(report.findings[0].fix.contains("Administration: read"));
}

#[test]
fn a_policy_step_needs_exactly_one_of_run_and_uses() {
    let err = Policy::parse("[[required_steps]]\njob = \"test\"\n").unwrap_err();
    assert_eq!(
        err,
        "required step of job `test`: give exactly one of `run` and `uses`"
    );
    let err = Policy::parse("[[required_steps]]\njob = \"t\"\nrn = \"x\"\n").unwrap_err();
    assert!(err.contains("unknown field `rn`"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_keeps_each_report_and_tells_slack_only_of_changes() {
    use landq_org::jobs::Org;
    use std::sync::Arc;
    let (hub, github) = app_hub().await;
    hub.create_repo("acme/good", Some(INSTALLATION), &compliant_files());
    hub.protect("acme/good", "main", only_landq());
    hub.create_repo("acme/open", Some(INSTALLATION), &compliant_files());
    let slack = landq_fake_github::Stub::default();
    let post = "POST /chat.postMessage";
    slack.on_with(
        post,
        200,
        vec![("content-type", "application/json".into())],
        json!({"ok": true, "channel": "C1", "ts": "1.1", "message": {"ts": "1.1", "text": "x"}}),
    );
    let slack_url = slack.start().await;
    let dir = tempfile::TempDir::new().unwrap();
    let org = Org {
        github: Arc::new(github),
        store: Arc::new(landq_store::sqlite::SqliteStore::open(dir.path()).unwrap()),
        slack: Some(Arc::new(
            landq_org::slack::Slack::bot("xoxb-t", Some(&slack_url)).unwrap(),
        )),
        repos: Vec::new(),
    };
    let policy = Policy::default();
    let texts = || -> Vec<String> {
        slack
            .seen
            .lock()
            .unwrap()
            .iter()
            .map(|(_, _, body)| body["text"].as_str().unwrap().to_owned())
            .collect()
    };

    let audit = org.audit(&policy, Some("#security")).await.unwrap();
    assert_eq!(audit.len(), 2, "every repository of the installation");
    assert_eq!(
        texts(),
        [
            "*landq audit*\n• acme/good is compliant\n• acme/open is not compliant: `main`: anyone \
          with write access can push or merge, bypassing landq (and 1 more)"
        ]
    );
    assert_eq!(slack.body_of(post)["channel"], "#security");
    assert_eq!(
        org.kept("acme/open").await.unwrap().unwrap().status,
        Status::NotCompliant
    );

    let before = hub.seen().len();
    org.audit(&policy, Some("#security")).await.unwrap();
    assert_eq!(texts().len(), 1, "nothing changed, nothing said");
    // Warm: every read of what exists answered 304 (what does not exist,
    // 404, has no ETag to send); the workflow's blob is not read again.
    let seen = hub.seen();
    let reads: Vec<_> = seen[before..]
        .iter()
        .filter(|s| s.path.starts_with("/repos/"))
        .collect();
    assert_eq!(reads.len(), 2 * 7, "{reads:?}");
    let absent = |s: &&&landq_fake_github::hub::Seen| {
        s.path.ends_with("/.circleci/config.yml")
            || s.path == "/repos/acme/open/branches/main/protection"
    };
    assert!(
        reads.iter().filter(absent).all(|s| s.status == 404),
        "{reads:?}"
    );
    assert!(
        reads.iter().filter(|s| !absent(s)).all(|s| s.status == 304),
        "{reads:?}"
    );

    hub.protect("acme/open", "main", only_landq());
    org.audit(&policy, Some("#security")).await.unwrap();
    assert_eq!(texts()[1], "*landq audit*\n• acme/open is compliant again");
}
