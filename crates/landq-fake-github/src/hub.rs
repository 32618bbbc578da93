//! A stateful fake of the GitHub REST subset landq uses, backed by real git
//! repositories (libgit2 through `git2`).
//!
//! Pull requests, reviews, labels, teams, permissions, statuses, check runs
//! and comments live in memory; branches and commits live in bare git
//! repositories in a temporary directory. So changed files come from a real
//! three-dot diff, a squash merge writes a real commit on the base branch,
//! and a conflict is a real merge conflict. Faults can be injected per route
//! (an error status with headers, a hang after the work is done, or an
//! action run just before the request is handled), every request is counted,
//! and actions that GitHub would announce return the webhook [`Event`] to
//! deliver.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State as AxumState};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use git2::{Index, IndexEntry, IndexTime, Oid, Repository, Signature};
use serde_json::{Value, json};

mod app;
pub use app::{App, TEST_KEY};

/// A webhook GitHub would send: the `X-GitHub-Event` name and the payload.
#[derive(Clone, Debug)]
pub struct Event {
    /// `pull_request`, `pull_request_review`, ...
    pub name: &'static str,
    /// The JSON payload.
    pub payload: Value,
}

/// What an injected fault does to a matching request.
#[derive(Clone)]
pub enum Fault {
    /// Answer with this status and headers instead of handling the request.
    Status(u16, Vec<(&'static str, String)>),
    /// Handle the request, then never answer (the caller sees a timeout or a
    /// dropped connection; the work is done).
    Hang,
    /// Run this first (a push between read and merge), then handle.
    Before(Arc<dyn Fn(&Hub) + Send + Sync>),
}

/// A running fake GitHub. Clones share the same state.
#[derive(Clone)]
pub struct Hub {
    state: Arc<Mutex<World>>,
    url: String,
}

/// A request as seen: method, path (no query), authorization header.
#[derive(Clone, Debug)]
pub struct Seen {
    /// `GET`, `PUT`, ...
    pub method: String,
    /// The path without its query.
    pub path: String,
    /// The JSON body, or `null`.
    pub body: Value,
    /// The status answered (0 while unanswered).
    pub status: u16,
}

#[derive(Default)]
struct World {
    dir: Option<tempfile::TempDir>,
    repos: HashMap<String, Repo>,
    /// `org/slug` → active members.
    teams: HashMap<String, HashSet<String>>,
    /// The token every request must carry, when set.
    token: Option<String>,
    app: Option<App>,
    faults: Vec<(Method, String, Fault, usize)>,
    seen: Vec<Seen>,
    next_id: u64,
}

struct Repo {
    git: Repository,
    default_branch: String,
    installation: Option<u64>,
    pulls: BTreeMap<u64, Pull>,
    permissions: HashMap<String, String>,
    statuses: Vec<(String, Value)>,
    check_runs: Vec<Value>,
    comments: Vec<(u64, String)>,
}

struct Pull {
    author: String,
    title: String,
    body: String,
    head: String,
    base: String,
    open: bool,
    merge_commit: Option<String>,
    labels: Vec<String>,
    /// (event, actor, label)
    events: Vec<(String, String, String)>,
    /// (reviewer, state, commit)
    reviews: Vec<(String, String, String)>,
}

impl Hub {
    /// Starts an empty fake on a free loopback port.
    pub async fn start() -> Hub {
        let world = World {
            dir: Some(tempfile::TempDir::new().expect("temporary directory")),
            ..World::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let hub = Hub {
            state: Arc::new(Mutex::new(world)),
            url: format!("http://{}", listener.local_addr().unwrap()),
        };
        let app = Router::new().fallback(serve).with_state(hub.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        hub
    }

    /// The API base URL (`LANDQ_GITHUB_API_URL`).
    pub fn url(&self) -> &str {
        &self.url
    }

    fn world(&self) -> MutexGuard<'_, World> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Requires `token` on every request (token auth).
    pub fn require_token(&self, token: &str) {
        self.world().token = Some(token.to_owned());
    }

    /// Acts as GitHub App `app` (installation tokens for its key's JWTs).
    pub fn install_app(&self, app: App) {
        self.world().app = Some(app);
    }

    /// How many installation tokens the App was issued.
    pub fn tokens_issued(&self) -> usize {
        self.world().app.as_ref().map_or(0, App::tokens_issued)
    }

    /// Creates repository `name` (`owner/repo`) whose `main` holds `files`;
    /// `installation` is the App installation it belongs to, if any.
    pub fn create_repo(&self, name: &str, installation: Option<u64>, files: &[(&str, &str)]) {
        let mut world = self.world();
        let path: PathBuf = world.dir.as_ref().unwrap().path().join(name);
        let git = Repository::init_bare(&path).expect("git init");
        let changes: Vec<(&str, Option<&str>)> =
            files.iter().map(|(p, t)| (*p, Some(*t))).collect();
        commit(&git, "main", None, &changes, "Initial commit", "octocat");
        world.repos.insert(
            name.to_owned(),
            Repo {
                git,
                default_branch: "main".into(),
                installation,
                pulls: BTreeMap::new(),
                permissions: HashMap::new(),
                statuses: Vec::new(),
                check_runs: Vec::new(),
                comments: Vec::new(),
            },
        );
    }

    /// Pushes one commit to `branch` (created from `from` when new) with
    /// `changes` (`None` deletes); returns its SHA and, when the branch is
    /// the head of open pull requests, their `synchronize` events.
    pub fn push(
        &self,
        repo: &str,
        branch: &str,
        from: &str,
        changes: &[(&str, Option<&str>)],
        author: &str,
    ) -> (String, Vec<Event>) {
        let mut world = self.world();
        let r = world.repo(repo);
        let parent = tip(&r.git, branch)
            .or_else(|| tip(&r.git, from))
            .expect("base branch");
        let sha = commit(&r.git, branch, Some(parent), changes, "Change", author).to_string();
        let numbers: Vec<u64> = r
            .pulls
            .iter()
            .filter(|(_, p)| p.open && p.head == branch)
            .map(|(n, _)| *n)
            .collect();
        let events = numbers
            .into_iter()
            .map(|n| pull_event(r, repo, n, "synchronize", author, None))
            .collect();
        (sha, events)
    }

    /// Opens a pull request from `head` into `base`; returns its number.
    pub fn open_pull(
        &self,
        repo: &str,
        author: &str,
        head: &str,
        base: &str,
        title: &str,
        body: &str,
    ) -> u64 {
        let mut world = self.world();
        world.next_id += 1;
        let number = world.next_id;
        world.repo(repo).pulls.insert(
            number,
            Pull {
                author: author.into(),
                title: title.into(),
                body: body.into(),
                head: head.into(),
                base: base.into(),
                open: true,
                merge_commit: None,
                labels: Vec::new(),
                events: Vec::new(),
                reviews: Vec::new(),
            },
        );
        number
    }

    /// `user` reviews the current head with `state` (`APPROVED`,
    /// `CHANGES_REQUESTED`, `COMMENTED`).
    pub fn review(&self, repo: &str, pr: u64, user: &str, state: &str) -> Event {
        let mut world = self.world();
        let r = world.repo(repo);
        let head = head_sha(r, pr);
        r.pull(pr).reviews.push((user.into(), state.into(), head));
        let mut event = pull_event(r, repo, pr, "submitted", user, None);
        event.name = "pull_request_review";
        event
    }

    /// `actor` adds `label`.
    pub fn label(&self, repo: &str, pr: u64, label: &str, actor: &str) -> Event {
        let mut world = self.world();
        let r = world.repo(repo);
        let pull = r.pull(pr);
        if !pull.labels.iter().any(|l| l == label) {
            pull.labels.push(label.into());
        }
        pull.events
            .push(("labeled".into(), actor.into(), label.into()));
        pull_event(r, repo, pr, "labeled", actor, Some(label))
    }

    /// Gives `login` `role` (`read`, `triage`, `write`, `maintain`, `admin`).
    pub fn permit(&self, repo: &str, login: &str, role: &str) {
        self.world()
            .repo(repo)
            .permissions
            .insert(login.into(), role.into());
    }

    /// Makes `login` an active member of `org/slug`.
    pub fn join_team(&self, team: &str, login: &str) {
        self.world()
            .teams
            .entry(team.into())
            .or_default()
            .insert(login.into());
    }

    /// Injects `fault` into the next `times` requests whose method is
    /// `method` and whose path (without query) is `path`.
    pub fn fail(&self, method: &str, path: &str, fault: Fault, times: usize) {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        self.world()
            .faults
            .push((method, path.into(), fault, times));
    }

    /// How many requests `METHOD path` received (path without query).
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.world()
            .seen
            .iter()
            .filter(|s| s.method == method && s.path == path)
            .count()
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.world().seen.clone()
    }

    /// The SHA at the tip of `branch`.
    pub fn tip(&self, repo: &str, branch: &str) -> String {
        tip(&self.world().repo(repo).git, branch)
            .unwrap()
            .to_string()
    }

    /// The full message of commit `sha`, and its parent count.
    pub fn commit_message(&self, repo: &str, sha: &str) -> (String, usize) {
        let mut world = self.world();
        let commit = world
            .repo(repo)
            .git
            .find_commit(Oid::from_str(sha).unwrap())
            .unwrap();
        (
            commit.message().unwrap_or("").to_owned(),
            commit.parent_count(),
        )
    }

    /// The text of `path` at the tip of `branch`, if present.
    pub fn file(&self, repo: &str, branch: &str, path: &str) -> Option<String> {
        let mut world = self.world();
        let git = &world.repo(repo).git;
        let tree = git.find_commit(tip(git, branch)?).ok()?.tree().ok()?;
        let blob = tree
            .get_path(Path::new(path))
            .ok()?
            .to_object(git)
            .ok()?
            .peel_to_blob()
            .ok()?;
        Some(String::from_utf8_lossy(blob.content()).into_owned())
    }

    /// The pull request's labels, whether it is open, and its merge commit.
    pub fn pull_state(&self, repo: &str, pr: u64) -> (Vec<String>, bool, Option<String>) {
        let mut world = self.world();
        let pull = world.repo(repo).pull(pr);
        (pull.labels.clone(), pull.open, pull.merge_commit.clone())
    }

    /// Comments on the pull request, oldest first.
    pub fn comments(&self, repo: &str, pr: u64) -> Vec<String> {
        let mut world = self.world();
        world
            .repo(repo)
            .comments
            .iter()
            .filter(|(n, _)| *n == pr)
            .map(|(_, b)| b.clone())
            .collect()
    }

    /// The latest `landq` feedback on `sha`: a commit status's state and
    /// description, or a check run's conclusion (or status) and summary.
    pub fn feedback(&self, repo: &str, sha: &str) -> Option<(String, String)> {
        let mut world = self.world();
        let r = world.repo(repo);
        let status = r
            .statuses
            .iter()
            .rev()
            .find(|(s, v)| s == sha && v["context"] == "landq");
        if let Some((_, v)) = status {
            return Some((text(&v["state"]), text(&v["description"])));
        }
        let run = r
            .check_runs
            .iter()
            .rev()
            .find(|v| v["head_sha"] == sha && v["name"] == "landq")?;
        let state = run["conclusion"]
            .as_str()
            .unwrap_or(run["status"].as_str().unwrap_or(""));
        Some((state.to_owned(), text(&run["output"]["summary"])))
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("").to_owned()
}

impl World {
    fn repo(&mut self, name: &str) -> &mut Repo {
        self.repos
            .get_mut(name)
            .unwrap_or_else(|| panic!("no repository {name}"))
    }
}

impl Repo {
    fn pull(&mut self, number: u64) -> &mut Pull {
        self.pulls
            .get_mut(&number)
            .unwrap_or_else(|| panic!("no pull request {number}"))
    }
}

fn tip(git: &Repository, branch: &str) -> Option<Oid> {
    git.refname_to_id(&format!("refs/heads/{branch}")).ok()
}

fn head_sha(repo: &Repo, pr: u64) -> String {
    tip(&repo.git, &repo.pulls[&pr].head)
        .map(|o| o.to_string())
        .unwrap_or_default()
}

/// Writes a commit on `branch` whose tree is `parent`'s with `changes`.
fn commit(
    git: &Repository,
    branch: &str,
    parent: Option<Oid>,
    changes: &[(&str, Option<&str>)],
    message: &str,
    author: &str,
) -> Oid {
    let mut index = Index::new().unwrap();
    let parent = parent.map(|p| git.find_commit(p).unwrap());
    if let Some(parent) = &parent {
        index.read_tree(&parent.tree().unwrap()).unwrap();
    }
    for (path, content) in changes {
        match content {
            Some(text) => index
                .add(&entry(path, git.blob(text.as_bytes()).unwrap()))
                .unwrap(),
            None => index.remove_path(Path::new(path)).unwrap(),
        }
    }
    let tree = git.find_tree(index.write_tree_to(git).unwrap()).unwrap();
    let who = Signature::now(author, &format!("{author}@users.noreply.github.com")).unwrap();
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    let oid = git
        .commit(None, &who, &who, message, &tree, &parents)
        .unwrap();
    git.reference(&format!("refs/heads/{branch}"), oid, true, "push")
        .unwrap();
    oid
}

fn entry(path: &str, id: Oid) -> IndexEntry {
    let zero = IndexTime::new(0, 0);
    IndexEntry {
        ctime: zero,
        mtime: zero,
        dev: 0,
        ino: 0,
        mode: 0o100644,
        uid: 0,
        gid: 0,
        file_size: 0,
        id,
        flags: path.len().min(0xfff) as u16,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}

/// A `pull_request`-shaped payload for `action` on `pr`.
fn pull_event(
    repo: &Repo,
    name: &str,
    pr: u64,
    action: &str,
    sender: &str,
    label: Option<&str>,
) -> Event {
    let mut payload = json!({
        "action": action,
        "number": pr,
        "pull_request": {"number": pr, "head": {"sha": head_sha(repo, pr)}},
        "repository": {"full_name": name},
        "sender": {"login": sender},
    });
    if let Some(label) = label {
        payload["label"] = json!({"name": label});
    }
    if let Some(id) = repo.installation {
        payload["installation"] = json!({"id": id});
    }
    Event {
        name: "pull_request",
        payload,
    }
}

/// An answer: status and JSON body.
type Answer = (StatusCode, Value);

fn not_found() -> Answer {
    (StatusCode::NOT_FOUND, json!({"message": "Not Found"}))
}

async fn serve(AxumState(hub): AxumState<Hub>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query: HashMap<String, String> = request
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let auth = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes: Bytes = axum::body::to_bytes(request.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);

    let (seen, fault) = {
        let mut world = hub.world();
        let seen = world.seen.len();
        world.seen.push(Seen {
            method: method.to_string(),
            path: path.clone(),
            body: body.clone(),
            status: 0,
        });
        let fault = world
            .faults
            .iter_mut()
            .find(|(m, p, _, left)| *m == method && *p == path && *left > 0)
            .map(|(_, _, fault, left)| {
                *left -= 1;
                fault.clone()
            });
        (seen, fault)
    };
    match &fault {
        Some(Fault::Status(status, headers)) => {
            let mut map = HeaderMap::new();
            for (k, v) in headers {
                map.insert(*k, v.parse().unwrap());
            }
            hub.world().seen[seen].status = *status;
            let status = StatusCode::from_u16(*status).unwrap();
            return (
                status,
                map,
                json!({"message": "injected fault"}).to_string(),
            )
                .into_response();
        }
        Some(Fault::Before(action)) => action(&hub),
        _ => {}
    }

    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (status, value) = {
        let mut world = hub.world();
        let answer = match world.authorize(&method, &segments, auth.as_deref()) {
            Err(answer) => answer,
            Ok(Some(answer)) => answer,
            Ok(None) => world.route(&method, &segments, &query, &body),
        };
        world.seen[seen].status = answer.0.as_u16();
        answer
    };
    if let Some(Fault::Hang) = fault {
        std::future::pending::<()>().await;
    }
    (status, value.to_string()).into_response()
}

impl World {
    /// Checks the caller's credentials; answers the App's own endpoints.
    /// An installation token opens only its installation's repositories.
    fn authorize(
        &mut self,
        method: &Method,
        segments: &[&str],
        auth: Option<&str>,
    ) -> Result<Option<Answer>, Answer> {
        let unauthorized = (
            StatusCode::UNAUTHORIZED,
            json!({"message": "Bad credentials"}),
        );
        let bearer = auth
            .and_then(|a| {
                a.strip_prefix("Bearer ")
                    .or_else(|| a.strip_prefix("token "))
            })
            .unwrap_or("");
        let by_installation = self.repos_by_installation();
        if let Some(app) = &mut self.app {
            if let Some(answer) = app.answer(method, segments, bearer, &by_installation)? {
                return Ok(Some(answer));
            }
            let installation = app.installation_of(bearer)?;
            return match segments {
                ["repos", owner, name, ..] => {
                    let full = format!("{owner}/{name}");
                    match self.repos.get(&full) {
                        Some(repo) if repo.installation == Some(installation) => Ok(None),
                        _ => Err(not_found()),
                    }
                }
                _ => Ok(None),
            };
        }
        match &self.token {
            Some(token) if token != bearer => Err(unauthorized),
            _ => Ok(None),
        }
    }

    fn repos_by_installation(&self) -> HashMap<u64, Vec<String>> {
        let mut map: HashMap<u64, Vec<String>> = HashMap::new();
        for (name, repo) in &self.repos {
            if let Some(id) = repo.installation {
                map.entry(id).or_default().push(name.clone());
            }
        }
        map
    }

    fn route(
        &mut self,
        method: &Method,
        segments: &[&str],
        query: &HashMap<String, String>,
        body: &Value,
    ) -> Answer {
        let page = |items: Vec<Value>| -> Answer {
            let per_page: usize = query
                .get("per_page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(30);
            let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let slice: Vec<Value> = items
                .into_iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .collect();
            (StatusCode::OK, Value::Array(slice))
        };
        match (method.as_str(), segments) {
            ("GET", ["orgs", org, "teams", slug, "memberships", login]) => {
                match self.teams.get(&format!("{org}/{slug}")) {
                    Some(members) if members.contains(*login) => {
                        (StatusCode::OK, json!({"state": "active", "role": "member"}))
                    }
                    _ => not_found(),
                }
            }
            (_, ["repos", owner, name, rest @ ..]) => {
                let full = format!("{owner}/{name}");
                let next_id = &mut self.next_id;
                let Some(repo) = self.repos.get_mut(&full) else {
                    return not_found();
                };
                repo.route(&full, method.as_str(), rest, query, body, next_id, page)
            }
            _ => not_found(),
        }
    }
}

impl Repo {
    #[allow(clippy::too_many_arguments)]
    fn route(
        &mut self,
        full: &str,
        method: &str,
        rest: &[&str],
        query: &HashMap<String, String>,
        body: &Value,
        next_id: &mut u64,
        page: impl Fn(Vec<Value>) -> Answer,
    ) -> Answer {
        let number = |n: &str| n.parse::<u64>().ok();
        match (method, rest) {
            ("GET", ["pulls", n]) => match number(n).filter(|n| self.pulls.contains_key(n)) {
                Some(n) => (StatusCode::OK, self.pull_json(full, n)),
                None => not_found(),
            },
            ("GET", ["pulls", n, "reviews"]) => {
                let Some(pull) = number(n).and_then(|n| self.pulls.get(&n)) else {
                    return not_found();
                };
                page(pull.reviews.iter().map(|(user, state, commit)| {
                    json!({"user": {"login": user}, "state": state, "commit_id": commit})
                }).collect())
            }
            ("GET", ["pulls", n, "files"]) => {
                let Some(n) = number(n).filter(|n| self.pulls.contains_key(n)) else {
                    return not_found();
                };
                page(
                    self.files(n)
                        .into_iter()
                        .map(|f| json!({"filename": f, "status": "modified"}))
                        .collect(),
                )
            }
            ("PUT", ["pulls", n, "merge"]) => {
                match number(n).filter(|n| self.pulls.contains_key(n)) {
                    Some(n) => self.merge(n, body),
                    None => not_found(),
                }
            }
            ("GET", ["issues", n, "events"]) => {
                let Some(pull) = number(n).and_then(|n| self.pulls.get(&n)) else {
                    return not_found();
                };
                page(pull.events.iter().map(|(event, actor, label)| {
                    json!({"event": event, "actor": {"login": actor}, "label": {"name": label}})
                }).collect())
            }
            ("GET", ["issues"]) => {
                let label = query.get("labels").cloned().unwrap_or_default();
                page(
                    self.pulls
                        .iter()
                        .filter(|(_, p)| p.open && (label.is_empty() || p.labels.contains(&label)))
                        .map(|(n, _)| json!({"number": n, "pull_request": {}}))
                        .collect(),
                )
            }
            ("POST", ["issues", n, "comments"]) => {
                let Some(n) = number(n).filter(|n| self.pulls.contains_key(n)) else {
                    return not_found();
                };
                self.comments.push((n, text(&body["body"])));
                *next_id += 1;
                (StatusCode::CREATED, json!({"id": *next_id}))
            }
            ("DELETE", ["issues", n, "labels", label]) => {
                let Some(pull) = number(n).and_then(|n| self.pulls.get_mut(&n)) else {
                    return not_found();
                };
                let before = pull.labels.len();
                pull.labels.retain(|l| l != label);
                if pull.labels.len() == before {
                    return (
                        StatusCode::NOT_FOUND,
                        json!({"message": "Label does not exist"}),
                    );
                }
                (
                    StatusCode::OK,
                    json!(
                        pull.labels
                            .iter()
                            .map(|l| json!({"name": l}))
                            .collect::<Vec<_>>()
                    ),
                )
            }
            ("GET", ["collaborators", login, "permission"]) => {
                let role = self
                    .permissions
                    .get(*login)
                    .cloned()
                    .unwrap_or_else(|| "read".into());
                let permission = match role.as_str() {
                    "maintain" => "write",
                    "triage" => "read",
                    other => other,
                };
                (
                    StatusCode::OK,
                    json!({"permission": permission, "role_name": role}),
                )
            }
            ("GET", ["contents", path @ ..]) => {
                let reference = query
                    .get("ref")
                    .cloned()
                    .unwrap_or_else(|| self.default_branch.clone());
                self.contents(&path.join("/"), &reference)
            }
            ("GET", ["git", "blobs", sha]) => match Oid::from_str(sha)
                .ok()
                .and_then(|o| self.git.find_blob(o).ok())
            {
                Some(blob) => (
                    StatusCode::OK,
                    json!({"sha": sha, "encoding": "base64", "content": STANDARD.encode(blob.content()), "size": blob.size()}),
                ),
                None => not_found(),
            },
            ("GET", ["commits", sha, "pulls"]) => {
                let pulls: Vec<Value> = self.pulls.keys().copied().collect::<Vec<_>>().into_iter()
                    .filter(|n| head_sha(self, *n) == *sha)
                    .map(|n| {
                        let p = &self.pulls[&n];
                        json!({"number": n, "state": if p.open { "open" } else { "closed" }, "head": {"sha": sha, "ref": p.head}})
                    })
                    .collect();
                (StatusCode::OK, Value::Array(pulls))
            }
            ("GET", ["commits", sha, "check-runs"]) => {
                let runs: Vec<Value> = self
                    .check_runs
                    .iter()
                    .filter(|r| r["head_sha"] == *sha)
                    .cloned()
                    .collect();
                (
                    StatusCode::OK,
                    json!({"total_count": runs.len(), "check_runs": runs}),
                )
            }
            ("GET", ["commits", sha, "status"]) => {
                let mut latest: BTreeMap<String, Value> = BTreeMap::new();
                for (s, status) in &self.statuses {
                    if s == sha {
                        latest.insert(text(&status["context"]), status.clone());
                    }
                }
                (
                    StatusCode::OK,
                    json!({"sha": sha, "statuses": latest.into_values().collect::<Vec<_>>()}),
                )
            }
            ("POST", ["statuses", sha]) => {
                self.statuses.push((sha.to_string(), body.clone()));
                *next_id += 1;
                (StatusCode::CREATED, json!({"id": *next_id}))
            }
            ("POST", ["check-runs"]) => {
                *next_id += 1;
                let mut run = body.clone();
                run["id"] = json!(*next_id);
                self.check_runs.push(run);
                (StatusCode::CREATED, json!({"id": *next_id}))
            }
            ("PATCH", ["check-runs", id]) => {
                let Some(run) = self
                    .check_runs
                    .iter_mut()
                    .find(|r| r["id"].as_u64() == number(id))
                else {
                    return not_found();
                };
                for (k, v) in body.as_object().into_iter().flatten() {
                    run[k] = v.clone();
                }
                (StatusCode::OK, run.clone())
            }
            _ => not_found(),
        }
    }

    fn pull_json(&self, full: &str, number: u64) -> Value {
        let pull = &self.pulls[&number];
        let base_tip = tip(&self.git, &pull.base)
            .map(|o| o.to_string())
            .unwrap_or_default();
        let head = head_sha(self, number);
        let merged = pull.merge_commit.is_some();
        json!({
            "number": number,
            "user": {"login": pull.author},
            "head": {"sha": head, "ref": pull.head},
            "base": {"sha": base_tip, "ref": pull.base, "repo": {"full_name": full, "default_branch": self.default_branch}},
            "title": pull.title,
            "body": pull.body,
            "state": if pull.open { "open" } else { "closed" },
            "merged": merged,
            "draft": false,
            "mergeable": if pull.open { Some(self.conflicts(number).is_none()) } else { None },
            "labels": pull.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>(),
            "changed_files": self.files(number).len(),
            "merge_commit_sha": pull.merge_commit,
        })
    }

    fn commits(&self, number: u64) -> (git2::Commit<'_>, git2::Commit<'_>) {
        let pull = &self.pulls[&number];
        let base = self
            .git
            .find_commit(tip(&self.git, &pull.base).unwrap())
            .unwrap();
        let head = self
            .git
            .find_commit(tip(&self.git, &pull.head).unwrap())
            .unwrap();
        (base, head)
    }

    /// Files changed from the merge base to the head (GitHub's three-dot diff).
    fn files(&self, number: u64) -> Vec<String> {
        let (base, head) = self.commits(number);
        let merge_base = self.git.merge_base(base.id(), head.id()).unwrap();
        let from = self.git.find_commit(merge_base).unwrap().tree().unwrap();
        let diff = self
            .git
            .diff_tree_to_tree(Some(&from), Some(&head.tree().unwrap()), None)
            .unwrap();
        diff.deltas()
            .filter_map(|d| {
                d.new_file()
                    .path()
                    .or(d.old_file().path())
                    .map(|p| p.to_string_lossy().into_owned())
            })
            .collect()
    }

    /// The merged index of base and head, or `None` when they conflict.
    fn conflicts(&self, number: u64) -> Option<Index> {
        let (base, head) = self.commits(number);
        let index = self.git.merge_commits(&base, &head, None).unwrap();
        index.has_conflicts().then_some(index)
    }

    fn merge(&mut self, number: u64, body: &Value) -> Answer {
        let head = head_sha(self, number);
        let pull = &self.pulls[&number];
        if !pull.open {
            return (
                StatusCode::METHOD_NOT_ALLOWED,
                json!({"message": "Pull Request is not mergeable"}),
            );
        }
        if body["sha"].as_str().is_some_and(|sha| sha != head) {
            return (
                StatusCode::CONFLICT,
                json!({"message": "Head branch was modified. Review and try the merge again."}),
            );
        }
        if self.conflicts(number).is_some() {
            return (
                StatusCode::METHOD_NOT_ALLOWED,
                json!({"message": "Merge conflict"}),
            );
        }
        let (base, head_commit) = self.commits(number);
        let mut index = self.git.merge_commits(&base, &head_commit, None).unwrap();
        let tree = self
            .git
            .find_tree(index.write_tree_to(&self.git).unwrap())
            .unwrap();
        let title = body["commit_title"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{} (#{number})", pull.title));
        let message = match body["commit_message"].as_str() {
            Some(m) if !m.is_empty() => format!("{title}\n\n{m}"),
            _ => title,
        };
        let author = Signature::now(
            &pull.author,
            &format!("{}@users.noreply.github.com", pull.author),
        )
        .unwrap();
        let committer = Signature::now("GitHub", "noreply@github.com").unwrap();
        let oid = self
            .git
            .commit(None, &author, &committer, &message, &tree, &[&base])
            .unwrap();
        let base_ref = format!("refs/heads/{}", pull.base);
        self.git
            .reference(&base_ref, oid, true, "squash merge")
            .unwrap();
        drop((base, head_commit, tree));
        let pull = self.pulls.get_mut(&number).unwrap();
        pull.open = false;
        pull.merge_commit = Some(oid.to_string());
        (
            StatusCode::OK,
            json!({"sha": oid.to_string(), "merged": true, "message": "Pull Request successfully merged"}),
        )
    }

    fn contents(&self, path: &str, reference: &str) -> Answer {
        let Some(tree) = tip(&self.git, reference)
            .and_then(|o| self.git.find_commit(o).ok())
            .and_then(|c| c.tree().ok())
        else {
            return not_found();
        };
        let Ok(entry) = tree.get_path(Path::new(path)) else {
            return not_found();
        };
        let object = entry.to_object(&self.git).unwrap();
        if let Some(dir) = object.as_tree() {
            let items: Vec<Value> = dir.iter().map(|e| {
                let name = e.name().unwrap_or("").to_owned();
                let kind = if e.kind() == Some(git2::ObjectType::Tree) { "dir" } else { "file" };
                json!({"name": name, "path": format!("{path}/{name}"), "sha": e.id().to_string(), "type": kind})
            }).collect();
            return (StatusCode::OK, Value::Array(items));
        }
        let blob = object.peel_to_blob().unwrap();
        (
            StatusCode::OK,
            json!({"name": entry.name().unwrap_or(""), "path": path, "sha": blob.id().to_string(), "type": "file", "encoding": "base64", "content": STANDARD.encode(blob.content())}),
        )
    }
}
