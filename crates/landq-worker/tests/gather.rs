//! Gathering facts from a stub GitHub, then deciding on them.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use landq_fake_github::Stub;
use landq_github::retry::RetryPolicy;
use landq_github::{Auth, GitHub, Repo};
use landq_policy::{Decision, Permission, Reason, decide};
use landq_worker::gather::{RulesCache, gather};
use serde_json::{Value, json};

const RULES: &str = "* @acme/eng\n/billing/ @carol\n";

fn content(text: &str, sha: &str) -> Value {
    json!({"sha": sha, "encoding": "base64", "content": STANDARD.encode(text)})
}

/// alice's pull request 7 on acme/app touching billing and docs; bob (team
/// acme/eng) and carol approved the head; dan (write) applied the label.
fn script(stub: &Stub, rules: &str) {
    stub.on(
        "GET /repos/acme/app/pulls/7",
        200,
        json!({
            "number": 7, "user": {"login": "alice"},
            "head": {"sha": "h1", "ref": "f"}, "base": {"sha": "b", "ref": "main", "repo": {"default_branch": "main"}},
            "title": "Charge in cents", "body": "Why.", "state": "open", "merged": false, "draft": false,
            "mergeable": true, "labels": [{"name": "land requested"}], "changed_files": 2
        }),
    );
    stub.on(
        "GET /repos/acme/app/contents/.github/.landqueue?ref=main",
        200,
        content(rules, "blob-1"),
    );
    stub.on(
        "GET /repos/acme/app/pulls/7/reviews?per_page=100&page=1",
        200,
        json!([
            {"user": {"login": "bob"}, "state": "APPROVED", "commit_id": "h1"},
            {"user": {"login": "carol"}, "state": "APPROVED", "commit_id": "h1"}
        ]),
    );
    stub.on(
        "GET /repos/acme/app/pulls/7/files?per_page=100&page=1",
        200,
        json!([{"filename": "billing/pay.rs"}, {"filename": "docs/a.md"}]),
    );
    stub.on(
        "GET /repos/acme/app/issues/7/events?per_page=100&page=1",
        200,
        json!([{"event": "labeled", "actor": {"login": "dan"}, "label": {"name": "land requested"}}]),
    );
    stub.on(
        "GET /repos/acme/app/collaborators/dan/permission",
        200,
        json!({"permission": "write", "role_name": "write"}),
    );
    stub.on(
        "GET /orgs/acme/teams/eng/memberships/bob",
        200,
        json!({"state": "active"}),
    );
    stub.on(
        "GET /orgs/acme/teams/eng/memberships/carol",
        404,
        json!({"message": "Not Found"}),
    );
}

async fn repo(stub: &Stub) -> Repo {
    let retry = RetryPolicy {
        attempts: 2,
        backoff: Duration::from_millis(1),
        max_wait: Duration::from_secs(1),
    };
    let github = GitHub::new(
        &stub.start().await,
        Auth::Token("t".to_owned().into()),
        retry,
    )
    .unwrap();
    github.repo(None, "acme/app").unwrap()
}

#[tokio::test]
async fn gathered_facts_let_decide_land() {
    let stub = Stub::default();
    script(&stub, RULES);
    let repo = repo(&stub).await;
    let cache = RulesCache::default();
    let gathered = gather(&repo, 7, &cache).await.unwrap();
    assert_eq!(gathered.rules_sha.as_deref(), Some("blob-1"));
    assert_eq!(gathered.label, "land requested");
    assert_eq!(
        gathered.facts.labeler.as_ref().unwrap().permission,
        Permission::Write
    );
    match decide(&gathered.facts) {
        Decision::Land(landing) => {
            assert_eq!(landing.head_sha, "h1");
            assert_eq!(landing.approvers, ["bob", "carol"]);
            let by: Vec<(&str, &str)> = landing
                .ownership
                .iter()
                .map(|o| (o.path.as_str(), o.approver.as_str()))
                .collect();
            assert_eq!(by, [("billing/pay.rs", "carol"), ("docs/a.md", "bob")]);
        }
        Decision::Wait(reasons) => panic!("{reasons:#?}"),
    }
    // No required checks: not read. Settings absent: defaults.
    assert_eq!(
        stub.count("GET /repos/acme/app/commits/h1/check-runs?per_page=100"),
        0
    );
    let requests = stub.seen.lock().unwrap().len();
    assert!(requests <= 9, "{requests} requests to gather");

    // The same rules version is compiled once.
    let again = gather(&repo, 7, &cache).await.unwrap();
    let (a, b) = (gathered.facts.rules.unwrap(), again.facts.rules.unwrap());
    assert!(Arc::ptr_eq(&a, &b));
}

#[tokio::test]
async fn team_membership_is_asked_only_where_it_can_matter() {
    let stub = Stub::default();
    script(&stub, "* @carol @acme/eng\n");
    let repo = repo(&stub).await;
    gather(&repo, 7, &RulesCache::default()).await.unwrap();
    assert_eq!(
        stub.count("GET /orgs/acme/teams/eng/memberships/bob"),
        0,
        "carol, a named owner, approved"
    );
}

#[tokio::test]
async fn broken_rules_and_settings_on_the_base_block_with_their_errors() {
    let stub = Stub::default();
    script(&stub, "* @acme/eng\n!secret @x\n");
    stub.on(
        "GET /repos/acme/app/contents/.github/landq.toml?ref=main",
        200,
        content("min_approvals = 0\n", "blob-s"),
    );
    let repo = repo(&stub).await;
    let gathered = gather(&repo, 7, &RulesCache::default()).await.unwrap();
    let Decision::Wait(reasons) = decide(&gathered.facts) else {
        panic!("must not land")
    };
    assert!(
        reasons
            .iter()
            .any(|r| matches!(r, Reason::RulesInvalid(e) if e[0].line == 2)),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| matches!(r, Reason::SettingsInvalid(_))),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn required_checks_are_read_at_the_head() {
    let stub = Stub::default();
    script(&stub, RULES);
    stub.on(
        "GET /repos/acme/app/contents/.github/landq.toml?ref=main",
        200,
        content("required_checks = [\"test\"]\n", "blob-s"),
    );
    stub.on(
        "GET /repos/acme/app/commits/h1/check-runs?per_page=100",
        200,
        json!({"check_runs": [{"name": "test", "status": "queued", "conclusion": null}]}),
    );
    stub.on(
        "GET /repos/acme/app/commits/h1/status",
        200,
        json!({"statuses": []}),
    );
    let repo = repo(&stub).await;
    let gathered = gather(&repo, 7, &RulesCache::default()).await.unwrap();
    assert_eq!(
        decide(&gathered.facts),
        Decision::Wait(vec![Reason::CheckPending("test".into())])
    );
}
