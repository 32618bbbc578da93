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
use axum::http::Method;
use git2::{Oid, Repository};
use serde_json::{Value, json};

mod app;
pub mod ci;
mod data;
mod git;
mod oauth;
mod rest;

pub use app::{App, TEST_KEY};
use git::{commit, head_sha, tip};
use rest::{Answer, serve};

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

/// A request as seen: method, path (no query), body and the answer's status.
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
    ci: Option<ci::Ci>,
    sink: Option<ci::Sink>,
    /// login → (public email, followers)
    users: HashMap<String, (Option<String>, u64)>,
    oauth: oauth::OAuth,
}

struct Repo {
    git: Repository,
    default_branch: String,
    installation: Option<u64>,
    /// Readable only by those holding a role on it.
    private: bool,
    /// branch → its protection, as `GET .../protection` shows it.
    protection: HashMap<String, Value>,
    /// Rulesets, as `GET .../rulesets/{id}` shows them.
    rulesets: Vec<Value>,
    pulls: BTreeMap<u64, Pull>,
    permissions: HashMap<String, String>,
    statuses: Vec<(String, Value)>,
    check_runs: Vec<Value>,
    /// (pull request, comment id, body)
    comments: Vec<(u64, u64, String)>,
    /// Commits pushed to `landq/stack/**` since the CI last looked.
    stack_pushes: Vec<Oid>,
    /// Runs the fake CI started.
    ci_runs: usize,
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
    /// (event, actor, label, created_at)
    events: Vec<(String, String, String, String)>,
    /// (reviewer, state, commit)
    reviews: Vec<(String, String, String)>,
    /// When it was opened (RFC 3339).
    created_at: String,
    draft: bool,
    /// Reviewers asked (logins; `org/slug` for teams).
    requested: Vec<String>,
}

impl Hub {
    /// Starts an empty fake on a free loopback port.
    pub async fn start() -> Hub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Hub::serve_on(listener)
    }

    /// Starts an empty fake on `listener`.
    pub fn serve_on(listener: tokio::net::TcpListener) -> Hub {
        let world = World {
            dir: Some(tempfile::TempDir::new().expect("temporary directory")),
            ..World::default()
        };
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
                private: false,
                protection: HashMap::new(),
                rulesets: Vec::new(),
                pulls: BTreeMap::new(),
                permissions: HashMap::new(),
                statuses: Vec::new(),
                check_runs: Vec::new(),
                comments: Vec::new(),
                stack_pushes: Vec::new(),
                ci_runs: 0,
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
                created_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now())
                    .to_string(),
                draft: false,
                requested: Vec::new(),
            },
        );
        number
    }

    /// Makes pull request `pr` look opened `ago` before now.
    pub fn opened_ago(&self, repo: &str, pr: u64, ago: std::time::Duration) {
        let at = std::time::SystemTime::now() - ago;
        self.world().repo(repo).pull(pr).created_at =
            humantime::format_rfc3339_seconds(at).to_string();
    }

    /// Marks pull request `pr` a draft (or ready for review).
    pub fn set_draft(&self, repo: &str, pr: u64, draft: bool) {
        self.world().repo(repo).pull(pr).draft = draft;
    }

    /// Asks `reviewer` (a login, or `org/slug` for a team) to review `pr`.
    pub fn request_review(&self, repo: &str, pr: u64, reviewer: &str) {
        self.world()
            .repo(repo)
            .pull(pr)
            .requested
            .push(reviewer.into());
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
        let at = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
        pull.events
            .push(("labeled".into(), actor.into(), label.into(), at));
        pull_event(r, repo, pr, "labeled", actor, Some(label))
    }

    /// Creates (or changes) user `login`'s public profile.
    pub fn user(&self, login: &str, email: Option<&str>, followers: u64) {
        self.world()
            .users
            .insert(login.into(), (email.map(str::to_owned), followers));
    }

    /// Gives `login` `role` (`read`, `triage`, `write`, `maintain`, `admin`).
    pub fn permit(&self, repo: &str, login: &str, role: &str) {
        self.world()
            .repo(repo)
            .permissions
            .insert(login.into(), role.into());
    }

    /// Makes `repo` private: only those given a role ([`Hub::permit`]) can
    /// read it with their own token.
    pub fn make_private(&self, repo: &str) {
        self.world().repo(repo).private = true;
    }

    /// Protects `branch` of `repo` as `protection` says (the shape `GET
    /// /repos/{o}/{r}/branches/{b}/protection` answers).
    pub fn protect(&self, repo: &str, branch: &str, protection: Value) {
        self.world()
            .repo(repo)
            .protection
            .insert(branch.into(), protection);
    }

    /// Adds a ruleset to `repo` (the shape `GET .../rulesets/{id}` answers,
    /// without its id; `conditions.ref_name.include` names the branches as
    /// `refs/heads/NAME`, `~DEFAULT_BRANCH` or `~ALL`); returns its id.
    pub fn add_ruleset(&self, repo: &str, mut ruleset: Value) -> u64 {
        let mut world = self.world();
        world.next_id += 1;
        let id = world.next_id;
        ruleset["id"] = json!(id);
        world.repo(repo).rulesets.push(ruleset);
        id
    }

    /// Registers the App's OAuth credentials and its callback URL.
    pub fn oauth_app(&self, client_id: &str, client_secret: &str, callback: &str) {
        self.world()
            .oauth
            .register(client_id, client_secret, callback);
    }

    /// Who is signed in at GitHub in the browser (`None`: nobody), so who
    /// `/login/oauth/authorize` approves for.
    pub fn sign_in_browser(&self, login: Option<&str>) {
        self.world().oauth.sign_in(login);
    }

    /// A user-to-server token for `login`, as the OAuth flow issues.
    pub fn person_token(&self, login: &str) -> String {
        self.world().oauth.issue(login)
    }

    /// Revokes a person's token: GitHub answers it 401 from now on.
    pub fn revoke(&self, token: &str) {
        self.world().oauth.tokens.remove(token);
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

    /// The branches of `repo` whose names start with `prefix`.
    pub fn branches(&self, repo: &str, prefix: &str) -> Vec<String> {
        let mut world = self.world();
        let git = &world.repo(repo).git;
        let pattern = format!("refs/heads/{prefix}*");
        git.references_glob(&pattern)
            .unwrap()
            .filter_map(|r| r.ok()?.shorthand().ok().map(str::to_owned))
            .collect()
    }

    /// The full message of commit `sha`, and its parents.
    pub fn commit_message(&self, repo: &str, sha: &str) -> (String, Vec<String>) {
        let mut world = self.world();
        let commit = world
            .repo(repo)
            .git
            .find_commit(Oid::from_str(sha).unwrap())
            .unwrap();
        (
            commit.message().unwrap_or("").to_owned(),
            commit.parent_ids().map(|id| id.to_string()).collect(),
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

    /// The check runs named `name` on `sha`, as last updated.
    pub fn check_runs(&self, repo: &str, sha: &str, name: &str) -> Vec<Value> {
        let mut world = self.world();
        world
            .repo(repo)
            .check_runs
            .iter()
            .filter(|r| r["head_sha"] == sha && r["name"] == name)
            .cloned()
            .collect()
    }

    /// Comments on the pull request, oldest first.
    pub fn comments(&self, repo: &str, pr: u64) -> Vec<String> {
        let mut world = self.world();
        world
            .repo(repo)
            .comments
            .iter()
            .filter(|(n, _, _)| *n == pr)
            .map(|(_, _, b)| b.clone())
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
