//! GitHub's Git database routes on the fake, answered as GitHub's REST
//! documentation describes them: references (read, create, move with or
//! without `force`, delete), merges into a branch, and commits. A land queue
//! builds its speculative commits with these.
//!
//! - `GET git/ref/{ref}`: 200 `{ref, object: {sha, type}}`, or 404.
//! - `POST git/refs` `{ref, sha}`: 201, or 422 when the reference exists.
//! - `PATCH git/refs/{ref}` `{sha, force}`: 200, or 422 when it is not a
//!   fast-forward and `force` is false.
//! - `DELETE git/refs/{ref}`: 204, or 422 when there is no such reference.
//! - `POST merges` `{base, head, commit_message}`: 201 with the merge commit,
//!   204 when `base` already contains `head`, 409 on a conflict, 404 when
//!   `base` or `head` is unknown.
//! - `POST git/commits` `{message, tree, parents}`: 201 with the commit.
//! - `GET git/commits/{sha}`: 200 `{sha, tree: {sha}, parents: [{sha}], message}`.

use axum::http::StatusCode;
use git2::{Oid, Signature};
use serde_json::{Value, json};

use super::git::resolve;
use super::rest::not_found;
use super::{Answer, Repo};

/// A 422 with GitHub's message.
fn unprocessable(message: &str) -> Answer {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({"message": message}),
    )
}

impl Repo {
    /// Routes `git/…` and `merges`.
    pub(super) fn data_route(&mut self, method: &str, rest: &[&str], body: &Value) -> Answer {
        match (method, rest) {
            ("GET", ["git", "ref", name @ ..]) => self.read_ref(&name.join("/")),
            ("POST", ["git", "refs"]) => self.create_ref(body),
            ("PATCH", ["git", "refs", name @ ..]) => self.move_ref(&name.join("/"), body),
            ("DELETE", ["git", "refs", name @ ..]) => self.delete_ref(&name.join("/")),
            ("POST", ["merges"]) => self.merge_into(body),
            ("POST", ["git", "commits"]) => self.create_commit(body),
            ("GET", ["git", "commits", sha]) => match self.commit_oid(sha) {
                Some(oid) => (StatusCode::OK, self.commit_json(oid)),
                None => not_found(),
            },
            _ => not_found(),
        }
    }

    fn ref_json(&self, name: &str, oid: Oid) -> Value {
        json!({"ref": name, "object": {"sha": oid.to_string(), "type": "commit"}})
    }

    fn commit_oid(&self, sha: &str) -> Option<Oid> {
        let oid = Oid::from_str(sha).ok()?;
        self.git.find_commit(oid).ok().map(|c| c.id())
    }

    fn commit_json(&self, oid: Oid) -> Value {
        let commit = self.git.find_commit(oid).expect("a commit");
        let parents: Vec<Value> = commit
            .parent_ids()
            .map(|p| json!({"sha": p.to_string()}))
            .collect();
        json!({
            "sha": oid.to_string(),
            "tree": {"sha": commit.tree_id().to_string()},
            "parents": parents,
            "message": commit.message().unwrap_or(""),
        })
    }

    /// `heads/x` (as the path names it) → `refs/heads/x`.
    fn full_ref(name: &str) -> String {
        match name.strip_prefix("refs/") {
            Some(_) => name.to_owned(),
            None => format!("refs/{name}"),
        }
    }

    /// Notes a push to a stack branch, for the CI.
    fn pushed(&mut self, reference: &str, commit: Oid) {
        if reference.starts_with(super::ci::STACK_PREFIX) {
            self.stack_pushes.push(commit);
        }
    }

    fn read_ref(&self, name: &str) -> Answer {
        let full = Self::full_ref(name);
        match self.git.refname_to_id(&full) {
            Ok(oid) => (StatusCode::OK, self.ref_json(&full, oid)),
            Err(_) => not_found(),
        }
    }

    fn create_ref(&mut self, body: &Value) -> Answer {
        let (Some(name), Some(sha)) = (body["ref"].as_str(), body["sha"].as_str()) else {
            return unprocessable("Invalid request: ref and sha are required");
        };
        if !name.starts_with("refs/") || name.matches('/').count() < 2 {
            return unprocessable(
                "Reference name must start with 'refs/' and have at least two slashes.",
            );
        }
        let Some(oid) = self.commit_oid(sha) else {
            return unprocessable("Object does not exist");
        };
        if self.git.refname_to_id(name).is_ok() {
            return unprocessable("Reference already exists");
        }
        self.git.reference(name, oid, false, "create").unwrap();
        self.pushed(name, oid);
        (StatusCode::CREATED, self.ref_json(name, oid))
    }

    fn move_ref(&mut self, name: &str, body: &Value) -> Answer {
        let full = Self::full_ref(name);
        let Ok(current) = self.git.refname_to_id(&full) else {
            return unprocessable("Reference does not exist");
        };
        let Some(target) = body["sha"].as_str().and_then(|sha| self.commit_oid(sha)) else {
            return unprocessable("Object does not exist");
        };
        let force = body["force"].as_bool().unwrap_or(false);
        let fast_forward = current == target
            || self
                .git
                .graph_descendant_of(target, current)
                .unwrap_or(false);
        if !force && !fast_forward {
            return unprocessable("Update is not a fast forward");
        }
        self.git.reference(&full, target, true, "update").unwrap();
        if current != target {
            self.pushed(&full, target);
        }
        (StatusCode::OK, self.ref_json(&full, target))
    }

    fn delete_ref(&mut self, name: &str) -> Answer {
        let full = Self::full_ref(name);
        match self.git.find_reference(&full) {
            Ok(mut reference) => {
                reference.delete().unwrap();
                (StatusCode::NO_CONTENT, Value::Null)
            }
            Err(_) => unprocessable("Reference does not exist"),
        }
    }

    /// Merges `head` into branch `base`, moving `base` to the merge commit.
    fn merge_into(&mut self, body: &Value) -> Answer {
        let (Some(base), Some(head)) = (body["base"].as_str(), body["head"].as_str()) else {
            return unprocessable("Invalid request: base and head are required");
        };
        let base_ref = format!("refs/heads/{base}");
        let (Ok(base_oid), Some(head_oid)) =
            (self.git.refname_to_id(&base_ref), resolve(&self.git, head))
        else {
            return (
                StatusCode::NOT_FOUND,
                json!({"message": "Base does not exist"}),
            );
        };
        if base_oid == head_oid
            || self
                .git
                .graph_descendant_of(base_oid, head_oid)
                .unwrap_or(false)
        {
            return (StatusCode::NO_CONTENT, Value::Null);
        }
        let (base_commit, head_commit) = (
            self.git.find_commit(base_oid).unwrap(),
            self.git.find_commit(head_oid).unwrap(),
        );
        let mut index = self
            .git
            .merge_commits(&base_commit, &head_commit, None)
            .unwrap();
        if index.has_conflicts() {
            return (StatusCode::CONFLICT, json!({"message": "Merge conflict"}));
        }
        let tree = self
            .git
            .find_tree(index.write_tree_to(&self.git).unwrap())
            .unwrap();
        let message = body["commit_message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("Merge {head} into {base}"));
        let who = Signature::now("GitHub", "noreply@github.com").unwrap();
        let oid = self
            .git
            .commit(
                None,
                &who,
                &who,
                &message,
                &tree,
                &[&base_commit, &head_commit],
            )
            .unwrap();
        self.git.reference(&base_ref, oid, true, "merge").unwrap();
        (StatusCode::CREATED, self.commit_json(oid))
    }

    fn create_commit(&mut self, body: &Value) -> Answer {
        let Some(tree) = body["tree"]
            .as_str()
            .and_then(|t| Oid::from_str(t).ok())
            .and_then(|t| self.git.find_tree(t).ok())
        else {
            return unprocessable("Tree SHA does not exist");
        };
        let mut parents = Vec::new();
        for parent in body["parents"].as_array().into_iter().flatten() {
            match parent.as_str().and_then(|p| self.commit_oid(p)) {
                Some(oid) => parents.push(self.git.find_commit(oid).unwrap()),
                None => {
                    return unprocessable("Parent SHA does not exist or is not a commit object");
                }
            }
        }
        let message = body["message"].as_str().unwrap_or("");
        let who = Signature::now("landq", "landq@users.noreply.github.com").unwrap();
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        let oid = self
            .git
            .commit(None, &who, &who, message, &tree, &parents)
            .unwrap();
        (StatusCode::CREATED, self.commit_json(oid))
    }
}
