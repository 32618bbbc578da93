//! The OAuth web flow of the App, as GitHub documents it, and what a
//! person's (user-to-server) token may read.
//!
//! - `GET /login/oauth/authorize?client_id&redirect_uri&state`: the person
//!   signed in at GitHub in the test's browser (see
//!   [`Hub::sign_in_browser`](super::Hub::sign_in_browser)) approves at
//!   once: 302 to `redirect_uri` (else the App's callback URL) with `code`
//!   and the same `state`. Nobody signed in, or an unknown client: 404.
//! - `POST /login/oauth/access_token` (parameters in the form body, the
//!   query or JSON): a code is good once, for its client and redirect URI.
//!   GitHub answers 200 even when it refuses, with `error` and
//!   `error_description`; JSON when asked by `Accept: application/json`,
//!   else a form-encoded body.
//! - With a `ghu_` token: `GET /user` is its person; `GET /repos/{o}/{r}`
//!   answers 200 only if the person can read the repository (public, or
//!   they hold a role on it) and, with an App, the App is installed on it;
//!   404 otherwise, as GitHub hides private repositories. Other routes 403.
//!   An unknown or revoked token: 401.

use std::collections::HashMap;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::rest::not_found;
use super::{Answer, World};

/// The App's OAuth side: its credentials, the codes and tokens issued.
#[derive(Default)]
pub(super) struct OAuth {
    /// (client id, client secret, callback URL).
    client: Option<(String, String, String)>,
    /// Who is signed in at GitHub in the browser.
    browser: Option<String>,
    /// code → (login, redirect URI it was issued for).
    codes: HashMap<String, (String, Option<String>)>,
    /// token → login.
    pub(super) tokens: HashMap<String, String>,
    issued: usize,
}

impl OAuth {
    pub(super) fn register(&mut self, id: &str, secret: &str, callback: &str) {
        self.client = Some((id.into(), secret.into(), callback.into()));
    }

    pub(super) fn sign_in(&mut self, login: Option<&str>) {
        self.browser = login.map(str::to_owned);
    }

    /// A token for `login`, as the flow would issue.
    pub(super) fn issue(&mut self, login: &str) -> String {
        self.issued += 1;
        let token = format!("ghu_test_{login}_{}", self.issued);
        self.tokens.insert(token.clone(), login.to_owned());
        token
    }

    /// Answers `/login/oauth/...`.
    pub(super) fn answer(
        &mut self,
        method: &Method,
        path: &str,
        params: &HashMap<String, String>,
        wants_json: bool,
    ) -> Response {
        match (method.as_str(), path) {
            ("GET", "/login/oauth/authorize") => self.authorize(params),
            ("POST", "/login/oauth/access_token") => {
                let answer = self.exchange(params);
                if wants_json {
                    return (StatusCode::OK, axum::Json(answer)).into_response();
                }
                let mut form = form_urlencoded::Serializer::new(String::new());
                for (key, value) in answer.as_object().into_iter().flatten() {
                    let value = value.as_str().map_or(value.to_string(), str::to_owned);
                    form.append_pair(key, &value);
                }
                (
                    StatusCode::OK,
                    [("content-type", "application/x-www-form-urlencoded")],
                    form.finish(),
                )
                    .into_response()
            }
            _ => (StatusCode::NOT_FOUND, "Not Found").into_response(),
        }
    }

    fn authorize(&mut self, params: &HashMap<String, String>) -> Response {
        let Some((id, _, callback)) = &self.client else {
            return (StatusCode::NOT_FOUND, "no OAuth app").into_response();
        };
        if params.get("client_id") != Some(id) {
            return (StatusCode::NOT_FOUND, "unknown client_id").into_response();
        }
        let Some(login) = self.browser.clone() else {
            return (StatusCode::NOT_FOUND, "nobody is signed in at GitHub").into_response();
        };
        let redirect = params.get("redirect_uri").cloned();
        let target = redirect.clone().unwrap_or_else(|| callback.clone());
        self.issued += 1;
        let code = format!("code{}", self.issued);
        self.codes.insert(code.clone(), (login, redirect));
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("code", &code);
        if let Some(state) = params.get("state") {
            query.append_pair("state", state);
        }
        let separator = if target.contains('?') { '&' } else { '?' };
        let location = format!("{target}{separator}{}", query.finish());
        (StatusCode::FOUND, [("location", location)]).into_response()
    }

    fn exchange(&mut self, params: &HashMap<String, String>) -> Value {
        let refuse = |error: &str, description: &str| {
            json!({
                "error": error,
                "error_description": description,
                "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors",
            })
        };
        let Some((id, secret, _)) = &self.client else {
            return refuse(
                "incorrect_client_credentials",
                "The client_id and/or client_secret passed are incorrect.",
            );
        };
        if params.get("client_id") != Some(id) || params.get("client_secret") != Some(secret) {
            return refuse(
                "incorrect_client_credentials",
                "The client_id and/or client_secret passed are incorrect.",
            );
        }
        let code = params.get("code").map(String::as_str).unwrap_or("");
        let Some((login, redirect)) = self.codes.remove(code) else {
            return refuse(
                "bad_verification_code",
                "The code passed is incorrect or expired.",
            );
        };
        if redirect.is_some() && params.get("redirect_uri") != redirect.as_ref() {
            return refuse(
                "redirect_uri_mismatch",
                "The redirect_uri MUST match the registered callback URL for this application.",
            );
        }
        let token = self.issue(&login);
        json!({
            "access_token": token,
            "expires_in": 28800,
            "refresh_token": format!("ghr_{token}"),
            "refresh_token_expires_in": 15_811_200,
            "scope": "",
            "token_type": "bearer",
        })
    }
}

impl World {
    /// Answers a request made with a person's token; `None` when the
    /// token is not one.
    pub(super) fn as_person(
        &self,
        method: &Method,
        segments: &[&str],
        bearer: &str,
    ) -> Option<Answer> {
        if !bearer.starts_with("ghu_") && !bearer.starts_with("gho_") {
            return None;
        }
        let Some(login) = self.oauth.tokens.get(bearer) else {
            return Some((
                StatusCode::UNAUTHORIZED,
                json!({"message": "Bad credentials"}),
            ));
        };
        Some(match (method.as_str(), segments) {
            ("GET", ["user"]) => (
                StatusCode::OK,
                json!({"login": login, "id": 7, "type": "User"}),
            ),
            ("GET", ["repos", owner, name]) => {
                let full = format!("{owner}/{name}");
                match self.repos.get(&full) {
                    Some(repo)
                        if (!repo.private || repo.permissions.contains_key(login))
                            && (self.app.is_none() || repo.installation.is_some()) =>
                    {
                        (StatusCode::OK, repo.summary(&full))
                    }
                    _ => not_found(),
                }
            }
            _ => (
                StatusCode::FORBIDDEN,
                json!({"message": "Resource not accessible by integration"}),
            ),
        })
    }
}
