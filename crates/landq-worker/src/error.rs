//! Why processing a nudge stopped early: the error of the lander, the
//! consumer and the reconcile alike.

use landq_github::GitHubError;
use landq_store::StoreError;

/// Why processing stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// GitHub failed (retries are exhausted or it rate-limits).
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ProcessError {
    /// Whether trying again can never help: GitHub says the pull request or
    /// repository is not there (404, 410: deleted, renamed, transferred, or
    /// the App lost access) or refuses the request as invalid (422), its
    /// answer cannot be read, or the repository name is impossible.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            ProcessError::GitHub(
                GitHubError::Status {
                    status: 404 | 410 | 422,
                    ..
                } | GitHubError::Decode { .. }
                    | GitHubError::Config(_)
            )
        )
    }
}
