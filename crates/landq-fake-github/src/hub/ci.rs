//! A fake CI on the fake GitHub: each push to a `landq/stack/**` branch (a
//! reference created or moved there) starts a run, as a workflow with
//! `on: push: branches: ["landq/stack/**"]` would. A check run appears on
//! the pushed commit at once (`in_progress`), and after the delay the test
//! set it completes with the verdict of the test's judge on the commit's
//! files; its `check_run` `completed` event goes to the hub's event sink,
//! as GitHub would deliver it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};
use serde_json::json;

use super::{Event, Hub};

/// The prefix of the branches the fake CI runs on.
pub const STACK_PREFIX: &str = "refs/heads/landq/stack/";

/// The files of a commit, for a judge.
pub struct Files(BTreeMap<String, String>);

impl Files {
    /// The text of `path`, if the commit has it.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.0.get(path).map(String::as_str)
    }

    /// Every path and text.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(p, t)| (p.as_str(), t.as_str()))
    }

    fn of(git: &Repository, commit: Oid) -> Files {
        let tree = git.find_commit(commit).unwrap().tree().unwrap();
        let mut files = BTreeMap::new();
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(ObjectType::Blob) {
                let blob = git.find_blob(entry.id()).unwrap();
                let path = format!("{dir}{}", entry.name().unwrap_or(""));
                files.insert(path, String::from_utf8_lossy(blob.content()).into_owned());
            }
            TreeWalkResult::Ok
        })
        .unwrap();
        Files(files)
    }
}

/// Whether a commit's files pass.
pub type Judge = Arc<dyn Fn(&Files) -> bool + Send + Sync>;

/// The fake CI of a hub.
#[derive(Clone)]
pub struct Ci {
    /// The check run's name (the `stack_checks` entry).
    pub name: String,
    /// How long a run takes.
    pub delay: Duration,
    /// Passes or fails a commit by its files.
    pub judge: Judge,
}

/// Where events the fake announces by itself go.
pub type Sink = Arc<dyn Fn(Event) + Send + Sync>;

impl Hub {
    /// Runs `ci` on every later push to `landq/stack/**`.
    pub fn run_ci(&self, ci: Ci) {
        self.world().ci = Some(ci);
    }

    /// Sends the events the fake announces by itself (its CI's check runs)
    /// to `sink`.
    pub fn on_event(&self, sink: impl Fn(Event) + Send + Sync + 'static) {
        self.world().sink = Some(Arc::new(sink));
    }

    /// What `judge` says of the files of commit `sha` in `repo`.
    pub fn judge(&self, repo: &str, sha: &str, judge: impl Fn(&Files) -> bool) -> bool {
        let mut world = self.world();
        let git = &world.repo(repo).git;
        judge(&Files::of(git, Oid::from_str(sha).unwrap()))
    }

    /// How many runs the fake CI started in `repo`.
    pub fn ci_runs(&self, repo: &str) -> usize {
        self.world().repo(repo).ci_runs
    }

    /// Starts a run for each stack push the last request made.
    pub(super) fn start_ci_runs(&self) {
        let (ci, runs) = {
            let mut world = self.world();
            let Some(ci) = world.ci.clone() else {
                for repo in world.repos.values_mut() {
                    repo.stack_pushes.clear();
                }
                return;
            };
            let mut runs = Vec::new();
            let names: Vec<String> = world.repos.keys().cloned().collect();
            for name in names {
                let pushes = std::mem::take(&mut world.repo(&name).stack_pushes);
                for commit in pushes {
                    world.next_id += 1;
                    let id = world.next_id;
                    let repo = world.repo(&name);
                    repo.ci_runs += 1;
                    repo.check_runs.push(json!({
                        "id": id,
                        "name": ci.name,
                        "head_sha": commit.to_string(),
                        "status": "in_progress",
                        "conclusion": null,
                        "html_url": format!("https://github.com/{name}/runs/{id}"),
                    }));
                    runs.push((name.clone(), commit, id));
                }
            }
            (ci, runs)
        };
        for (repo, commit, id) in runs {
            let hub = self.clone();
            let ci = ci.clone();
            tokio::spawn(async move {
                tokio::time::sleep(ci.delay).await;
                hub.finish_ci_run(&repo, commit, id, &ci);
            });
        }
    }

    fn finish_ci_run(&self, name: &str, commit: Oid, id: u64, ci: &Ci) {
        let (event, sink) = {
            let mut world = self.world();
            let sink = world.sink.clone();
            let repo = world.repo(name);
            let passed = (ci.judge)(&Files::of(&repo.git, commit));
            let conclusion = if passed { "success" } else { "failure" };
            let Some(run) = repo
                .check_runs
                .iter_mut()
                .find(|r| r["id"].as_u64() == Some(id))
            else {
                return;
            };
            run["status"] = json!("completed");
            run["conclusion"] = json!(conclusion);
            let mut payload = json!({
                "action": "completed",
                "check_run": {
                    "id": id,
                    "name": ci.name,
                    "head_sha": commit.to_string(),
                    "status": "completed",
                    "conclusion": conclusion,
                    "html_url": run["html_url"],
                    "pull_requests": [],
                },
                "repository": {"full_name": name},
                "sender": {"login": "github-actions[bot]"},
            });
            if let Some(installation) = repo.installation {
                payload["installation"] = json!({"id": installation});
            }
            let event = Event {
                name: "check_run",
                payload,
            };
            (event, sink)
        };
        if let Some(sink) = sink {
            sink(event);
        }
    }
}
