//! GitHub's Git database: references, merges into a branch, and commits,
//! the calls a land queue builds its speculative commits with (a scratch
//! branch reset to the parent, `POST /merges` for the tree, one commit with
//! that tree and a single parent, a stack branch pointed at it).

use http::{Method, StatusCode};
use serde::Deserialize;

use crate::Repo;
use crate::error::{GitHubError, decode, expect_ok, status_error};

/// What merging into a branch did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MergeInto {
    /// A merge commit was made (201); the branch now points to it.
    Merged {
        /// The merge commit.
        sha: String,
        /// Its tree: the three-way merge of the two.
        tree: String,
    },
    /// The branch already contains what was to be merged (204).
    AlreadyContained,
    /// The two conflict (409); nothing changed.
    Conflict,
}

/// A commit as the Git database describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitCommit {
    /// Its SHA.
    pub sha: String,
    /// Its tree's SHA.
    pub tree: String,
    /// Its parents' SHAs.
    pub parents: Vec<String>,
}

#[derive(Deserialize)]
struct RefAnswer {
    object: Sha,
}

#[derive(Deserialize)]
struct Sha {
    sha: String,
}

#[derive(Deserialize)]
struct CommitAnswer {
    sha: String,
    tree: Sha,
    #[serde(default)]
    parents: Vec<Sha>,
}

impl From<CommitAnswer> for GitCommit {
    fn from(answer: CommitAnswer) -> Self {
        GitCommit {
            sha: answer.sha,
            tree: answer.tree.sha,
            parents: answer.parents.into_iter().map(|p| p.sha).collect(),
        }
    }
}

/// Whether `name` is a reference landq may name in a URL
/// (`heads/landq/stack/7`): letters, digits, `/`, `-`, `_`, `.`, no `..`.
fn valid_ref(name: &str) -> Result<&str, GitHubError> {
    let ok = !name.is_empty()
        && !name.contains("..")
        && !name.starts_with('/')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'));
    match ok {
        true => Ok(name),
        false => Err(GitHubError::Config(format!(
            "`{name}` is not a reference landq uses"
        ))),
    }
}

impl Repo {
    /// The commit `reference` (`heads/main`) points to, or `None` when
    /// there is no such reference.
    pub async fn ref_sha(&self, reference: &str) -> Result<Option<String>, GitHubError> {
        let url = self.url(&format!("git/ref/{}", valid_ref(reference)?));
        let answer = self.get(&url).await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let found: RefAnswer = decode(&url, expect_ok(&url, answer)?)?;
        Ok(Some(found.object.sha))
    }

    /// Points `reference` (`heads/landq/stack/7`) at `sha`, creating it when
    /// it does not exist. Without `force`, a move that is not a fast-forward
    /// is refused: `Ok(false)`.
    pub async fn set_ref(
        &self,
        reference: &str,
        sha: &str,
        force: bool,
    ) -> Result<bool, GitHubError> {
        let reference = valid_ref(reference)?;
        let url = self.url(&format!("git/refs/{reference}"));
        let body = serde_json::json!({"sha": sha, "force": force});
        let answer = self.write(Method::PATCH, &url, &body).await?;
        if answer.status.is_success() {
            return Ok(true);
        }
        if answer.status != StatusCode::UNPROCESSABLE_ENTITY {
            return Err(status_error(&url, &answer));
        }
        if self.ref_sha(reference).await?.is_some() {
            return Ok(false); // it exists: the move was not a fast-forward
        }
        let create = self.url("git/refs");
        let body = serde_json::json!({"ref": format!("refs/{reference}"), "sha": sha});
        expect_ok(&create, self.write(Method::POST, &create, &body).await?)?;
        Ok(true)
    }

    /// Deletes `reference`; deleting one that does not exist is fine.
    pub async fn delete_ref(&self, reference: &str) -> Result<(), GitHubError> {
        let url = self.url(&format!("git/refs/{}", valid_ref(reference)?));
        let answer = self.write(Method::DELETE, &url, &()).await?;
        match answer.status {
            s if s.is_success() => Ok(()),
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::NOT_FOUND => Ok(()),
            _ => Err(status_error(&url, &answer)),
        }
    }

    /// Merges `head` (a SHA or branch) into branch `base` with `message`.
    pub async fn merge_into(
        &self,
        base: &str,
        head: &str,
        message: &str,
    ) -> Result<MergeInto, GitHubError> {
        let url = self.url("merges");
        let body = serde_json::json!({"base": base, "head": head, "commit_message": message});
        let answer = self.write(Method::POST, &url, &body).await?;
        match answer.status {
            StatusCode::CREATED => {
                let commit: CommitAnswer = decode(&url, answer)?;
                Ok(MergeInto::Merged {
                    sha: commit.sha,
                    tree: commit.tree.sha,
                })
            }
            StatusCode::NO_CONTENT => Ok(MergeInto::AlreadyContained),
            StatusCode::CONFLICT => Ok(MergeInto::Conflict),
            _ => Err(status_error(&url, &answer)),
        }
    }

    /// Creates a commit of `tree` with `parents` and `message`; its SHA.
    pub async fn create_commit(
        &self,
        message: &str,
        tree: &str,
        parents: &[&str],
    ) -> Result<String, GitHubError> {
        let url = self.url("git/commits");
        let body = serde_json::json!({"message": message, "tree": tree, "parents": parents});
        let created: CommitAnswer = decode(
            &url,
            expect_ok(&url, self.write(Method::POST, &url, &body).await?)?,
        )?;
        Ok(created.sha)
    }

    /// Commit `sha`: its tree and parents.
    pub async fn git_commit(&self, sha: &str) -> Result<GitCommit, GitHubError> {
        let url = self.url(&format!("git/commits/{}", crate::encode(sha)));
        let commit: CommitAnswer = self.get_json(&url).await?;
        Ok(commit.into())
    }
}
