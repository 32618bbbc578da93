//! Reminders on the git-backed fake GitHub and a fake Slack on loopback:
//! each stale pull request is announced once however many processes run,
//! again only after `every`; Slack's 429 is waited out; a failed post
//! announces nothing; warm runs cost GitHub only 304s.

use std::time::Duration;

use landq_fake_github::Stub;
use landq_fake_github::hub::Hub;
use landq_github::retry::RetryPolicy;
use landq_github::{Auth, GitHub};
use landq_org::remind::{Outcome, remind};
use landq_org::slack::Slack;
use landq_store::now_ms;
use landq_store::sqlite::SqliteStore;
use landq_store::{EntryState, QueueEntry, Store};
use serde_json::json;
use tempfile::TempDir;

const REPO: &str = "acme/app";
const TOKEN: &str = "remind-token";
const POST: &str = "POST /chat.postMessage";
const DAY: Duration = Duration::from_secs(86_400);

struct World {
    hub: Hub,
    github: GitHub,
    slack_url: String,
    stub: Stub,
    dir: TempDir,
    /// Stale and unreviewed, asked @bob and @acme/eng.
    stale: u64,
}

fn posted_ok() -> serde_json::Value {
    json!({"ok": true, "channel": "C1", "ts": "1.1", "message": {"ts": "1.1", "text": "x"}})
}

async fn world() -> World {
    let hub = Hub::start().await;
    hub.require_token(TOKEN);
    hub.create_repo(
        REPO,
        None,
        &[(
            ".github/landq.toml",
            "[remind]\nafter = \"2d\"\nevery = \"1d\"\nchannel = \"#eng\"\n",
        )],
    );
    let open = |title: &str, ago: Duration| {
        let (head, _) = hub.push(
            REPO,
            &format!("b{title}"),
            "main",
            &[(title, Some("x\n"))],
            "alice",
        );
        let _ = head;
        let pr = hub.open_pull(REPO, "alice", &format!("b{title}"), "main", title, "");
        hub.opened_ago(REPO, pr, ago);
        pr
    };
    let stale = open("Stale", 3 * DAY);
    hub.request_review(REPO, stale, "bob");
    hub.request_review(REPO, stale, "acme/eng");
    let reviewed = open("Reviewed", 3 * DAY);
    hub.review(REPO, reviewed, "bob", "COMMENTED");
    let draft = open("Draft", 3 * DAY);
    hub.set_draft(REPO, draft, true);
    open("Fresh", Duration::from_secs(3_600));

    let stub = Stub::default();
    stub.on_with(
        POST,
        200,
        vec![("content-type", "application/json".into())],
        posted_ok(),
    );
    let slack_url = stub.start().await;
    let github = GitHub::new(
        hub.url(),
        Auth::Token(TOKEN.to_owned().into()),
        RetryPolicy::default(),
    )
    .unwrap();
    World {
        hub,
        github,
        slack_url,
        stub,
        dir: TempDir::new().unwrap(),
        stale,
    }
}

impl World {
    fn slack(&self) -> Slack {
        Slack::bot("xoxb-test-token", Some(&self.slack_url)).unwrap()
    }

    /// A process's own connection to the shared store.
    fn store(&self) -> SqliteStore {
        SqliteStore::open(self.dir.path()).unwrap()
    }

    fn texts(&self) -> Vec<String> {
        self.stub
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(route, _, _)| route == POST)
            .map(|(_, _, body)| body["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_announce_each_stale_pull_request_once_then_again_after_every() {
    let world = world().await;
    // A labelled pull request waiting three days for an owner.
    let waiting = QueueEntry {
        state: EntryState::Waiting,
        title: "Pay faster".into(),
        author: "dan".into(),
        reasons: vec!["`billing/pay.rs` needs an approval from @carol or @acme/billing".into()],
        ..QueueEntry::requested(REPO, 99, "main", "dan", now_ms() - 3 * 86_400_000)
    };
    world.store().put_entry(&waiting).await.unwrap();

    let now = now_ms();
    let runs = (0..3).map(|i| {
        let (store, slack, repo) = (
            world.store(),
            world.slack(),
            world.github.repo(None, REPO).unwrap(),
        );
        async move {
            remind(&repo, &store, &slack, &format!("process-{i}"), now)
                .await
                .unwrap()
        }
    });
    let outcomes = futures::future::join_all(runs).await;
    let announced: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Announced(_)))
        .collect();
    assert_eq!(
        announced,
        [&Outcome::Announced(vec![world.stale, 99])],
        "{outcomes:?}"
    );
    let texts = world.texts();
    assert_eq!(texts.len(), 1);
    let url = format!("https://github.com/{REPO}/pull/{}", world.stale);
    assert!(
        texts[0].contains(&format!(
            "<{url}|#{} Stale> by alice, waiting 3d: no review yet; asked @bob, @acme/eng",
            world.stale
        )),
        "{}",
        texts[0]
    );
    assert!(
        texts[0].contains(
            "#99 Pay faster> by dan, waiting 3d: waiting for an owner; asked @acme/billing, @carol"
        ),
        "{}",
        texts[0]
    );
    assert_eq!(world.stub.body_of(POST)["channel"], "#eng");
    assert!(
        !texts[0].contains("Reviewed")
            && !texts[0].contains("Draft")
            && !texts[0].contains("Fresh")
    );

    // Within `every`: quiet; a day later: announced again.
    let repo = world.github.repo(None, REPO).unwrap();
    let store = world.store();
    let again = remind(&repo, &store, &world.slack(), "process-4", now + 3_600_000)
        .await
        .unwrap();
    assert_eq!(again, Outcome::Quiet);
    let later = remind(&repo, &store, &world.slack(), "process-5", now + 86_400_000)
        .await
        .unwrap();
    assert_eq!(later, Outcome::Announced(vec![world.stale, 99]));
    assert_eq!(world.texts().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_runs_cost_github_only_not_modified_answers() {
    let world = world().await;
    let repo = world.github.repo(None, REPO).unwrap();
    let store = world.store();
    let now = now_ms();
    let count = |from: usize| {
        let seen = world.hub.seen();
        let seen = &seen[from..];
        (seen.len(), seen.iter().filter(|s| s.status == 304).count())
    };
    let before = world.hub.seen().len();
    remind(&repo, &store, &world.slack(), "p", now)
        .await
        .unwrap();
    // Settings, the list of open pull requests, and the reviews of the two
    // old enough that are not drafts.
    assert_eq!(count(before), (4, 0));
    let before = world.hub.seen().len();
    remind(&repo, &store, &world.slack(), "p", now + 86_400_000)
        .await
        .unwrap();
    assert_eq!(count(before), (4, 4), "every read answered 304");
}

#[tokio::test(start_paused = true)]
async fn slacks_429_is_waited_out_and_a_failed_post_announces_nothing() {
    let world = world().await;
    world.stub.script.lock().unwrap().clear();
    world.stub.on_with(
        POST,
        429,
        vec![
            ("content-type", "application/json".into()),
            ("retry-after", "30".into()),
        ],
        json!({"ok": false, "error": "ratelimited"}),
    );
    world.stub.on_with(
        POST,
        200,
        vec![("content-type", "application/json".into())],
        posted_ok(),
    );
    let repo = world.github.repo(None, REPO).unwrap();
    let store = world.store();
    let started = tokio::time::Instant::now();
    let outcome = remind(&repo, &store, &world.slack(), "p", now_ms())
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::Announced(vec![world.stale]));
    assert_eq!(world.stub.count(POST), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(30),
        "posted again before Retry-After"
    );

    // Slack refuses: nothing counts as announced, the next run tries again.
    let world = self::world().await;
    world.stub.script.lock().unwrap().clear();
    world.stub.on_with(
        POST,
        200,
        vec![("content-type", "application/json".into())],
        json!({"ok": false, "error": "channel_not_found"}),
    );
    let repo = world.github.repo(None, REPO).unwrap();
    let store = world.store();
    let err = remind(&repo, &store, &world.slack(), "p", now_ms())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Slack: Slack refused the message: channel_not_found"
    );
    assert!(!err.to_string().contains("xoxb"));
    world.stub.script.lock().unwrap().clear();
    world.stub.on_with(
        POST,
        200,
        vec![("content-type", "application/json".into())],
        posted_ok(),
    );
    let outcome = remind(&repo, &store, &world.slack(), "p", now_ms())
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::Announced(vec![world.stale]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repository_another_process_holds_is_left_to_it() {
    let world = world().await;
    let store = world.store();
    let now = now_ms();
    assert!(
        store
            .lease(&format!("remind/{REPO}"), "other", now, now + 60_000)
            .await
            .unwrap()
    );
    let repo = world.github.repo(None, REPO).unwrap();
    let outcome = remind(&repo, &store, &world.slack(), "me", now)
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::Busy);
    assert_eq!(world.stub.count(POST), 0);
    // Once the lease runs out, the next run does the work.
    let outcome = remind(&repo, &store, &world.slack(), "me", now + 60_000)
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::Announced(vec![world.stale]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incoming_webhook_posts_to_its_own_channel() {
    let world = world().await;
    let hook = "POST /services/T000/B000/XXXX";
    world.stub.on(hook, 200, json!("ok"));
    let slack = Slack::webhook(&format!("{}/services/T000/B000/XXXX", world.slack_url)).unwrap();
    let repo = world.github.repo(None, REPO).unwrap();
    let outcome = remind(&repo, &world.store(), &slack, "p", now_ms())
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::Announced(vec![world.stale]));
    let body = world.stub.body_of(hook);
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .starts_with("*acme/app*: 1 pull request waits for review")
    );
    assert!(body.get("channel").is_none());
}
