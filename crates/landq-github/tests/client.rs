//! The GitHub client against a scripted stub of GitHub's REST API on
//! loopback: what it sends, how it reads answers, and how it retries.

use std::time::Duration;

use landq_fake_github::Stub;
use landq_github::retry::RetryPolicy;
use landq_github::{Auth, GitHub, GitHubError, MergeOutcome, Repo};
use landq_policy::{CheckOutcome, Permission, PullState, ReviewState};
use serde_json::{Value, json};

fn fast() -> RetryPolicy {
    RetryPolicy {
        attempts: 4,
        backoff: Duration::from_millis(1),
        max_wait: Duration::from_secs(2),
    }
}

async fn repo(stub: &Stub) -> Repo {
    let url = stub.start().await;
    let github = GitHub::new(&url, Auth::Token("t0ken".to_owned().into()), fast()).unwrap();
    github.repo(None, "acme/app").unwrap()
}

fn pull_json(state: &str, merged: bool, head: &str) -> Value {
    json!({
        "number": 42, "user": {"login": "alice"}, "head": {"sha": head, "ref": "feature"},
        "base": {"sha": "b", "ref": "main"}, "title": "Charge in cents", "body": null,
        "state": state, "merged": merged, "draft": false, "mergeable": true,
        "labels": [{"name": "land requested"}], "merge_commit_sha": "m1", "changed_files": 2,
        "some_future_field": {"x": 1}
    })
}

#[tokio::test]
async fn reads_a_pull_request_with_the_token() {
    let stub = Stub::default();
    stub.on(
        "GET /repos/acme/app/pulls/42",
        200,
        pull_json("open", false, "h1"),
    );
    let view = repo(&stub).await.pull(42).await.unwrap();
    assert_eq!(view.pull.author, "alice");
    assert_eq!(view.pull.head_sha, "h1");
    assert_eq!(view.pull.base, "main");
    assert_eq!(view.pull.body, "");
    assert_eq!(view.pull.state, PullState::Open);
    assert_eq!(view.pull.labels, ["land requested"]);
    assert_eq!(
        view.merge_commit_sha, None,
        "only a merged pull request has a merge commit"
    );
    let auth = stub.seen.lock().unwrap()[0].1.clone().unwrap();
    assert!(auth.ends_with("t0ken"), "{auth}");
}

#[tokio::test]
async fn server_errors_are_retried() {
    let stub = Stub::default();
    stub.on(
        "GET /repos/acme/app/pulls/42",
        502,
        json!({"message": "Bad Gateway"}),
    )
    .on(
        "GET /repos/acme/app/pulls/42",
        503,
        json!({"message": "Unavailable"}),
    )
    .on(
        "GET /repos/acme/app/pulls/42",
        200,
        pull_json("open", false, "h1"),
    );
    assert_eq!(repo(&stub).await.pull(42).await.unwrap().pull.number, 42);
    assert_eq!(stub.count("GET /repos/acme/app/pulls/42"), 3);
}

#[tokio::test]
async fn server_errors_give_up_after_the_last_attempt() {
    let stub = Stub::default();
    stub.on(
        "GET /repos/acme/app/pulls/42",
        500,
        json!({"message": "boom"}),
    );
    let err = repo(&stub).await.pull(42).await.unwrap_err();
    assert!(
        matches!(err, GitHubError::Status { status: 500, .. }),
        "{err}"
    );
    assert_eq!(stub.count("GET /repos/acme/app/pulls/42"), 4);
}

#[tokio::test]
async fn rate_limits_wait_as_github_says_then_retry() {
    let stub = Stub::default();
    stub.on_with(
        "GET /repos/acme/app/pulls/42",
        429,
        vec![("retry-after", "1".into())],
        json!({"message": "slow down"}),
    )
    .on_with(
        "GET /repos/acme/app/pulls/42",
        403,
        vec![
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-reset", "0".into()),
        ],
        json!({"message": "API rate limit exceeded"}),
    )
    .on(
        "GET /repos/acme/app/pulls/42",
        200,
        pull_json("open", false, "h1"),
    );
    assert_eq!(repo(&stub).await.pull(42).await.unwrap().pull.number, 42);
    assert_eq!(stub.count("GET /repos/acme/app/pulls/42"), 3);
}

#[tokio::test]
async fn a_long_rate_limit_is_reported_not_slept_through() {
    let stub = Stub::default();
    stub.on_with(
        "GET /repos/acme/app/pulls/42",
        429,
        vec![("retry-after", "3600".into())],
        json!({}),
    );
    let err = repo(&stub).await.pull(42).await.unwrap_err();
    assert!(
        matches!(err, GitHubError::RateLimited { wait } if wait == Duration::from_secs(3600)),
        "{err}"
    );
    assert_eq!(err.to_string(), "GitHub rate limit: retry in 3600 s");
    assert_eq!(stub.count("GET /repos/acme/app/pulls/42"), 1);
}

#[tokio::test]
async fn a_plain_forbidden_is_not_a_rate_limit() {
    let stub = Stub::default();
    stub.on(
        "GET /repos/acme/app/pulls/42",
        403,
        json!({"message": "Resource not accessible by integration"}),
    );
    let err = repo(&stub).await.pull(42).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "GitHub answered 403 to /repos/acme/app/pulls/42: Resource not accessible by integration"
    );
    assert_eq!(stub.count("GET /repos/acme/app/pulls/42"), 1);
}

#[tokio::test]
async fn merge_carries_the_evaluated_sha_and_squashes() {
    let stub = Stub::default();
    stub.on(
        "PUT /repos/acme/app/pulls/42/merge",
        200,
        json!({"sha": "sq1", "merged": true}),
    );
    let outcome = repo(&stub)
        .await
        .merge(42, "h1", "Title (#42)", "Body\n\nApproved-by: bob\n")
        .await
        .unwrap();
    assert_eq!(outcome, MergeOutcome::Merged { sha: "sq1".into() });
    assert_eq!(
        stub.body_of("PUT /repos/acme/app/pulls/42/merge"),
        json!({"sha": "h1", "merge_method": "squash", "commit_title": "Title (#42)", "commit_message": "Body\n\nApproved-by: bob\n"})
    );
}

#[tokio::test]
async fn merge_maps_head_moved_and_not_mergeable() {
    let stub = Stub::default();
    stub.on(
        "PUT /repos/acme/app/pulls/1/merge",
        409,
        json!({"message": "Head branch was modified."}),
    );
    stub.on(
        "PUT /repos/acme/app/pulls/2/merge",
        405,
        json!({"message": "Pull Request is not mergeable"}),
    );
    stub.on(
        "GET /repos/acme/app/pulls/2",
        200,
        pull_json("open", false, "h"),
    );
    let repo = repo(&stub).await;
    assert_eq!(
        repo.merge(1, "h", "t", "m").await.unwrap(),
        MergeOutcome::HeadMoved
    );
    assert_eq!(
        repo.merge(2, "h", "t", "m").await.unwrap(),
        MergeOutcome::NotMergeable("Pull Request is not mergeable".into())
    );
}

#[tokio::test]
async fn an_ambiguous_merge_is_never_resent_and_is_confirmed_by_reading() {
    let stub = Stub::default();
    stub.on(
        "PUT /repos/acme/app/pulls/42/merge",
        502,
        json!({"message": "Bad Gateway"}),
    );
    stub.on(
        "GET /repos/acme/app/pulls/42",
        200,
        pull_json("closed", true, "h1"),
    );
    let outcome = repo(&stub).await.merge(42, "h1", "t", "m").await.unwrap();
    assert_eq!(outcome, MergeOutcome::Merged { sha: "m1".into() });
    assert_eq!(stub.count("PUT /repos/acme/app/pulls/42/merge"), 1);
}

#[tokio::test]
async fn an_ambiguous_merge_that_never_happens_is_an_error_after_the_attempts() {
    let stub = Stub::default();
    stub.on(
        "PUT /repos/acme/app/pulls/42/merge",
        504,
        json!({"message": "timeout"}),
    );
    stub.on(
        "GET /repos/acme/app/pulls/42",
        200,
        pull_json("open", false, "h1"),
    );
    let err = repo(&stub)
        .await
        .merge(42, "h1", "t", "m")
        .await
        .unwrap_err();
    assert!(
        matches!(err, GitHubError::Status { status: 504, .. }),
        "{err}"
    );
    // Each attempt after the first only once the read says "not merged".
    assert_eq!(
        stub.count("PUT /repos/acme/app/pulls/42/merge"),
        fast().attempts as usize
    );
    assert!(stub.count("GET /repos/acme/app/pulls/42") >= fast().attempts as usize);
}

#[tokio::test]
async fn a_rate_limited_or_failed_merge_is_sent_again_once_confirmed_unmerged() {
    for (status, headers) in [(429, vec![("retry-after", "0".to_owned())]), (502, vec![])] {
        let stub = Stub::default();
        stub.on_with(
            "PUT /repos/acme/app/pulls/42/merge",
            status,
            headers,
            json!({"message": "not now"}),
        )
        .on(
            "PUT /repos/acme/app/pulls/42/merge",
            200,
            json!({"sha": "sq1", "merged": true}),
        );
        stub.on(
            "GET /repos/acme/app/pulls/42",
            200,
            pull_json("open", false, "h1"),
        );
        let outcome = repo(&stub).await.merge(42, "h1", "t", "m").await.unwrap();
        assert_eq!(
            outcome,
            MergeOutcome::Merged { sha: "sq1".into() },
            "{status}"
        );
        assert_eq!(
            stub.count("PUT /repos/acme/app/pulls/42/merge"),
            2,
            "{status}"
        );
    }
}

#[tokio::test]
async fn a_merge_that_went_through_unanswered_is_a_land_not_a_refusal() {
    // The first answer is lost; by the second, GitHub has merged it and
    // answers 405. The read says merged at the evaluated head: a land.
    let stub = Stub::default();
    stub.on(
        "PUT /repos/acme/app/pulls/42/merge",
        502,
        json!({"message": "Bad Gateway"}),
    )
    .on(
        "PUT /repos/acme/app/pulls/42/merge",
        405,
        json!({"message": "Pull Request is not mergeable"}),
    );
    let open = pull_json("open", false, "h1");
    stub.on("GET /repos/acme/app/pulls/42", 200, open.clone())
        .on("GET /repos/acme/app/pulls/42", 200, open)
        .on(
            "GET /repos/acme/app/pulls/42",
            200,
            pull_json("closed", true, "h1"),
        );
    let outcome = repo(&stub).await.merge(42, "h1", "t", "m").await.unwrap();
    assert_eq!(outcome, MergeOutcome::Merged { sha: "m1".into() });
}

#[tokio::test]
async fn reads_reviews_files_rules_permission_teams_labeler_and_checks() {
    let stub = Stub::default();
    stub.on(
        "GET /repos/acme/app/pulls/42/reviews?per_page=100&page=1",
        200,
        json!([
            {"user": {"login": "bob"}, "state": "APPROVED", "commit_id": "h1"},
            {"user": null, "state": "APPROVED", "commit_id": "h1"},
            {"user": {"login": "carol"}, "state": "SOMETHING_NEW", "commit_id": "h1"}
        ]),
    );
    stub.on(
        "GET /repos/acme/app/pulls/42/files?per_page=100&page=1",
        200,
        json!([{"filename": "a.rs", "status": "modified"}, {"filename": "b.rs", "previous_filename": "old.rs", "status": "renamed"}]),
    );
    stub.on(
        "GET /repos/acme/app/contents/.github?ref=main",
        200,
        json!([
            {"name": ".landqueue", "sha": "blob1", "type": "file"},
            {"name": "workflows", "sha": "tree1", "type": "dir"}
        ]),
    );
    stub.on(
        "GET /repos/acme/app/git/blobs/blob1",
        200,
        json!({"sha": "blob1", "encoding": "base64", "content": "KiBAb3JnL2Vu\nZwo=\n"}),
    );
    stub.on(
        "GET /repos/acme/app/collaborators/bob/permission",
        200,
        json!({"permission": "write", "role_name": "maintain"}),
    );
    stub.on(
        "GET /repos/acme/app/collaborators/eve/permission",
        200,
        json!({"permission": "read", "role_name": "triage"}),
    );
    stub.on(
        "GET /orgs/acme/teams/eng/memberships/bob",
        200,
        json!({"state": "active", "role": "member"}),
    );
    stub.on(
        "GET /orgs/acme/teams/eng/memberships/dan",
        200,
        json!({"state": "pending", "role": "member"}),
    );
    stub.on(
        "GET /repos/acme/app/issues/42/events?per_page=100&page=1",
        200,
        json!([
            {"event": "labeled", "actor": {"login": "eve"}, "label": {"name": "land requested"}},
            {"event": "labeled", "actor": {"login": "bob"}, "label": {"name": "bug"}},
            {"event": "unlabeled", "actor": {"login": "eve"}, "label": {"name": "land requested"}},
            {"event": "labeled", "actor": {"login": "bob"}, "label": {"name": "land requested"},
             "created_at": "2026-11-23T10:00:01Z"}
        ]),
    );
    stub.on(
        "GET /repos/acme/app/commits/h1/check-runs?per_page=100",
        200,
        json!({"total_count": 2, "check_runs": [
            {"name": "test", "status": "completed", "conclusion": "success"},
            {"name": "lint", "status": "in_progress", "conclusion": null}
        ]}),
    );
    stub.on(
        "GET /repos/acme/app/commits/h1/status",
        200,
        json!({"state": "failure", "statuses": [{"context": "legacy", "state": "error"}]}),
    );
    let repo = repo(&stub).await;

    let reviews = repo.reviews(42).await.unwrap();
    assert_eq!(
        reviews.len(),
        2,
        "a review without a user counts for nothing"
    );
    assert_eq!(
        (reviews[0].reviewer.as_str(), reviews[0].state),
        ("bob", ReviewState::Approved)
    );
    assert_eq!(
        reviews[1].state,
        ReviewState::Commented,
        "unknown states approve nothing"
    );

    let files = repo.files(42, 2).await.unwrap();
    assert_eq!(files[1].previous_path.as_deref(), Some("old.rs"));
    let err = repo.files(42, 3).await.unwrap_err();
    assert!(matches!(err, GitHubError::TooManyFiles(3)), "{err}");
    assert!(matches!(
        repo.files(42, 3001).await.unwrap_err(),
        GitHubError::TooManyFiles(3001)
    ));

    let listing = repo.dir_at(Some("main"), ".github").await.unwrap().unwrap();
    assert_eq!(listing.len(), 1, "directories are not files: {listing:?}");
    let rules = repo.blob(&listing[0].blob_sha).await.unwrap();
    assert_eq!(
        (rules.text.as_str(), rules.blob_sha.as_str()),
        ("* @org/eng\n", "blob1")
    );
    assert_eq!(repo.dir_at(Some("release"), ".github").await.unwrap(), None);

    assert_eq!(repo.permission("bob").await.unwrap(), Permission::Maintain);
    assert_eq!(repo.permission("eve").await.unwrap(), Permission::Triage);
    assert_eq!(repo.permission("nobody").await.unwrap(), Permission::None);
    assert!(repo.is_team_member("acme", "eng", "bob").await.unwrap());
    assert!(
        !repo.is_team_member("acme", "eng", "dan").await.unwrap(),
        "pending members do not count"
    );
    assert!(!repo.is_team_member("acme", "eng", "zed").await.unwrap());
    assert_eq!(
        repo.labeler(42, "land requested").await.unwrap(),
        Some(landq_github::Labeled {
            login: "bob".into(),
            at_ms: Some(1_795_428_001_000)
        })
    );

    let checks = repo.checks("h1").await.unwrap();
    let outcome = |name: &str| {
        checks
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .outcome
            .clone()
    };
    assert_eq!(outcome("test"), CheckOutcome::Passed);
    assert_eq!(outcome("lint"), CheckOutcome::Pending);
    assert_eq!(outcome("legacy"), CheckOutcome::Failed("error".into()));
}

#[tokio::test]
async fn writes_comments_statuses_and_removes_labels() {
    let stub = Stub::default();
    stub.on(
        "POST /repos/acme/app/issues/42/comments",
        201,
        json!({"id": 1}),
    );
    stub.on("POST /repos/acme/app/statuses/h1", 201, json!({"id": 2}));
    stub.on(
        "DELETE /repos/acme/app/issues/42/labels/land%20requested",
        200,
        json!([]),
    );
    stub.on(
        "GET /repos/acme/app/issues/42/comments?per_page=100&page=1",
        200,
        json!([{"id": 5, "body": "LGTM", "user": {"login": "bob"}}]),
    );
    let repo = repo(&stub).await;
    let id = repo
        .sticky_comment(42, None, "landq could not land this")
        .await
        .unwrap();
    assert_eq!(id, 1);
    repo.set_status("h1", "landq", "pending", &"x".repeat(300))
        .await
        .unwrap();
    repo.remove_label(42, "land requested").await.unwrap();
    repo.remove_label(7, "land requested").await.unwrap(); // already gone: fine
    assert_eq!(
        stub.body_of("POST /repos/acme/app/issues/42/comments"),
        json!({"body": "<!-- landq -->\nlandq could not land this"})
    );
    let status = stub.body_of("POST /repos/acme/app/statuses/h1");
    assert_eq!(
        status["description"].as_str().unwrap().len(),
        140,
        "GitHub caps descriptions at 140"
    );
}

#[test]
fn an_invalid_app_key_is_a_clear_configuration_error() {
    let err = GitHub::new(
        "https://api.github.com",
        Auth::App {
            app_id: 1,
            private_key: "not a key".to_owned().into(),
        },
        RetryPolicy::default(),
    )
    .err()
    .unwrap();
    assert!(
        err.to_string().starts_with(
            "GitHub client configuration: the GitHub App private key is not an RSA PEM key"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn githubs_webhook_ranges_are_read_without_credentials_and_checked() {
    use landq_github::meta::hook_ranges;
    let stub = Stub::default();
    stub.on(
        "GET /meta",
        200,
        json!({"hooks": ["192.30.252.0/22", "2a0a:a440::/29", "192.30.252.0/22"], "web": ["1.2.3.4/32"]}),
    )
    .on("GET /meta", 200, json!({"hooks": ["192.30.252.0"]}))
    .on("GET /meta", 200, json!({"hooks": []}));
    let url = stub.start().await;
    assert_eq!(
        hook_ranges(&url, &fast()).await.unwrap(),
        ["192.30.252.0/22", "2a0a:a440::/29"]
    );
    let not_cidr = hook_ranges(&url, &fast()).await.unwrap_err().to_string();
    assert!(
        not_cidr.contains("`192.30.252.0` is not a CIDR range"),
        "{not_cidr}"
    );
    let empty = hook_ranges(&url, &fast()).await.unwrap_err().to_string();
    assert!(empty.contains("refusing to deny every webhook"), "{empty}");
    let seen = stub.seen.lock().unwrap();
    assert!(
        seen.iter().all(|(_, auth, _)| auth.is_none()),
        "no credentials sent"
    );
}

/// A speculative commit, built as a land queue builds it, on the git-backed
/// fake: scratch branch at the parent, merge for the tree, one commit with
/// one parent, a stack branch at it; then conflicts, fast-forwards and
/// clean-up.
#[tokio::test]
async fn builds_speculative_commits_with_the_git_database() {
    use landq_fake_github::hub::Hub;
    use landq_github::MergeInto;
    let hub = Hub::start().await;
    hub.create_repo("acme/app", None, &[("a.txt", "a\n"), ("b.txt", "b\n")]);
    hub.push(
        "acme/app",
        "one",
        "main",
        &[("a.txt", Some("a1\n"))],
        "alice",
    );
    hub.push("acme/app", "two", "main", &[("b.txt", Some("b2\n"))], "bob");
    hub.push(
        "acme/app",
        "clash",
        "main",
        &[("a.txt", Some("a-other\n"))],
        "carol",
    );
    let github = GitHub::new(hub.url(), Auth::Token("t".to_owned().into()), fast()).unwrap();
    let repo = github.repo(None, "acme/app").unwrap();
    let base = repo.ref_sha("heads/main").await.unwrap().unwrap();
    assert_eq!(base, hub.tip("acme/app", "main"));
    assert_eq!(repo.ref_sha("heads/nope").await.unwrap(), None);

    // S1 = base + one, single parent.
    assert!(
        repo.set_ref("heads/landq/scratch/1", &base, true)
            .await
            .unwrap()
    );
    let one = hub.tip("acme/app", "one");
    let MergeInto::Merged { tree, .. } = repo
        .merge_into("landq/scratch/1", &one, "scratch")
        .await
        .unwrap()
    else {
        panic!("one merges cleanly")
    };
    let s1 = repo
        .create_commit("One (#1)", &tree, &[&base])
        .await
        .unwrap();
    let commit = repo.git_commit(&s1).await.unwrap();
    assert_eq!((commit.tree, commit.parents), (tree, vec![base.clone()]));
    assert!(
        repo.set_ref("heads/landq/stack/1", &s1, true)
            .await
            .unwrap()
    );
    assert_eq!(
        hub.file("acme/app", "landq/stack/1", "a.txt").as_deref(),
        Some("a1\n")
    );

    // On S1, `clash` conflicts with `one`; the base is already in.
    assert!(
        repo.set_ref("heads/landq/scratch/3", &s1, true)
            .await
            .unwrap()
    );
    let clash = hub.tip("acme/app", "clash");
    assert_eq!(
        repo.merge_into("landq/scratch/3", &clash, "scratch")
            .await
            .unwrap(),
        MergeInto::Conflict
    );
    assert_eq!(
        repo.merge_into("landq/scratch/3", &base, "scratch")
            .await
            .unwrap(),
        MergeInto::AlreadyContained
    );

    // main moves to S1 as a fast-forward, never back without force.
    assert!(repo.set_ref("heads/main", &s1, false).await.unwrap());
    assert!(!repo.set_ref("heads/main", &base, false).await.unwrap());
    assert_eq!(hub.tip("acme/app", "main"), s1);

    for scratch in [
        "heads/landq/scratch/1",
        "heads/landq/scratch/3",
        "heads/landq/scratch/3",
    ] {
        repo.delete_ref(scratch).await.unwrap();
    }
    assert_eq!(repo.ref_sha("heads/landq/scratch/1").await.unwrap(), None);
    assert!(
        repo.ref_sha("heads/../main").await.is_err(),
        "refuses odd names"
    );
}

#[tokio::test]
async fn landqs_comment_is_edited_in_place_and_written_anew_if_deleted() {
    let stub = Stub::default();
    stub.on(
        "GET /repos/acme/app/issues/42/comments?per_page=100&page=1",
        200,
        json!([
            {"id": 5, "body": "LGTM", "user": {"login": "bob"}},
            {"id": 9, "body": "<!-- landq -->\nold news", "user": {"login": "landq[bot]"}},
        ]),
    );
    stub.on(
        "PATCH /repos/acme/app/issues/comments/9",
        200,
        json!({"id": 9}),
    );
    let repo = repo(&stub).await;
    assert_eq!(repo.sticky_comment(42, None, "new news").await.unwrap(), 9);
    assert_eq!(
        stub.body_of("PATCH /repos/acme/app/issues/comments/9"),
        json!({"body": "<!-- landq -->\nnew news"})
    );
    assert_eq!(stub.count("POST /repos/acme/app/issues/42/comments"), 0);

    // Known by id: no listing; deleted meanwhile (404): a new one.
    stub.on(
        "PATCH /repos/acme/app/issues/comments/11",
        404,
        json!({"message": "Not Found"}),
    );
    stub.on(
        "POST /repos/acme/app/issues/42/comments",
        201,
        json!({"id": 12}),
    );
    assert_eq!(
        repo.sticky_comment(42, Some(11), "again").await.unwrap(),
        12
    );
    assert_eq!(
        stub.count("GET /repos/acme/app/issues/42/comments?per_page=100&page=1"),
        1
    );
}

#[tokio::test]
async fn a_profile_is_read_again_only_when_it_changed() {
    let hub = landq_fake_github::hub::Hub::start().await;
    hub.user("alice", Some("alice@example.com"), 12);
    let github = GitHub::new(
        hub.url(),
        Auth::Token("t".to_owned().into()),
        RetryPolicy::default(),
    )
    .unwrap();
    let Some(landq_github::Conditional::Fresh(profile, etag)) =
        github.profile(None, "alice", None).await.unwrap()
    else {
        panic!("a first read")
    };
    assert_eq!(profile.login, "alice");
    assert_eq!(profile.email.as_deref(), Some("alice@example.com"));
    assert_eq!(profile.followers, 12);
    assert_eq!(profile.html_url, "https://github.com/alice");
    let etag = etag.expect("GitHub sends an ETag");
    assert_eq!(
        github.profile(None, "alice", Some(&etag)).await.unwrap(),
        Some(landq_github::Conditional::NotModified)
    );
    hub.user("alice", None, 13);
    let Some(landq_github::Conditional::Fresh(changed, _)) =
        github.profile(None, "alice", Some(&etag)).await.unwrap()
    else {
        panic!("changed")
    };
    assert_eq!((changed.email, changed.followers), (None, 13));
    assert_eq!(
        github.profile(None, "nobody-here", None).await.unwrap(),
        None
    );
    assert_eq!(
        github.profile(None, "not a login", None).await.unwrap(),
        None
    );
    let statuses: Vec<u16> = hub.seen().iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        [200, 304, 200, 404],
        "an impossible login is never asked"
    );
}

#[tokio::test]
async fn an_installation_token_is_minted_once_for_every_client_of_the_installation() {
    use landq_fake_github::hub::{App, Hub, TEST_KEY};
    let hub = Hub::start().await;
    hub.install_app(App::test(42));
    hub.create_repo("acme/a", Some(7), &[("README.md", "a\n")]);
    hub.create_repo("acme/b", Some(7), &[("README.md", "b\n")]);
    let github = GitHub::new(
        hub.url(),
        Auth::App {
            app_id: 42,
            private_key: TEST_KEY.to_owned().into(),
        },
        fast(),
    )
    .unwrap();
    for name in ["acme/a", "acme/b", "acme/a"] {
        let repo = github.repo(Some(7), name).unwrap();
        assert_eq!(repo.default_branch().await.unwrap(), "main");
    }
    assert_eq!(hub.tokens_issued(), 1);
}
