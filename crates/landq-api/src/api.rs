//! The JSON API under `/api/v1`, its OpenAPI document at
//! `/api/openapi.json` and the browsable docs at `/api/docs`. Errors are
//! JSON with a message: 404 for a repository landq knows nothing of, 400
//! naming the query parameter it refuses, 500 when the store fails.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use landq_store::stats::Stats;
use landq_store::{LandQuery, LandRecord, QueueEntry, StoreError};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_scalar::{Scalar, Servable};

use crate::query::rfc3339;
use crate::query::{self, BadParameter};
use crate::{Dashboard, Viewer};

/// The most lands one page holds.
pub const MAX_PAGE: usize = 500;

/// An error: what went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiError {
    /// For people.
    pub message: String,
}

/// Why a request failed.
pub enum Failure {
    /// No such repository.
    NotFound(String),
    /// A query parameter is refused.
    BadQuery(BadParameter),
    /// The store failed.
    Store(StoreError),
    /// GitHub knows no such user.
    NoUser(String),
    /// GitHub failed.
    GitHub(landq_github::GitHubError),
    /// This landq reads nothing from GitHub.
    NoGitHub,
    /// GitHub refuses the viewer's token (expired or revoked).
    SignedOut,
}

impl From<landq_github::GitHubError> for Failure {
    fn from(err: landq_github::GitHubError) -> Self {
        Failure::GitHub(err)
    }
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Self {
        Failure::Store(err)
    }
}

impl From<BadParameter> for Failure {
    fn from(bad: BadParameter) -> Self {
        Failure::BadQuery(bad)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Failure::NotFound(repo) => (
                StatusCode::NOT_FOUND,
                format!("landq knows no repository `{repo}`"),
            ),
            Failure::BadQuery(bad) => (StatusCode::BAD_REQUEST, bad.to_string()),
            Failure::NoUser(login) => (
                StatusCode::NOT_FOUND,
                format!("GitHub knows no user `{login}`"),
            ),
            Failure::GitHub(err) => {
                tracing::warn!(error = %err, "dashboard: GitHub failed");
                (StatusCode::BAD_GATEWAY, format!("GitHub failed: {err}"))
            }
            Failure::SignedOut => (
                StatusCode::UNAUTHORIZED,
                "GitHub refuses your token: sign in again at /auth/login".to_owned(),
            ),
            Failure::NoGitHub => (
                StatusCode::SERVICE_UNAVAILABLE,
                "this landq is not connected to GitHub".to_owned(),
            ),
            Failure::Store(err) => {
                tracing::error!(error = %err, "dashboard: the store failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the store failed; try again".to_owned(),
                )
            }
        };
        (status, Json(ApiError { message })).into_response()
    }
}

/// The last land of a repository.
#[derive(Debug, Serialize, ToSchema)]
pub struct LastLand {
    /// Pull request number.
    pub pr: u64,
    /// The landed commit.
    pub squash_sha: String,
    /// When (RFC 3339).
    pub landed_at: String,
}

/// A repository landq guards.
#[derive(Debug, Serialize, ToSchema)]
pub struct RepoSummary {
    /// `owner/name`.
    pub repo: String,
    /// Pull requests in its queues (the policy holds).
    pub queue_length: usize,
    /// Its most recent land, if any.
    pub last_land: Option<LastLand>,
}

/// One pull request of a queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItem {
    /// Pull request number.
    pub pr: u64,
    /// Its title.
    pub title: String,
    /// Its author.
    pub author: String,
    /// Its page on GitHub.
    pub url: String,
    /// `waiting`, `queued`, `testing`, `blocked`, `landing` or `landed`.
    pub state: String,
    /// Its place in the queue (1 = next to land); none while waiting.
    pub position: Option<usize>,
    /// When the land label was applied (RFC 3339).
    pub requested_at: String,
    /// What it waits for, or what blocks it.
    pub waiting_for: Vec<String>,
    /// Its speculative commit, while tested.
    pub speculative_commit: Option<String>,
    /// The branch its stack checks run on, while tested.
    pub stack_branch: Option<String>,
    /// How its stack checks stood when landq last read them: `pending`,
    /// `passed`, `failed`.
    pub checks: Option<String>,
}

/// The queue of one base branch.
#[derive(Debug, Serialize, ToSchema)]
pub struct Branch {
    /// The base branch.
    pub base: String,
    /// Why nothing lands there, if landq froze it.
    pub frozen: Option<String>,
    /// Queued pull requests in order, then those waiting.
    pub entries: Vec<QueueItem>,
}

/// A repository's queues.
#[derive(Debug, Serialize, ToSchema)]
pub struct Queue {
    /// `owner/name`.
    pub repo: String,
    /// One per base branch.
    pub branches: Vec<Branch>,
}

/// A page of land records.
#[derive(Debug, Serialize, ToSchema)]
pub struct LandsPage {
    /// Newest first.
    pub lands: Vec<LandRecord>,
    /// Pass as `cursor` for the next page; none on the last.
    pub next_cursor: Option<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "landq",
        description = "The land queue and its audit log: queues per base branch, land records, land-time statistics."
    ),
    components(schemas(ApiError))
)]
struct ApiDoc;

/// Every documented route.
fn documented() -> OpenApiRouter<Arc<Dashboard>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(repos))
        .routes(routes!(queue))
        .routes(routes!(lands))
        .routes(routes!(stats))
        .routes(routes!(crate::authors::author))
        .routes(routes!(audit))
}

/// The API's routes, `/api/openapi.json` and `/api/docs`.
pub fn router(dashboard: Arc<Dashboard>) -> Router {
    let (router, doc) = documented().with_state(dashboard).split_for_parts();
    let json = doc.clone();
    router
        .route(
            "/api/openapi.json",
            axum::routing::get(move || async move { Json(json) }),
        )
        .merge(Scalar::with_url("/api/docs", doc))
}

/// The OpenAPI document, as served.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().split_for_parts().1
}

/// The repositories landq guards, with their queue length and last land.
#[utoipa::path(
    get,
    path = "/api/v1/repos",
    responses((status = 200, body = [RepoSummary]), (status = 500, body = ApiError))
)]
async fn repos(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
) -> Result<Json<Vec<RepoSummary>>, Failure> {
    Ok(Json(summaries(&dashboard, &viewer).await?))
}

/// The summary of every repository `viewer` may see (for the API and the
/// front page).
pub async fn summaries(
    dashboard: &Dashboard,
    viewer: &Viewer,
) -> Result<Vec<RepoSummary>, Failure> {
    let mut summaries = Vec::new();
    for repo in dashboard.repos(viewer).await? {
        let entries = dashboard.store.entries(&repo).await?;
        let last = dashboard.store.lands(&repo, 1).await?.into_iter().next();
        summaries.push(RepoSummary {
            queue_length: entries.iter().filter(|e| e.state.in_queue()).count(),
            last_land: last.map(|l| LastLand {
                pr: l.pr,
                squash_sha: l.squash_sha,
                landed_at: rfc3339(l.landed_at_ms),
            }),
            repo,
        });
    }
    Ok(summaries)
}

/// A repository's queues: per base branch, the queued pull requests in
/// order, then those waiting for something.
#[utoipa::path(
    get,
    path = "/api/v1/repos/{owner}/{repo}/queue",
    params(("owner" = String, Path), ("repo" = String, Path)),
    responses(
        (status = 200, body = Queue),
        (status = 404, body = ApiError),
        (status = 500, body = ApiError)
    )
)]
async fn queue(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    Path((owner, name)): Path<(String, String)>,
) -> Result<Json<Queue>, Failure> {
    let repo = dashboard.shown(&viewer, &owner, &name).await?;
    Ok(Json(queue_of(&dashboard, &repo).await?))
}

/// A repository's queues (for the API and its page).
pub async fn queue_of(dashboard: &Dashboard, repo: &str) -> Result<Queue, StoreError> {
    let entries = dashboard.store.entries(repo).await?;
    let mut bases: Vec<&str> = entries.iter().map(|e| e.base.as_str()).collect();
    bases.sort();
    bases.dedup();
    let mut branches = Vec::new();
    for base in bases {
        let (queued, waiting): (Vec<&QueueEntry>, Vec<&QueueEntry>) = entries
            .iter()
            .filter(|e| e.base == base)
            .partition(|e| e.state.in_queue());
        let items = queued
            .iter()
            .enumerate()
            .map(|(i, e)| item(dashboard, e, Some(i + 1)))
            .chain(waiting.iter().map(|e| item(dashboard, e, None)))
            .collect();
        branches.push(Branch {
            base: base.to_owned(),
            frozen: dashboard.store.frozen(repo, base).await?,
            entries: items,
        });
    }
    Ok(Queue {
        repo: repo.to_owned(),
        branches,
    })
}

fn item(dashboard: &Dashboard, entry: &QueueEntry, position: Option<usize>) -> QueueItem {
    let stack = entry.stack.as_ref();
    QueueItem {
        pr: entry.pr,
        title: entry.title.clone(),
        author: entry.author.clone(),
        url: dashboard.pull_url(&entry.repo, entry.pr),
        state: entry.state.name().to_owned(),
        position,
        requested_at: rfc3339(entry.requested_at_ms),
        waiting_for: entry.reasons.clone(),
        speculative_commit: stack.map(|s| s.commit.clone()),
        stack_branch: stack.map(|_| format!("landq/stack/{}", entry.pr)),
        checks: stack.and(entry.checks.clone()),
    }
}

/// A repository's land records (the audit log), newest first, a page at a
/// time: pass the answer's `next_cursor` as `cursor` for the next.
#[utoipa::path(
    get,
    path = "/api/v1/repos/{owner}/{repo}/lands",
    params(
        ("owner" = String, Path),
        ("repo" = String, Path),
        ("since" = Option<String>, Query, description = "landed at or after: a day (2026-12-01) or an RFC 3339 time"),
        ("until" = Option<String>, Query, description = "landed before: a day or an RFC 3339 time"),
        ("author" = Option<String>, Query, description = "only pull requests by this login"),
        ("limit" = Option<usize>, Query, description = "at most this many (default 100, at most 500)"),
        ("cursor" = Option<String>, Query, description = "where the previous page ended"),
    ),
    responses(
        (status = 200, body = LandsPage),
        (status = 400, body = ApiError),
        (status = 404, body = ApiError),
        (status = 500, body = ApiError)
    )
)]
async fn lands(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    Path((owner, name)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<LandsPage>, Failure> {
    let limit = query::optional(params.get("limit"), "limit", |v| {
        v.parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| format!("`{v}` is not a number from 1 to {MAX_PAGE}"))
    })?;
    let lands_query = LandQuery {
        since_ms: query::optional(params.get("since"), "since", query::time)?,
        until_ms: query::optional(params.get("until"), "until", query::time)?,
        author: params.get("author").cloned(),
        before: query::optional(params.get("cursor"), "cursor", query::parse_cursor)?,
        limit: limit.unwrap_or(100),
    };
    let repo = dashboard.shown(&viewer, &owner, &name).await?;
    let lands = dashboard.store.lands_in(&repo, &lands_query).await?;
    let next_cursor = match lands.len() == lands_query.limit {
        true => lands.last().map(|l| query::cursor(l.landed_at_ms, l.pr)),
        false => None,
    };
    Ok(Json(LandsPage { lands, next_cursor }))
}

/// Lands, failures by reason, label-to-landed time and queue wait over a
/// window ending now, plus one row per day.
#[utoipa::path(
    get,
    path = "/api/v1/repos/{owner}/{repo}/stats",
    params(
        ("owner" = String, Path),
        ("repo" = String, Path),
        ("window" = Option<String>, Query, description = "how far back: 7d (default), 30d, 12h"),
    ),
    responses(
        (status = 200, body = Stats),
        (status = 400, body = ApiError),
        (status = 404, body = ApiError),
        (status = 500, body = ApiError)
    )
)]
async fn stats(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    Path((owner, name)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Stats>, Failure> {
    let window =
        query::optional(params.get("window"), "window", query::window)?.unwrap_or(7 * 86_400_000);
    let repo = dashboard.shown(&viewer, &owner, &name).await?;
    Ok(Json(dashboard.stats(&repo, window).await?.as_ref().clone()))
}

/// The latest compliance audit of each repository the viewer may see (the
/// worker's `--audit-interval` job keeps them): status, findings with their
/// fixes, and per CI job the required steps it does not run.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    responses(
        (status = 200, body = std::collections::BTreeMap<String, landq_org::audit::Report>),
        (status = 500, body = ApiError)
    )
)]
async fn audit(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
) -> Result<Json<std::collections::BTreeMap<String, landq_org::audit::Report>>, Failure> {
    let kept = dashboard.store.docs(landq_org::jobs::AUDIT).await?;
    let repos = kept.iter().map(|(repo, _)| repo.clone()).collect();
    let shown = dashboard.readable(&viewer, repos).await?;
    let mut reports = std::collections::BTreeMap::new();
    for (repo, body) in kept {
        if shown.contains(&repo) {
            reports.insert(repo, serde_json::from_str(&body).map_err(StoreError::from)?);
        }
    }
    Ok(Json(reports))
}
