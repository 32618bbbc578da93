//! What can go wrong talking to GitHub, and reading its answers.

use std::time::Duration;

use crate::models;
use crate::retry::Answer;

/// What went wrong talking to GitHub.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// GitHub answered with an error status.
    #[error("GitHub answered {status} to {what}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The request.
        what: String,
        /// GitHub's message.
        message: String,
    },
    /// A rate limit longer than the retry policy waits.
    #[error("GitHub rate limit: retry in {} s", wait.as_secs())]
    RateLimited {
        /// How long GitHub asks to wait.
        wait: Duration,
    },
    /// The request did not complete (connection, timeout).
    #[error("cannot reach GitHub: {0}")]
    Transport(String),
    /// GitHub's answer was not what landq expects.
    #[error("unexpected answer from GitHub to {what}: {message}")]
    Decode {
        /// The request.
        what: String,
        /// The decoding error.
        message: String,
    },
    /// The pull request changes more files than GitHub lists.
    #[error(
        "the pull request changes {0} files; GitHub lists only 3000, so landq cannot check \
         ownership of every file: split it"
    )]
    TooManyFiles(u64),
    /// The client could not be built (bad key, bad URL).
    #[error("GitHub client configuration: {0}")]
    Config(String),
}

pub(crate) fn expect_ok(what: &str, answer: Answer) -> Result<Answer, GitHubError> {
    if answer.status.is_success() {
        Ok(answer)
    } else {
        Err(status_error(what, &answer))
    }
}

pub(crate) fn status_error(what: &str, answer: &Answer) -> GitHubError {
    GitHubError::Status {
        status: answer.status.as_u16(),
        what: what.to_owned(),
        message: message_of(answer),
    }
}

pub(crate) fn message_of(answer: &Answer) -> String {
    serde_json::from_slice::<models::ErrorBody>(&answer.body)
        .map(|e| e.message)
        .unwrap_or_else(|_| {
            String::from_utf8_lossy(&answer.body)
                .chars()
                .take(200)
                .collect()
        })
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    what: &str,
    answer: Answer,
) -> Result<T, GitHubError> {
    serde_json::from_slice(&answer.body).map_err(|e| GitHubError::Decode {
        what: what.to_owned(),
        message: e.to_string(),
    })
}
