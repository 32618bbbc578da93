//! People looking at the dashboard: GitHub's OAuth web flow for the App
//! (user-to-server tokens) and what a person's token may read.
//!
//! These calls never carry landq's own credentials: they go through a
//! client without authentication, with the person's token (or the App's
//! client secret, in the form body of the code exchange) set per request.
//! The flow, as GitHub documents it:
//! 1. the browser goes to `{web}/login/oauth/authorize?client_id&state`
//!    (and `redirect_uri` when configured);
//! 2. GitHub sends it back with `code` and the same `state`;
//! 3. `POST {web}/login/oauth/access_token` exchanges the code for a token
//!    (GitHub answers 200 with an `error` field when it refuses);
//! 4. `GET /user` names the person; `GET /repos/{owner}/{repo}` answers 200
//!    only if they (and, for a user-to-server token, the App) can read it.

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{Method, Request, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::GitHub;
use crate::error::{GitHubError, decode, expect_ok};
use crate::retry::Answer;

/// The App's OAuth credentials (its client id and secret).
pub struct OAuthClient {
    /// The client id (public: it is in every sign-in link).
    pub id: String,
    /// The client secret (never logged).
    pub secret: SecretString,
}

/// What GitHub says about a person's access to a repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readable {
    /// They can read it.
    Yes,
    /// They cannot (GitHub answers 404 or 403, as it does for a private
    /// repository to someone outside it).
    No,
    /// GitHub refuses the token (401: expired or revoked).
    BadToken,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct Viewer {
    login: String,
}

impl GitHub {
    /// Where to send a browser to sign in: GitHub's authorize page for
    /// `client_id`, carrying `state` (and `redirect_uri`, if given).
    pub fn authorize_url(
        &self,
        client_id: &str,
        redirect_uri: Option<&str>,
        state: &str,
    ) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("client_id", client_id);
        if let Some(uri) = redirect_uri {
            query.append_pair("redirect_uri", uri);
        }
        query.append_pair("state", state);
        query.append_pair("allow_signup", "false");
        format!("{}/login/oauth/authorize?{}", self.web, query.finish())
    }

    /// Exchanges the `code` GitHub sent back for the person's token.
    pub async fn exchange_code(
        &self,
        client: &OAuthClient,
        code: &str,
        redirect_uri: Option<&str>,
    ) -> Result<SecretString, GitHubError> {
        const WHAT: &str = "POST /login/oauth/access_token";
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("client_id", &client.id)
                .append_pair("client_secret", client.secret.expose_secret())
                .append_pair("code", code);
            if let Some(uri) = redirect_uri {
                form.append_pair("redirect_uri", uri);
            }
            form.finish()
        };
        let url = format!("{}/login/oauth/access_token", self.web);
        let answer = self
            .retry
            .send(WHAT, || {
                let request = Request::builder()
                    .method(Method::POST)
                    .uri(url.as_str())
                    .header(ACCEPT, "application/json")
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(USER_AGENT, "landq")
                    .body(body.clone())
                    .expect("a valid request");
                self.anonymous.execute(request)
            })
            .await?;
        let token: TokenAnswer = decode(WHAT, expect_ok(WHAT, answer)?)?;
        match (token.access_token, token.error) {
            (Some(token), None) => Ok(SecretString::from(token)),
            (_, error) => Err(GitHubError::Status {
                status: 401,
                what: WHAT.to_owned(),
                message: format!(
                    "{}: {}",
                    error.as_deref().unwrap_or("no token"),
                    token
                        .error_description
                        .as_deref()
                        .unwrap_or("GitHub gave no token")
                ),
            }),
        }
    }

    /// The login `token` belongs to; `None` if GitHub refuses the token.
    pub async fn viewer(&self, token: &SecretString) -> Result<Option<String>, GitHubError> {
        let answer = self.as_viewer(token, "/user").await?;
        if answer.status == StatusCode::UNAUTHORIZED {
            return Ok(None);
        }
        let viewer: Viewer = decode("/user", expect_ok("/user", answer)?)?;
        Ok(Some(viewer.login))
    }

    /// Whether the holder of `token` can read `repo` (`owner/name`).
    pub async fn readable(
        &self,
        token: &SecretString,
        repo: &str,
    ) -> Result<Readable, GitHubError> {
        if !landq_policy::names::is_repo(repo) {
            return Ok(Readable::No);
        }
        let path = format!("/repos/{repo}");
        let answer = self.as_viewer(token, &path).await?;
        match answer.status {
            StatusCode::UNAUTHORIZED => Ok(Readable::BadToken),
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN => Ok(Readable::No),
            _ => expect_ok(&path, answer).map(|_| Readable::Yes),
        }
    }

    /// `GET path` with the person's token.
    async fn as_viewer(&self, token: &SecretString, path: &str) -> Result<Answer, GitHubError> {
        let bearer = format!("Bearer {}", token.expose_secret());
        self.retry
            .send(path, || {
                let request = Request::builder()
                    .method(Method::GET)
                    .uri(path)
                    .header(ACCEPT, "application/vnd.github+json")
                    .header(AUTHORIZATION, bearer.as_str())
                    .header(USER_AGENT, "landq")
                    .body(String::new())
                    .expect("a valid request");
                self.anonymous.execute(request)
            })
            .await
    }
}
