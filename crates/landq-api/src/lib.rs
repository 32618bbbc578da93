//! landq's dashboard: what the store holds about the queue and the lands,
//! for people and for scripts.
//!
//! - [`api`]: the JSON API under `/api/v1`, every route in the OpenAPI 3
//!   document served at `/api/openapi.json` (generated from the code by
//!   `utoipa`) and browsable at `/api/docs`.
//! - [`pages`]: server-rendered HTML: `/` lists the repositories,
//!   `/repos/{owner}/{repo}` shows the queue, the recent lands and a chart
//!   of the daily land time ([`chart`]).
//! - [`authors`]: an author's GitHub profile (conditional requests, cached)
//!   and their lands per repository.
//! - [`query`]: the query parameters both read (times, windows, cursors).
//!
//! - [`signin`]: who may look. Pull request titles and authors of private
//!   repositories are not public: on a loopback listener anyone on the
//!   machine may ([`Access::Open`]); elsewhere a person signs in with GitHub
//!   (or sends their GitHub token) and sees a repository only if GitHub lets
//!   them read it ([`Access::SignIn`]); without sign-in configured, every
//!   route answers 401 ([`Access::Closed`]).

#![deny(missing_docs)]

pub mod api;
pub mod authors;
pub mod chart;
pub mod fresh;
pub mod pages;
pub mod query;
pub mod signin;

use std::sync::Arc;
use std::time::Duration;

use api::Failure;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fresh::Fresh;
use landq_github::GitHub;
use landq_store::stats::Stats;
use landq_store::{Store, StoreError};
pub use signin::{SignIn, Viewer};

/// Who may look.
pub enum Access {
    /// Everyone who can reach the listener (a loopback listener: only this
    /// machine).
    Open,
    /// Nobody: sign-in with GitHub is not configured, so a listener others
    /// can reach shows nothing.
    Closed,
    /// Those who sign in with GitHub (or send a GitHub token), each seeing
    /// the repositories GitHub lets them read.
    SignIn(SignIn),
}

/// What the dashboard reads.
pub struct Dashboard {
    /// The queue and the land records.
    pub store: Arc<dyn Store>,
    /// The repositories landq is configured for (besides those the store
    /// holds anything of).
    pub repos: Vec<String>,
    /// GitHub's web root, for links (`https://github.com`).
    pub web: String,
    /// Who may look.
    pub access: Access,
    /// Statistics computed lately, by (repository, window in ms).
    pub stats: Fresh<(String, i64), Arc<Stats>>,
    /// GitHub, for authors' profiles (none: the authors route answers 503).
    pub github: Option<Arc<GitHub>>,
    /// Profiles read lately, with their ETags.
    pub profiles: authors::ProfileCache,
    /// What GitHub said lately about viewers' tokens.
    pub tokens: signin::TokenCache,
}

/// How long computed statistics are served before they are computed again:
/// a window of 10,000 lands costs the store tens of milliseconds, and every
/// page view and stats call would pay it again.
pub const STATS_FRESH: Duration = Duration::from_secs(5);

impl Dashboard {
    /// A dashboard over `store` for `repos`, linking to `web`.
    pub fn new(store: Arc<dyn Store>, repos: Vec<String>, web: &str, access: Access) -> Dashboard {
        Dashboard {
            store,
            repos,
            web: web.to_owned(),
            access,
            stats: Fresh::new(STATS_FRESH),
            github: None,
            profiles: authors::ProfileCache::default(),
            tokens: signin::TokenCache::default(),
        }
    }

    /// The same, reading authors' profiles from `github`.
    pub fn with_github(self, github: Arc<GitHub>) -> Dashboard {
        Dashboard {
            github: Some(github),
            ..self
        }
    }

    /// The statistics of `repo` over the `window` (ms) ending now, at most
    /// [`STATS_FRESH`] old.
    pub async fn stats(&self, repo: &str, window: i64) -> Result<Arc<Stats>, StoreError> {
        let key = (repo.to_owned(), window);
        if let Some(stats) = self.stats.get(&key) {
            return Ok(stats);
        }
        let stats = Arc::new(
            self.store
                .stats(repo, landq_store::now_ms(), window)
                .await?,
        );
        self.stats.put(key, stats.clone());
        Ok(stats)
    }

    /// The repositories `viewer` may see: configured ones and those the
    /// store holds, that GitHub lets them read.
    pub async fn repos(&self, viewer: &Viewer) -> Result<Vec<String>, Failure> {
        let mut repos = self.store.repos().await?;
        repos.extend(self.repos.iter().cloned());
        repos.sort();
        repos.dedup();
        self.readable(viewer, repos).await
    }

    /// Whether landq knows `repo`.
    /// (Two indexed reads: a land or an entry of it, not a scan of every
    /// repository the store holds.)
    pub async fn knows(&self, repo: &str) -> Result<bool, StoreError> {
        Ok(self.repos.iter().any(|r| r == repo)
            || !self.store.lands(repo, 1).await?.is_empty()
            || !self.store.entries(repo).await?.is_empty())
    }

    /// `owner/name` if landq knows it and `viewer` may see it; else
    /// [`Failure::NotFound`], the same either way (as GitHub answers for a
    /// private repository).
    pub async fn shown(&self, viewer: &Viewer, owner: &str, name: &str) -> Result<String, Failure> {
        let repo = format!("{owner}/{name}");
        match self.knows(&repo).await? && self.may_read(viewer, &repo).await? {
            true => Ok(repo),
            false => Err(Failure::NotFound(repo)),
        }
    }

    /// The web page of pull request `pr` of `repo`.
    pub fn pull_url(&self, repo: &str, pr: u64) -> String {
        format!("{}/{repo}/pull/{pr}", self.web)
    }

    /// The web page of commit `sha` of `repo`.
    pub fn commit_url(&self, repo: &str, sha: &str) -> String {
        format!("{}/{repo}/commit/{sha}", self.web)
    }
}

/// The dashboard's routes: the API, its OpenAPI document and docs, the
/// pages, and sign-in.
pub fn router(dashboard: Arc<Dashboard>) -> Router {
    api::router(dashboard.clone())
        .merge(pages::router(dashboard.clone()))
        .layer(axum::middleware::from_fn_with_state(
            dashboard.clone(),
            guard,
        ))
        .merge(signin::router(dashboard))
}

/// Names the [`Viewer`] of each request, or answers 401: JSON for the API,
/// a sign-in link for pages. The OpenAPI document and its docs hold no
/// data and are open to all.
async fn guard(
    State(dashboard): State<Arc<Dashboard>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path == "/api/openapi.json" || path == "/api/docs" || path.starts_with("/api/docs/") {
        return next.run(request).await;
    }
    let viewer = match &dashboard.access {
        Access::Open => Viewer::Anyone,
        Access::Closed => {
            return (
                StatusCode::UNAUTHORIZED,
                axum::Json(api::ApiError {
                    message: "the dashboard is served only on a loopback listener until sign-in \
                              with GitHub is configured"
                        .into(),
                }),
            )
                .into_response();
        }
        Access::SignIn(sign_in) => {
            match signin::viewer_of(&dashboard, sign_in, request.headers()).await {
                Ok(Some(viewer)) => viewer,
                Ok(None) => return signin::sign_in_first(path, request.uri().query()),
                Err(failure) => return failure.into_response(),
            }
        }
    };
    request.extensions_mut().insert(viewer);
    next.run(request).await
}
