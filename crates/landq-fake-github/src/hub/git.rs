//! The git side of the fake: commits written through an in-memory index,
//! GitHub's three-dot diff, and squash merges with real conflicts.

use std::path::Path;

use axum::http::StatusCode;
use git2::{Index, IndexEntry, IndexTime, Oid, Repository, Signature};
use serde_json::{Value, json};

use super::{Answer, Repo};

pub(super) fn tip(git: &Repository, branch: &str) -> Option<Oid> {
    git.refname_to_id(&format!("refs/heads/{branch}")).ok()
}

/// The commit a `ref` query parameter names, as GitHub reads it: a branch,
/// a tag, or a commit SHA.
pub(super) fn resolve(git: &Repository, reference: &str) -> Option<Oid> {
    tip(git, reference)
        .or_else(|| git.refname_to_id(&format!("refs/tags/{reference}")).ok())
        .or_else(|| {
            let oid = Oid::from_str(reference).ok()?;
            git.find_commit(oid).ok().map(|c| c.id())
        })
}

pub(super) fn head_sha(repo: &Repo, pr: u64) -> String {
    tip(&repo.git, &repo.pulls[&pr].head)
        .map(|o| o.to_string())
        .unwrap_or_default()
}

/// Writes a commit on `branch` whose tree is `parent`'s with `changes`.
pub(super) fn commit(
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

impl Repo {
    pub(super) fn commits(&self, number: u64) -> (git2::Commit<'_>, git2::Commit<'_>) {
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
    pub(super) fn files(&self, number: u64) -> Vec<String> {
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

    /// The merge of base and head, or `None` when they conflict.
    pub(super) fn merged(&self, number: u64) -> Option<Index> {
        let (base, head) = self.commits(number);
        let index = self.git.merge_commits(&base, &head, None).unwrap();
        (!index.has_conflicts()).then_some(index)
    }

    pub(super) fn merge(&mut self, number: u64, body: &Value) -> Answer {
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
        let Some(mut index) = self.merged(number) else {
            return (
                StatusCode::METHOD_NOT_ALLOWED,
                json!({"message": "Merge conflict"}),
            );
        };
        let (base, _) = self.commits(number);
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
        drop((base, tree));
        let pull = self.pulls.get_mut(&number).unwrap();
        pull.open = false;
        pull.merge_commit = Some(oid.to_string());
        (
            StatusCode::OK,
            json!({"sha": oid.to_string(), "merged": true, "message": "Pull Request successfully merged"}),
        )
    }
}
