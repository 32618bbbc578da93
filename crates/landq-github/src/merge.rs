//! The guarded squash merge: pinned to the evaluated head, sent again only
//! once a read shows it did not happen.

use http::StatusCode;

use crate::error::{GitHubError, message_of, status_error};
use crate::{Repo, models, retry};

/// The result of a merge call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MergeOutcome {
    /// Squash-merged; the new commit on the base branch.
    Merged {
        /// The squash commit's SHA.
        sha: String,
    },
    /// The head moved since it was evaluated (409): evaluate again.
    HeadMoved,
    /// GitHub refused to merge (405): conflicts or branch protection.
    NotMergeable(String),
}

impl Repo {
    /// Squash-merges `number` only if its head is still `sha`. Sent once;
    /// after an ambiguous failure the pull request is read again, since the
    /// merge may have happened.
    pub async fn merge(
        &self,
        number: u64,
        sha: &str,
        title: &str,
        message: &str,
    ) -> Result<MergeOutcome, GitHubError> {
        let url = self.url(&format!("pulls/{number}/merge"));
        let body = serde_json::json!({
            "sha": sha,
            "merge_method": "squash",
            "commit_title": title,
            "commit_message": message,
        });
        let mut attempt = 1;
        loop {
            let answer = self
                .retry
                .once(self.octo._put(url.as_str(), Some(&body)))
                .await;
            // Only what GitHub certainly did not do is sent again, and only
            // after the pull request is confirmed unmerged at `sha`.
            let wait = match &answer {
                Ok(answer) if answer.status.is_success() => {
                    let merged: models::Merged =
                        serde_json::from_slice(&answer.body).map_err(|e| GitHubError::Decode {
                            what: url.clone(),
                            message: e.to_string(),
                        })?;
                    return Ok(MergeOutcome::Merged { sha: merged.sha });
                }
                Ok(answer) if answer.status == StatusCode::CONFLICT => {
                    return Ok(MergeOutcome::HeadMoved);
                }
                Ok(answer) if answer.status == StatusCode::METHOD_NOT_ALLOWED => {
                    // "Already merged" (an earlier attempt went through) is a land.
                    return Ok(self
                        .confirm(number, sha)
                        .await?
                        .unwrap_or_else(|| MergeOutcome::NotMergeable(message_of(answer))));
                }
                Ok(answer) => match retry::rate_limit_wait(answer) {
                    Some(wait) if wait > self.retry.max_wait => {
                        return Err(GitHubError::RateLimited { wait });
                    }
                    Some(wait) => wait,
                    None if answer.status.is_server_error() => self.retry.backoff(attempt),
                    None => return Err(status_error(&url, answer)),
                },
                Err(_) => self.retry.backoff(attempt),
            };
            tracing::warn!(
                pr = number,
                attempt,
                "merge not confirmed; reading the pull request to see whether it merged"
            );
            if let Some(outcome) = self.confirm(number, sha).await? {
                return Ok(outcome);
            }
            if attempt >= self.retry.attempts {
                return match answer {
                    Ok(answer) if retry::rate_limit_wait(&answer).is_some() => {
                        Err(GitHubError::RateLimited { wait })
                    }
                    Ok(answer) => Err(status_error(&url, &answer)),
                    Err(err) => Err(err),
                };
            }
            tokio::time::sleep(wait).await;
            // The head may have moved or the merge landed while we waited.
            if let Some(outcome) = self.confirm(number, sha).await? {
                return Ok(outcome);
            }
            attempt += 1;
        }
    }

    /// What the pull request says about a merge of `sha`: merged (by this
    /// merge), the head moved, or `None`: still open at `sha`.
    async fn confirm(&self, number: u64, sha: &str) -> Result<Option<MergeOutcome>, GitHubError> {
        let view = self.pull(number).await?;
        Ok(match view.merge_commit_sha {
            Some(merged)
                if view.pull.state == landq_policy::PullState::Merged
                    && view.pull.head_sha == sha =>
            {
                Some(MergeOutcome::Merged { sha: merged })
            }
            _ if view.pull.head_sha != sha => Some(MergeOutcome::HeadMoved),
            _ => None,
        })
    }
}
