//! The facts a decision is made from, as read from GitHub at decision time.
//!
//! These are plain data: the worker fills them in from the API, tests build
//! them by hand. Logins are compared case-insensitively everywhere, as GitHub
//! does.

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::rules::{Rules, RulesErrors};
use crate::settings::{Settings, SettingsError};

/// The pull request as GitHub reports it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullRequest {
    /// Its number in the repository.
    pub number: u64,
    /// The author's login.
    pub author: String,
    /// The head commit the decision is about.
    pub head_sha: String,
    /// The branch it targets.
    pub base: String,
    /// Title, used as the squash commit's title.
    pub title: String,
    /// Body, used as the squash commit's body (may be empty).
    pub body: String,
    /// Open, closed or merged.
    pub state: PullState,
    /// A draft cannot land.
    pub draft: bool,
    /// GitHub's `mergeable`: `None` while GitHub is still computing it.
    pub mergeable: Option<bool>,
    /// Names of the labels it carries.
    pub labels: Vec<String>,
}

/// Open, closed or merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullState {
    /// Open for review.
    Open,
    /// Closed without merging.
    Closed,
    /// Already merged.
    Merged,
}

/// One file the pull request changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedFile {
    /// The path on the head commit.
    pub path: String,
    /// The path before a rename, which needs its owners' approval too.
    pub previous_path: Option<String>,
}

impl ChangedFile {
    /// A file changed in place.
    pub fn new(path: impl Into<String>) -> Self {
        ChangedFile {
            path: path.into(),
            previous_path: None,
        }
    }

    /// A file renamed from `from` to `to`.
    pub fn renamed(from: impl Into<String>, to: impl Into<String>) -> Self {
        ChangedFile {
            path: to.into(),
            previous_path: Some(from.into()),
        }
    }

    /// Every path this change touches: the path, then the old one if renamed.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.path.as_str()).chain(self.previous_path.as_deref())
    }
}

/// A submitted review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    /// The reviewer's login.
    pub reviewer: String,
    /// What the review said.
    pub state: ReviewState,
    /// The head commit the review was given on.
    pub commit_sha: String,
}

/// The state of a review, as GitHub's API reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewState {
    /// Approved.
    Approved,
    /// Requested changes: blocks until the reviewer approves or is dismissed.
    ChangesRequested,
    /// A comment: neither approves nor blocks, and changes nothing.
    Commented,
    /// A review that was dismissed: counts for nothing.
    Dismissed,
    /// Not yet submitted.
    Pending,
}

/// The outcome of a check run or commit status on the head commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// Check-run name or status context.
    pub name: String,
    /// Where it stands.
    pub outcome: CheckOutcome,
    /// Its page on GitHub (check run `html_url`, status `target_url`).
    pub url: Option<String>,
}

/// Where a check stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckOutcome {
    /// Queued or running.
    Pending,
    /// Succeeded (or was neutral or skipped, which GitHub also accepts).
    Passed,
    /// Failed, with GitHub's conclusion (`failure`, `timed_out`, …).
    Failed(String),
}

/// Permission on the repository, as GitHub's collaborator API reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Permission {
    /// No access beyond reading a public repository.
    None,
    /// `read`
    Read,
    /// `triage`
    Triage,
    /// `write`
    Write,
    /// `maintain`
    Maintain,
    /// `admin`
    Admin,
}

/// Who applied the land label, and what they may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Labeler {
    /// Their login.
    pub login: String,
    /// Their permission on the repository.
    pub permission: Permission,
}

/// Members of the teams named by the rules, as `org/slug` → logins.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Teams {
    members: FxHashMap<String, FxHashSet<String>>,
}

impl Teams {
    /// Records that `login` is an active member of `org/slug`.
    pub fn add(&mut self, org: &str, slug: &str, login: &str) {
        self.members
            .entry(team_key(org, slug))
            .or_default()
            .insert(login.to_ascii_lowercase());
    }

    /// Whether `login` is a known active member of `org/slug`.
    pub fn contains(&self, org: &str, slug: &str, login: &str) -> bool {
        self.members
            .get(&team_key(org, slug))
            .is_some_and(|m| m.contains(&login.to_ascii_lowercase()))
    }
}

fn team_key(org: &str, slug: &str) -> String {
    format!("{}/{}", org.to_ascii_lowercase(), slug.to_ascii_lowercase())
}

/// Everything [`decide`](crate::decide()) needs, read at one moment.
#[derive(Clone, Debug)]
pub struct Facts {
    /// The pull request.
    pub pull: PullRequest,
    /// The repository's default branch.
    pub default_branch: String,
    /// Its changed files, with previous paths of renames.
    pub files: Vec<ChangedFile>,
    /// Its reviews, oldest first.
    pub reviews: Vec<Review>,
    /// Membership of the teams that own changed paths.
    pub teams: Teams,
    /// The rules file from the base branch (empty when absent),
    /// shared with the cache of compiled rules.
    pub rules: Result<Arc<Rules>, RulesErrors>,
    /// `.github/landq.toml` from the base branch (defaults when absent).
    pub settings: Result<Settings, SettingsError>,
    /// Checks and statuses on the head commit, latest per name.
    pub checks: Vec<Check>,
    /// Who applied the land label most recently, if known.
    pub labeler: Option<Labeler>,
    /// The settings and rules as the pull request would leave them: read
    /// when it changes either file, `None` when it changes neither.
    pub head_config: Option<HeadConfig>,
    /// Approvers with admin permission on the repository. Asked only when
    /// the pull request repairs broken base rules or settings; empty otherwise.
    pub admins: Vec<String>,
}

/// The repository's landq files at the pull request's head commit.
#[derive(Clone, Debug)]
pub struct HeadConfig {
    /// `.github/landq.toml` at the head (defaults when absent).
    pub settings: Result<Settings, SettingsError>,
    /// Where the head's settings put the rules file.
    pub rules_path: String,
    /// The rules file at the head (empty when absent).
    pub rules: Result<Arc<Rules>, RulesErrors>,
}
