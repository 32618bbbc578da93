//! The one GitHub client landq uses, on octocrab.
//!
//! octocrab provides authentication (a plain token, or a GitHub App whose
//! installation tokens it mints and caches) and the transport; landq sends raw
//! requests through it and reads only the fields it needs, so a new field or
//! enum value in GitHub's answers never breaks a land. Every call goes through
//! [`retry::RetryPolicy`]; the merge is sent again (after a rate limit's
//! wait, a 5xx or a lost answer) only once a read of the pull request shows
//! it still open at the evaluated head, and an "already merged" answer is
//! confirmed the same way.
//!
//! Reads return `landq-policy`'s fact types, ready for `decide`.

#![deny(missing_docs)]

mod models;
pub mod retry;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use http::StatusCode;
use landq_policy::{ChangedFile, Check, Permission, PullRequest, Review};
use octocrab::Octocrab;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::retry::{Answer, RetryPolicy};

/// GitHub lists at most this many files of a pull request.
pub const MAX_LISTED_FILES: usize = 3000;

/// What went wrong talking to GitHub.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// GitHub answered with an error status.
    #[error("GitHub answered {status} to {what}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The request.
        what: String,
        /// GitHub's message.
        message: String,
    },
    /// A rate limit longer than the retry policy waits.
    #[error("GitHub rate limit: retry in {} s", wait.as_secs())]
    RateLimited {
        /// How long GitHub asks to wait.
        wait: Duration,
    },
    /// The request did not complete (connection, timeout).
    #[error("cannot reach GitHub: {0}")]
    Transport(String),
    /// GitHub's answer was not what landq expects.
    #[error("unexpected answer from GitHub to {what}: {message}")]
    Decode {
        /// The request.
        what: String,
        /// The decoding error.
        message: String,
    },
    /// The pull request changes more files than GitHub lists.
    #[error(
        "the pull request changes {0} files; GitHub lists only 3000, so landq cannot check \
         ownership of every file: split it"
    )]
    TooManyFiles(u64),
    /// The client could not be built (bad key, bad URL).
    #[error("GitHub client configuration: {0}")]
    Config(String),
}

/// How landq authenticates.
pub enum Auth {
    /// A personal or fine-grained token (trials; no check runs).
    Token(SecretString),
    /// A GitHub App: its id and private key (PEM).
    App {
        /// The App's id.
        app_id: u64,
        /// The App's private key, PEM.
        private_key: SecretString,
    },
}

/// The client: one octocrab per installation, created on first use.
pub struct GitHub {
    root: Octocrab,
    is_app: bool,
    installations: Mutex<HashMap<u64, Octocrab>>,
    retry: RetryPolicy,
}

impl GitHub {
    /// A client for the API at `api_url` (e.g. `https://api.github.com`).
    pub fn new(api_url: &str, auth: Auth, retry: RetryPolicy) -> Result<GitHub, GitHubError> {
        let builder = Octocrab::builder()
            .base_uri(api_url)
            .map_err(|e| GitHubError::Config(format!("API URL `{api_url}`: {e}")))?
            .add_retry_config(octocrab::service::middleware::retry::RetryConfig::None)
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(30)));
        let (builder, is_app) = match auth {
            Auth::Token(token) => (
                builder.personal_token(token.expose_secret().to_owned()),
                false,
            ),
            Auth::App {
                app_id,
                private_key,
            } => {
                let key =
                    octocrab::EncodingKey::from_rsa_pem(private_key.expose_secret().as_bytes())
                        .map_err(|e| {
                            GitHubError::Config(format!(
                                "the GitHub App private key is not an RSA PEM key: {e}"
                            ))
                        })?;
                (builder.app(app_id.into(), key), true)
            }
        };
        let root = builder
            .build()
            .map_err(|e| GitHubError::Config(e.to_string()))?;
        Ok(GitHub {
            root,
            is_app,
            installations: Mutex::new(HashMap::new()),
            retry,
        })
    }

    /// Whether this client is a GitHub App (which can create check runs).
    pub fn is_app(&self) -> bool {
        self.is_app
    }

    /// Who GitHub takes these credentials for: the App's slug (`GET /app`
    /// with the App's JWT) or the token's user (`GET /user`). A 401 means
    /// GitHub refuses the credentials.
    pub async fn identity(&self) -> Result<String, GitHubError> {
        let path = if self.is_app { "/app" } else { "/user" };
        let answer = self.retry.send(path, || self.root._get(path)).await?;
        let who: models::Identity = decode(path, expect_ok(path, answer)?)?;
        Ok(who.slug.or(who.login).unwrap_or_default())
    }

    /// The App's installations (App authentication only).
    pub async fn installations(&self) -> Result<Vec<u64>, GitHubError> {
        let mut ids = Vec::new();
        for page in 1.. {
            let path = format!("/app/installations?per_page=100&page={page}");
            let answer = self
                .retry
                .send(&path, || self.root._get(path.as_str()))
                .await?;
            let batch: Vec<models::Created> = decode(&path, expect_ok(&path, answer)?)?;
            let done = batch.len() < 100;
            ids.extend(batch.into_iter().map(|i| i.id));
            if done {
                break;
            }
        }
        Ok(ids)
    }

    /// The repositories (`owner/name`) an installation covers.
    pub async fn installation_repos(&self, installation: u64) -> Result<Vec<String>, GitHubError> {
        let octo = self.octo_for(Some(installation), "*")?;
        let mut names = Vec::new();
        for page in 1.. {
            let path = format!("/installation/repositories?per_page=100&page={page}");
            let answer = self.retry.send(&path, || octo._get(path.as_str())).await?;
            let batch: models::InstallationRepos = decode(&path, expect_ok(&path, answer)?)?;
            let done = batch.repositories.len() < 100;
            names.extend(batch.repositories.into_iter().map(|r| r.full_name));
            if done {
                break;
            }
        }
        Ok(names)
    }

    /// A client for `repo` (`owner/name`), through `installation` for an App.
    /// A name GitHub could never have given a repository is refused: every
    /// URL is built from validated parts.
    pub fn repo(&self, installation: Option<u64>, repo: &str) -> Result<Repo, GitHubError> {
        if !landq_policy::names::is_repo(repo) {
            return Err(GitHubError::Config(format!(
                "`{repo}` is not a GitHub repository name (owner/name)"
            )));
        }
        Ok(Repo {
            octo: self.octo_for(installation, repo)?,
            name: repo.to_owned(),
            retry: self.retry.clone(),
        })
    }

    /// The octocrab that speaks for `installation` (the root one for a token).
    fn octo_for(&self, installation: Option<u64>, repo: &str) -> Result<Octocrab, GitHubError> {
        Ok(match (self.is_app, installation) {
            (true, Some(id)) => {
                let mut cache = self.installations.lock().expect("not poisoned");
                match cache.get(&id) {
                    Some(octo) => octo.clone(),
                    None => {
                        let octo = self
                            .root
                            .installation(id.into())
                            .map_err(|e| GitHubError::Config(e.to_string()))?;
                        cache.insert(id, octo.clone());
                        octo
                    }
                }
            }
            (true, None) => {
                return Err(GitHubError::Config(format!(
                    "no installation id for {repo}: the GitHub App must be installed on it"
                )));
            }
            (false, _) => self.root.clone(),
        })
    }
}

/// The result of a merge call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MergeOutcome {
    /// Squash-merged; the new commit on the base branch.
    Merged {
        /// The squash commit's SHA.
        sha: String,
    },
    /// The head moved since it was evaluated (409): evaluate again.
    HeadMoved,
    /// GitHub refused to merge (405): conflicts or branch protection.
    NotMergeable(String),
}

/// A pull request as read for a decision, with what the worker also needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullView {
    /// The policy's view of it.
    pub pull: PullRequest,
    /// The merge commit, once merged.
    pub merge_commit_sha: Option<String>,
    /// How many files GitHub says it changes.
    pub changed_files: u64,
    /// The repository's default branch (from the base repository).
    pub default_branch: Option<String>,
}

/// A file read from the repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileAtRef {
    /// Its text.
    pub text: String,
    /// Its blob SHA (the cache key for compiled rules).
    pub blob_sha: String,
}

/// Who applied a label, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Labeled {
    /// Their login.
    pub login: String,
    /// When (ms since the epoch), if GitHub said.
    pub at_ms: Option<i64>,
}

/// A file in a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The file name.
    pub name: String,
    /// Its blob SHA.
    pub blob_sha: String,
}

/// A check run's state, for [`Repo::create_check_run`] and [`Repo::update_check_run`].
#[derive(Clone, Debug, Serialize)]
pub struct CheckRunUpdate {
    /// `queued`, `in_progress` or `completed`.
    pub status: &'static str,
    /// With `completed`: `success`, `failure`, `neutral`, `cancelled`, `action_required`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<&'static str>,
    /// The one-line title.
    pub title: String,
    /// The Markdown summary.
    pub summary: String,
}

/// Calls about one repository.
#[derive(Clone)]
pub struct Repo {
    octo: Octocrab,
    name: String,
    retry: RetryPolicy,
}

impl Repo {
    /// `owner/name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn url(&self, rest: &str) -> String {
        format!("/repos/{}/{rest}", self.name)
    }

    async fn get(&self, path: &str) -> Result<Answer, GitHubError> {
        let path = path.to_owned();
        self.retry
            .send(&path, || self.octo._get(path.as_str()))
            .await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, GitHubError> {
        let answer = self.get(path).await?;
        decode(path, expect_ok(path, answer)?)
    }

    /// Every item of the list at `rest` (which may carry a query), read 100
    /// a page, stopping early once `enough` items are in.
    async fn paged<T: serde::de::DeserializeOwned>(
        &self,
        rest: &str,
        enough: usize,
    ) -> Result<Vec<T>, GitHubError> {
        let separator = if rest.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        for page in 1.. {
            let batch: Vec<T> = self
                .get_json(&self.url(&format!("{rest}{separator}per_page=100&page={page}")))
                .await?;
            let done = batch.len() < 100;
            items.extend(batch);
            if done || items.len() >= enough {
                break;
            }
        }
        Ok(items)
    }

    async fn write<B: Serialize + Sync>(
        &self,
        method: &str,
        path: &str,
        body: &B,
    ) -> Result<Answer, GitHubError> {
        let what = format!("{method} {path}");
        self.retry
            .send(&what, || async {
                match method {
                    "POST" => self.octo._post(path, Some(body)).await,
                    "PATCH" => self.octo._patch(path, Some(body)).await,
                    "PUT" => self.octo._put(path, Some(body)).await,
                    _ => self.octo._delete(path, Some(body)).await,
                }
            })
            .await
    }

    /// The pull request now.
    pub async fn pull(&self, number: u64) -> Result<PullView, GitHubError> {
        let raw: models::Pull = self.get_json(&self.url(&format!("pulls/{number}"))).await?;
        Ok(raw.into_view())
    }

    /// All reviews, oldest first.
    pub async fn reviews(&self, number: u64) -> Result<Vec<Review>, GitHubError> {
        let reviews: Vec<models::Review> = self
            .paged(&format!("pulls/{number}/reviews"), usize::MAX)
            .await?;
        Ok(reviews
            .into_iter()
            .filter_map(models::Review::into_review)
            .collect())
    }

    /// Every changed file, with previous paths of renames; refuses when
    /// GitHub cannot list them all.
    pub async fn files(
        &self,
        number: u64,
        changed_files: u64,
    ) -> Result<Vec<ChangedFile>, GitHubError> {
        if changed_files > MAX_LISTED_FILES as u64 {
            return Err(GitHubError::TooManyFiles(changed_files));
        }
        // Paging stops once GitHub's count is reached (no empty last page).
        let files: Vec<models::File> = self
            .paged(&format!("pulls/{number}/files"), changed_files as usize)
            .await?;
        let files: Vec<_> = files.into_iter().map(models::File::into_changed).collect();
        if (files.len() as u64) < changed_files {
            return Err(GitHubError::TooManyFiles(changed_files));
        }
        Ok(files)
    }

    /// The entries of directory `path` on `reference` (name → blob SHA; the
    /// default branch when `None`), or `None` when the directory does not
    /// exist. One request tells which files exist and which version each is,
    /// so unchanged files need no read.
    pub async fn dir_at(
        &self,
        reference: Option<&str>,
        path: &str,
    ) -> Result<Option<Vec<DirEntry>>, GitHubError> {
        let url = match reference {
            Some(reference) => self.url(&format!("contents/{path}?ref={}", encode(reference))),
            None => self.url(&format!("contents/{path}")),
        };
        let answer = self.get(&url).await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let entries: Vec<models::DirItem> = decode(&url, expect_ok(&url, answer)?)?;
        Ok(Some(
            entries
                .into_iter()
                .filter(|e| e.kind == "file")
                .map(|e| DirEntry {
                    name: e.name,
                    blob_sha: e.sha,
                })
                .collect(),
        ))
    }

    /// The text of blob `sha` (any size GitHub serves, up to 100 MB).
    pub async fn blob(&self, sha: &str) -> Result<FileAtRef, GitHubError> {
        let url = self.url(&format!("git/blobs/{}", encode(sha)));
        let blob: models::Content = self.get_json(&url).await?;
        let cleaned: String = blob
            .content
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(cleaned)
            .map_err(|e| GitHubError::Decode {
                what: url.clone(),
                message: e.to_string(),
            })?;
        let text = String::from_utf8(bytes).map_err(|_| GitHubError::Decode {
            what: url.clone(),
            message: format!("blob {sha} is not UTF-8 text"),
        })?;
        Ok(FileAtRef {
            text,
            blob_sha: blob.sha,
        })
    }

    /// Whether `login` is an active member of `org/slug`.
    pub async fn is_team_member(
        &self,
        org: &str,
        slug: &str,
        login: &str,
    ) -> Result<bool, GitHubError> {
        let url = format!(
            "/orgs/{}/teams/{}/memberships/{}",
            encode(org),
            encode(slug),
            encode(login)
        );
        let answer = self.get(&url).await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        let membership: models::Membership = decode(&url, expect_ok(&url, answer)?)?;
        Ok(membership.state == "active")
    }

    /// `login`'s permission on the repository.
    pub async fn permission(&self, login: &str) -> Result<Permission, GitHubError> {
        let url = self.url(&format!("collaborators/{}/permission", encode(login)));
        let answer = self.get(&url).await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(Permission::None);
        }
        let raw: models::PermissionAnswer = decode(&url, expect_ok(&url, answer)?)?;
        Ok(raw.permission())
    }

    /// Who applied `label` most recently, and when, from the pull request's
    /// events.
    pub async fn labeler(&self, number: u64, label: &str) -> Result<Option<Labeled>, GitHubError> {
        let events: Vec<models::IssueEvent> = self
            .paged(&format!("issues/{number}/events"), usize::MAX)
            .await?;
        let mut last = None;
        for event in events {
            if event.event == "labeled" && event.label.as_ref().is_some_and(|l| l.name == label) {
                last = event.actor.map(|a| Labeled {
                    login: a.login,
                    at_ms: event
                        .created_at
                        .as_deref()
                        .and_then(|t| humantime::parse_rfc3339(t).ok())
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map(|d| d.as_millis() as i64),
                });
            }
        }
        Ok(last)
    }

    /// Check runs and commit statuses on `sha`, latest per name.
    pub async fn checks(&self, sha: &str) -> Result<Vec<Check>, GitHubError> {
        let runs: models::CheckRuns = self
            .get_json(&self.url(&format!("commits/{}/check-runs?per_page=100", encode(sha))))
            .await?;
        let status: models::CombinedStatus = self
            .get_json(&self.url(&format!("commits/{}/status", encode(sha))))
            .await?;
        let mut checks: Vec<Check> = runs
            .check_runs
            .into_iter()
            .map(models::CheckRun::into_check)
            .collect();
        checks.extend(status.statuses.into_iter().map(models::Status::into_check));
        Ok(checks)
    }

    /// Open pull requests whose head is commit `sha` (for events that name
    /// only a commit, such as `status`).
    pub async fn open_pulls_for_commit(&self, sha: &str) -> Result<Vec<u64>, GitHubError> {
        let pulls: Vec<models::PullRef> = self
            .get_json(&self.url(&format!("commits/{}/pulls?per_page=100", encode(sha))))
            .await?;
        Ok(pulls
            .into_iter()
            .filter(|p| p.state == "open" && p.head.sha == sha)
            .map(|p| p.number)
            .collect())
    }

    /// Open pull requests carrying `label`.
    pub async fn open_with_label(&self, label: &str) -> Result<Vec<u64>, GitHubError> {
        let issues: Vec<models::Issue> = self
            .paged(
                &format!("issues?state=open&labels={}", encode(label)),
                usize::MAX,
            )
            .await?;
        Ok(issues
            .into_iter()
            .filter(|i| i.pull_request.is_some())
            .map(|i| i.number)
            .collect())
    }

    /// Squash-merges `number` only if its head is still `sha`. Sent once;
    /// after an ambiguous failure the pull request is read again, since the
    /// merge may have happened.
    pub async fn merge(
        &self,
        number: u64,
        sha: &str,
        title: &str,
        message: &str,
    ) -> Result<MergeOutcome, GitHubError> {
        let url = self.url(&format!("pulls/{number}/merge"));
        let body = serde_json::json!({
            "sha": sha,
            "merge_method": "squash",
            "commit_title": title,
            "commit_message": message,
        });
        let mut attempt = 1;
        loop {
            let answer = self
                .retry
                .once(self.octo._put(url.as_str(), Some(&body)))
                .await;
            // Only what GitHub certainly did not do is sent again, and only
            // after the pull request is confirmed unmerged at `sha`.
            let wait = match &answer {
                Ok(answer) if answer.status.is_success() => {
                    let merged: models::Merged =
                        serde_json::from_slice(&answer.body).map_err(|e| GitHubError::Decode {
                            what: url.clone(),
                            message: e.to_string(),
                        })?;
                    return Ok(MergeOutcome::Merged { sha: merged.sha });
                }
                Ok(answer) if answer.status == StatusCode::CONFLICT => {
                    return Ok(MergeOutcome::HeadMoved);
                }
                Ok(answer) if answer.status == StatusCode::METHOD_NOT_ALLOWED => {
                    // "Already merged" (an earlier attempt went through) is a land.
                    return Ok(self
                        .confirm(number, sha)
                        .await?
                        .unwrap_or_else(|| MergeOutcome::NotMergeable(message_of(answer))));
                }
                Ok(answer) => match retry::rate_limit_wait(answer) {
                    Some(wait) if wait > self.retry.max_wait => {
                        return Err(GitHubError::RateLimited { wait });
                    }
                    Some(wait) => wait,
                    None if answer.status.is_server_error() => self.retry.backoff(attempt),
                    None => return Err(status_error(&url, answer)),
                },
                Err(_) => self.retry.backoff(attempt),
            };
            tracing::warn!(
                pr = number,
                attempt,
                "merge not confirmed; reading the pull request to see whether it merged"
            );
            if let Some(outcome) = self.confirm(number, sha).await? {
                return Ok(outcome);
            }
            if attempt >= self.retry.attempts {
                return match answer {
                    Ok(answer) if retry::rate_limit_wait(&answer).is_some() => {
                        Err(GitHubError::RateLimited { wait })
                    }
                    Ok(answer) => Err(status_error(&url, &answer)),
                    Err(err) => Err(err),
                };
            }
            tokio::time::sleep(wait).await;
            // The head may have moved or the merge landed while we waited.
            if let Some(outcome) = self.confirm(number, sha).await? {
                return Ok(outcome);
            }
            attempt += 1;
        }
    }

    /// What the pull request says about a merge of `sha`: merged (by this
    /// merge), the head moved, or `None`: still open at `sha`.
    async fn confirm(&self, number: u64, sha: &str) -> Result<Option<MergeOutcome>, GitHubError> {
        let view = self.pull(number).await?;
        Ok(match view.merge_commit_sha {
            Some(merged)
                if view.pull.state == landq_policy::PullState::Merged
                    && view.pull.head_sha == sha =>
            {
                Some(MergeOutcome::Merged { sha: merged })
            }
            _ if view.pull.head_sha != sha => Some(MergeOutcome::HeadMoved),
            _ => None,
        })
    }

    /// Creates a check run named `name` on `sha`; returns its id.
    pub async fn create_check_run(
        &self,
        sha: &str,
        name: &str,
        update: &CheckRunUpdate,
    ) -> Result<u64, GitHubError> {
        let url = self.url("check-runs");
        let body = serde_json::json!({
            "name": name,
            "head_sha": sha,
            "status": update.status,
            "conclusion": update.conclusion,
            "output": {"title": update.title, "summary": update.summary},
        });
        let answer = self.write("POST", &url, &body).await?;
        let created: models::Created = decode(&url, expect_ok(&url, answer)?)?;
        Ok(created.id)
    }

    /// Updates check run `id`.
    pub async fn update_check_run(
        &self,
        id: u64,
        update: &CheckRunUpdate,
    ) -> Result<(), GitHubError> {
        let url = self.url(&format!("check-runs/{id}"));
        let body = serde_json::json!({
            "status": update.status,
            "conclusion": update.conclusion,
            "output": {"title": update.title, "summary": update.summary},
        });
        expect_ok(&url, self.write("PATCH", &url, &body).await?).map(drop)
    }

    /// Sets commit status `context` on `sha` (for token auth, which cannot
    /// create check runs).
    pub async fn set_status(
        &self,
        sha: &str,
        context: &str,
        state: &str,
        description: &str,
    ) -> Result<(), GitHubError> {
        let url = self.url(&format!("statuses/{}", encode(sha)));
        let description: String = description.chars().take(140).collect();
        let body =
            serde_json::json!({"state": state, "context": context, "description": description});
        expect_ok(&url, self.write("POST", &url, &body).await?).map(drop)
    }

    /// Comments on pull request `number`.
    pub async fn comment(&self, number: u64, body: &str) -> Result<(), GitHubError> {
        let url = self.url(&format!("issues/{number}/comments"));
        expect_ok(
            &url,
            self.write("POST", &url, &serde_json::json!({ "body": body }))
                .await?,
        )
        .map(drop)
    }

    /// Removes `label` from pull request `number` (already gone is fine).
    pub async fn remove_label(&self, number: u64, label: &str) -> Result<(), GitHubError> {
        let url = self.url(&format!("issues/{number}/labels/{}", encode(label)));
        let answer = self.write("DELETE", &url, &()).await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(());
        }
        expect_ok(&url, answer).map(drop)
    }
}

/// Percent-encodes a path or query component (labels contain spaces).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn expect_ok(what: &str, answer: Answer) -> Result<Answer, GitHubError> {
    if answer.status.is_success() {
        Ok(answer)
    } else {
        Err(status_error(what, &answer))
    }
}

fn status_error(what: &str, answer: &Answer) -> GitHubError {
    GitHubError::Status {
        status: answer.status.as_u16(),
        what: what.to_owned(),
        message: message_of(answer),
    }
}

fn message_of(answer: &Answer) -> String {
    serde_json::from_slice::<models::ErrorBody>(&answer.body)
        .map(|e| e.message)
        .unwrap_or_else(|_| {
            String::from_utf8_lossy(&answer.body)
                .chars()
                .take(200)
                .collect()
        })
}

fn decode<T: serde::de::DeserializeOwned>(what: &str, answer: Answer) -> Result<T, GitHubError> {
    serde_json::from_slice(&answer.body).map_err(|e| GitHubError::Decode {
        what: what.to_owned(),
        message: e.to_string(),
    })
}
