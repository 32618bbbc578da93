//! `decide(facts) -> Decision`: whether a pull request may land now, and if
//! not, every reason why, each naming what is missing and who can provide it.

use rustc_hash::FxHashMap;

use crate::facts::{CheckOutcome, Facts, Permission, PullRequest, PullState, Review, ReviewState};
use crate::message::CommitMessage;
use crate::rules::{Owner, RuleError};
use crate::settings::{SETTINGS_PATH, Settings, SettingsError};

/// The outcome of [`decide`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Every condition holds: squash-merge exactly this plan.
    Land(Landing),
    /// Something is missing; the reasons say what and who can provide it.
    Wait(Vec<Reason>),
}

/// What to land and the evidence for it (the audit record's content).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Landing {
    /// The head commit that was evaluated; the merge must carry it.
    pub head_sha: String,
    /// Reviewers other than the author whose approval counted, in order.
    pub approvers: Vec<String>,
    /// For each owned path, the rule and the approver who satisfied it.
    pub ownership: Vec<OwnerApproval>,
    /// The squash commit message.
    pub message: CommitMessage,
}

/// How one owned path was approved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnerApproval {
    /// The path (or the old path of a rename).
    pub path: String,
    /// The rules-file line that owns it; 0 when the base branch's rules or
    /// settings were broken and a repository admin approved their repair.
    pub line: usize,
    /// The approver who is one of that rule's owners.
    pub approver: String,
    /// The owner entry they satisfied (themselves or their team).
    pub owner: Owner,
}

/// One unmet condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The pull request is closed or already merged.
    NotOpen(PullState),
    /// Drafts do not land.
    Draft,
    /// The base branch is not one landq guards.
    BranchNotGuarded {
        /// The pull request's base.
        base: String,
        /// The branches landq guards.
        guarded: Vec<String>,
    },
    /// The land label is not on the pull request.
    LabelMissing(String),
    /// Nobody is known to have applied the label.
    LabelerUnknown(String),
    /// The label was applied by someone without write access.
    LabelerLacksWrite {
        /// Who applied it.
        login: String,
        /// What they may do.
        permission: Permission,
        /// The label.
        label: String,
    },
    /// `.github/landq.toml` on the base branch is invalid.
    SettingsInvalid(SettingsError),
    /// The rules file on the base branch is invalid.
    RulesInvalid {
        /// Where the rules file is.
        file: String,
        /// Every error, in line order.
        errors: Vec<RuleError>,
    },
    /// The pull request would leave `.github/landq.toml` invalid.
    SettingsWouldBreak(SettingsError),
    /// The pull request would leave the rules file invalid.
    RulesWouldBreak {
        /// Where the rules file would be.
        file: String,
        /// Every error, in line order.
        errors: Vec<RuleError>,
    },
    /// The base branch's rules or settings are broken and the pull request
    /// repairs them: only a repository admin's approval vouches for that.
    RepairNeedsAdmin {
        /// The broken files on the base branch.
        files: Vec<String>,
    },
    /// Too few approvals from reviewers other than the author.
    NeedsApprovals {
        /// Approvals that count.
        have: usize,
        /// Approvals required.
        need: usize,
        /// The author, whose own approval never counts.
        author: String,
        /// Reviewers whose approval is on an older head commit.
        stale: Vec<String>,
    },
    /// Reviewers whose latest review requests changes.
    ChangesRequested(Vec<String>),
    /// A changed path lacks an approval from any of its owners.
    OwnerApprovalMissing {
        /// The path (or old path of a rename).
        path: String,
        /// The rules file.
        file: String,
        /// The rules-file line that owns it.
        line: usize,
        /// Who can approve it.
        owners: Vec<Owner>,
    },
    /// A required check has not reported on the head commit.
    CheckMissing(String),
    /// A required check is still running.
    CheckPending(String),
    /// A required check failed.
    CheckFailed {
        /// Its name.
        name: String,
        /// GitHub's conclusion.
        conclusion: String,
    },
    /// GitHub reports conflicts with the base branch.
    NotMergeable(String),
    /// GitHub has not finished computing mergeability.
    MergeabilityUnknown,
}

/// Decides whether the pull request described by `facts` may land now: each
/// policy step adds the reasons it finds, in the order the pull request
/// shows them.
pub fn decide(facts: &Facts) -> Decision {
    let default_settings = Settings::default();
    let settings = facts.settings.as_ref().unwrap_or(&default_settings);
    let rules_file = settings.rules.as_str();
    let repair = is_repair(facts, rules_file);
    let verdicts = Verdicts::of(&facts.pull, &facts.reviews, settings.allow_stale_approvals);
    let mut reasons = Vec::new();
    if let Err(err) = &facts.settings
        && !repair
    {
        reasons.push(Reason::SettingsInvalid(err.clone()));
    }
    requested(facts, settings, &mut reasons);
    labeler_may_write(facts, settings, &mut reasons);
    approved(&facts.pull, settings, &verdicts, &mut reasons);
    let mut ownership = owners_approved(facts, rules_file, repair, &verdicts, &mut reasons);
    if repair {
        admin_approved_repair(facts, rules_file, &verdicts, &mut ownership, &mut reasons);
    }
    leaves_config_valid(facts, &mut reasons);
    checks_passed(facts, settings, &mut reasons);
    mergeable(&facts.pull, &mut reasons);

    if !reasons.is_empty() {
        return Decision::Wait(reasons);
    }
    let pull = &facts.pull;
    Decision::Land(Landing {
        head_sha: pull.head_sha.clone(),
        message: CommitMessage::squash(&pull.title, pull.number, &pull.body, &verdicts.approvers),
        approvers: verdicts.approvers,
        ownership,
    })
}

/// Step 1: Open, ready, into a guarded branch, labelled.
fn requested(facts: &Facts, settings: &Settings, reasons: &mut Vec<Reason>) {
    let pull = &facts.pull;
    if pull.state != PullState::Open {
        reasons.push(Reason::NotOpen(pull.state));
    }
    if pull.draft {
        reasons.push(Reason::Draft);
    }
    if !settings.guards(&pull.base, &facts.default_branch) {
        reasons.push(Reason::BranchNotGuarded {
            base: pull.base.clone(),
            guarded: settings
                .branches
                .clone()
                .unwrap_or_else(|| vec![facts.default_branch.clone()]),
        });
    }
    if !pull.labels.contains(&settings.label) {
        reasons.push(Reason::LabelMissing(settings.label.clone()));
    }
}

/// Step 2: Whoever applied the label may write.
fn labeler_may_write(facts: &Facts, settings: &Settings, reasons: &mut Vec<Reason>) {
    match &facts.labeler {
        None => reasons.push(Reason::LabelerUnknown(settings.label.clone())),
        Some(labeler) if labeler.permission < Permission::Write => {
            reasons.push(Reason::LabelerLacksWrite {
                login: labeler.login.clone(),
                permission: labeler.permission,
                label: settings.label.clone(),
            });
        }
        Some(_) => {}
    }
}

/// Step 3: Enough approvals from others on the head commit, and no block.
fn approved(
    pull: &PullRequest,
    settings: &Settings,
    verdicts: &Verdicts,
    reasons: &mut Vec<Reason>,
) {
    if verdicts.approvers.len() < settings.min_approvals {
        reasons.push(Reason::NeedsApprovals {
            have: verdicts.approvers.len(),
            need: settings.min_approvals,
            author: pull.author.clone(),
            stale: verdicts.stale.clone(),
        });
    }
    if !verdicts.blocking.is_empty() {
        reasons.push(Reason::ChangesRequested(verdicts.blocking.clone()));
    }
}

/// Step 4: An owner's approval for every owned path, by the base branch's rules
/// (skipped when they are broken and this pull request repairs them).
fn owners_approved(
    facts: &Facts,
    rules_file: &str,
    repair: bool,
    verdicts: &Verdicts,
    reasons: &mut Vec<Reason>,
) -> Vec<OwnerApproval> {
    let mut ownership = Vec::new();
    let rules = match &facts.rules {
        Err(_) if repair => return ownership,
        Err(errors) => {
            reasons.push(Reason::RulesInvalid {
                file: rules_file.to_owned(),
                errors: errors.0.clone(),
            });
            return ownership;
        }
        Ok(rules) => rules,
    };
    for path in facts.files.iter().flat_map(|f| f.paths()) {
        let Some(rule) = rules.rule_for(path).filter(|r| !r.owners.is_empty()) else {
            continue;
        };
        match verdicts.owner_approval(facts, &rule.owners) {
            Some((approver, owner)) => ownership.push(OwnerApproval {
                path: path.to_owned(),
                line: rule.line,
                approver,
                owner,
            }),
            None => reasons.push(Reason::OwnerApprovalMissing {
                path: path.to_owned(),
                file: rules_file.to_owned(),
                line: rule.line,
                owners: rule.owners.clone(),
            }),
        }
    }
    ownership
}

/// Step 4a: A repair of broken base files needs a repository admin's approval,
/// recorded as the approval of every path (line 0).
fn admin_approved_repair(
    facts: &Facts,
    rules_file: &str,
    verdicts: &Verdicts,
    ownership: &mut Vec<OwnerApproval>,
    reasons: &mut Vec<Reason>,
) {
    let admin = verdicts.approvers.iter().find(|a| {
        facts
            .admins
            .iter()
            .any(|admin| admin.eq_ignore_ascii_case(a))
    });
    match admin {
        Some(admin) => {
            ownership.extend(
                facts
                    .files
                    .iter()
                    .flat_map(|f| f.paths())
                    .map(|path| OwnerApproval {
                        path: path.to_owned(),
                        line: 0,
                        approver: admin.clone(),
                        owner: Owner::User(admin.clone()),
                    }),
            )
        }
        None => reasons.push(Reason::RepairNeedsAdmin {
            files: broken_files(facts, rules_file),
        }),
    }
}

/// Step 4b: The pull request leaves the rules and settings valid.
fn leaves_config_valid(facts: &Facts, reasons: &mut Vec<Reason>) {
    let Some(head) = &facts.head_config else {
        return;
    };
    if let Err(err) = &head.settings {
        reasons.push(Reason::SettingsWouldBreak(err.clone()));
    }
    if let Err(errors) = &head.rules {
        reasons.push(Reason::RulesWouldBreak {
            file: head.rules_path.clone(),
            errors: errors.0.clone(),
        });
    }
}

/// Step 5: Required checks passed on the head commit.
fn checks_passed(facts: &Facts, settings: &Settings, reasons: &mut Vec<Reason>) {
    for name in &settings.required_checks {
        let outcome = facts
            .checks
            .iter()
            .rfind(|c| &c.name == name)
            .map(|c| &c.outcome);
        match outcome {
            None => reasons.push(Reason::CheckMissing(name.clone())),
            Some(CheckOutcome::Pending) => reasons.push(Reason::CheckPending(name.clone())),
            Some(CheckOutcome::Failed(conclusion)) => reasons.push(Reason::CheckFailed {
                name: name.clone(),
                conclusion: conclusion.clone(),
            }),
            Some(CheckOutcome::Passed) => {}
        }
    }
}

/// Step 6: GitHub can merge it.
fn mergeable(pull: &PullRequest, reasons: &mut Vec<Reason>) {
    match pull.mergeable {
        Some(true) => {}
        Some(false) => reasons.push(Reason::NotMergeable(pull.base.clone())),
        None if pull.state == PullState::Open => reasons.push(Reason::MergeabilityUnknown),
        None => {}
    }
}

/// Whether the base branch's rules or settings are broken and the pull
/// request changes nothing but those files, leaving them valid: the one way
/// out of a broken base that does not bypass landq.
fn is_repair(facts: &Facts, rules_file: &str) -> bool {
    let Some(head) = &facts.head_config else {
        return false;
    };
    let config = [SETTINGS_PATH, rules_file, head.rules_path.as_str()];
    (facts.settings.is_err() || facts.rules.is_err())
        && head.settings.is_ok()
        && head.rules.is_ok()
        && !facts.files.is_empty()
        && facts
            .files
            .iter()
            .flat_map(|f| f.paths())
            .all(|path| config.contains(&path))
}

/// The base branch's broken landq files.
fn broken_files(facts: &Facts, rules_file: &str) -> Vec<String> {
    let mut files = Vec::new();
    if facts.settings.is_err() {
        files.push(SETTINGS_PATH.to_owned());
    }
    if facts.rules.is_err() {
        files.push(rules_file.to_owned());
    }
    files
}

/// Each reviewer's standing, from their latest review that says something.
struct Verdicts {
    /// Approvals that count, in order of the approving review.
    approvers: Vec<String>,
    /// Approvals given on an older head commit, when those do not count.
    stale: Vec<String>,
    /// Reviewers whose latest word is "changes requested".
    blocking: Vec<String>,
}

/// Reviewers other than the author whose latest review approves the head
/// commit (any commit when stale approvals are allowed), in approval order:
/// the approvals [`decide`] counts.
pub fn approvers(pull: &PullRequest, reviews: &[Review], allow_stale: bool) -> Vec<String> {
    Verdicts::of(pull, reviews, allow_stale).approvers
}

impl Verdicts {
    fn of(pull: &PullRequest, reviews: &[Review], allow_stale: bool) -> Verdicts {
        // Latest approving, blocking or dismissed review per reviewer.
        let mut latest: FxHashMap<String, usize> = FxHashMap::default();
        for (i, review) in reviews.iter().enumerate() {
            if matches!(review.state, ReviewState::Commented | ReviewState::Pending) {
                continue;
            }
            latest.insert(review.reviewer.to_ascii_lowercase(), i);
        }
        let mut order: Vec<usize> = latest.into_values().collect();
        order.sort_unstable();

        let mut verdicts = Verdicts {
            approvers: Vec::new(),
            stale: Vec::new(),
            blocking: Vec::new(),
        };
        for review in order.into_iter().map(|i| &reviews[i]) {
            let login = review.reviewer.clone();
            match review.state {
                _ if login.eq_ignore_ascii_case(&pull.author) => {}
                ReviewState::Approved if allow_stale || review.commit_sha == pull.head_sha => {
                    verdicts.approvers.push(login);
                }
                ReviewState::Approved => verdicts.stale.push(login),
                ReviewState::ChangesRequested => verdicts.blocking.push(login),
                _ => {}
            }
        }
        verdicts
    }

    /// The first approver who is one of `owners`, and the entry they match.
    fn owner_approval(&self, facts: &Facts, owners: &[Owner]) -> Option<(String, Owner)> {
        self.approvers.iter().find_map(|login| {
            owners
                .iter()
                .find(|owner| match owner {
                    Owner::User(_) => owner.is_user(login),
                    Owner::Team { org, slug } => facts.teams.contains(org, slug, login),
                    Owner::Email(_) => false,
                })
                .map(|owner| (login.clone(), owner.clone()))
        })
    }
}

#[cfg(test)]
mod tests;
