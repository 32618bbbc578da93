//! What the worker reads about a repository, as `landq-policy`'s facts.

use base64::Engine;
use http::StatusCode;
use landq_policy::{ChangedFile, Check, Permission, Review};

use crate::error::{GitHubError, decode, expect_ok};
use crate::{DirEntry, FileAtRef, Labeled, MAX_LISTED_FILES, PullView, Repo, encode, models};

impl Repo {
    /// The pull request now.
    pub async fn pull(&self, number: u64) -> Result<PullView, GitHubError> {
        let raw: models::Pull = self.get_json(&self.url(&format!("pulls/{number}"))).await?;
        Ok(raw.into_view())
    }

    /// All reviews, oldest first.
    pub async fn reviews(&self, number: u64) -> Result<Vec<Review>, GitHubError> {
        let reviews: Vec<models::Review> = self
            .paged(&format!("pulls/{number}/reviews"), usize::MAX)
            .await?;
        Ok(reviews
            .into_iter()
            .filter_map(models::Review::into_review)
            .collect())
    }

    /// Every changed file, with previous paths of renames; refuses when
    /// GitHub cannot list them all.
    pub async fn files(
        &self,
        number: u64,
        changed_files: u64,
    ) -> Result<Vec<ChangedFile>, GitHubError> {
        if changed_files > MAX_LISTED_FILES as u64 {
            return Err(GitHubError::TooManyFiles(changed_files));
        }
        // Paging stops once GitHub's count is reached (no empty last page).
        let files: Vec<models::File> = self
            .paged(&format!("pulls/{number}/files"), changed_files as usize)
            .await?;
        let files: Vec<_> = files.into_iter().map(models::File::into_changed).collect();
        if (files.len() as u64) < changed_files {
            return Err(GitHubError::TooManyFiles(changed_files));
        }
        Ok(files)
    }

    /// The entries of directory `path` on `reference` (name → blob SHA; the
    /// default branch when `None`), or `None` when the directory does not
    /// exist. One request tells which files exist and which version each is,
    /// so unchanged files need no read.
    pub async fn dir_at(
        &self,
        reference: Option<&str>,
        path: &str,
    ) -> Result<Option<Vec<DirEntry>>, GitHubError> {
        let url = match reference {
            Some(reference) => self.url(&format!("contents/{path}?ref={}", encode(reference))),
            None => self.url(&format!("contents/{path}")),
        };
        let answer = self.get(&url).await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let entries: Vec<models::DirItem> = decode(&url, expect_ok(&url, answer)?)?;
        Ok(Some(
            entries
                .into_iter()
                .filter(|e| e.kind == "file")
                .map(|e| DirEntry {
                    name: e.name,
                    blob_sha: e.sha,
                })
                .collect(),
        ))
    }

    /// The text of blob `sha` (any size GitHub serves, up to 100 MB).
    pub async fn blob(&self, sha: &str) -> Result<FileAtRef, GitHubError> {
        let url = self.url(&format!("git/blobs/{}", encode(sha)));
        let blob: models::Content = self.get_json(&url).await?;
        Ok(FileAtRef {
            text: base64_text(&url, blob.content)?,
            blob_sha: blob.sha,
        })
    }

    /// Whether `login` is an active member of `org/slug`.
    pub async fn is_team_member(
        &self,
        org: &str,
        slug: &str,
        login: &str,
    ) -> Result<bool, GitHubError> {
        let url = format!(
            "/orgs/{}/teams/{}/memberships/{}",
            encode(org),
            encode(slug),
            encode(login)
        );
        let answer = self.get(&url).await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        let membership: models::Membership = decode(&url, expect_ok(&url, answer)?)?;
        Ok(membership.state == "active")
    }

    /// `login`'s permission on the repository.
    pub async fn permission(&self, login: &str) -> Result<Permission, GitHubError> {
        let url = self.url(&format!("collaborators/{}/permission", encode(login)));
        let answer = self.get(&url).await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(Permission::None);
        }
        let raw: models::PermissionAnswer = decode(&url, expect_ok(&url, answer)?)?;
        Ok(raw.permission())
    }

    /// Who applied `label` most recently, and when, from the pull request's
    /// events.
    pub async fn labeler(&self, number: u64, label: &str) -> Result<Option<Labeled>, GitHubError> {
        let events: Vec<models::IssueEvent> = self
            .paged(&format!("issues/{number}/events"), usize::MAX)
            .await?;
        let mut last = None;
        for event in events {
            if event.event == "labeled" && event.label.as_ref().is_some_and(|l| l.name == label) {
                last = event.actor.map(|a| Labeled {
                    login: a.login,
                    at_ms: event
                        .created_at
                        .as_deref()
                        .and_then(|t| humantime::parse_rfc3339(t).ok())
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map(|d| d.as_millis() as i64),
                });
            }
        }
        Ok(last)
    }

    /// Check runs and commit statuses on `sha`, latest per name.
    pub async fn checks(&self, sha: &str) -> Result<Vec<Check>, GitHubError> {
        let runs: models::CheckRuns = self
            .get_json(&self.url(&format!("commits/{}/check-runs?per_page=100", encode(sha))))
            .await?;
        let status: models::CombinedStatus = self
            .get_json(&self.url(&format!("commits/{}/status", encode(sha))))
            .await?;
        let mut checks: Vec<Check> = runs
            .check_runs
            .into_iter()
            .map(models::CheckRun::into_check)
            .collect();
        checks.extend(status.statuses.into_iter().map(models::Status::into_check));
        Ok(checks)
    }

    /// Open pull requests whose head is commit `sha` (for events that name
    /// only a commit, such as `status`).
    pub async fn open_pulls_for_commit(&self, sha: &str) -> Result<Vec<u64>, GitHubError> {
        let pulls: Vec<models::PullRef> = self
            .get_json(&self.url(&format!("commits/{}/pulls?per_page=100", encode(sha))))
            .await?;
        Ok(pulls
            .into_iter()
            .filter(|p| p.state == "open" && p.head.sha == sha)
            .map(|p| p.number)
            .collect())
    }

    /// Open pull requests carrying `label`.
    pub async fn open_with_label(&self, label: &str) -> Result<Vec<u64>, GitHubError> {
        let issues: Vec<models::Issue> = self
            .paged(
                &format!("issues?state=open&labels={}", encode(label)),
                usize::MAX,
            )
            .await?;
        Ok(issues
            .into_iter()
            .filter(|i| i.pull_request.is_some())
            .map(|i| i.number)
            .collect())
    }
}

/// The UTF-8 text of GitHub's base64 `content` (with its line breaks) read
/// from `url`.
pub(crate) fn base64_text(url: &str, content: Option<String>) -> Result<String, GitHubError> {
    let cleaned: String = content
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cleaned)
        .map_err(|e| GitHubError::Decode {
            what: url.to_owned(),
            message: e.to_string(),
        })?;
    String::from_utf8(bytes).map_err(|_| GitHubError::Decode {
        what: url.to_owned(),
        message: "not UTF-8 text".into(),
    })
}
