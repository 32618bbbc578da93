//! The land queue's judgements and texts: whether a speculative commit's
//! stack checks passed, and what a queued pull request shows while it waits
//! its turn, is tested, is blocked by a conflict or is taken out.
//!
//! The worker builds the stack (speculative commit S_k = S_(k-1) plus pull
//! request k); this module only says what the checks on S_k mean and how
//! each state reads on the pull request. Snapshot tests pin every text.

use std::time::Duration;

use crate::facts::{Check, CheckOutcome};
use crate::feedback::{Report, Standing, list};

/// Where the stack checks of one speculative commit stand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StackVerdict {
    /// Every stack check succeeded.
    Passed,
    /// Some check has not finished; `started` tells whether any check at all
    /// has appeared on the commit (none means the CI may not be triggered).
    Pending {
        /// Whether any check run or status exists on the commit.
        started: bool,
        /// The stack checks not finished yet.
        waiting: Vec<String>,
    },
    /// A stack check failed.
    Failed {
        /// Its name.
        check: String,
        /// GitHub's conclusion (`failure`, `timed_out`, …).
        conclusion: String,
        /// Its page, when GitHub gave one.
        url: Option<String>,
    },
}

/// Judges the checks found on a speculative commit against the `required`
/// stack checks: the first failure in `required` order, else pending while
/// any is missing or running, else passed.
pub fn judge(checks: &[Check], required: &[String]) -> StackVerdict {
    let mut waiting = Vec::new();
    for name in required {
        match checks.iter().find(|c| &c.name == name) {
            Some(Check {
                outcome: CheckOutcome::Failed(conclusion),
                url,
                ..
            }) => {
                return StackVerdict::Failed {
                    check: name.clone(),
                    conclusion: conclusion.clone(),
                    url: url.clone(),
                };
            }
            Some(Check {
                outcome: CheckOutcome::Passed,
                ..
            }) => {}
            _ => waiting.push(name.clone()),
        }
    }
    match waiting.is_empty() {
        true => StackVerdict::Passed,
        false => StackVerdict::Pending {
            started: !checks.is_empty(),
            waiting,
        },
    }
}

/// What a blocked pull request conflicts with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Culprit {
    /// The base branch as it is (a landed pull request, if landq knows which).
    Base {
        /// The base branch.
        base: String,
        /// The landed pull request whose changes overlap, if any.
        landed: Option<u64>,
    },
    /// A pull request ahead in the queue.
    Ahead(u64),
}

/// Position `position` (1-based) of `of` in the queue, behind `ahead`.
pub fn queued(position: usize, of: usize, ahead: &[u64]) -> Report {
    Report {
        standing: Standing::Queued,
        title: format!("Queued: {position} of {of}"),
        summary: match ahead.is_empty() {
            true => "Next to be tested.\n".into(),
            false => format!("Lands after {}.\n", pulls(ahead)),
        },
    }
}

/// Being tested as speculative commit `commit` (its page: `page`) on branch
/// `branch`: this pull request squashed on top of `base` and the pull
/// requests `ahead`.
pub fn testing(
    base: &str,
    ahead: &[u64],
    commit: &str,
    page: &str,
    branch: &str,
    checks: &[String],
) -> Report {
    let on_top = std::iter::once(format!("`{base}`"))
        .chain(ahead.iter().map(|n| format!("#{n}")))
        .collect::<Vec<_>>()
        .join(" + ");
    Report {
        standing: Standing::Testing,
        title: format!("Testing: {} of the stack", ahead.len() + 1),
        summary: format!(
            "landq is testing [{}]({page}) (branch `{branch}`): this pull request squashed on top of \
             {on_top}. It lands once these checks pass there{}: {}.\n",
            short(commit),
            match ahead.is_empty() {
                true => String::new(),
                false => format!(" and {} landed", pulls(ahead)),
            },
            names(checks),
        ),
    }
}

/// Why a pull request cannot land: pull request `landed`, which landed on
/// `base`, changed the same `files`.
pub fn landed_conflict(base: &str, landed: u64, files: &[String]) -> String {
    format!(
        "#{landed} landed on `{base}` and conflicts with this pull request{}: merge `{base}` \
         into the branch or rebase it",
        in_files(files)
    )
}

fn in_files(files: &[String]) -> String {
    match files.is_empty() {
        true => String::new(),
        false => format!(" in {}", names(files)),
    }
}

/// Blocked by a textual conflict with `culprit` over `files`.
pub fn blocked(culprit: &Culprit, paths: &[String]) -> Report {
    let files = in_files(paths);
    let (title, summary) = match culprit {
        Culprit::Ahead(n) => (
            format!("Blocked: conflicts with #{n}"),
            format!(
                "This pull request conflicts with #{n}, ahead of it in the queue{files}. It \
                 stays labelled and re-enters the queue by itself when its head changes or #{n} \
                 leaves the queue without landing; if #{n} lands, rebase onto it.\n"
            ),
        ),
        Culprit::Base {
            base,
            landed: Some(n),
        } => (
            format!("Blocked: conflicts with #{n}, landed on `{base}`"),
            format!(
                "{}. It re-enters the queue by itself when its head changes.\n",
                landed_conflict(base, *n, paths)
            ),
        ),
        Culprit::Base { base, landed: None } => (
            format!("Blocked: conflicts with `{base}`"),
            format!(
                "This pull request conflicts with `{base}`{files}: merge `{base}` into the \
                 branch or rebase it. It re-enters the queue by itself when its head changes.\n"
            ),
        ),
    };
    Report {
        standing: Standing::Blocked,
        title,
        summary,
    }
}

/// Why a pull request left the queue: stack check `check` failed on its
/// speculative commit `commit`.
pub fn check_failed(check: &str, conclusion: &str, url: Option<&str>, commit: &str) -> String {
    let link = url.map(|u| format!(": {u}")).unwrap_or_default();
    format!(
        "stack check `{check}` did not pass ({conclusion}) on {}, this pull request on top of \
         the queue ahead of it{link}",
        short(commit)
    )
}

/// Why a pull request left the queue: no check appeared on its speculative
/// commit within `timeout`, so the CI is probably not triggered there.
pub fn never_started(checks: &[String], timeout: Duration) -> String {
    format!(
        "no check appeared on landq's test commit within {}: the workflow that runs {} must \
         also run on pushes to landq's stack branches. Add to its `on:` section:\n\n\
         ```yaml\non:\n  push:\n    branches: [\"landq/stack/**\"]\n```",
        humantime::format_duration(timeout),
        names(checks)
    )
}

/// Why a pull request left the queue: its stack checks ran longer than
/// `timeout`.
pub fn timed_out(waiting: &[String], timeout: Duration) -> String {
    format!(
        "{} did not finish on landq's test commit within {} (`stack_timeout`)",
        names(waiting),
        humantime::format_duration(timeout)
    )
}

/// Why the queue of `base` froze: GitHub landed pull request `pr` as
/// `landed`, whose tree differs from the tree landq tested.
pub fn tree_mismatch(
    repo: &str,
    base: &str,
    pr: u64,
    landed: &str,
    landed_tree: &str,
    tested_tree: &str,
) -> String {
    format!(
        "GitHub landed #{pr} on `{base}` as {landed} with tree {landed_tree}, but landq tested \
         tree {tested_tree}: `{base}` now holds a combination nobody tested. landq lands \
         nothing more on `{base}` until someone checks it and runs \
         `landq queue unfreeze {repo} {base}`"
    )
}

/// The comment on a pull request landed by fast-forwarding `base` to its
/// tested commit `sha`, before landq closes it.
pub fn fast_forwarded(base: &str, sha: &str) -> String {
    format!(
        "landq landed this pull request on `{base}` as {sha}: `{base}` now points at the \
         commit landq tested (`land_mode = \"fast-forward\"`). GitHub shows the pull request \
         closed rather than merged; the commit is {sha}."
    )
}

/// Why nothing lands while the queue of `base` is frozen.
pub fn frozen(base: &str, why: &str) -> String {
    format!("the `{base}` queue is frozen: {why}")
}

/// The first 12 characters of a commit SHA, as people read them.
pub fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

fn pulls(numbers: &[u64]) -> String {
    list(numbers.iter().map(|n| format!("#{n}")))
}

/// Checks or paths, each in backquotes.
fn names(items: &[String]) -> String {
    list(items.iter().map(|c| format!("`{c}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, outcome: CheckOutcome) -> Check {
        Check {
            name: name.into(),
            outcome,
            url: Some(format!("https://ci.example/{name}")),
        }
    }

    fn required() -> Vec<String> {
        vec!["test".into(), "lint".into()]
    }

    #[test]
    fn no_check_at_all_is_pending_and_not_started() {
        assert_eq!(
            judge(&[], &required()),
            StackVerdict::Pending {
                started: false,
                waiting: required()
            }
        );
    }

    #[test]
    fn an_unrelated_check_means_the_ci_started() {
        let checks = [check("deploy-preview", CheckOutcome::Passed)];
        assert!(matches!(
            judge(&checks, &required()),
            StackVerdict::Pending { started: true, .. }
        ));
    }

    #[test]
    fn every_required_check_must_pass() {
        let mut checks = vec![
            check("test", CheckOutcome::Passed),
            check("lint", CheckOutcome::Pending),
        ];
        assert_eq!(
            judge(&checks, &required()),
            StackVerdict::Pending {
                started: true,
                waiting: vec!["lint".into()]
            }
        );
        checks[1].outcome = CheckOutcome::Passed;
        assert_eq!(judge(&checks, &required()), StackVerdict::Passed);
    }

    #[test]
    fn a_failure_is_named_even_while_others_run() {
        let checks = [
            check("test", CheckOutcome::Pending),
            check("lint", CheckOutcome::Failed("failure".into())),
        ];
        assert_eq!(
            judge(&checks, &required()),
            StackVerdict::Failed {
                check: "lint".into(),
                conclusion: "failure".into(),
                url: Some("https://ci.example/lint".into()),
            }
        );
    }

    #[test]
    fn every_queue_text() {
        let commit = "5e1f0c3b2a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f";
        let checks = vec!["ci / test".to_owned()];
        let mut shown = String::new();
        for report in [
            queued(1, 1, &[]),
            queued(3, 5, &[12, 14]),
            testing(
                "main",
                &[],
                commit,
                "https://github.com/acme/app/commit/5e1f",
                "landq/stack/15",
                &checks,
            ),
            testing(
                "main",
                &[12, 14],
                commit,
                "https://github.com/acme/app/commit/5e1f",
                "landq/stack/15",
                &checks,
            ),
            blocked(&Culprit::Ahead(12), &["billing/pay.rs".into()]),
            blocked(
                &Culprit::Base {
                    base: "main".into(),
                    landed: Some(9),
                },
                &["docs/a.md".into(), "docs/b.md".into()],
            ),
            blocked(
                &Culprit::Base {
                    base: "main".into(),
                    landed: None,
                },
                &[],
            ),
        ] {
            shown.push_str(&report.shown());
        }
        for reason in [
            check_failed(
                "ci / test",
                "failure",
                Some("https://github.com/acme/app/runs/7"),
                commit,
            ),
            never_started(&checks, Duration::from_secs(600)),
            timed_out(&checks, Duration::from_secs(7200)),
            tree_mismatch("acme/app", "main", 12, commit, "aaaa", "bbbb"),
            fast_forwarded("main", commit),
            landed_conflict("main", 9, &["docs/a.md".into()]),
            frozen("main", "someone must look"),
        ] {
            shown.push_str(&reason);
            shown.push_str("\n\n");
        }
        insta::assert_snapshot!(shown);
    }
}
