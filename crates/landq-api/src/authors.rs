//! `GET /api/v1/authors/{login}`: an author's GitHub profile and, per
//! repository, their lands, their pull requests waiting in the queue and
//! their median land time. The profile is one GitHub request at most per
//! call, and none while a read younger than [`PROFILE_FRESH`] is held;
//! after that, a conditional request (its ETag), whose 304 costs no rate
//! limit. Everything else comes from the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Extension, Path, State};
use landq_github::{Conditional, Profile};
use landq_store::LandQuery;
use landq_store::stats::Quantiles;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::{ApiError, Failure};
use crate::{Dashboard, Viewer};

/// How long a profile is served without asking GitHub.
pub const PROFILE_FRESH: Duration = Duration::from_secs(60);

/// Profiles read lately: when, their ETag, the profile.
#[derive(Default)]
pub struct ProfileCache(Mutex<HashMap<String, Held>>);

#[derive(Clone)]
struct Held {
    read_at: Instant,
    etag: Option<String>,
    profile: Profile,
}

/// An author's work in one repository.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorRepo {
    /// `owner/name`.
    pub repo: String,
    /// Their pull requests landed.
    pub lands: usize,
    /// Their labelled pull requests landq holds (queued or waiting).
    pub open_labelled: Vec<u64>,
    /// Median label-to-landed time of their lands, seconds.
    pub median_land_seconds: Option<f64>,
}

/// An author.
#[derive(Debug, Serialize, ToSchema)]
pub struct Author {
    /// Their GitHub profile.
    pub profile: Profile,
    /// Per repository landq knows, where they have anything.
    pub repos: Vec<AuthorRepo>,
}

/// An author's GitHub profile and their lands, queue and median land time
/// per repository.
#[utoipa::path(
    get,
    path = "/api/v1/authors/{login}",
    params(("login" = String, Path)),
    responses(
        (status = 200, body = Author),
        (status = 404, body = ApiError),
        (status = 502, body = ApiError),
        (status = 503, body = ApiError)
    )
)]
pub async fn author(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(viewer): Extension<Viewer>,
    Path(login): Path<String>,
) -> Result<Json<Author>, Failure> {
    let profile = profile(&dashboard, &login).await?;
    let mut repos = Vec::new();
    for repo in dashboard.repos(&viewer).await? {
        let theirs = LandQuery {
            author: Some(login.clone()),
            ..LandQuery::latest(usize::MAX)
        };
        let lands = dashboard.store.lands_in(&repo, &theirs).await?;
        let open_labelled: Vec<u64> = dashboard
            .store
            .entries(&repo)
            .await?
            .into_iter()
            .filter(|e| e.author == login)
            .map(|e| e.pr)
            .collect();
        if lands.is_empty() && open_labelled.is_empty() {
            continue;
        }
        let times: Vec<f64> = lands
            .iter()
            .map(|l| (l.landed_at_ms - l.requested_at_ms).max(0) as f64 / 1000.0)
            .collect();
        repos.push(AuthorRepo {
            repo,
            lands: lands.len(),
            open_labelled,
            median_land_seconds: (!times.is_empty()).then(|| Quantiles::of(times).p50),
        });
    }
    Ok(Json(Author { profile, repos }))
}

/// `login`'s profile: held and fresh, or confirmed unchanged by a
/// conditional request, or read anew.
async fn profile(dashboard: &Dashboard, login: &str) -> Result<Profile, Failure> {
    let held = dashboard.profiles.get(login);
    if let Some(held) = held
        .as_ref()
        .filter(|h| h.read_at.elapsed() < PROFILE_FRESH)
    {
        return Ok(held.profile.clone());
    }
    let github = dashboard.github.as_ref().ok_or(Failure::NoGitHub)?;
    let installation = match github.is_app() {
        true => github.installations().await?.first().copied(),
        false => None,
    };
    let etag = held.as_ref().and_then(|h| h.etag.clone());
    match github.profile(installation, login, etag.as_deref()).await? {
        None => Err(Failure::NoUser(login.to_owned())),
        Some(Conditional::NotModified) => {
            let held = held.expect("sent an ETag, so held");
            dashboard
                .profiles
                .put(login, held.etag.clone(), held.profile.clone());
            Ok(held.profile)
        }
        Some(Conditional::Fresh(profile, etag)) => {
            dashboard.profiles.put(login, etag, profile.clone());
            Ok(profile)
        }
    }
}

impl ProfileCache {
    fn get(&self, login: &str) -> Option<Held> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(login)
            .cloned()
    }

    fn put(&self, login: &str, etag: Option<String>, profile: Profile) {
        let held = Held {
            read_at: Instant::now(),
            etag,
            profile,
        };
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_PROFILES {
            map.clear();
        }
        map.insert(login.to_owned(), held);
    }
}

/// Profiles held at most, before the cache starts afresh.
const MAX_PROFILES: usize = 10_000;
