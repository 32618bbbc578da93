//! Shared set-up: a stub GitHub scripted with one pull request.

use std::time::Duration;

use landq_fake_github::Stub;
pub use landq_fake_github::scenario::{RULES, pull, script};
use landq_github::retry::RetryPolicy;
use landq_github::{Auth, GitHub, Repo};

/// The stub's GitHub client (token auth), fast retries.
pub async fn github(stub: &Stub) -> GitHub {
    github_at(&stub.start().await)
}

/// A GitHub client for the API at `url` (token auth), fast retries.
pub fn github_at(url: &str) -> GitHub {
    let retry = RetryPolicy {
        attempts: 2,
        backoff: Duration::from_millis(1),
        max_wait: Duration::from_secs(1),
    };
    GitHub::new(url, Auth::Token("t".to_owned().into()), retry).unwrap()
}

/// A client for the scenario's repository.
pub async fn repo(stub: &Stub) -> Repo {
    github(stub).await.repo(None, "acme/app").unwrap()
}
