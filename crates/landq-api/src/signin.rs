//! Who may look: sign-in with GitHub through the App's OAuth web flow, and
//! what each person may read.
//!
//! - `GET /auth/login?next=/path` sends the browser to GitHub's authorize
//!   page with a fresh `state`, kept in an encrypted cookie.
//! - `GET /auth/callback?code&state` checks the state, exchanges the code
//!   for the person's user-to-server token, asks GitHub who they are, and
//!   keeps both in the session cookie (encrypted and authenticated,
//!   `HttpOnly`, `SameSite=Lax`, `Secure` behind https, 8 hours like
//!   GitHub's token), then goes back to `next`.
//! - `GET /auth/logout` forgets the session.
//!
//! A request carries a person through that cookie or through
//! `Authorization: Bearer <GitHub token>` (scripts). Their token is checked
//! with GitHub (`GET /user`) and each repository they ask about is shown
//! only if GitHub lets the token read it (`GET /repos/{owner}/{repo}`);
//! both answers are held for [`FRESH`], keyed by a SHA-256 of the token, so
//! a page view costs GitHub nothing while they are held.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::PrivateCookieJar;
use axum_extra::extract::cookie::{Cookie, Key, SameSite};
use landq_github::{OAuthClient, Readable};
use maud::html;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

use crate::Dashboard;
use crate::api::Failure;
use crate::fresh::Fresh;

/// How long GitHub's answers about a token (whose it is, what it may read)
/// are held.
pub const FRESH: Duration = Duration::from_secs(60);

/// How long a session lasts (GitHub's user-to-server tokens expire after
/// 8 hours).
const SESSION: Duration = Duration::from_secs(8 * 3600);

/// How long a sign-in may take between leaving and coming back.
const SIGNING_IN: Duration = Duration::from_secs(600);

const SESSION_COOKIE: &str = "landq_session";
const STATE_COOKIE: &str = "landq_signin";

/// Sign-in with GitHub, configured.
pub struct SignIn {
    /// The App's OAuth client id and secret.
    pub client: OAuthClient,
    /// Where landq is reached (`https://landq.example`), when known: the
    /// callback GitHub returns to is `{public_url}/auth/callback`, and
    /// cookies are `Secure` behind https. Without it GitHub returns to the
    /// App's configured callback URL.
    pub public_url: Option<String>,
    key: Key,
}

impl SignIn {
    /// Sign-in with the App's OAuth `client`. The cookies' key is derived
    /// from the client secret, so every replica reads every session.
    pub fn new(client: OAuthClient, public_url: Option<String>) -> SignIn {
        let master = Sha512::digest(
            format!("landq session key\0{}", client.secret.expose_secret()).as_bytes(),
        );
        SignIn {
            key: Key::from(master.as_slice()),
            client,
            public_url: public_url.map(|u| u.trim_end_matches('/').to_owned()),
        }
    }

    fn callback(&self) -> Option<String> {
        self.public_url
            .as_ref()
            .map(|u| format!("{u}/auth/callback"))
    }

    fn secure(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    fn cookie(&self, name: &'static str, value: String, max_age: Duration) -> Cookie<'static> {
        Cookie::build((name, value))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure())
            .max_age(cookie_duration(max_age))
            .build()
    }
}

fn cookie_duration(d: Duration) -> time::Duration {
    time::Duration::seconds(d.as_secs() as i64)
}

/// Who is looking.
#[derive(Clone)]
pub enum Viewer {
    /// Anyone who reaches the listener (loopback, no sign-in).
    Anyone,
    /// A person, by their GitHub token.
    Person {
        /// Their login.
        login: String,
        /// Their token (never logged).
        token: SecretString,
    },
}

/// What a session cookie holds.
#[derive(Serialize, Deserialize)]
struct Session {
    login: String,
    token: String,
}

/// What the state cookie holds between leaving for GitHub and coming back.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    next: String,
}

/// GitHub's answers about tokens (by their SHA-256), held for [`FRESH`]:
/// whose each is, and what each may read.
pub struct TokenCache {
    logins: Fresh<String, Option<String>>,
    reads: Fresh<(String, String), bool>,
}

impl Default for TokenCache {
    fn default() -> Self {
        TokenCache {
            logins: Fresh::new(FRESH),
            reads: Fresh::new(FRESH),
        }
    }
}

fn digest(token: &SecretString) -> String {
    hex::encode(Sha256::digest(token.expose_secret().as_bytes()))
}

impl Dashboard {
    /// The person `token` belongs to (`None`: GitHub refuses it).
    pub(crate) async fn person(&self, token: &SecretString) -> Result<Option<String>, Failure> {
        let key = digest(token);
        if let Some(login) = self.tokens.logins.get(&key) {
            return Ok(login);
        }
        let github = self.github.as_ref().ok_or(Failure::NoGitHub)?;
        let login = github.viewer(token).await?;
        self.tokens.logins.put(key, login.clone());
        Ok(login)
    }

    /// Whether `viewer` may see `repo`.
    pub async fn may_read(&self, viewer: &Viewer, repo: &str) -> Result<bool, Failure> {
        let Viewer::Person { token, .. } = viewer else {
            return Ok(true);
        };
        let key = (digest(token), repo.to_owned());
        if let Some(readable) = self.tokens.reads.get(&key) {
            return Ok(readable);
        }
        let github = self.github.as_ref().ok_or(Failure::NoGitHub)?;
        let readable = match github.readable(token, repo).await? {
            Readable::Yes => true,
            Readable::No => false,
            Readable::BadToken => return Err(Failure::SignedOut),
        };
        self.tokens.reads.put(key, readable);
        Ok(readable)
    }

    /// Of `repos`, those `viewer` may see (asked of GitHub together).
    pub async fn readable(
        &self,
        viewer: &Viewer,
        repos: Vec<String>,
    ) -> Result<Vec<String>, Failure> {
        let checks = repos.iter().map(|repo| self.may_read(viewer, repo));
        let readable = futures::future::try_join_all(checks).await?;
        Ok(repos
            .into_iter()
            .zip(readable)
            .filter_map(|(repo, yes)| yes.then_some(repo))
            .collect())
    }
}

/// The viewer of a request under sign-in: by `Authorization: Bearer`, else
/// by the session cookie; `None` when neither names someone GitHub knows.
pub(crate) async fn viewer_of(
    dashboard: &Dashboard,
    sign_in: &SignIn,
    headers: &axum::http::HeaderMap,
) -> Result<Option<Viewer>, Failure> {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("token "))
        })
        .map(|t| SecretString::from(t.trim().to_owned()));
    let token = match bearer {
        Some(token) => token,
        None => {
            let jar = PrivateCookieJar::from_headers(headers, sign_in.key.clone());
            let Some(session) = jar
                .get(SESSION_COOKIE)
                .and_then(|c| serde_json::from_str::<Session>(c.value()).ok())
            else {
                return Ok(None);
            };
            SecretString::from(session.token)
        }
    };
    Ok(dashboard
        .person(&token)
        .await?
        .map(|login| Viewer::Person { login, token }))
}

/// The sign-in routes (none without sign-in configured).
pub fn router(dashboard: Arc<Dashboard>) -> Router {
    Router::new()
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/auth/logout", get(logout))
        .with_state(dashboard)
}

fn sign_in_of(dashboard: &Dashboard) -> Option<&SignIn> {
    match &dashboard.access {
        crate::Access::SignIn(sign_in) => Some(sign_in),
        _ => None,
    }
}

fn not_configured() -> Response {
    (
        StatusCode::NOT_FOUND,
        "sign-in with GitHub is not configured",
    )
        .into_response()
}

/// A path on this site to return to (never another site).
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
        _ => "/".to_owned(),
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

async fn login(
    State(dashboard): State<Arc<Dashboard>>,
    Query(query): Query<LoginQuery>,
) -> Result<Response, Response> {
    let sign_in = sign_in_of(&dashboard).ok_or_else(not_configured)?;
    let github = dashboard
        .github
        .as_ref()
        .ok_or_else(|| Failure::NoGitHub.into_response())?;
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|e| {
        tracing::error!(error = %e, "sign-in: no randomness");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    })?;
    let pending = Pending {
        state: hex::encode(random),
        next: local_path(query.next.as_deref()),
    };
    let url = github.authorize_url(
        &sign_in.client.id,
        sign_in.callback().as_deref(),
        &pending.state,
    );
    let jar = PrivateCookieJar::new(sign_in.key.clone()).add(sign_in.cookie(
        STATE_COOKIE,
        serde_json::to_string(&pending).expect("serializable"),
        SIGNING_IN,
    ));
    Ok((jar, Redirect::to(&url)).into_response())
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(
    State(dashboard): State<Arc<Dashboard>>,
    jar: axum::http::HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, Response> {
    let sign_in = sign_in_of(&dashboard).ok_or_else(not_configured)?;
    let jar = PrivateCookieJar::from_headers(&jar, sign_in.key.clone());
    let pending = jar
        .get(STATE_COOKIE)
        .and_then(|c| serde_json::from_str::<Pending>(c.value()).ok());
    let jar = jar.remove(Cookie::build(STATE_COOKIE).path("/"));
    if let Some(error) = &query.error {
        let why = query.error_description.as_deref().unwrap_or(error);
        return Err(failed(
            StatusCode::FORBIDDEN,
            &format!("GitHub says: {why}"),
        ));
    }
    let (Some(pending), Some(state), Some(code)) = (pending, &query.state, &query.code) else {
        return Err(failed(
            StatusCode::BAD_REQUEST,
            "this sign-in was not started here, or took longer than ten minutes",
        ));
    };
    if &pending.state != state {
        return Err(failed(
            StatusCode::BAD_REQUEST,
            "the sign-in's state does not match the one this browser started",
        ));
    }
    let github = dashboard
        .github
        .as_ref()
        .ok_or_else(|| Failure::NoGitHub.into_response())?;
    let token = github
        .exchange_code(&sign_in.client, code, sign_in.callback().as_deref())
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "sign-in: GitHub refused the code");
            failed(
                StatusCode::BAD_GATEWAY,
                &format!("GitHub refused the sign-in: {e}"),
            )
        })?;
    let Some(login) = dashboard
        .person(&token)
        .await
        .map_err(IntoResponse::into_response)?
    else {
        return Err(failed(
            StatusCode::BAD_GATEWAY,
            "GitHub refused the token it just issued",
        ));
    };
    tracing::info!(login, "signed in with GitHub");
    let session = Session {
        login,
        token: token.expose_secret().to_owned(),
    };
    let jar = jar.add(sign_in.cookie(
        SESSION_COOKIE,
        serde_json::to_string(&session).expect("serializable"),
        SESSION,
    ));
    Ok((jar, Redirect::to(&pending.next)).into_response())
}

async fn logout(
    State(dashboard): State<Arc<Dashboard>>,
    headers: axum::http::HeaderMap,
) -> Result<Response, Response> {
    let sign_in = sign_in_of(&dashboard).ok_or_else(not_configured)?;
    let jar = PrivateCookieJar::from_headers(&headers, sign_in.key.clone())
        .remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/")).into_response())
}

/// A page with a heading, a sentence and a sign-in link.
fn sign_in_page(
    status: StatusCode,
    heading: &str,
    text: &str,
    link: &str,
    label: &str,
) -> Response {
    let body = html! {
        (maud::DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (heading) " · landq" } }
            body {
                h1 { (heading) }
                p { (text) }
                p { a href=(link) { (label) } }
            }
        }
    };
    (status, body).into_response()
}

/// A page saying the sign-in failed, with a link to try again.
fn failed(status: StatusCode, why: &str) -> Response {
    sign_in_page(
        status,
        "Sign-in failed",
        why,
        "/auth/login",
        "Sign in with GitHub again",
    )
}

/// The answer to a request without a person: 401, as JSON for the API and
/// as a page with a sign-in link for people.
pub(crate) fn sign_in_first(path: &str, query: Option<&str>) -> Response {
    if path.starts_with("/api/") {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(crate::api::ApiError {
                message: "sign in with GitHub at /auth/login, or send `Authorization: Bearer \
                          <GitHub token>`"
                    .into(),
            }),
        )
            .into_response();
    }
    let back = match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    let link = format!(
        "/auth/login?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("next", &back)
            .finish()
    );
    sign_in_page(
        StatusCode::UNAUTHORIZED,
        "Sign in",
        "The queue and the lands are shown to those who can read the repository on GitHub.",
        &link,
        "Sign in with GitHub",
    )
}
