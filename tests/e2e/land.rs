//! The worker's scenarios end to end on the git-backed fake GitHub: signed
//! deliveries go into `landq serve`, through the embedded bus to the worker,
//! which reads pull requests whose files come from real diffs and lands them
//! as real squash commits.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use landq_fake_github::hub::{App, Event, Fault, Hub, TEST_KEY};
use landq_store::Store;
use landq_store::sqlite::SqliteStore;
use tempfile::TempDir;

use crate::webhook::Webhook;

pub(crate) const REPO: &str = "acme/app";
pub(crate) const TOKEN: &str = "test-token";
pub(crate) const LABEL: &str = "land requested";
const RULES: &str = "* @acme/eng\n/billing/ @carol\n/.github/ @sec-lead\n";

/// A fake GitHub holding `acme/app`, and `landq serve` pointed at it.
pub(crate) struct Land {
    pub(crate) hub: Hub,
    serve: Webhook,
    dir: TempDir,
    envs: Vec<(String, String)>,
    client: reqwest::Client,
    deliveries: Arc<AtomicU64>,
    /// Where `landq serve` listens now (it moves on a restart).
    url: Arc<std::sync::Mutex<String>>,
}

impl Land {
    pub(crate) async fn start() -> Land {
        Land::start_with(&[]).await
    }

    /// As [`Land::start`], with more environment for `landq serve`.
    pub(crate) async fn start_with(extra: &[(&str, &str)]) -> Land {
        let hub = Hub::start().await;
        hub.require_token(TOKEN);
        Land::on(hub, None, extra)
    }

    /// A token-authenticated landq on a repository that also holds `files`.
    pub(crate) async fn start_holding(extra: &[(&str, &str)], files: &[(&str, &str)]) -> Land {
        let hub = Hub::start().await;
        hub.require_token(TOKEN);
        Land::holding(hub, None, extra, files)
    }

    fn on(hub: Hub, installation: Option<u64>, extra: &[(&str, &str)]) -> Land {
        Land::holding(hub, installation, extra, &[])
    }

    /// As [`Land::on`], with `files` in the repository besides the usual.
    pub(crate) fn holding(
        hub: Hub,
        installation: Option<u64>,
        extra: &[(&str, &str)],
        files: &[(&str, &str)],
    ) -> Land {
        let mut all = vec![
            (".github/.landqueue", RULES),
            ("billing/pay.rs", "fn pay(amount: f64) {}\n"),
            ("docs/a.md", "# Docs\n"),
        ];
        all.extend_from_slice(files);
        hub.create_repo(REPO, installation, &all);
        hub.permit(REPO, "dan", "write");
        hub.permit(REPO, "eve", "read");
        hub.join_team("acme/eng", "bob");
        let mut envs = vec![("LANDQ_GITHUB_API_URL".to_owned(), hub.url().to_owned())];
        if installation.is_none() {
            envs.push(("LANDQ_GITHUB_TOKEN".into(), TOKEN.into()));
        }
        envs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let dir = TempDir::new().unwrap();
        let serve = start_serve(dir.path(), &envs);
        let url = Arc::new(std::sync::Mutex::new(serve.base_url()));
        Land {
            hub,
            serve,
            dir,
            envs,
            client: reqwest::Client::new(),
            deliveries: Arc::new(AtomicU64::new(0)),
            url,
        }
    }

    /// Kills `landq serve` with SIGKILL and starts it again on the same data.
    pub(crate) fn restart(&mut self) {
        self.serve.child.kill().unwrap();
        self.serve.child.wait().unwrap();
        self.serve = start_serve(self.dir.path(), &self.envs);
        *self.url.lock().unwrap() = self.serve.base_url();
    }

    /// Delivers what the fake announces by itself (its CI's check runs) to
    /// `landq serve`, as GitHub would; one lost while landq is down is lost.
    pub(crate) fn forward_events(&self) {
        let (url, deliveries) = (self.url.clone(), self.deliveries.clone());
        let client = self.client.clone();
        self.hub.on_event(move |event| {
            let url = url.lock().unwrap().clone();
            let id = format!("d-{}", deliveries.fetch_add(1, Ordering::Relaxed));
            let client = client.clone();
            tokio::spawn(async move {
                let body = serde_json::to_vec(&event.payload).unwrap();
                // landq may be down (a kill loop): the delivery is lost, as
                // GitHub's would be, and the reconcile makes up for it.
                let send = client
                    .post(format!("{url}/webhook"))
                    .header("content-type", "application/json")
                    .header("x-github-event", event.name)
                    .header("x-github-delivery", &id)
                    .header("x-hub-signature-256", crate::webhook::sign(&body))
                    .body(body)
                    .send();
                let _ = send.await;
            });
        });
    }

    /// alice's pull request `f` changing `files` (path, new text).
    pub(crate) fn pull_changing(&self, branch: &str, files: &[(&str, Option<&str>)]) -> u64 {
        self.hub.push(REPO, branch, "main", files, "alice");
        self.hub.open_pull(
            REPO,
            "alice",
            branch,
            "main",
            "Charge in cents",
            "Amounts are integers now.",
        )
    }

    /// alice's pull request touching billing (owner carol) and docs.
    fn pull(&self) -> u64 {
        self.pull_changing(
            "f",
            &[
                ("billing/pay.rs", Some("fn pay(cents: u64) {}\n")),
                ("docs/a.md", Some("# Docs\nAmounts are in cents.\n")),
            ],
        )
    }

    /// Delivers `event` under a fresh delivery id.
    pub(crate) async fn send(&self, event: Event) {
        let id = format!("d-{}", self.deliveries.fetch_add(1, Ordering::Relaxed));
        self.send_as(&event, &id).await;
    }

    async fn send_as(&self, event: &Event, id: &str) {
        let body = serde_json::to_vec(&event.payload).unwrap();
        let status = self
            .serve
            .deliver_event(&self.client, event.name, id, body)
            .await;
        assert!(status == 202 || status == 200, "delivery {id}: {status}");
    }

    /// Approvals from `reviewers` on the current head, each delivered.
    pub(crate) async fn approve(&self, pr: u64, reviewers: &[&str]) {
        for reviewer in reviewers {
            self.send(self.hub.review(REPO, pr, reviewer, "APPROVED"))
                .await;
        }
    }

    /// dan (write access) applies the land label.
    pub(crate) async fn request(&self, pr: u64) {
        self.send(self.hub.label(REPO, pr, LABEL, "dan")).await;
    }

    /// Waits until `done` holds on the fake (a minute at most).
    pub(crate) async fn until(&self, what: &str, done: impl Fn(&Hub) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done(&self.hub) {
            if Instant::now() > deadline {
                let seen: Vec<String> = self
                    .hub
                    .seen()
                    .iter()
                    .map(|s| format!("{} {} {}", s.status, s.method, s.path))
                    .collect();
                panic!(
                    "timed out waiting for {what}; GitHub saw:\n{}",
                    seen.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for the pull request to merge; returns the squash commit.
    pub(crate) async fn landed(&self, pr: u64) -> String {
        self.until("the land", |hub| hub.pull_state(REPO, pr).2.is_some())
            .await;
        // The label goes last.
        self.until("the label's removal", |hub| {
            !hub.pull_state(REPO, pr).0.contains(&LABEL.to_owned())
        })
        .await;
        self.hub.pull_state(REPO, pr).2.unwrap()
    }

    /// Waits for `landq` feedback in `state` on the head of `f`; returns
    /// its text.
    async fn feedback(&self, state: &str) -> String {
        self.until(&format!("`{state}` feedback"), |hub| {
            let head = hub.tip(REPO, "f");
            hub.feedback(REPO, &head).is_some_and(|(s, _)| s == state)
        })
        .await;
        let head = self.hub.tip(REPO, "f");
        self.hub.feedback(REPO, &head).unwrap().1
    }

    pub(crate) fn merges(&self, pr: u64) -> usize {
        self.hub
            .count("PUT", &format!("/repos/{REPO}/pulls/{pr}/merge"))
    }

    pub(crate) async fn lands(&self) -> Vec<landq_store::LandRecord> {
        SqliteStore::open(self.dir.path())
            .unwrap()
            .lands(REPO, 10)
            .await
            .unwrap()
    }
}

fn start_serve(dir: &std::path::Path, envs: &[(String, String)]) -> Webhook {
    let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Webhook::start_command("serve", dir, &envs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lands_as_one_squash_commit_with_the_title_body_and_approvers() {
    let land = Land::start().await;
    let before = land.hub.tip(REPO, "main");
    let pr = land.pull();
    land.approve(pr, &["bob", "carol"]).await;
    let labeled = land.hub.label(REPO, pr, LABEL, "dan");
    // The same delivery three times.
    for _ in 0..3 {
        land.send_as(&labeled, "label-1").await;
    }

    let squash = land.landed(pr).await;
    assert_eq!(land.hub.tip(REPO, "main"), squash);
    let (message, parents) = land.hub.commit_message(REPO, &squash);
    assert_eq!(parents.len(), 1);
    assert_eq!(parents[0], before, "one commit on top of the old main");
    assert_eq!(
        message,
        format!(
            "Charge in cents (#{pr})\n\nAmounts are integers now.\n\n\
             Approved-by: bob\nApproved-by: carol\n"
        )
    );
    assert_eq!(
        land.hub.file(REPO, "main", "billing/pay.rs").as_deref(),
        Some("fn pay(cents: u64) {}\n")
    );
    assert_eq!(land.merges(pr), 1);
    let head = land.hub.tip(REPO, "f");
    let (state, _) = land.hub.feedback(REPO, &head).unwrap();
    assert_eq!(state, "success");
    let lands = land.lands().await;
    assert_eq!(lands.len(), 1);
    assert_eq!(lands[0].squash_sha, squash);
    assert_eq!(lands[0].head_sha, head);
    assert_eq!(lands[0].approvers, ["bob", "carol"]);

    // The outcome is counted just after the land's last GitHub call.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut metrics = land.serve.get(&land.client, "/metrics").await;
    while !metrics.contains(r#"landq_processed_total{repo="acme/app",outcome="landed"} 1"#) {
        assert!(Instant::now() < deadline, "never counted:\n{metrics}");
        tokio::time::sleep(Duration::from_millis(20)).await;
        metrics = land.serve.get(&land.client, "/metrics").await;
    }
    for line in [
        r#"landq_land_seconds_count{repo="acme/app"} 1"#,
        r#"landq_queue_wait_seconds_count{repo="acme/app"} 1"#,
        r#"landq_webhook_deliveries_total{event="pull_request",outcome="accepted"} 1"#,
        r#"landq_webhook_deliveries_total{event="pull_request",outcome="duplicate"} 2"#,
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no `{line}` in:\n{metrics}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waits_for_the_missing_owner_then_lands_on_their_approval() {
    let land = Land::start().await;
    let pr = land.pull();
    land.approve(pr, &["bob"]).await;
    land.request(pr).await;
    let waiting = land.feedback("pending").await;
    assert!(
        waiting.contains("billing/pay.rs") && waiting.contains("@carol"),
        "{waiting}"
    );
    assert_eq!(land.merges(pr), 0);

    land.approve(pr, &["carol"]).await;
    land.landed(pr).await;
    assert_eq!(land.merges(pr), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_after_approval_waits_for_approvals_of_the_new_head() {
    let land = Land::start().await;
    let pr = land.pull();
    land.approve(pr, &["bob", "carol"]).await;
    let (pushed, events) = land.hub.push(
        REPO,
        "f",
        "main",
        &[("docs/a.md", Some("# Unreviewed\n"))],
        "alice",
    );
    for event in events {
        land.send(event).await;
    }
    land.request(pr).await;
    let waiting = land.feedback("pending").await;
    assert!(waiting.contains("approval"), "{waiting}");
    assert_eq!(land.merges(pr), 0);

    land.approve(pr, &["bob", "carol"]).await;
    land.landed(pr).await;
    let lands = land.lands().await;
    assert_eq!(lands[0].head_sha, pushed);
    assert_eq!(
        land.hub.file(REPO, "main", "docs/a.md").as_deref(),
        Some("# Unreviewed\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authors_own_approval_never_counts() {
    let land = Land::start().await;
    // carol owns billing and writes the change; her approval is not enough.
    land.hub.push(
        REPO,
        "f",
        "main",
        &[("billing/pay.rs", Some("fn pay() {}\n"))],
        "carol",
    );
    let pr = land
        .hub
        .open_pull(REPO, "carol", "f", "main", "Simplify", "");
    land.approve(pr, &["carol", "bob"]).await;
    land.request(pr).await;
    let waiting = land.feedback("pending").await;
    assert!(waiting.contains("@carol"), "{waiting}");
    assert_eq!(land.merges(pr), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_requested_blocks_the_land() {
    let land = Land::start().await;
    let pr = land.pull();
    land.approve(pr, &["bob", "carol"]).await;
    land.send(land.hub.review(REPO, pr, "frank", "CHANGES_REQUESTED"))
        .await;
    land.request(pr).await;
    let waiting = land.feedback("pending").await;
    assert!(waiting.contains("frank"), "{waiting}");
    assert_eq!(land.merges(pr), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_labeler_without_write_access_is_refused_with_a_comment() {
    let land = Land::start().await;
    let pr = land.pull();
    land.approve(pr, &["bob", "carol"]).await;
    land.send(land.hub.label(REPO, pr, LABEL, "eve")).await;
    land.until("the label's removal", |hub| {
        hub.pull_state(REPO, pr).0.is_empty()
    })
    .await;
    let comments = land.hub.comments(REPO, pr);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].contains("eve"), "{}", comments[0]);
    assert_eq!(land.merges(pr), 0);
    let failure = land.feedback("failure").await;
    assert!(failure.contains("eve"), "{failure}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rules_edit_is_judged_by_the_base_branch_rules() {
    let land = Land::start().await;
    // The pull request makes eve the owner of everything; the base's rules
    // still say /.github/ belongs to sec-lead.
    let pr = land.pull_changing(
        "f",
        &[
            (".github/.landqueue", Some("* @eve\n")),
            ("docs/a.md", Some("# Eve's\n")),
        ],
    );
    land.approve(pr, &["eve", "bob"]).await;
    land.request(pr).await;
    let waiting = land.feedback("pending").await;
    assert!(waiting.contains("@sec-lead"), "{waiting}");
    assert_eq!(land.merges(pr), 0);

    land.approve(pr, &["sec-lead"]).await;
    land.landed(pr).await;
    assert_eq!(
        land.hub.file(REPO, "main", ".github/.landqueue").as_deref(),
        Some("* @eve\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_that_breaks_the_rules_file_never_lands() {
    let land = Land::start().await;
    let broken = "* @acme/eng\n/.github/ @sec-lead\n/ops/ @-ops\n";
    let pr = land.pull_changing("f", &[(".github/.landqueue", Some(broken))]);
    land.approve(pr, &["bob", "sec-lead"]).await;
    land.request(pr).await;
    let waiting = land.feedback("pending").await;
    assert!(
        waiting.contains("leaves .github/.landqueue invalid")
            && waiting.contains(".github/.landqueue:3"),
        "{waiting}"
    );
    assert_eq!(land.merges(pr), 0);

    // Fixed on the branch and approved again, it lands.
    let fixed = "* @acme/eng\n/.github/ @sec-lead\n/ops/ @ops-lead\n";
    land.hub.push(
        REPO,
        "f",
        "f",
        &[(".github/.landqueue", Some(fixed))],
        "alice",
    );
    land.approve(pr, &["bob", "sec-lead"]).await;
    land.landed(pr).await;
    assert_eq!(
        land.hub.file(REPO, "main", ".github/.landqueue").as_deref(),
        Some(fixed)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_broken_outside_landq_are_repaired_with_an_admin_approval() {
    let land = Land::start().await;
    // An admin pushed a broken rules file straight to main.
    land.hub.push(
        REPO,
        "main",
        "main",
        &[(".github/.landqueue", Some("* @acme/eng\n[abc] @x\n"))],
        "ada",
    );
    land.hub.permit(REPO, "ada", "admin");
    let pr = land.pull_changing("f", &[(".github/.landqueue", Some(RULES))]);
    land.approve(pr, &["bob", "sec-lead"]).await;
    land.request(pr).await;
    let waiting = land.feedback("pending").await;
    assert!(waiting.contains("repository admin"), "{waiting}");
    assert_eq!(land.merges(pr), 0);

    land.approve(pr, &["ada"]).await;
    land.landed(pr).await;
    assert_eq!(
        land.hub.file(REPO, "main", ".github/.landqueue").as_deref(),
        Some(RULES)
    );
    let lands = land.lands().await;
    assert!(lands[0].approvers.contains(&"ada".to_owned()), "{lands:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rules_can_live_in_githubs_codeowners() {
    let land = Land::start().await;
    land.hub.push(
        REPO,
        "main",
        "main",
        &[
            (
                ".github/landq.toml",
                Some("rules = \".github/CODEOWNERS\"\n"),
            ),
            (
                ".github/CODEOWNERS",
                Some("* @acme/eng\n/docs/ @dora\n/.github/ @sec-lead\n"),
            ),
        ],
        "ada",
    );
    let pr = land.pull_changing("f", &[("docs/a.md", Some("# Dora's\n"))]);
    land.approve(pr, &["carol"]).await;
    land.request(pr).await;
    let waiting = land.feedback("pending").await;
    assert!(
        waiting.contains("`docs/a.md` needs an approval from @dora (.github/CODEOWNERS line 2)"),
        "{waiting}"
    );
    land.approve(pr, &["dora"]).await;
    land.landed(pr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_owns_through_its_active_members() {
    let land = Land::start().await;
    let pr = land.pull_changing("f", &[("docs/a.md", Some("# More\n"))]);
    land.approve(pr, &["frank"]).await;
    land.request(pr).await;
    let waiting = land.feedback("pending").await;
    assert!(waiting.contains("@acme/eng"), "{waiting}");
    assert_eq!(land.merges(pr), 0);

    land.approve(pr, &["bob"]).await;
    land.landed(pr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflict_blocks_keeps_the_label_and_lands_after_the_fix() {
    let land = Land::start().await;
    let pr = land.pull();
    // main moves on with a conflicting edit of the same line.
    land.hub.push(
        REPO,
        "main",
        "main",
        &[("docs/a.md", Some("# Documentation\n"))],
        "octocat",
    );
    let main = land.hub.tip(REPO, "main");
    land.approve(pr, &["bob", "carol"]).await;
    land.request(pr).await;
    land.until("the blocked report", |hub| {
        let head = hub.tip(REPO, "f");
        hub.feedback(REPO, &head)
            .is_some_and(|(_, text)| text.starts_with("Blocked: conflicts with `main`"))
    })
    .await;
    assert_eq!(land.hub.pull_state(REPO, pr).0, [LABEL], "the label stays");
    assert!(land.hub.comments(REPO, pr).is_empty(), "the check says it");
    assert_eq!(land.merges(pr), 0);
    assert_eq!(land.hub.tip(REPO, "main"), main);

    // The author resolves the conflict; the new head re-enters by itself
    // once approved again.
    let (_, events) = land.hub.push(
        REPO,
        "f",
        "main",
        &[("docs/a.md", Some("# Documentation\n"))],
        "alice",
    );
    for event in events {
        land.send(event).await;
    }
    land.approve(pr, &["bob", "carol"]).await;
    let squash = land.landed(pr).await;
    assert_eq!(land.hub.tip(REPO, "main"), squash);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_that_moves_under_the_merge_never_lands_unreviewed() {
    let land = Land::start().await;
    let pr = land.pull();
    land.approve(pr, &["bob", "carol"]).await;
    let main = land.hub.tip(REPO, "main");
    // Just before the merge call, alice pushes again.
    land.hub.fail(
        "PUT",
        &format!("/repos/{REPO}/pulls/{pr}/merge"),
        Fault::Before(Arc::new(|hub: &Hub| {
            hub.push(
                REPO,
                "f",
                "main",
                &[("billing/pay.rs", Some("steal()\n"))],
                "alice",
            );
        })),
        1,
    );
    land.request(pr).await;
    let waiting = land.feedback("pending").await;
    assert!(waiting.contains("approval"), "{waiting}");
    assert_eq!(land.merges(pr), 1, "one merge call, refused with 409");
    assert_eq!(land.hub.tip(REPO, "main"), main);
    assert!(land.hub.pull_state(REPO, pr).1, "still open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_landing_merges_exactly_once() {
    let mut land = Land::start_with(&[("LANDQ_BUS_LEASE", "1")]).await;
    let pr = land.pull();
    land.approve(pr, &["bob", "carol"]).await;
    // The merge happens but its answer never comes back.
    land.hub.fail(
        "PUT",
        &format!("/repos/{REPO}/pulls/{pr}/merge"),
        Fault::Hang,
        1,
    );
    land.request(pr).await;
    land.until("the merge", |hub| hub.pull_state(REPO, pr).2.is_some())
        .await;
    land.restart();

    let squash = land.landed(pr).await;
    assert_eq!(land.merges(pr), 1);
    let lands = land.lands().await;
    assert_eq!(lands.len(), 1);
    assert_eq!(lands[0].squash_sha, squash);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_after_the_record_reports_the_land_once_restarted() {
    let mut land = Land::start().await;
    let pr = land.pull_changing("f", &[("docs/a.md", Some("# More\n"))]);
    land.approve(pr, &["bob"]).await;
    // Merged and recorded; the `Landed as` status is sent but never answered.
    let head = land.hub.tip(REPO, "f");
    let status = format!("/repos/{REPO}/statuses/{head}");
    land.hub.fail("POST", &status, Fault::Hang, 1);
    land.request(pr).await;
    land.until("the status call after the merge", |hub| {
        hub.pull_state(REPO, pr).2.is_some() && hub.count("POST", &status) >= 1
    })
    .await;
    land.restart(); // kill -9 while the status call hangs

    // The next start takes the message back from the killed process, finds
    // the entry `landed` and finishes: status, label, entry.
    let squash = land.landed(pr).await;
    assert!(land.feedback("success").await.contains(&squash));
    assert_eq!(land.merges(pr), 1);
    assert_eq!(land.lands().await.len(), 1);
    assert!(land.hub.comments(REPO, pr).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_502_and_429_are_retried_and_the_land_goes_through() {
    let land = Land::start().await;
    let pr = land.pull();
    land.approve(pr, &["bob", "carol"]).await;
    let pull = format!("/repos/{REPO}/pulls/{pr}");
    land.hub.fail("GET", &pull, Fault::Status(502, vec![]), 1);
    land.hub.fail(
        "GET",
        &format!("{pull}/reviews"),
        Fault::Status(
            429,
            vec![
                ("retry-after", "1".into()),
                ("x-ratelimit-remaining", "0".into()),
            ],
        ),
        1,
    );
    land.request(pr).await;
    land.landed(pr).await;
    assert_eq!(land.merges(pr), 1);
    assert!(land.hub.count("GET", &pull) >= 2);
    assert!(land.hub.count("GET", &format!("{pull}/reviews")) >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_label_whose_delivery_never_arrived_is_landed_by_the_reconcile() {
    let land = Land::start_with(&[("LANDQ_REPOS", REPO), ("LANDQ_RECONCILE_INTERVAL", "1")]).await;
    // The repository names its own label; the reconcile reads it from main.
    land.hub.push(
        REPO,
        "main",
        "main",
        &[(".github/landq.toml", Some("label = \"ship it\"\n"))],
        "octocat",
    );
    let pr = land.pull();
    land.hub.review(REPO, pr, "bob", "APPROVED");
    land.hub.review(REPO, pr, "carol", "APPROVED");
    land.hub.label(REPO, pr, "ship it", "dan");
    // No delivery at all.
    land.until("the land", |hub| hub.pull_state(REPO, pr).2.is_some())
        .await;
    assert_eq!(land.merges(pr), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_a_github_app_it_exchanges_tokens_and_reports_with_check_runs() {
    let hub = Hub::start().await;
    hub.install_app(App::test(42));
    let key = TempDir::new().unwrap();
    let key_file = key.path().join("app.pem");
    std::fs::write(&key_file, TEST_KEY).unwrap();
    let land = Land::on(
        hub,
        Some(7),
        &[
            ("LANDQ_GITHUB_APP_ID", "42"),
            ("LANDQ_GITHUB_APP_KEY_FILE", key_file.to_str().unwrap()),
            ("LANDQ_RECONCILE_INTERVAL", "3600"),
        ],
    );
    let pr = land.pull();
    land.approve(pr, &["bob"]).await;
    land.request(pr).await;
    let waiting = land.feedback("neutral").await;
    assert!(waiting.contains("@carol"), "{waiting}");

    land.approve(pr, &["carol"]).await;
    land.landed(pr).await;
    let head = land.hub.tip(REPO, "f");
    assert_eq!(land.hub.feedback(REPO, &head).unwrap().0, "success");
    // One check run on the head, taken from waiting to landed.
    let runs = land.hub.check_runs(REPO, &head, "landq");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["conclusion"], "success");
    assert!(land.hub.tokens_issued() >= 1);
    assert_eq!(
        land.hub
            .count("POST", &format!("/repos/{REPO}/statuses/{head}")),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_walkthrough_lands_its_pull_request_on_every_run() {
    use landq_fake_github::demo::Demo;
    // Twice on the same data directory, as a user reruns the README's
    // commands: landq must not take the second run's deliveries for the
    // first's.
    let dir = TempDir::new().unwrap();
    for _ in 0..2 {
        let demo = Demo::start(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap());
        let serve = Webhook::start_command(
            "serve",
            dir.path(),
            &[
                ("LANDQ_GITHUB_TOKEN", "demo"),
                ("LANDQ_GITHUB_API_URL", demo.hub.url()),
            ],
        );
        let webhook = format!("{}/webhook", serve.base_url());
        let (sha, message) = demo
            .run(&webhook, crate::webhook::SECRET, |_| {})
            .await
            .unwrap();
        assert_eq!(
            message,
            "Charge in cents (#1)\n\nFloating point money rounds.\n\nApproved-by: bob\nApproved-by: carol\n"
        );
        assert_eq!(demo.hub.tip(REPO, "main"), sha);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_pull_requests_land_in_the_order_they_were_labelled() {
    let land = Land::start_with(&[("LANDQ_REPOS", REPO), ("LANDQ_RECONCILE_INTERVAL", "1")]).await;
    let first_opened = land.pull_changing("a", &[("docs/a.md", Some("# A\n"))]);
    let second_opened = land.pull_changing("b", &[("docs/b.md", Some("# B\n"))]);
    for pr in [first_opened, second_opened] {
        land.hub.review(REPO, pr, "bob", "APPROVED");
    }
    // The later pull request is labelled first; no delivery arrives.
    land.hub.label(REPO, second_opened, LABEL, "dan");
    tokio::time::sleep(Duration::from_millis(5)).await;
    land.hub.label(REPO, first_opened, LABEL, "dan");

    land.until("both lands", |hub| {
        hub.pull_state(REPO, first_opened).2.is_some()
            && hub.pull_state(REPO, second_opened).2.is_some()
    })
    .await;
    let first_squash = land.hub.pull_state(REPO, second_opened).2.unwrap();
    let main = land.hub.tip(REPO, "main");
    assert_eq!(land.hub.pull_state(REPO, first_opened).2.unwrap(), main);
    let (_, parents) = land.hub.commit_message(REPO, &main);
    assert_eq!(parents, [first_squash], "labelled first, landed first");
}

// ---- reliability: cut-short lands, leases, messages that cannot succeed ----

impl Land {
    /// `landq bus ARGS --data-dir` on this landq's data, its stdout.
    pub(crate) fn bus(&self, args: &[&str]) -> String {
        crate::webhook::bus(self.dir.path(), args)
    }

    /// `landq ARGS --data-dir` on this landq's data, its stdout.
    pub(crate) fn cli(&self, args: &[&str]) -> String {
        crate::webhook::landq(self.dir.path(), args)
    }

    /// Where `landq serve` listens, `http://ADDRESS`.
    pub(crate) fn url(&self) -> String {
        self.serve.base_url()
    }

    /// What `landq serve` serves at `/metrics`.
    pub(crate) async fn metrics(&self) -> String {
        self.serve.get(&self.client, "/metrics").await
    }

    /// Waits until the bus holds nothing waiting or in flight.
    pub(crate) async fn drained(&self) {
        let dir = self.dir.path().to_owned();
        self.until("an empty bus", move |_| {
            landq_bus::embedded::list(&dir).is_ok_and(|waiting| waiting.is_empty())
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_land_cut_short_after_the_merge_is_finished_and_reported() {
    let land = Land::start().await;
    let pr = land.pull_changing("f", &[("docs/a.md", Some("# More\n"))]);
    land.approve(pr, &["bob"]).await;
    // After the merge, the `landq` status fails past the client's retries:
    // the land must still be reported and the label removed, later.
    let head = land.hub.tip(REPO, "f");
    land.hub.fail(
        "POST",
        &format!("/repos/{REPO}/statuses/{head}"),
        Fault::Status(502, vec![]),
        landq_github::retry::RetryPolicy::default().attempts as usize,
    );
    land.request(pr).await;
    let sha = land.landed(pr).await;
    assert!(land.feedback("success").await.contains(&sha));
    assert_eq!(land.merges(pr), 1);
    assert_eq!(land.lands().await.len(), 1);
    assert!(
        land.hub.comments(REPO, pr).is_empty(),
        "no failure is ever reported"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_keeps_its_message_while_it_waits_out_a_rate_limit() {
    // A lease of 3 s (renewed every second) and a merge rate-limited for
    // 8 s: without renewing the lease, a second consumer would take the
    // message and land it again.
    let land = Land::start_with(&[("LANDQ_BUS_LEASE", "3"), ("LANDQ_CONSUMERS", "4")]).await;
    let pr = land.pull_changing("f", &[("docs/a.md", Some("# More\n"))]);
    land.request(pr).await;
    land.feedback("pending").await;
    let merge = format!("/repos/{REPO}/pulls/{pr}/merge");
    land.hub.fail(
        "PUT",
        &merge,
        Fault::Status(429, vec![("retry-after", "8".into())]),
        1,
    );
    land.approve(pr, &["bob"]).await;
    land.landed(pr).await;
    let seen = land.hub.seen();
    let first_put = seen
        .iter()
        .position(|s| s.method == "PUT" && s.path == merge)
        .unwrap();
    let reviews = format!("/repos/{REPO}/pulls/{pr}/reviews");
    assert!(
        !seen[first_put..].iter().any(|s| s.path == reviews),
        "another consumer took the message while the first waited"
    );
    assert_eq!(land.merges(pr), 2, "the rate-limited merge and its retry");
    assert!(land.hub.comments(REPO, pr).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_github_does_not_know_is_set_aside_and_blocks_nothing() {
    let land = Land::start().await;
    let pr = land.pull_changing("f", &[("docs/a.md", Some("# More\n"))]);
    // A review delivery for a pull request GitHub answers 404 to (deleted,
    // or the repository moved) comes first in the repository's queue.
    let mut ghost = land.hub.review(REPO, pr, "bob", "APPROVED");
    ghost.payload["pull_request"]["number"] = serde_json::json!(999);
    land.send(ghost).await;
    land.request(pr).await;
    land.landed(pr).await;
    land.drained().await;
    let dead = land.bus(&["list", "--dead"]);
    let dead: serde_json::Value = serde_json::from_str(dead.trim()).unwrap();
    assert_eq!(dead["envelope"]["prs"], serde_json::json!([999]));
    assert!(dead["reason"].as_str().unwrap().contains("404"), "{dead}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_keeps_failing_is_set_aside_and_can_be_put_back() {
    let land = Land::start_with(&[("LANDQ_BUS_MAX_ATTEMPTS", "1")]).await;
    let pr = land.pull_changing("f", &[("docs/a.md", Some("# More\n"))]);
    land.approve(pr, &["bob"]).await;
    land.drained().await;
    // One attempt's worth of 502s on the pull request: set aside.
    land.hub.fail(
        "GET",
        &format!("/repos/{REPO}/pulls/{pr}"),
        Fault::Status(502, vec![]),
        landq_github::retry::RetryPolicy::default().attempts as usize,
    );
    land.request(pr).await;
    land.drained().await;
    let dead = land.bus(&["list", "--dead"]);
    assert!(
        dead.contains("failed 1 times; last: GitHub answered 502"),
        "{dead}"
    );
    assert_eq!(land.merges(pr), 0);

    assert_eq!(
        land.bus(&["retry", "--all"]),
        "1 message(s) back on the bus\n"
    );
    land.landed(pr).await;
    assert_eq!(land.bus(&["list", "--dead"]), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_suite_naming_many_pull_requests_reads_only_the_labelled_ones() {
    let land = Land::start().await;
    let pr = land.pull_changing("f", &[("docs/a.md", Some("# More\n"))]);
    land.approve(pr, &["bob"]).await;
    land.drained().await;
    let head = land.hub.tip(REPO, "f");
    let mut numbers: Vec<serde_json::Value> = (1000..1050)
        .map(|n| serde_json::json!({"number": n}))
        .collect();
    numbers.push(serde_json::json!({"number": pr}));
    land.send(Event {
        name: "check_suite",
        payload: serde_json::json!({
            "action": "completed",
            "check_suite": {"head_sha": head, "pull_requests": numbers},
            "repository": {"full_name": REPO},
            "sender": {"login": "github-actions"},
        }),
    })
    .await;
    land.drained().await;
    let seen = land.hub.seen();
    assert!(
        !seen
            .iter()
            .any(|s| s.path.starts_with(&format!("/repos/{REPO}/pulls/10"))),
        "a read per named pull request"
    );
    assert!(
        seen.iter()
            .any(|s| s.path == format!("/repos/{REPO}/issues")),
        "one listing of the labelled pull requests"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_kill_loop_every_pull_request_lands_once_and_is_reported() {
    const PULLS: usize = 8;
    // SIGKILL every few tenths of a second, at points that fall anywhere in
    // a land: while reading, merging, recording or reporting.
    const KILL_EVERY_MS: [u64; 5] = [15, 60, 5, 120, 30];
    let mut land =
        Land::start_with(&[("LANDQ_REPOS", REPO), ("LANDQ_RECONCILE_INTERVAL", "2")]).await;
    let mut prs = Vec::new();
    for i in 0..PULLS {
        let branch = format!("k{i}");
        let file = format!("docs/k{i}.md");
        land.hub
            .push(REPO, &branch, "main", &[(&file, Some("# K\n"))], "alice");
        let pr = land
            .hub
            .open_pull(REPO, "alice", &branch, "main", &format!("K {i}"), "");
        land.approve(pr, &["bob"]).await;
        prs.push(pr);
    }
    let started = Instant::now();
    let mut labelled = std::collections::HashMap::new();
    let mut merged_after = std::collections::HashMap::new();
    let mut kills = 0;
    for &pr in &prs {
        land.request(pr).await;
        labelled.insert(pr, Instant::now());
        land.restart();
        kills += 1;
    }
    while merged_after.len() < PULLS {
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "lands stalled under the kill loop"
        );
        let pause = Duration::from_millis(KILL_EVERY_MS[kills % KILL_EVERY_MS.len()]);
        let until = Instant::now() + pause;
        while Instant::now() < until {
            for (&pr, at) in &labelled {
                if !merged_after.contains_key(&pr) && land.hub.pull_state(REPO, pr).2.is_some() {
                    merged_after.insert(pr, at.elapsed());
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if merged_after.len() < PULLS {
            land.restart();
            kills += 1;
        }
    }
    for &pr in &prs {
        land.landed(pr).await; // merged, and the label removed
        assert_eq!(
            land.merges(pr),
            1,
            "pull request {pr} merged more than once"
        );
        let head = land.hub.tip(REPO, &format!("k{}", pr - prs[0]));
        land.until("the landed status", |hub| {
            hub.feedback(REPO, &head)
                .is_some_and(|(state, _)| state == "success")
        })
        .await;
        assert!(
            land.hub.comments(REPO, pr).is_empty(),
            "a failure reported on {pr}"
        );
    }
    assert_eq!(land.lands().await.len(), PULLS);
    let mut times: Vec<Duration> = merged_after.into_values().collect();
    times.sort();
    eprintln!(
        "kill loop: {PULLS} lands, {kills} SIGKILLs; label to merge p50 {:.1} s, max {:.1} s",
        times[PULLS / 2].as_secs_f64(),
        times[PULLS - 1].as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_worker_between_pull_requests() {
    let land = Land::start().await;
    let mut prs = Vec::new();
    for i in 0..6 {
        let branch = format!("t{i}");
        let file = format!("docs/t{i}.md");
        land.hub
            .push(REPO, &branch, "main", &[(&file, Some("# T\n"))], "alice");
        let pr = land
            .hub
            .open_pull(REPO, "alice", &branch, "main", &format!("T {i}"), "");
        land.request(pr).await; // labelled, waiting for an approval
        prs.push(pr);
    }
    land.drained().await;
    // SIGTERM arrives while the first of the check suite's pull requests
    // is being read.
    let pid = land.serve.child.id().to_string();
    land.hub.fail(
        "GET",
        &format!("/repos/{REPO}/pulls/{}", prs[0]),
        Fault::Before(Arc::new(move |_: &Hub| {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status();
        })),
        1,
    );
    let hub = land.hub.clone();
    let reads = move |pr: u64| hub.count("GET", &format!("/repos/{REPO}/pulls/{pr}"));
    let before: Vec<usize> = prs.iter().map(|&pr| reads(pr)).collect();
    let numbers: Vec<serde_json::Value> = prs
        .iter()
        .map(|n| serde_json::json!({"number": n}))
        .collect();
    land.send(Event {
        name: "check_suite",
        payload: serde_json::json!({
            "action": "completed",
            "check_suite": {"head_sha": "0000000000000000000000000000000000000000", "pull_requests": numbers},
            "repository": {"full_name": REPO},
        }),
    })
    .await;
    let (status, land) = tokio::task::spawn_blocking(move || {
        let mut land = land;
        let status = land.serve.child.wait().unwrap();
        (status, land)
    })
    .await
    .unwrap();
    assert!(status.success(), "{status}");
    // The first pull request was finished; the others were left alone…
    for (i, &pr) in prs.iter().enumerate().skip(1) {
        assert_eq!(
            reads(pr),
            before[i],
            "pull request {pr} was read after SIGTERM"
        );
    }
    // …and the message waits on the bus for the next start.
    let waiting = landq_bus::embedded::list(land.dir.path()).unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].event, "check_suite");
}
