//! Gathering facts from a stub GitHub, then deciding on them.

use std::sync::Arc;

use landq_fake_github::Stub;
use landq_fake_github::scenario::script_with_settings;
use landq_policy::{Decision, Permission, Reason, decide};
use landq_worker::gather::{FileCache, gather};
use serde_json::json;

use crate::common::{RULES, repo, script};

#[tokio::test]
async fn gathered_facts_let_decide_land() {
    let stub = Stub::default();
    script(&stub, RULES);
    let repo = repo(&stub).await;
    let cache = FileCache::default();
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
    gather(&repo, 7, &FileCache::default()).await.unwrap();
    assert_eq!(
        stub.count("GET /orgs/acme/teams/eng/memberships/bob"),
        0,
        "carol, a named owner, approved"
    );
}

#[tokio::test]
async fn broken_rules_and_settings_on_the_base_block_with_their_errors() {
    let stub = Stub::default();
    script_with_settings(
        &stub,
        "* @acme/eng\n!secret @x\n",
        Some("min_approvals = 0\n"),
    );
    let repo = repo(&stub).await;
    let gathered = gather(&repo, 7, &FileCache::default()).await.unwrap();
    let Decision::Wait(reasons) = decide(&gathered.facts) else {
        panic!("must not land")
    };
    assert!(
        reasons
            .iter()
            .any(|r| matches!(r, Reason::RulesInvalid { errors, .. } if errors[0].line == 2)),
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
    script_with_settings(&stub, RULES, Some("required_checks = [\"test\"]\n"));
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
    let gathered = gather(&repo, 7, &FileCache::default()).await.unwrap();
    assert_eq!(
        decide(&gathered.facts),
        Decision::Wait(vec![Reason::CheckPending("test".into())])
    );
}
