//! The one retry policy for every GitHub call.
//!
//! octocrab's own retries are off; this layer decides. Server errors and
//! transport failures are retried with exponential backoff. Rate limits wait
//! as GitHub says: `retry-after`, else until `x-ratelimit-reset`, else a
//! minute for a secondary limit, and give up with [`GitHubError::RateLimited`]
//! when that is longer than the policy allows. Calls that must not repeat
//! (the merge) use [`RetryPolicy::once`].

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;

use crate::GitHubError;

/// A raw answer: status, headers, body.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// Response body.
    pub body: Bytes,
}

/// How hard to try.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The first backoff; doubled each time.
    pub backoff: Duration,
    /// The longest rate-limit wait worth sleeping through.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            backoff: Duration::from_millis(250),
            max_wait: Duration::from_secs(60),
        }
    }
}

type Sent =
    octocrab::Result<http::Response<http_body_util::combinators::BoxBody<Bytes, octocrab::Error>>>;

impl RetryPolicy {
    /// Sends `request()` until it gives an answer worth returning.
    pub async fn send<F, Fut>(&self, what: &str, request: F) -> Result<Answer, GitHubError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Sent>,
    {
        let mut attempt = 1;
        loop {
            let outcome = read(request().await).await;
            let wait = match &outcome {
                Ok(answer) => match rate_limit_wait(answer) {
                    Some(wait) if wait > self.max_wait => {
                        return Err(GitHubError::RateLimited { wait });
                    }
                    Some(wait) => Some(wait),
                    None if answer.status.is_server_error() => Some(self.backoff(attempt)),
                    None => return outcome,
                },
                Err(_) => Some(self.backoff(attempt)),
            };
            if attempt >= self.attempts {
                return match outcome {
                    Ok(answer) if rate_limit_wait(&answer).is_some() => {
                        Err(GitHubError::RateLimited {
                            wait: wait.unwrap_or_default(),
                        })
                    }
                    other => other,
                };
            }
            let wait = wait.unwrap_or_default();
            tracing::warn!(%what, attempt, wait_ms = wait.as_millis() as u64, "GitHub call failed; retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// The wait before attempt `attempt + 1` after a failure.
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.backoff * 2u32.pow(attempt.saturating_sub(1).min(16))
    }

    /// Sends `request()` exactly once (for calls that must not repeat).
    pub async fn once<Fut>(&self, request: Fut) -> Result<Answer, GitHubError>
    where
        Fut: Future<Output = Sent>,
    {
        read(request.await).await
    }
}

async fn read(sent: Sent) -> Result<Answer, GitHubError> {
    let response = sent.map_err(|err| GitHubError::Transport(err.to_string()))?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|err| GitHubError::Transport(err.to_string()))?
        .to_bytes();
    Ok(Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// How long GitHub asks us to wait, if this answer is a rate limit.
pub(crate) fn rate_limit_wait(answer: &Answer) -> Option<Duration> {
    let header = |name: &str| answer.headers.get(name).and_then(|v| v.to_str().ok());
    let limited = match answer.status {
        StatusCode::TOO_MANY_REQUESTS => true,
        StatusCode::FORBIDDEN => {
            header("x-ratelimit-remaining") == Some("0")
                || header("retry-after").is_some()
                || String::from_utf8_lossy(&answer.body).contains("secondary rate limit")
        }
        _ => false,
    };
    if !limited {
        return None;
    }
    if let Some(seconds) = header("retry-after").and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_secs(seconds));
    }
    if header("x-ratelimit-remaining") == Some("0")
        && let Some(reset) = header("x-ratelimit-reset").and_then(|v| v.parse::<u64>().ok())
    {
        // GitHub's reset is an absolute time on GitHub's clock: compare it
        // with this machine's wall clock, not landq's (test-movable) one.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        return Some(Duration::from_secs(reset.saturating_sub(now) + 1));
    }
    Some(Duration::from_secs(60))
}
