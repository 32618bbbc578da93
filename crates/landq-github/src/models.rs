//! The fields landq reads from GitHub's answers, nothing more. Unknown fields
//! are ignored and unknown enum values map to the safe side (an unknown
//! review state approves nothing, an unknown conclusion does not pass).

use landq_policy::{
    ChangedFile, Check, CheckOutcome, Permission, PullRequest, PullState, ReviewState,
};
use serde::Deserialize;

use crate::PullView;

#[derive(Deserialize)]
pub struct Account {
    pub login: String,
}

#[derive(Deserialize)]
pub struct Name {
    pub name: String,
}

#[derive(Deserialize)]
pub struct Ref {
    pub sha: String,
    #[serde(rename = "ref")]
    pub reference: String,
    pub repo: Option<RepoRef>,
}

#[derive(Deserialize)]
pub struct RepoRef {
    pub default_branch: Option<String>,
}

#[derive(Deserialize)]
pub struct Pull {
    number: u64,
    user: Account,
    head: Ref,
    base: Ref,
    title: String,
    body: Option<String>,
    state: String,
    #[serde(default)]
    merged: bool,
    #[serde(default)]
    draft: bool,
    mergeable: Option<bool>,
    #[serde(default)]
    labels: Vec<Name>,
    merge_commit_sha: Option<String>,
    #[serde(default)]
    changed_files: u64,
}

impl Pull {
    pub fn into_view(self) -> PullView {
        let state = match (self.state.as_str(), self.merged) {
            (_, true) => PullState::Merged,
            ("open", false) => PullState::Open,
            _ => PullState::Closed,
        };
        PullView {
            default_branch: self.base.repo.and_then(|r| r.default_branch),
            merge_commit_sha: self.merge_commit_sha.filter(|_| state == PullState::Merged),
            changed_files: self.changed_files,
            pull: PullRequest {
                number: self.number,
                author: self.user.login,
                head_sha: self.head.sha,
                base: self.base.reference,
                title: self.title,
                body: self.body.unwrap_or_default(),
                state,
                draft: self.draft,
                mergeable: self.mergeable,
                labels: self.labels.into_iter().map(|l| l.name).collect(),
            },
        }
    }
}

#[derive(Deserialize)]
pub struct Review {
    user: Option<Account>,
    state: String,
    commit_id: Option<String>,
}

impl Review {
    /// Reviews by deleted users carry no login and count for nothing.
    pub fn into_review(self) -> Option<landq_policy::Review> {
        let state = match self.state.as_str() {
            "APPROVED" => ReviewState::Approved,
            "CHANGES_REQUESTED" => ReviewState::ChangesRequested,
            "DISMISSED" => ReviewState::Dismissed,
            "PENDING" => ReviewState::Pending,
            _ => ReviewState::Commented,
        };
        Some(landq_policy::Review {
            reviewer: self.user?.login,
            state,
            commit_sha: self.commit_id.unwrap_or_default(),
        })
    }
}

#[derive(Deserialize)]
pub struct File {
    filename: String,
    previous_filename: Option<String>,
}

impl File {
    pub fn into_changed(self) -> ChangedFile {
        ChangedFile {
            path: self.filename,
            previous_path: self.previous_filename,
        }
    }
}

#[derive(Deserialize)]
pub struct Content {
    pub sha: String,
    pub content: Option<String>,
}

#[derive(Deserialize)]
pub struct DirItem {
    pub name: String,
    pub sha: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Deserialize)]
pub struct Membership {
    pub state: String,
}

#[derive(Deserialize)]
pub struct PermissionAnswer {
    permission: String,
    role_name: Option<String>,
}

impl PermissionAnswer {
    pub fn permission(&self) -> Permission {
        let name = self.role_name.as_deref().unwrap_or(&self.permission);
        match name {
            "admin" => Permission::Admin,
            "maintain" => Permission::Maintain,
            "write" | "push" => Permission::Write,
            "triage" => Permission::Triage,
            "read" | "pull" => Permission::Read,
            // A custom role: trust only the base permission GitHub reports.
            _ => match self.permission.as_str() {
                "admin" => Permission::Admin,
                "write" => Permission::Write,
                "read" => Permission::Read,
                _ => Permission::None,
            },
        }
    }
}

#[derive(Deserialize)]
pub struct IssueEvent {
    pub event: String,
    pub actor: Option<Account>,
    pub label: Option<Name>,
    pub created_at: Option<String>,
}

#[derive(Deserialize)]
pub struct CheckRuns {
    pub check_runs: Vec<CheckRun>,
}

#[derive(Deserialize)]
pub struct CheckRun {
    name: String,
    status: String,
    conclusion: Option<String>,
    html_url: Option<String>,
}

impl CheckRun {
    pub fn into_check(self) -> Check {
        let outcome = match (self.status.as_str(), self.conclusion.as_deref()) {
            ("completed", Some("success" | "neutral" | "skipped")) => CheckOutcome::Passed,
            ("completed", other) => CheckOutcome::Failed(other.unwrap_or("unknown").to_owned()),
            _ => CheckOutcome::Pending,
        };
        Check {
            name: self.name,
            outcome,
            url: self.html_url,
        }
    }
}

#[derive(Deserialize)]
pub struct CombinedStatus {
    pub statuses: Vec<Status>,
}

#[derive(Deserialize)]
pub struct Status {
    context: String,
    state: String,
    target_url: Option<String>,
}

impl Status {
    pub fn into_check(self) -> Check {
        let outcome = match self.state.as_str() {
            "success" => CheckOutcome::Passed,
            "pending" => CheckOutcome::Pending,
            other => CheckOutcome::Failed(other.to_owned()),
        };
        Check {
            name: self.context,
            outcome,
            url: self.target_url,
        }
    }
}

#[derive(Deserialize)]
pub struct Issue {
    pub number: u64,
    pub pull_request: Option<serde_json::Value>,
}

#[derive(Deserialize)]
pub struct Merged {
    pub sha: String,
}

#[derive(Deserialize)]
pub struct Created {
    pub id: u64,
}

/// An issue comment.
#[derive(Deserialize)]
pub struct Comment {
    pub id: u64,
    pub body: Option<String>,
}

#[derive(Deserialize)]
pub struct ErrorBody {
    pub message: String,
}

#[derive(Deserialize)]
pub struct InstallationRepos {
    pub repositories: Vec<FullName>,
}

#[derive(Deserialize)]
pub struct FullName {
    pub full_name: String,
}

#[derive(Deserialize)]
pub struct PullRef {
    pub number: u64,
    pub state: String,
    pub head: Ref,
}

/// `GET /user` (a user's login) or `GET /app` (an App's slug).
#[derive(Deserialize)]
pub struct Identity {
    pub login: Option<String>,
    pub slug: Option<String>,
}
