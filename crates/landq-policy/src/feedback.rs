//! Every text a pull request shows, in one place: why a decision waits
//! ([`Reason`]'s `Display`), what the `landq` check run (or, with a token,
//! commit status) says ([`Report`]), and the comment when landq gives up
//! ([`refusal_comment`]). Each names what is missing and who can provide it;
//! snapshot tests pin every one.

use std::fmt;

use crate::decide::Reason;
use crate::facts::{Permission, PullState};
use crate::rules::{Owner, RuleError};
use crate::settings::SETTINGS_PATH;

/// GitHub keeps this many characters of a commit status's description.
pub const STATUS_DESCRIPTION_CHARS: usize = 140;

/// Where a pull request stands, as its `landq` check reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Something is missing; it may still land.
    Waiting,
    /// Ready, waiting its turn in the queue.
    Queued,
    /// Its speculative commit is being tested.
    Testing,
    /// Blocked by a conflict; re-enters the queue by itself.
    Blocked,
    /// Landed.
    Landed,
    /// landq gave up and removed the label.
    Failed,
}

/// What the `landq` check run or commit status says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Where it stands.
    pub standing: Standing,
    /// The one-line title.
    pub title: String,
    /// The Markdown summary (empty when the title says it all).
    pub summary: String,
}

impl Report {
    /// Waiting for what `reasons` name.
    pub fn waiting(reasons: &[String]) -> Report {
        Report {
            standing: Standing::Waiting,
            title: "Waiting to land".into(),
            summary: bullets(reasons),
        }
    }

    /// Landed as squash commit `sha`.
    pub fn landed(sha: &str) -> Report {
        Report {
            standing: Standing::Landed,
            title: format!("Landed as {sha}"),
            summary: String::new(),
        }
    }

    /// Not landed, for `reasons`.
    pub fn failed(reasons: &[String]) -> Report {
        Report {
            standing: Standing::Failed,
            title: "Not landed".into(),
            summary: bullets(reasons),
        }
    }

    /// The report as one line of plain text (Markdown links keep their
    /// text), as short as a commit status keeps it.
    pub fn status_line(&self) -> String {
        let line = match self.summary.is_empty() {
            true => self.title.clone(),
            false => format!(
                "{}: {}",
                self.title,
                unlink(&self.summary).replace('\n', " ")
            ),
        };
        line.chars().take(STATUS_DESCRIPTION_CHARS).collect()
    }
}

#[cfg(test)]
impl Report {
    /// Standing, title, summary and status line, as the snapshots show them.
    pub(crate) fn shown(&self) -> String {
        format!(
            "[{:?}] {}\n{}status: {}\n\n",
            self.standing,
            self.title,
            self.summary,
            self.status_line()
        )
    }
}

/// `text` with each Markdown link `[label](url)` reduced to its label.
fn unlink(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let link = after.find("](").and_then(|mid| {
            let close = after[mid + 2..].find(')')?;
            Some((mid, mid + 2 + close))
        });
        let Some((mid, close)) = link else { break };
        out.push_str(&rest[..open]);
        out.push_str(&after[..mid]);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The comment when landq removes the land `label` and gives up.
pub fn refusal_comment(label: &str, reasons: &[String]) -> String {
    format!(
        "landq removed the `{label}` label and will not land this pull request:\n\n{}\n\
         Fix the above, then apply the label again.",
        bullets(reasons)
    )
}

/// Why landq gave up when GitHub refused the merge itself.
pub fn merge_refused(why: &str) -> String {
    format!("GitHub refused to merge: {why}")
}

/// Why landq waits when the head moved under every merge it tried.
pub const HEAD_KEPT_MOVING: &str = "the head kept moving while landing; waiting for the next push";

fn bullets(reasons: &[String]) -> String {
    reasons.iter().map(|r| format!("- {r}\n")).collect()
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotOpen(PullState::Merged) => f.write_str("the pull request is already merged"),
            Reason::NotOpen(_) => f.write_str("the pull request is closed: reopen it to land it"),
            Reason::Draft => f.write_str("the pull request is a draft: mark it ready for review"),
            Reason::BranchNotGuarded { base, guarded } => write!(
                f,
                "landq does not land into `{base}` (it guards {}); change the base branch or \
                 list `{base}` under `branches` in {SETTINGS_PATH}",
                list(guarded.iter().map(|b| format!("`{b}`")))
            ),
            Reason::LabelMissing(label) => write!(f, "the `{label}` label is not applied"),
            Reason::LabelerUnknown(label) => write!(
                f,
                "cannot tell who applied the `{label}` label: remove it and apply it again"
            ),
            Reason::LabelerLacksWrite {
                login,
                permission,
                label,
            } => write!(
                f,
                "@{login} applied `{label}` but has {} access: someone with write access \
                 to the repository must apply it",
                permission_name(*permission)
            ),
            Reason::SettingsInvalid(err) => write!(
                f,
                "{SETTINGS_PATH} on the base branch is invalid ({err}): nothing lands until \
                 a fix lands (a pull request that changes only the landq files, makes them valid \
                 and is approved by a repository admin)"
            ),
            Reason::RulesInvalid { file, errors } => {
                write!(
                    f,
                    "{file} on the base branch has {} error(s), so nothing lands until a fix \
                     lands (a pull request that changes only {file} and {SETTINGS_PATH}, makes \
                     them valid and is approved by a repository admin):",
                    errors.len()
                )?;
                line_errors(f, file, errors)
            }
            Reason::SettingsWouldBreak(err) => write!(
                f,
                "this pull request leaves {SETTINGS_PATH} invalid (landq would then land \
                 nothing):\n  {SETTINGS_PATH}:{}: {}",
                err.line, err.message
            ),
            Reason::RulesWouldBreak { file, errors } => {
                write!(
                    f,
                    "this pull request leaves {file} invalid (landq would then land nothing):"
                )?;
                line_errors(f, file, errors)
            }
            Reason::RepairNeedsAdmin { files } => write!(
                f,
                "{} on the base branch {} broken; a repair needs an approval from a repository \
                 admin other than the author",
                list(files.iter().cloned()),
                if files.len() == 1 { "is" } else { "are" },
            ),
            Reason::NeedsApprovals {
                have,
                need,
                author,
                stale,
            } => {
                write!(
                    f,
                    "needs {need} approval(s) from reviewers other than the author @{author}, \
                     has {have}"
                )?;
                if !stale.is_empty() {
                    write!(
                        f,
                        "; {} approved an earlier commit and must approve the current one",
                        list(stale.iter().map(|l| format!("@{l}")))
                    )?;
                }
                Ok(())
            }
            Reason::ChangesRequested(reviewers) => write!(
                f,
                "{} requested changes: they must approve, or their review must be dismissed",
                list(reviewers.iter().map(|l| format!("@{l}")))
            ),
            Reason::OwnerApprovalMissing {
                path,
                file,
                line,
                owners,
            } => {
                write!(
                    f,
                    "`{path}` needs an approval from {} ({file} line {line})",
                    if owners.len() == 1 { "" } else { "one of " }.to_owned()
                        + &list(owners.iter().map(Owner::to_string))
                )?;
                if owners.iter().all(|o| matches!(o, Owner::Email(_))) {
                    f.write_str(
                        "; landq cannot match email owners to reviewers: name them by @login",
                    )?;
                }
                Ok(())
            }
            Reason::CheckMissing(name) => write!(
                f,
                "required check `{name}` has not reported on the head commit"
            ),
            Reason::CheckPending(name) => write!(f, "required check `{name}` is still running"),
            Reason::CheckFailed { name, conclusion } => {
                write!(f, "required check `{name}` did not pass ({conclusion})")
            }
            Reason::NotMergeable(base) => write!(
                f,
                "GitHub reports conflicts with `{base}`: merge `{base}` into the branch or rebase it"
            ),
            Reason::MergeabilityUnknown => {
                f.write_str("GitHub is still checking whether it can merge")
            }
        }
    }
}

/// `\n  FILE:LINE: message` per error.
fn line_errors(f: &mut fmt::Formatter<'_>, file: &str, errors: &[RuleError]) -> fmt::Result {
    for err in errors {
        write!(f, "\n  {file}:{}: {}", err.line, err.kind)?;
    }
    Ok(())
}

fn permission_name(permission: Permission) -> &'static str {
    match permission {
        Permission::None => "no",
        Permission::Read => "read",
        Permission::Triage => "triage",
        Permission::Write => "write",
        Permission::Maintain => "maintain",
        Permission::Admin => "admin",
    }
}

/// `items` separated by commas.
pub(crate) fn list(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleErrorKind;
    use crate::settings::SettingsError;

    fn owners(tokens: &[&str]) -> Vec<Owner> {
        tokens.iter().map(|t| Owner::parse(t).unwrap()).collect()
    }

    /// One of each reason, as `decide` gives them.
    fn every_reason() -> Vec<Reason> {
        let rule_error = RuleError {
            line: 3,
            kind: RuleErrorKind::InvalidOwner("@-ops".into()),
        };
        let settings_error = SettingsError {
            line: 2,
            message: "unknown field `min_aprovals`".into(),
        };
        vec![
            Reason::NotOpen(PullState::Closed),
            Reason::NotOpen(PullState::Merged),
            Reason::Draft,
            Reason::BranchNotGuarded {
                base: "dev".into(),
                guarded: vec!["main".into(), "release".into()],
            },
            Reason::LabelMissing("land requested".into()),
            Reason::LabelerUnknown("land requested".into()),
            Reason::LabelerLacksWrite {
                login: "eve".into(),
                permission: Permission::Read,
                label: "land requested".into(),
            },
            Reason::SettingsInvalid(settings_error.clone()),
            Reason::RulesInvalid {
                file: ".github/.landqueue".into(),
                errors: vec![rule_error.clone()],
            },
            Reason::SettingsWouldBreak(settings_error),
            Reason::RulesWouldBreak {
                file: ".github/CODEOWNERS".into(),
                errors: vec![rule_error],
            },
            Reason::RepairNeedsAdmin {
                files: vec![".github/landq.toml".into(), ".github/.landqueue".into()],
            },
            Reason::NeedsApprovals {
                have: 0,
                need: 2,
                author: "alice".into(),
                stale: vec!["bob".into()],
            },
            Reason::ChangesRequested(vec!["dave".into(), "erin".into()]),
            Reason::OwnerApprovalMissing {
                path: "billing/pay.rs".into(),
                file: ".github/.landqueue".into(),
                line: 2,
                owners: owners(&["@carol"]),
            },
            Reason::OwnerApprovalMissing {
                path: "docs/a.md".into(),
                file: ".github/.landqueue".into(),
                line: 1,
                owners: owners(&["@acme/eng", "@dora"]),
            },
            Reason::OwnerApprovalMissing {
                path: "legal/terms.md".into(),
                file: ".github/.landqueue".into(),
                line: 4,
                owners: owners(&["legal@example.com"]),
            },
            Reason::CheckMissing("ci / test".into()),
            Reason::CheckPending("ci / lint".into()),
            Reason::CheckFailed {
                name: "ci / test".into(),
                conclusion: "timed_out".into(),
            },
            Reason::NotMergeable("main".into()),
            Reason::MergeabilityUnknown,
        ]
    }

    #[test]
    fn every_reason_a_pull_request_can_show() {
        let text: Vec<String> = every_reason().iter().map(Reason::to_string).collect();
        insta::assert_snapshot!(text.join("\n\n"));
    }

    #[test]
    fn the_check_run_and_the_commit_status() {
        let reasons: Vec<String> = every_reason()[12..15]
            .iter()
            .map(Reason::to_string)
            .collect();
        let mut shown = String::new();
        for report in [
            Report::waiting(&reasons),
            Report::landed("4a345f9097665c82ee1cd5415d2ba2092ad709f5"),
            Report::failed(&[merge_refused("Pull Request is not mergeable")]),
            Report::waiting(&[HEAD_KEPT_MOVING.into()]),
        ] {
            shown.push_str(&report.shown());
            assert!(report.status_line().chars().count() <= STATUS_DESCRIPTION_CHARS);
        }
        insta::assert_snapshot!(shown);
    }

    #[test]
    fn a_status_line_keeps_the_text_of_links() {
        assert_eq!(
            unlink("see [abc](https://x/y) and [d](e)."),
            "see abc and d."
        );
        assert_eq!(unlink("no links [here"), "no links [here");
        assert_eq!(unlink("[a] (b)"), "[a] (b)");
    }

    #[test]
    fn the_comment_when_landq_gives_up() {
        let reasons: Vec<String> = every_reason()[6..7].iter().map(Reason::to_string).collect();
        insta::assert_snapshot!(refusal_comment("land requested", &reasons));
    }
}
