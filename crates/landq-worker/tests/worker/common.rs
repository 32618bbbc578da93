//! Shared set-up: a stub GitHub scripted with one pull request.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use landq_fake_github::Stub;
use landq_github::retry::RetryPolicy;
use landq_github::{Auth, GitHub, Repo};
use serde_json::{Value, json};

pub const RULES: &str = "* @acme/eng\n/billing/ @carol\n";

pub fn content(text: &str, sha: &str) -> Value {
    json!({"sha": sha, "encoding": "base64", "content": STANDARD.encode(text)})
}

/// alice's pull request 7 on acme/app touching billing and docs; bob (team
/// acme/eng) and carol approved the head; dan (write) applied the label.
pub fn script(stub: &Stub, rules: &str) {
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

pub async fn repo(stub: &Stub) -> Repo {
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

/// The stub's GitHub client (token auth), fast retries.
pub async fn github(stub: &Stub) -> GitHub {
    let retry = RetryPolicy {
        attempts: 2,
        backoff: Duration::from_millis(1),
        max_wait: Duration::from_secs(1),
    };
    GitHub::new(
        &stub.start().await,
        Auth::Token("t".to_owned().into()),
        retry,
    )
    .unwrap()
}

/// The pull request's JSON with another head, state or merge.
pub fn pull(head: &str, state: &str, merged: bool) -> Value {
    json!({
        "number": 7, "user": {"login": "alice"},
        "head": {"sha": head, "ref": "f"}, "base": {"sha": "b", "ref": "main", "repo": {"default_branch": "main"}},
        "title": "Charge in cents", "body": "Why.", "state": state, "merged": merged, "draft": false,
        "mergeable": true, "labels": [{"name": "land requested"}], "changed_files": 2,
        "merge_commit_sha": "m1"
    })
}
