//! The pages, rendered on the server (maud), refreshing themselves: `/`
//! lists the repositories; `/repos/{owner}/{repo}` shows the queue as the
//! API does, the recent lands and the chart of the daily land time over the
//! last 30 days.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use landq_policy::stack::short;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::api::{self, Failure};
use crate::query::rfc3339;
use crate::{Dashboard, Viewer, chart};

/// Seconds between a page's refreshes.
const REFRESH_SECONDS: u32 = 15;

/// Lands listed on a repository's page.
const RECENT_LANDS: usize = 20;

/// Days in a repository's chart.
const CHART_DAYS: i64 = 30;

/// The pages' routes.
pub fn router(dashboard: Arc<Dashboard>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/repos/{owner}/{repo}", get(repository))
        .with_state(dashboard)
}

fn page(viewer: &Viewer, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="refresh" content=(REFRESH_SECONDS);
                title { (title) " · landq" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a href="/" { "landq" } " · " (title)
                    @if let Viewer::Person { login, .. } = viewer {
                        span.who { "signed in as @" (login) " · " a href="/auth/logout" { "sign out" } }
                    }
                }
                main { (body) }
            }
        }
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1f2328}\
    table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{padding:.3rem .7rem;\
    border-bottom:1px solid #d0d7de;text-align:left;vertical-align:top}\
    .state{font-weight:600}.who{float:right}.frozen{color:#cf222e;font-weight:600}code{font-size:.9em}";

async fn index(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
) -> Result<Markup, Failure> {
    let repos = api::summaries(&dashboard, &viewer).await?;
    Ok(page(
        &viewer,
        "repositories",
        html! {
            h1 { "Repositories" }
            @if repos.is_empty() {
                p { "landq has not seen a pull request yet." }
            }
            table {
                tr { th { "repository" } th { "queued" } th { "last land" } }
                @for repo in &repos {
                    tr {
                        td { a href=(format!("/repos/{}", repo.repo)) { (repo.repo) } }
                        td { (repo.queue_length) }
                        td {
                            @if let Some(last) = &repo.last_land {
                                "#" (last.pr) " at " (last.landed_at)
                            } @else { "–" }
                        }
                    }
                }
            }
        },
    ))
}

async fn repository(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    Path((owner, name)): Path<(String, String)>,
) -> Result<Response, Failure> {
    let repo = match dashboard.shown(&viewer, &owner, &name).await {
        Ok(repo) => repo,
        Err(Failure::NotFound(repo)) => {
            let body = page(
                &viewer,
                &repo,
                html! { p { "landq knows no repository " code { (repo) } " you can read." } },
            );
            return Ok((StatusCode::NOT_FOUND, body).into_response());
        }
        Err(failure) => return Err(failure),
    };
    let queue = api::queue_of(&dashboard, &repo).await?;
    let lands = dashboard.store.lands(&repo, RECENT_LANDS).await?;
    let stats = dashboard.stats(&repo, CHART_DAYS * 86_400_000).await?;
    let body = html! {
        h1 { (repo) }
        @if queue.branches.is_empty() {
            p { "Nothing is queued." }
        }
        @for branch in &queue.branches {
            h2 { "Queue of " code { (branch.base) } }
            @if let Some(why) = &branch.frozen {
                p.frozen { "Frozen: " (why) }
            }
            table {
                tr { th { "#" } th { "pull request" } th { "state" } th { "speculative commit" } th { "waiting for" } }
                @for item in &branch.entries {
                    tr {
                        td { (item.position.map(|p| p.to_string()).unwrap_or_else(|| "–".into())) }
                        td { a href=(item.url) { "#" (item.pr) } " " (item.title) " by " (item.author) }
                        td.state { (item.state) }
                        td {
                            @if let Some(commit) = &item.speculative_commit {
                                a href=(dashboard.commit_url(&repo, commit)) { code { (short(commit)) } }
                                " checks: " (item.checks.as_deref().unwrap_or("pending"))
                            }
                        }
                        td { @for reason in &item.waiting_for { div { (reason) } } }
                    }
                }
            }
        }
        h2 { "Land time, last " (CHART_DAYS) " days" }
        p { (stats.lands) " lands; label to landed p50 " (minutes(stats.land_time.p50)) ", p95 " (minutes(stats.land_time.p95)) "." }
        figure { (PreEscaped(chart::land_time(&stats.days))) }
        h2 { "Recent lands" }
        table {
            tr { th { "landed" } th { "pull request" } th { "commit" } th { "approved by" } }
            @for land in &lands {
                tr {
                    td { (rfc3339(land.landed_at_ms)) }
                    td { a href=(dashboard.pull_url(&repo, land.pr)) { "#" (land.pr) } " " (land.title) " by " (land.author) }
                    td { a href=(dashboard.commit_url(&repo, &land.squash_sha)) { code { (short(&land.squash_sha)) } } }
                    td { (land.approvers.join(", ")) }
                }
            }
        }
    };
    Ok(page(&viewer, &repo, body).into_response())
}

fn minutes(seconds: f64) -> String {
    format!("{:.1} min", seconds / 60.0)
}
