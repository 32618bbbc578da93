//! The one GitHub client landq uses, on octocrab.
//!
//! octocrab provides authentication (a plain token, or a GitHub App whose
//! installation tokens it mints and caches) and the transport; landq sends raw
//! requests through it and reads only the fields it needs, so a new field or
//! enum value in GitHub's answers never breaks a land. Every call goes through
//! [`retry::RetryPolicy`]; the merge is sent again (after a rate limit's
//! wait, a 5xx or a lost answer) only once a read of the pull request shows
//! it still open at the evaluated head, and an "already merged" answer is
//! confirmed the same way.
//!
//! - [`app`](GitHub): authentication, installations, a client per repository.
//! - reads: the facts of a pull request, for `landq-policy`'s `decide`.
//! - [`merge`](Repo::merge): the guarded squash merge.
//! - feedback: check runs or statuses, comments, the label's removal.
//! - the Git database: references, merges into a branch, commits (for the
//!   land queue's speculative commits).
//! - [`admin`]: how a repository is set up (protection, rulesets, files),
//!   for the audit.
//! - [`meta`]: GitHub's webhook ranges, without credentials.
//! - viewers: the OAuth web flow and what a person's token may read (the
//!   dashboard's sign-in).
//! - [`GitHubError`]: what went wrong; [`retry`]: the one retry policy.

#![deny(missing_docs)]

pub mod admin;
mod app;
mod data;
mod error;
mod feedback;
mod merge;
pub mod meta;
mod models;
mod reads;
pub mod retry;
mod users;
mod viewers;

use http::Method;
use landq_policy::PullRequest;
use octocrab::Octocrab;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use crate::app::{Auth, GitHub};
pub use crate::data::{GitCommit, MergeInto};
pub use crate::error::GitHubError;
use crate::error::decode;
use crate::error::expect_ok;
pub use crate::feedback::CheckRunUpdate;
pub use crate::merge::MergeOutcome;
use crate::retry::{Answer, RetryPolicy};
pub use crate::users::{Conditional, Profile};
pub use crate::viewers::{OAuthClient, Readable};

/// GitHub lists at most this many files of a pull request.
pub const MAX_LISTED_FILES: usize = 3000;

/// A pull request as read for a decision, with what the worker also needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullView {
    /// The policy's view of it.
    pub pull: PullRequest,
    /// The merge commit, once merged.
    pub merge_commit_sha: Option<String>,
    /// How many files GitHub says it changes.
    pub changed_files: u64,
    /// The repository's default branch (from the base repository).
    pub default_branch: Option<String>,
}

/// A file read from the repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileAtRef {
    /// Its text.
    pub text: String,
    /// Its blob SHA (the cache key for compiled rules).
    pub blob_sha: String,
}

/// Who applied a label, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Labeled {
    /// Their login.
    pub login: String,
    /// When (ms since the epoch), if GitHub said.
    pub at_ms: Option<i64>,
}

/// A file in a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The file name.
    pub name: String,
    /// Its blob SHA.
    pub blob_sha: String,
}

/// Calls about one repository.
#[derive(Clone)]
pub struct Repo {
    octo: std::sync::Arc<Octocrab>,
    name: String,
    retry: RetryPolicy,
    web: String,
}

impl Repo {
    /// `owner/name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The web page of pull request `number`.
    pub fn pull_page(&self, number: u64) -> String {
        format!("{}/{}/pull/{number}", self.web, self.name)
    }

    /// The web page of commit `sha`, with its checks.
    pub fn commit_page(&self, sha: &str) -> String {
        format!("{}/{}/commit/{sha}", self.web, self.name)
    }

    fn url(&self, rest: &str) -> String {
        format!("/repos/{}/{rest}", self.name)
    }

    async fn get(&self, path: &str) -> Result<Answer, GitHubError> {
        let path = path.to_owned();
        self.retry
            .send(&path, || self.octo._get(path.as_str()))
            .await
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, GitHubError> {
        let answer = self.get(path).await?;
        decode(path, expect_ok(path, answer)?)
    }

    /// Every item of the list at `rest` (which may carry a query), read 100
    /// a page, stopping early once `enough` items are in.
    async fn paged<T: DeserializeOwned>(
        &self,
        rest: &str,
        enough: usize,
    ) -> Result<Vec<T>, GitHubError> {
        pages(
            &self.octo,
            &self.retry,
            &self.url(rest),
            enough,
            |batch: Vec<T>| batch,
        )
        .await
    }

    /// A write, retried by the policy (never the merge: see [`Repo::merge`]).
    async fn write<B: Serialize + Sync>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<Answer, GitHubError> {
        let what = format!("{method} {path}");
        self.retry
            .send(&what, || async {
                match method {
                    Method::POST => self.octo._post(path, Some(body)).await,
                    Method::PATCH => self.octo._patch(path, Some(body)).await,
                    Method::PUT => self.octo._put(path, Some(body)).await,
                    Method::DELETE => self.octo._delete(path, Some(body)).await,
                    ref other => unreachable!("landq never writes with {other}"),
                }
            })
            .await
    }
}

/// Every item of the list at `path` (which may carry a query) read through
/// `octo`, 100 a page, stopping early once `enough` items are in. `items`
/// takes one page's answer apart (a bare array, or an object that holds one).
async fn pages<P: DeserializeOwned, T>(
    octo: &Octocrab,
    retry: &RetryPolicy,
    path: &str,
    enough: usize,
    items: impl Fn(P) -> Vec<T>,
) -> Result<Vec<T>, GitHubError> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut all = Vec::new();
    for page in 1.. {
        let url = format!("{path}{separator}per_page=100&page={page}");
        let answer = retry.send(&url, || octo._get(url.as_str())).await?;
        let batch = items(decode(&url, expect_ok(&url, answer)?)?);
        let done = batch.len() < 100;
        all.extend(batch);
        if done || all.len() >= enough {
            break;
        }
    }
    Ok(all)
}

/// Percent-encodes a path or query component (labels contain spaces).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
