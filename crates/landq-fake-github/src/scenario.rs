//! A scripted scenario: one pull request that may land.
//!
//! alice's pull request 7 on `acme/app` changes `billing/pay.rs` and
//! `docs/a.md`; bob (active member of `acme/eng`) and carol approved its head
//! `h1`; dan, with write access, applied `land requested`. The rules on
//! `main` come from the caller.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::Stub;

/// Rules under which the scenario may land.
pub const RULES: &str = "* @acme/eng\n/billing/ @carol\n";

/// A blob-API answer for `text` with blob `sha`.
pub fn content(text: &str, sha: &str) -> Value {
    json!({"sha": sha, "encoding": "base64", "content": STANDARD.encode(text)})
}

/// alice's pull request 7 on acme/app touching billing and docs; bob (team
/// acme/eng) and carol approved the head; dan (write) applied the label.
/// Scripts the scenario on `stub` with `rules` on `main`.
pub fn script(stub: &Stub, rules: &str) {
    script_with_settings(stub, rules, None);
}

/// [`script`], with `.github/landq.toml` holding `settings` when given.
pub fn script_with_settings(stub: &Stub, rules: &str, settings: Option<&str>) {
    let mut listing = vec![
        json!({"name": ".landqueue", "path": ".github/.landqueue", "sha": "blob-1", "type": "file"}),
    ];
    if let Some(settings) = settings {
        listing.push(json!({"name": "landq.toml", "path": ".github/landq.toml", "sha": "blob-s", "type": "file"}));
        stub.on(
            "GET /repos/acme/app/git/blobs/blob-s",
            200,
            content(settings, "blob-s"),
        );
    }
    listing.push(
        json!({"name": "workflows", "path": ".github/workflows", "sha": "tree-1", "type": "dir"}),
    );
    stub.on(
        "GET /repos/acme/app/contents/.github?ref=main",
        200,
        json!(listing),
    );
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
        "GET /repos/acme/app/git/blobs/blob-1",
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
    // The labelled pull requests: only this one.
    stub.on(
        "GET /repos/acme/app/issues?state=open&labels=land%20requested&per_page=100&page=1",
        200,
        json!([{"number": 7, "pull_request": {}}]),
    );
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
