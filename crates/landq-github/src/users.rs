//! Users' public profiles, read with conditional requests: GitHub answers
//! 304 Not Modified to a request that carries the ETag of what the caller
//! holds, and a 304 does not count against the rate limit.

use http::StatusCode;
use http::header::{ETAG, HeaderMap, HeaderValue, IF_NONE_MATCH};
use serde::{Deserialize, Serialize};

use crate::GitHub;
use crate::error::{GitHubError, decode, expect_ok};

/// A user's public profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Profile {
    /// The login.
    pub login: String,
    /// The profile page.
    pub html_url: String,
    /// The avatar image.
    pub avatar_url: String,
    /// The public email address, if the user shows one.
    pub email: Option<String>,
    /// Followers.
    pub followers: u64,
}

/// What a conditional read found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conditional<T> {
    /// Changed (or first read): the value and its ETag.
    Fresh(T, Option<String>),
    /// Not changed since the ETag sent (304).
    NotModified,
}

impl GitHub {
    /// The public profile of `login`, through `installation` for an App;
    /// with `etag`, [`Conditional::NotModified`] if it has not changed.
    /// `None` when GitHub knows no such user.
    pub async fn profile(
        &self,
        installation: Option<u64>,
        login: &str,
        etag: Option<&str>,
    ) -> Result<Option<Conditional<Profile>>, GitHubError> {
        if !landq_policy::names::is_login(login) {
            return Ok(None);
        }
        let octo = self.octo_for(installation, login)?;
        conditional(&octo, &self.retry, &format!("/users/{login}"), etag).await
    }
}

/// `GET path` carrying `etag` in `If-None-Match`: the value and its ETag,
/// [`Conditional::NotModified`] on GitHub's 304 (which costs no rate
/// limit), `None` on 404.
pub(crate) async fn conditional<T: serde::de::DeserializeOwned>(
    octo: &octocrab::Octocrab,
    retry: &crate::retry::RetryPolicy,
    path: &str,
    etag: Option<&str>,
) -> Result<Option<Conditional<T>>, GitHubError> {
    let mut headers = HeaderMap::new();
    if let Some(value) = etag.and_then(|e| HeaderValue::from_str(e).ok()) {
        headers.insert(IF_NONE_MATCH, value);
    }
    let answer = retry
        .send(path, || octo._get_with_headers(path, Some(headers.clone())))
        .await?;
    match answer.status {
        StatusCode::NOT_MODIFIED => Ok(Some(Conditional::NotModified)),
        StatusCode::NOT_FOUND => Ok(None),
        _ => {
            let etag = answer
                .headers
                .get(ETAG)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let value = decode(path, expect_ok(path, answer)?)?;
            Ok(Some(Conditional::Fresh(value, etag)))
        }
    }
}
