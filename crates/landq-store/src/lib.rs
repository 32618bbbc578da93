//! landq's persistence: the land queue and the audit log of lands.
//!
//! One [`Store`] trait, two implementations: [`sqlite::SqliteStore`] under the
//! data directory (the embedded default) and [`firestore::FirestoreStore`]
//! (native mode, production, where App Engine instances keep nothing on
//! disk). One test suite runs against both.

#![deny(missing_docs)]

pub mod firestore;
pub mod sqlite;

use serde::{Deserialize, Serialize};

/// Where a land request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    /// Requested; not yet evaluated.
    Queued,
    /// Evaluated; something is missing (see the entry's reasons).
    Waiting,
    /// The merge call is under way.
    Landing,
    /// Merged by landq; the record, the feedback or the label's removal is
    /// not yet done (the entry goes once they are).
    Landed,
}

/// One pull request in the land queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    /// `owner/name`.
    pub repo: String,
    /// Pull request number.
    pub pr: u64,
    /// Base branch.
    pub base: String,
    /// Who applied the land label.
    pub requested_by: String,
    /// When the label was applied (ms since the Unix epoch); queue order.
    pub requested_at_ms: i64,
    /// Where it stands.
    pub state: EntryState,
    /// The head commit last evaluated.
    pub head_sha: Option<String>,
    /// Merge attempts so far.
    pub attempts: u32,
    /// Why it waits or failed, as shown on the pull request.
    pub reasons: Vec<String>,
    /// Last change (ms since the Unix epoch).
    pub updated_at_ms: i64,
}

/// How one owned path was approved, for the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerRecord {
    /// The path (or old path of a rename).
    pub path: String,
    /// The rules-file line that owns it.
    pub line: usize,
    /// The owner entry satisfied (`@user`, `@org/team`).
    pub owner: String,
    /// The approver who satisfied it.
    pub approver: String,
}

/// A landed pull request: the audit record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandRecord {
    /// `owner/name`.
    pub repo: String,
    /// Pull request number.
    pub pr: u64,
    /// Base branch it landed on.
    pub base: String,
    /// The head commit that was evaluated and merged.
    pub head_sha: String,
    /// The squash commit on the base branch.
    pub squash_sha: String,
    /// Who applied the land label.
    pub requested_by: String,
    /// Reviewers whose approvals counted.
    pub approvers: Vec<String>,
    /// Which rule and owner satisfied each owned path.
    pub ownership: Vec<OwnerRecord>,
    /// Blob SHA of `.github/.landqueue` on the base branch, if there was one.
    pub rules_sha: Option<String>,
    /// When the land was requested (ms since the Unix epoch).
    pub requested_at_ms: i64,
    /// When it landed (ms since the Unix epoch).
    pub landed_at_ms: i64,
}

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("sqlite store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Firestore failed.
    #[error("firestore: {0}")]
    Firestore(String),
    /// A stored document could not be decoded.
    #[error("undecodable record: {0}")]
    Decode(#[from] serde_json::Error),
    /// The blocking task running a SQLite call died.
    #[error("store task failed: {0}")]
    Task(String),
}

/// The persistence interface shared by both backends.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates or replaces the entry for its (repo, pr).
    async fn put_entry(&self, entry: &QueueEntry) -> Result<(), StoreError>;
    /// The entry for (repo, pr), if queued.
    async fn entry(&self, repo: &str, pr: u64) -> Result<Option<QueueEntry>, StoreError>;
    /// A repository's entries in queue order (oldest request first).
    async fn entries(&self, repo: &str) -> Result<Vec<QueueEntry>, StoreError>;
    /// Removes the entry for (repo, pr); removing a missing entry is fine.
    async fn remove_entry(&self, repo: &str, pr: u64) -> Result<(), StoreError>;
    /// Records a land; the same (repo, pr, squash SHA) is kept once.
    async fn record_land(&self, record: &LandRecord) -> Result<(), StoreError>;
    /// A repository's land records, most recent first, at most `limit`.
    async fn lands(&self, repo: &str, limit: usize) -> Result<Vec<LandRecord>, StoreError>;
    /// Whether the store answers (for readiness probes).
    async fn check(&self) -> Result<(), StoreError>;
}
