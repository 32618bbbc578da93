//! What landq writes on a pull request: the `landq` check run (an App) or
//! commit status (a token), comments, and the label's removal.

use http::{Method, StatusCode};
use serde::Serialize;

use crate::error::{GitHubError, decode, expect_ok};
use crate::{Repo, encode, models};

/// The hidden first line of landq's comment, by which it finds it again.
pub const COMMENT_MARKER: &str = "<!-- landq -->";

/// A check run's state, for [`Repo::create_check_run`] and [`Repo::update_check_run`].
#[derive(Clone, Debug, Serialize)]
pub struct CheckRunUpdate {
    /// `queued`, `in_progress` or `completed`.
    pub status: &'static str,
    /// With `completed`: `success`, `failure`, `neutral`, `cancelled`, `action_required`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<&'static str>,
    /// The one-line title.
    pub title: String,
    /// The Markdown summary.
    pub summary: String,
}

impl Repo {
    /// Creates a check run named `name` on `sha`; returns its id.
    pub async fn create_check_run(
        &self,
        sha: &str,
        name: &str,
        update: &CheckRunUpdate,
    ) -> Result<u64, GitHubError> {
        let url = self.url("check-runs");
        let body = serde_json::json!({
            "name": name,
            "head_sha": sha,
            "status": update.status,
            "conclusion": update.conclusion,
            "output": {"title": update.title, "summary": update.summary},
        });
        let answer = self.write(Method::POST, &url, &body).await?;
        let created: models::Created = decode(&url, expect_ok(&url, answer)?)?;
        Ok(created.id)
    }

    /// Updates check run `id`.
    pub async fn update_check_run(
        &self,
        id: u64,
        update: &CheckRunUpdate,
    ) -> Result<(), GitHubError> {
        let url = self.url(&format!("check-runs/{id}"));
        let body = serde_json::json!({
            "status": update.status,
            "conclusion": update.conclusion,
            "output": {"title": update.title, "summary": update.summary},
        });
        expect_ok(&url, self.write(Method::PATCH, &url, &body).await?).map(drop)
    }

    /// Sets commit status `context` on `sha` (for token auth, which cannot
    /// create check runs).
    pub async fn set_status(
        &self,
        sha: &str,
        context: &str,
        state: &str,
        description: &str,
    ) -> Result<(), GitHubError> {
        let url = self.url(&format!("statuses/{}", encode(sha)));
        let description: String = description.chars().take(140).collect();
        let body =
            serde_json::json!({"state": state, "context": context, "description": description});
        expect_ok(&url, self.write(Method::POST, &url, &body).await?).map(drop)
    }

    /// Writes landq's one comment on pull request `number`: edits the one
    /// it wrote before (comment `known`, or found by its hidden marker) or
    /// creates it. Returns its id.
    pub async fn sticky_comment(
        &self,
        number: u64,
        known: Option<u64>,
        body: &str,
    ) -> Result<u64, GitHubError> {
        let body = serde_json::json!({ "body": format!("{COMMENT_MARKER}\n{body}") });
        let existing = match known {
            Some(id) => Some(id),
            None => self.find_comment(number).await?,
        };
        if let Some(id) = existing {
            let url = self.url(&format!("issues/comments/{id}"));
            let answer = self.write(Method::PATCH, &url, &body).await?;
            if answer.status != StatusCode::NOT_FOUND {
                expect_ok(&url, answer)?;
                return Ok(id);
            }
            // Someone deleted it: write a new one.
        }
        let url = self.url(&format!("issues/{number}/comments"));
        let answer = self.write(Method::POST, &url, &body).await?;
        let created: models::Created = decode(&url, expect_ok(&url, answer)?)?;
        Ok(created.id)
    }

    /// The comment landq wrote on pull request `number`, by its marker.
    async fn find_comment(&self, number: u64) -> Result<Option<u64>, GitHubError> {
        let comments: Vec<models::Comment> = self
            .paged(&format!("issues/{number}/comments"), usize::MAX)
            .await?;
        Ok(comments
            .into_iter()
            .find(|c| {
                c.body
                    .as_deref()
                    .is_some_and(|b| b.starts_with(COMMENT_MARKER))
            })
            .map(|c| c.id))
    }

    /// Closes pull request `number` without merging it (already closed is
    /// fine).
    pub async fn close_pull(&self, number: u64) -> Result<(), GitHubError> {
        let url = self.url(&format!("pulls/{number}"));
        let body = serde_json::json!({"state": "closed"});
        expect_ok(&url, self.write(Method::PATCH, &url, &body).await?).map(drop)
    }

    /// Removes `label` from pull request `number` (already gone is fine).
    pub async fn remove_label(&self, number: u64, label: &str) -> Result<(), GitHubError> {
        let url = self.url(&format!("issues/{number}/labels/{}", encode(label)));
        let answer = self.write(Method::DELETE, &url, &()).await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(());
        }
        expect_ok(&url, answer).map(drop)
    }
}
