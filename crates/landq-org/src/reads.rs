//! What the organisation tools read of a repository, and GitHub answers
//! kept in the store with their ETags: the next read sends the ETag, and
//! GitHub's 304 (which costs no rate limit) means the kept answer still
//! holds. So a warm audit or reminder run costs GitHub only 304s (an
//! organisation of thousands of repositories would otherwise spend an
//! installation's hourly budget on one audit); blobs, named by their
//! content, are never read twice. Without a store every read is plain.

use landq_github::admin::{BranchRule, DirItem, FileContent, Protection, RepoInfo, Ruleset};
use landq_github::{Conditional, GitHubError, Repo};
use landq_store::{Store, StoreError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The store kind of kept answers, by request path.
const ETAGS: &str = "etag";

/// Why a read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// GitHub failed.
    #[error("GitHub: {0}")]
    GitHub(#[from] GitHubError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// A GitHub answer kept in the store with its ETag.
#[derive(Serialize, Deserialize)]
struct Kept<T> {
    etag: String,
    value: T,
}

/// The value at `path`: read with the ETag of the kept one, which GitHub
/// confirms with a 304, or read anew and kept.
pub async fn kept<T, F, Fut>(store: &dyn Store, path: &str, read: F) -> Result<T, ReadError>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce(Option<String>) -> Fut,
    Fut: Future<Output = Result<Conditional<T>, GitHubError>>,
{
    let held: Option<Kept<T>> = store
        .doc(ETAGS, path)
        .await?
        .and_then(|body| serde_json::from_str(&body).ok());
    match read(held.as_ref().map(|k| k.etag.clone())).await? {
        Conditional::NotModified => match held {
            Some(held) => Ok(held.value),
            None => Err(ReadError::GitHub(GitHubError::Status {
                status: 304,
                what: path.to_owned(),
                message: "Not Modified without an ETag sent".into(),
            })),
        },
        Conditional::Fresh(value, etag) => {
            if let Some(etag) = etag {
                let body = serde_json::to_string(&Kept {
                    etag,
                    value: &value,
                })
                .map_err(StoreError::from)?;
                store.put_doc(ETAGS, path, &body).await?;
            }
            Ok(value)
        }
    }
}

/// Store kind of blob texts, by SHA.
const BLOBS: &str = "blob";

/// The audit's reads of one repository.
pub struct Reads<'a> {
    /// The repository.
    pub repo: &'a Repo,
    /// Where answers are kept, if anywhere.
    pub store: Option<&'a dyn Store>,
}

impl Reads<'_> {
    /// `GET /repos/{owner}/{repo}/{rest}`; `None` on 404.
    async fn get<T: Serialize + DeserializeOwned>(
        &self,
        rest: &str,
    ) -> Result<Option<T>, ReadError> {
        let Some(store) = self.store else {
            return Ok(match self.repo.get_if_changed(rest, None).await? {
                Some(Conditional::Fresh(value, _)) => Some(value),
                _ => None,
            });
        };
        let key = format!("/repos/{}/{rest}", self.repo.name());
        kept(store, &key, |etag| async move {
            Ok(
                match self.repo.get_if_changed::<T>(rest, etag.as_deref()).await? {
                    Some(Conditional::Fresh(value, etag)) => Conditional::Fresh(Some(value), etag),
                    Some(Conditional::NotModified) => Conditional::NotModified,
                    None => Conditional::Fresh(None, None),
                },
            )
        })
        .await
    }

    /// The default branch.
    pub async fn default_branch(&self) -> Result<String, ReadError> {
        let info: Option<RepoInfo> = self.get("").await?;
        Ok(info
            .map(|i| i.default_branch)
            .unwrap_or_else(|| "main".into()))
    }

    /// The text of `path` on the default branch, if it exists.
    pub async fn text_file(&self, path: &str) -> Result<Option<String>, ReadError> {
        let rest = format!("contents/{path}");
        let file: Option<FileContent> = self.get(&rest).await?;
        Ok(file.map(|f| f.text(&rest)).transpose()?)
    }

    /// The protection of `branch`, if protected.
    pub async fn protection(&self, branch: &str) -> Result<Option<Protection>, ReadError> {
        self.get(&format!("branches/{}/protection", path_part(branch)))
            .await
    }

    /// The ruleset rules that apply to `branch` (the first 100).
    pub async fn branch_rules(&self, branch: &str) -> Result<Vec<BranchRule>, ReadError> {
        let rules: Option<Vec<BranchRule>> = self
            .get(&format!(
                "rules/branches/{}?per_page=100",
                path_part(branch)
            ))
            .await?;
        Ok(rules.unwrap_or_default())
    }

    /// Ruleset `id`.
    pub async fn ruleset(&self, id: u64) -> Result<Option<Ruleset>, ReadError> {
        self.get(&format!("rulesets/{id}")).await
    }

    /// The files of directory `path`, if it exists.
    pub async fn dir(&self, path: &str) -> Result<Vec<DirItem>, ReadError> {
        let items: Option<Vec<DirItem>> = self.get(&format!("contents/{path}")).await?;
        Ok(items
            .unwrap_or_default()
            .into_iter()
            .filter(|i| i.kind == "file")
            .collect())
    }

    /// The text of blob `sha`.
    pub async fn blob(&self, sha: &str) -> Result<String, ReadError> {
        if let Some(text) = match self.store {
            Some(store) => store.doc(BLOBS, sha).await?,
            None => None,
        } {
            return Ok(text);
        }
        let text = self.repo.blob(sha).await?.text;
        if let Some(store) = self.store {
            store.put_doc(BLOBS, sha, &text).await?;
        }
        Ok(text)
    }
}

/// A branch name as one path segment (`release/1` → `release%2F1`).
fn path_part(branch: &str) -> String {
    form_urlencoded::byte_serialize(branch.as_bytes()).collect()
}
