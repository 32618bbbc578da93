//! The land queue end to end on the fake GitHub with its fake CI: pull
//! requests tested together as a speculative stack on `landq/stack/**`,
//! landed in label order, conflicts and failures taken out with the culprit
//! named, and main never red.

use std::sync::Arc;
use std::time::Duration;

use landq_fake_github::hub::ci::{Ci, Files};
use landq_fake_github::hub::{Event, Fault, Hub};

use crate::land::{LABEL, Land, REPO};

/// The stack check the fake CI reports.
const CHECK: &str = "ci / test";

/// A landq whose repository tests stacks of `depth` with the fake CI, which
/// takes `delay` and passes a commit when `judge` says so.
async fn queue(depth: usize, delay: Duration, judge: fn(&Files) -> bool) -> Land {
    queue_with(&format!("stack_depth = {depth}\n"), delay, judge).await
}

/// As [`queue`], with these lines in `.github/landq.toml`.
async fn queue_with(lines: &str, delay: Duration, judge: fn(&Files) -> bool) -> Land {
    let settings = format!("stack_checks = [\"{CHECK}\"]\n{lines}");
    let land = Land::start_holding(
        &[],
        &[
            (".github/landq.toml", &settings),
            ("src/lib.rs", "fn old\n"),
            ("src/main.rs", "call old\n"),
        ],
    )
    .await;
    land.hub.run_ci(Ci {
        name: CHECK.into(),
        delay,
        judge: Arc::new(judge),
    });
    land.forward_events();
    land
}

/// Passes when every `call NAME` line has a `fn NAME` line somewhere, and
/// no file says BROKEN.
fn builds(files: &Files) -> bool {
    let defined: Vec<&str> = files
        .iter()
        .flat_map(|(_, text)| text.lines())
        .filter_map(|l| l.strip_prefix("fn "))
        .collect();
    files.iter().all(|(_, text)| {
        !text.contains("BROKEN")
            && text
                .lines()
                .filter_map(|l| l.strip_prefix("call "))
                .all(|name| defined.contains(&name))
    })
}

impl Land {
    /// alice's pull request on branch `branch` changing `files`, approved
    /// by bob (an owner of everything outside billing and .github).
    async fn ready(&self, branch: &str, files: &[(&str, Option<&str>)]) -> u64 {
        let pr = self.pull_changing(branch, files);
        self.approve(pr, &["bob"]).await;
        pr
    }

    /// `count` ready pull requests, each adding `docs/{prefix}{n}.md` with
    /// `text(n)` (n from 1), labelled in that order.
    async fn queued(
        &self,
        prefix: &str,
        count: usize,
        text: impl Fn(usize) -> &'static str,
    ) -> Vec<u64> {
        let mut prs = Vec::new();
        for n in 1..=count {
            let path = format!("docs/{prefix}{n}.md");
            prs.push(
                self.ready(&format!("{prefix}{n}"), &[(&path, Some(text(n)))])
                    .await,
            );
        }
        for pr in &prs {
            self.request(*pr).await;
            tokio::time::sleep(Duration::from_millis(2)).await; // distinct label times
        }
        prs
    }

    /// The label event for `pr`, applied now by dan but not yet delivered.
    fn label_later(&self, pr: u64) -> Event {
        self.hub.label(REPO, pr, LABEL, "dan")
    }

    /// The landq feedback on the head of `branch`, once it satisfies `is`.
    async fn feedback_on(
        &self,
        branch: &str,
        what: &str,
        is: impl Fn(&str, &str) -> bool,
    ) -> String {
        self.until(what, |hub| {
            let head = hub.tip(REPO, branch);
            hub.feedback(REPO, &head)
                .is_some_and(|(state, text)| is(&state, &text))
        })
        .await;
        let head = self.hub.tip(REPO, branch);
        self.hub.feedback(REPO, &head).unwrap().1
    }

    /// The parent of commit `sha`.
    fn parent(&self, sha: &str) -> String {
        self.hub.commit_message(REPO, sha).1[0].clone()
    }

    /// The titles of main's last `count` commits, newest first.
    fn history(&self, count: usize) -> Vec<String> {
        let mut commit = self.hub.tip(REPO, "main");
        let mut titles = Vec::new();
        for _ in 0..count {
            let (message, parents) = self.hub.commit_message(REPO, &commit);
            titles.push(message.lines().next().unwrap_or("").to_owned());
            let Some(parent) = parents.first() else { break };
            commit = parent.clone();
        }
        titles
    }

    /// Whether main's files pass the build.
    fn main_builds(&self) -> bool {
        let main = self.hub.tip(REPO, "main");
        self.hub.judge(REPO, &main, builds)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_semantic_conflict_never_reaches_main() {
    let land = queue(4, Duration::from_millis(300), builds).await;
    // Each is green alone: one renames `old`, the other adds a caller of it.
    let rename = land
        .ready(
            "rename",
            &[
                ("src/lib.rs", Some("fn new\n")),
                ("src/main.rs", Some("call new\n")),
            ],
        )
        .await;
    let caller = land
        .ready("caller", &[("src/extra.rs", Some("call old\n"))])
        .await;
    land.request(rename).await;
    land.request(caller).await;

    let squash = land.landed(rename).await;
    let why = land
        .feedback_on("caller", "the caller's failure", |state, _| {
            state == "failure"
        })
        .await;
    assert!(
        why.contains("stack check `ci / test` did not pass (failure)"),
        "{why}"
    );
    land.until("the caller's label removed", |hub| {
        hub.pull_state(REPO, caller).0.is_empty()
    })
    .await;
    assert_eq!(land.hub.tip(REPO, "main"), squash, "only the rename landed");
    assert!(land.main_builds());
    let comments = land.hub.comments(REPO, caller);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(comments[0].contains("ci / test"), "{}", comments[0]);
    assert!(
        comments[0].contains("https://github.com/acme/app/runs/"),
        "links the run: {}",
        comments[0]
    );
    assert!(
        land.hub.comments(REPO, rename).is_empty(),
        "nothing blamed on the rename"
    );

    // Labelled again, it fails again: landq's one comment is edited.
    let runs = land.hub.ci_runs(REPO);
    land.request(caller).await;
    land.until("the second failure", |hub| {
        hub.ci_runs(REPO) > runs && hub.pull_state(REPO, caller).0.is_empty()
    })
    .await;
    assert_eq!(
        land.hub.comments(REPO, caller).len(),
        1,
        "one comment, edited"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lands_follow_label_order_whatever_order_the_nudges_arrive_in() {
    let land = queue(4, Duration::from_millis(500), builds).await;
    let first = land
        .ready("first", &[("docs/first.md", Some("# 1\n"))])
        .await;
    let second = land
        .ready("second", &[("docs/second.md", Some("# 2\n"))])
        .await;
    let labelled_first = land.label_later(first);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let labelled_second = land.label_later(second);

    // The second label's delivery arrives first, and its stack is tested.
    land.send(labelled_second).await;
    land.feedback_on("second", "the second under test", |_, text| {
        text.contains("landq is testing")
    })
    .await;
    land.send(labelled_first).await;

    let first_squash = land.landed(first).await;
    let second_squash = land.landed(second).await;
    assert_eq!(
        land.parent(&second_squash),
        first_squash,
        "labelled first, landed first"
    );
    assert_eq!(land.hub.tip(REPO, "main"), second_squash);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_textual_conflict_is_blocked_naming_the_culprit_and_lands_after_a_rebase() {
    let land = queue(4, Duration::from_millis(300), builds).await;
    let ahead = land
        .ready("ahead", &[("docs/a.md", Some("# Ahead\n"))])
        .await;
    let behind = land
        .ready("behind", &[("docs/a.md", Some("# Behind\n"))])
        .await;
    land.request(ahead).await;
    land.request(behind).await;

    let blocked = land
        .feedback_on("behind", "the conflict", |_, text| {
            text.starts_with("Blocked")
        })
        .await;
    assert!(
        blocked.starts_with(&format!("Blocked: conflicts with #{ahead}")),
        "{blocked}"
    );
    assert!(blocked.contains("`docs/a.md`"), "{blocked}");
    let ahead_squash = land.landed(ahead).await;
    // The culprit landed: still blocked, now by what landed.
    let blocked = land
        .feedback_on("behind", "the conflict with main", |_, text| {
            text.contains("landed on `main`")
        })
        .await;
    assert!(
        blocked.contains(&format!("#{ahead} landed on `main`")),
        "{blocked}"
    );
    assert_eq!(
        land.hub.pull_state(REPO, behind).0,
        [LABEL],
        "blocked, not dropped"
    );

    // The author resolves it; approved again, it lands on top.
    let (_, events) = land.hub.push(
        REPO,
        "behind",
        "main",
        &[
            ("docs/a.md", Some("# Docs\n")),
            ("docs/behind.md", Some("# Behind\n")),
        ],
        "alice",
    );
    for event in events {
        land.send(event).await;
    }
    land.approve(behind, &["bob"]).await;
    let behind_squash = land.landed(behind).await;
    assert_eq!(land.parent(&behind_squash), ahead_squash);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_in_the_middle_of_a_stack_of_four_lands_the_other_three() {
    let land = queue(4, Duration::from_millis(300), builds).await;
    let prs = land
        .queued("p", 4, |n| {
            if n == 2 {
                "BROKEN
"
            } else {
                "# fine
"
            }
        })
        .await;
    let one = land.landed(prs[0]).await;
    let three = land.landed(prs[2]).await;
    let four = land.landed(prs[3]).await;
    assert_eq!(land.parent(&three), one);
    assert_eq!(land.parent(&four), three);
    assert!(land.main_builds());
    let why = land
        .feedback_on("p2", "p2's failure", |state, _| state == "failure")
        .await;
    assert!(why.contains("ci / test"), "{why}");
    assert_eq!(land.hub.pull_state(REPO, prs[1]).2, None, "p2 never landed");

    // The audit log and the statistics, as scripts read them.
    let lands: Vec<serde_json::Value> = land
        .cli(&["lands", REPO, "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let landed: Vec<u64> = lands.iter().map(|l| l["pr"].as_u64().unwrap()).collect();
    assert_eq!(landed, [prs[3], prs[2], prs[0]], "newest first");
    assert_eq!(lands[0]["author"], "alice");
    assert_eq!(lands[0]["title"], "Charge in cents");
    assert_eq!(lands[0]["squash_sha"], four);
    let stats: serde_json::Value =
        serde_json::from_str(&land.cli(&["stats", REPO, "--window", "1d", "--json"])).unwrap();
    assert_eq!(stats["lands"], 3);
    assert_eq!(stats["failures"], serde_json::json!({"check_failed": 1}));
    assert!(stats["land_time"]["max"].as_f64().unwrap() > 0.0, "{stats}");
    let table = land.cli(&["stats", REPO]);
    assert!(table.contains("lands        3"), "{table}");
    assert!(table.contains("failures     check_failed 1"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_to_a_queued_pull_request_takes_it_out_and_rebuilds_the_rest() {
    let land = queue(4, Duration::from_millis(1500), builds).await;
    let prs = land.queued("q", 3, |_| "# q\n").await;
    land.feedback_on("q3", "q3 under test", |_, text| {
        text.contains("landq is testing")
    })
    .await;
    // A push to the middle one: its approval is stale, it leaves the stack.
    let (_, events) = land.hub.push(
        REPO,
        "q2",
        "main",
        &[("docs/q2.md", Some("# q2, again\n"))],
        "alice",
    );
    for event in events {
        land.send(event).await;
    }
    let one = land.landed(prs[0]).await;
    let three = land.landed(prs[2]).await;
    assert_eq!(land.parent(&three), one, "q3 was rebuilt without q2");
    assert_eq!(land.hub.pull_state(REPO, prs[1]).2, None);
    let waiting = land
        .feedback_on("q2", "q2 waiting", |state, _| state == "pending")
        .await;
    assert!(waiting.contains("approved an earlier commit"), "{waiting}");

    land.approve(prs[1], &["bob"]).await;
    let two = land.landed(prs[1]).await;
    assert_eq!(land.parent(&two), three);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_landed_tree_that_differs_from_the_tested_one_freezes_the_queue() {
    let land = queue(4, Duration::from_millis(300), builds).await;
    let first = land
        .ready("first", &[("docs/first.md", Some("# 1\n"))])
        .await;
    let second = land
        .ready("second", &[("docs/second.md", Some("# 2\n"))])
        .await;
    // Someone pushes to main between landq's check of the base and its
    // merge: GitHub squashes onto a tip landq never tested.
    land.hub.fail(
        "PUT",
        &format!("/repos/{REPO}/pulls/{first}/merge"),
        Fault::Before(Arc::new(|hub: &Hub| {
            hub.push(
                REPO,
                "main",
                "main",
                &[("docs/z.md", Some("# pushed\n"))],
                "mallory",
            );
        })),
        1,
    );
    land.request(first).await;
    land.request(second).await;

    land.landed(first).await;
    land.until("the freeze notice", |hub| {
        hub.comments(REPO, first)
            .iter()
            .any(|c| c.contains("landq queue unfreeze acme/app main"))
    })
    .await;
    // The second's stack checks finish; nothing more lands while frozen.
    land.until("the second's stack checks", |hub| hub.ci_runs(REPO) >= 2)
        .await;
    land.drained().await;
    assert_eq!(land.merges(second), 0, "a frozen queue lands nothing");
    let metrics = land.metrics().await;
    assert!(
        metrics.contains("landq_stack_events_total{repo=\"acme/app\",event=\"tree_mismatch\"} 1"),
        "{metrics}"
    );
    let shown = land.cli(&["queue", REPO]);
    assert!(shown.contains("main (FROZEN: GitHub landed"), "{shown}");
    let entries: Vec<serde_json::Value> = land
        .cli(&["queue", REPO, "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["pr"], second);
    assert_eq!(entries[0]["state"], "testing");

    let said = land.cli(&["queue", "unfreeze", REPO, "main"]);
    assert!(
        said.starts_with("unfroze the `main` queue of acme/app"),
        "{said}"
    );
    land.approve(second, &["bob"]).await; // any event moves the queue
    let squash = land.landed(second).await;
    assert_eq!(
        land.hub.file(REPO, "main", "docs/z.md").as_deref(),
        Some("# pushed\n")
    );
    assert_eq!(land.hub.tip(REPO, "main"), squash);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_forward_mode_moves_main_to_the_tested_commits_and_closes_each_pull_request() {
    let land = queue_with(
        "stack_depth = 4\nland_mode = \"fast-forward\"\n",
        Duration::from_millis(300),
        builds,
    )
    .await;
    let prs = land.queued("f", 3, |_| "# f\n").await;
    land.until("all three closed", |hub| {
        prs.iter().all(|pr| {
            let (labels, open, merged) = hub.pull_state(REPO, *pr);
            labels.is_empty() && !open && merged.is_none()
        })
    })
    .await;
    // main is the chain of tested commits, one per pull request, in order.
    let mut commit = land.hub.tip(REPO, "main");
    for pr in prs.iter().rev() {
        let (message, parents) = land.hub.commit_message(REPO, &commit);
        assert!(
            message.starts_with(&format!("Charge in cents (#{pr})")),
            "{message}"
        );
        assert!(message.contains("Approved-by: bob"), "{message}");
        assert_eq!(parents.len(), 1);
        let comments = land.hub.comments(REPO, *pr);
        assert_eq!(comments.len(), 1, "{comments:?}");
        assert!(
            comments[0].contains(&format!("as {commit}")),
            "{}",
            comments[0]
        );
        assert!(
            comments[0].contains("closed rather than merged"),
            "{}",
            comments[0]
        );
        commit = parents[0].clone();
    }
    let lands = land.lands().await;
    assert_eq!(lands.len(), 3);
    assert!(land.main_builds());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_kill_loop_a_stack_of_ten_lands_each_once_in_order() {
    const PULLS: usize = 10;
    // SIGKILL at points that fall anywhere: building the stack, reading its
    // checks, merging, recording, reporting.
    const KILL_EVERY_MS: [u64; 5] = [15, 60, 5, 120, 30];
    let settings = format!("stack_checks = [\"{CHECK}\"]\nstack_depth = 10\n");
    let mut land = Land::start_holding(
        &[("LANDQ_REPOS", REPO), ("LANDQ_RECONCILE_INTERVAL", "1")],
        &[(".github/landq.toml", &settings)],
    )
    .await;
    land.hub.run_ci(Ci {
        name: CHECK.into(),
        delay: Duration::from_millis(200),
        judge: Arc::new(builds),
    });
    land.forward_events();
    let prs = land.queued("k", PULLS, |_| "# k\n").await;
    let mut kills = 0;
    while prs
        .iter()
        .any(|pr| land.hub.pull_state(REPO, *pr).2.is_none())
    {
        assert!(kills < 400, "lands stalled under the kill loop");
        let pause = KILL_EVERY_MS[kills % KILL_EVERY_MS.len()];
        tokio::time::sleep(Duration::from_millis(pause)).await;
        land.restart();
        kills += 1;
    }
    let mut squashes = Vec::new();
    for &pr in &prs {
        squashes.push(land.landed(pr).await);
        assert_eq!(
            land.merges(pr),
            1,
            "pull request {pr} merged more than once"
        );
        let branch = format!("k{}", pr - prs[0] + 1);
        land.feedback_on(&branch, "the landed report", |state, _| state == "success")
            .await;
        assert!(
            land.hub.comments(REPO, pr).is_empty(),
            "a failure reported on {pr}"
        );
    }
    let history = land.history(PULLS);
    for pair in squashes.windows(2) {
        assert_eq!(
            land.parent(&pair[1]),
            pair[0],
            "landed in label order: {history:#?}"
        );
    }
    land.until("no branch of landq left", |hub| {
        hub.branches(REPO, "landq/").is_empty()
    })
    .await;
    assert_eq!(land.lands().await.len(), PULLS);
    eprintln!("queue kill loop: {PULLS} lands, {kills} SIGKILLs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flaky_stack_check_is_run_again_before_anyone_is_blamed() {
    let land = queue_with("stack_retries = 1\n", Duration::from_millis(200), builds).await;
    // The first run fails whatever it tests; every later run judges.
    let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = runs.clone();
    land.hub.run_ci(Ci {
        name: CHECK.into(),
        delay: Duration::from_millis(200),
        judge: Arc::new(move |files| {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 0 && builds(files)
        }),
    });
    let pr = land
        .ready("flaky", &[("docs/flaky.md", Some("# f\n"))])
        .await;
    land.request(pr).await;
    land.landed(pr).await;
    assert_eq!(land.hub.ci_runs(REPO), 2, "one failed run, one retry");
    assert!(land.hub.comments(REPO, pr).is_empty(), "nothing blamed");
    let metrics = land.metrics().await;
    assert!(
        metrics.contains("landq_stack_events_total{repo=\"acme/app\",event=\"retried\"} 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_pull_request_a_land_made_unmergeable_is_told_which_land_did_it() {
    let land = Land::start().await;
    let landed = land
        .ready("first", &[("docs/a.md", Some("# First\n"))])
        .await;
    let waiting = land.pull_changing("second", &[("docs/a.md", Some("# Second\n"))]);
    land.request(waiting).await; // not approved yet: it waits
    land.request(landed).await;
    land.landed(landed).await;

    // Its next event: it still waits for an approval, and now for a rebase.
    land.send(land.hub.review(REPO, waiting, "carol", "COMMENTED"))
        .await;
    // (A commit status keeps 140 characters: the queue shows every reason.)
    land.until("the conflict named", |_| {
        land.cli(&["queue", REPO]).contains("landed on")
    })
    .await;
    let shown = land.cli(&["queue", REPO]);
    assert!(
        shown.contains(&format!(
            "#{landed} landed on `main` and conflicts with this pull request in `docs/a.md`"
        )),
        "{shown}"
    );
    assert!(shown.contains("needs 1 approval(s)"), "{shown}");
    land.approve(waiting, &["bob"]).await;
    let text = land
        .feedback_on("second", "blocked", |_, text| text.starts_with("Blocked"))
        .await;
    assert!(
        text.starts_with(&format!(
            "Blocked: conflicts with #{landed}, landed on `main`"
        )),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn among_several_pull_requests_on_the_same_file_the_culprit_is_found_by_bisection() {
    let lines = |changed: &[(usize, &str)]| -> String {
        (1..=30)
            .map(|i| {
                let text = changed
                    .iter()
                    .find(|(n, _)| *n == i)
                    .map_or(format!("line {i}"), |(_, t)| t.to_string());
                format!("{text}\n")
            })
            .collect()
    };
    let land = queue(4, Duration::from_millis(2000), builds).await;
    land.hub.push(
        REPO,
        "main",
        "main",
        &[("docs/big.md", Some(&lines(&[])))],
        "octocat",
    );
    let mut prs = Vec::new();
    for (branch, line, text) in [
        ("a", 5, "A"),
        ("b", 15, "B"),
        ("c", 25, "C"),
        ("d", 15, "D"),
    ] {
        let content = lines(&[(line, text)]);
        prs.push(land.ready(branch, &[("docs/big.md", Some(&content))]).await);
    }
    for pr in &prs {
        land.request(*pr).await;
    }
    let blocked = land
        .feedback_on("d", "d blocked", |_, text| text.starts_with("Blocked"))
        .await;
    assert!(
        blocked.starts_with(&format!("Blocked: conflicts with #{}", prs[1])),
        "b, not a or c: {blocked}"
    );
    for pr in &prs[..3] {
        land.landed(*pr).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_labelled_earlier_whose_events_never_came_still_lands_first() {
    let land = Land::start().await; // no reconcile
    let first = land.pull_changing("first", &[("docs/first.md", Some("# 1\n"))]);
    let second = land.pull_changing("second", &[("docs/second.md", Some("# 2\n"))]);
    for pr in [first, second] {
        land.hub.review(REPO, pr, "bob", "APPROVED");
    }
    land.label_later(first);
    tokio::time::sleep(Duration::from_millis(5)).await;
    land.label_later(second);
    // Only the second's label is ever delivered.
    land.send(land.hub.label(REPO, second, LABEL, "dan")).await;

    let first_squash = land.landed(first).await;
    let second_squash = land.landed(second).await;
    assert_eq!(
        land.parent(&second_squash),
        first_squash,
        "labelled first, landed first"
    );
}

/// A landq whose first pull request landed and whose second is under test
/// (its CI takes two minutes): what the dashboard has to show.
async fn landed_and_testing() -> (Land, u64, u64) {
    let land = queue(4, Duration::from_millis(200), builds).await;
    let first = land
        .ready("first", &[("docs/first.md", Some("# 1\n"))])
        .await;
    land.request(first).await;
    land.landed(first).await;
    land.hub.run_ci(Ci {
        name: CHECK.into(),
        delay: Duration::from_secs(120),
        judge: Arc::new(builds),
    });
    let second = land
        .ready("second", &[("docs/second.md", Some("# 2\n"))])
        .await;
    land.request(second).await;
    land.feedback_on("second", "the second under test", |_, text| {
        text.contains("landq is testing")
    })
    .await;
    (land, first, second)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_api_shows_the_stack_the_lands_and_the_stats() {
    let (land, first, second) = landed_and_testing().await;
    let client = reqwest::Client::new();
    let get = |path: &str| {
        let request = client.get(format!("{}{path}", land.url())).send();
        async move {
            request
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let queue = get("/api/v1/repos/acme/app/queue").await;
    let entry = &queue["branches"][0]["entries"][0];
    assert_eq!(entry["pr"], second);
    assert_eq!(entry["state"], "testing");
    assert_eq!(entry["position"], 1);
    assert_eq!(entry["stack_branch"], format!("landq/stack/{second}"));
    let commit = entry["speculative_commit"].as_str().unwrap();
    assert_eq!(land.hub.tip(REPO, &format!("landq/stack/{second}")), commit);
    let lands = get("/api/v1/repos/acme/app/lands").await;
    assert_eq!(lands["lands"][0]["pr"], first);
    assert_eq!(lands["lands"][0]["author"], "alice");
    let stats = get("/api/v1/repos/acme/app/stats?window=1d").await;
    assert_eq!(stats["lands"], 1);
    let repos = get("/api/v1/repos").await;
    assert_eq!(repos[0]["queue_length"], 1);
    let doc = get("/api/openapi.json").await;
    assert!(doc["paths"]["/api/v1/repos/{owner}/{repo}/lands"].is_object());

    // An author: GitHub's profile, read once, then held; their work from the store.
    land.hub.user("alice", Some("alice@example.com"), 12);
    let author = get("/api/v1/authors/alice").await;
    assert_eq!(author["profile"]["followers"], 12);
    assert_eq!(author["profile"]["email"], "alice@example.com");
    assert_eq!(author["repos"][0]["repo"], REPO);
    assert_eq!(author["repos"][0]["lands"], 1);
    assert_eq!(
        author["repos"][0]["open_labelled"],
        serde_json::json!([second])
    );
    assert!(author["repos"][0]["median_land_seconds"].as_f64().is_some());
    get("/api/v1/authors/alice").await;
    assert_eq!(
        land.hub.count("GET", "/users/alice"),
        1,
        "warm: no GitHub request"
    );
    let missing = client
        .get(format!("{}/api/v1/authors/nobody-here", land.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_sign_in_configured_landq_serve_shows_each_person_what_github_lets_them_read() {
    let land = Land::start_with(&[
        ("LANDQ_OAUTH_CLIENT_ID", "Iv1.e2e"),
        ("LANDQ_OAUTH_CLIENT_SECRET", "e2e-client-secret"),
        ("LANDQ_REPOS", REPO),
    ])
    .await;
    land.hub.make_private(REPO);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str, token: Option<&str>| {
        let mut request = client.get(format!("{}{path}", land.url()));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let answer = request.send().await.unwrap();
            let location = answer
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            (
                answer.status().as_u16(),
                location,
                answer.text().await.unwrap(),
            )
        }
    };
    // Even on loopback: sign-in first.
    let (status, _, page) = get("/", None).await;
    assert_eq!(status, 401);
    assert!(page.contains("Sign in with GitHub"), "{page}");
    let (status, to, _) = get("/auth/login?next=/", None).await;
    assert_eq!(status, 303);
    let to = to.unwrap();
    assert!(
        to.starts_with(&format!(
            "{}/login/oauth/authorize?client_id=Iv1.e2e",
            land.hub.url()
        )),
        "{to}"
    );
    // dan holds a role on the private repository; mallory does not.
    let dan = land.hub.person_token("dan");
    let (status, _, repos) = get("/api/v1/repos", Some(&dan)).await;
    assert_eq!(status, 200);
    assert!(repos.contains(REPO), "{repos}");
    let mallory = land.hub.person_token("mallory");
    let (status, _, repos) = get("/api/v1/repos", Some(&mallory)).await;
    assert_eq!((status, repos.as_str()), (200, "[]"));
    let (status, _, _) = get("/api/v1/repos/acme/app/queue", Some(&mallory)).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium (Debian's package): scripts/test runs it"]
async fn the_queue_page_in_headless_chromium_shows_the_queued_pull_request_and_the_chart() {
    let (land, first, second) = landed_and_testing().await;
    let profile = tempfile::TempDir::new().unwrap();
    let page = format!("{}/repos/acme/app", land.url());
    let out =
        tokio::process::Command::new(std::env::var("LANDQ_CHROMIUM").unwrap_or("chromium".into()))
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--dump-dom",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(&page)
            .output()
            .await
            .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // What a person sees: the pull request under test, linked, its state,
    // its speculative commit, the land before it, and the chart.
    // (Links go to GitHub's web root, here the fake's own URL.)
    let link = format!(r#"href="{}/acme/app/pull/{second}""#, land.hub.url());
    assert!(dom.contains(&link), "{dom}");
    assert!(dom.contains("Charge in cents"), "{dom}");
    assert!(dom.contains(r#"<td class="state">testing</td>"#), "{dom}");
    assert!(dom.contains(&format!("#{first}")), "{dom}");
    assert!(
        dom.contains("<svg") && dom.contains("<polyline"),
        "the chart: {dom}"
    );
}
