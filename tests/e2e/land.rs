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

const REPO: &str = "acme/app";
const TOKEN: &str = "test-token";
const LABEL: &str = "land requested";
const RULES: &str = "* @acme/eng\n/billing/ @carol\n/.github/ @sec-lead\n";

/// A fake GitHub holding `acme/app`, and `landq serve` pointed at it.
struct Land {
    hub: Hub,
    serve: Webhook,
    dir: TempDir,
    envs: Vec<(String, String)>,
    client: reqwest::Client,
    deliveries: AtomicU64,
}

impl Land {
    async fn start() -> Land {
        Land::start_with(&[]).await
    }

    /// As [`Land::start`], with more environment for `landq serve`.
    async fn start_with(extra: &[(&str, &str)]) -> Land {
        let hub = Hub::start().await;
        hub.require_token(TOKEN);
        Land::on(hub, None, extra)
    }

    fn on(hub: Hub, installation: Option<u64>, extra: &[(&str, &str)]) -> Land {
        hub.create_repo(
            REPO,
            installation,
            &[
                (".github/.landqueue", RULES),
                ("billing/pay.rs", "fn pay(amount: f64) {}\n"),
                ("docs/a.md", "# Docs\n"),
            ],
        );
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
        Land {
            hub,
            serve,
            dir,
            envs,
            client: reqwest::Client::new(),
            deliveries: AtomicU64::new(0),
        }
    }

    /// Kills `landq serve` with SIGKILL and starts it again on the same data.
    fn restart(&mut self) {
        self.serve.child.kill().unwrap();
        self.serve.child.wait().unwrap();
        self.serve = start_serve(self.dir.path(), &self.envs);
    }

    /// alice's pull request `f` changing `files` (path, new text).
    fn pull_changing(&self, branch: &str, files: &[(&str, Option<&str>)]) -> u64 {
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
    async fn send(&self, event: Event) {
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
    async fn approve(&self, pr: u64, reviewers: &[&str]) {
        for reviewer in reviewers {
            self.send(self.hub.review(REPO, pr, reviewer, "APPROVED"))
                .await;
        }
    }

    /// dan (write access) applies the land label.
    async fn request(&self, pr: u64) {
        self.send(self.hub.label(REPO, pr, LABEL, "dan")).await;
    }

    /// Waits until `done` holds on the fake (a minute at most).
    async fn until(&self, what: &str, done: impl Fn(&Hub) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done(&self.hub) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for the pull request to merge; returns the squash commit.
    async fn landed(&self, pr: u64) -> String {
        self.until("the land", |hub| hub.pull_state(REPO, pr).2.is_some())
            .await;
        // The label goes last.
        self.until("the label's removal", |hub| {
            !hub.pull_state(REPO, pr).0.contains(&LABEL.to_owned())
        })
        .await;
        self.hub.pull_state(REPO, pr).2.unwrap()
    }

    /// Waits for `landq` feedback in `state` on the head; returns its text.
    async fn feedback(&self, pr: u64, state: &str) -> String {
        let head = self.hub.tip(REPO, "f");
        let _ = pr;
        self.until(&format!("`{state}` feedback on {head}"), |hub| {
            hub.feedback(REPO, &head).is_some_and(|(s, _)| s == state)
        })
        .await;
        self.hub.feedback(REPO, &head).unwrap().1
    }

    fn merges(&self, pr: u64) -> usize {
        self.hub
            .count("PUT", &format!("/repos/{REPO}/pulls/{pr}/merge"))
    }

    async fn lands(&self) -> Vec<landq_store::LandRecord> {
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
    assert_eq!(parents, 1);
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
    let parent = land.hub.commit_message(REPO, &before);
    assert_eq!(parent.1, 0, "the squash commit sits on the old main");
    assert_eq!(land.merges(pr), 1);
    let head = land.hub.tip(REPO, "f");
    let (state, _) = land.hub.feedback(REPO, &head).unwrap();
    assert_eq!(state, "success");
    let lands = land.lands().await;
    assert_eq!(lands.len(), 1);
    assert_eq!(lands[0].squash_sha, squash);
    assert_eq!(lands[0].head_sha, head);
}
