//! landq's persistence: the land queue and the audit log of lands.
//!
//! One [`Store`] trait, two implementations: [`sqlite::SqliteStore`] under the
//! data directory (the embedded default) and [`firestore::FirestoreStore`]
//! (native mode, production, where App Engine instances keep nothing on
//! disk). One test suite runs against both.

#![deny(missing_docs)]

pub mod firestore;
pub mod sqlite;
pub mod stats;

use serde::{Deserialize, Serialize};

/// Where a land request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    /// The policy holds: in the queue, waiting its turn in the stack.
    Queued,
    /// Evaluated; something is missing (see the entry's reasons).
    Waiting,
    /// In the stack: its speculative commit is built and being tested.
    Testing,
    /// In the queue but blocked by a conflict (see `blocked`).
    Blocked,
    /// The merge call is under way.
    Landing,
    /// Merged by landq; the record, the feedback or the label's removal is
    /// not yet done (the entry goes once they are).
    Landed,
}

/// One pull request in the land queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// The pull request's title, as last read.
    #[serde(default)]
    pub title: String,
    /// The squash commit message (title, blank line, body) it lands with,
    /// which its speculative commit carries too.
    #[serde(default)]
    pub message: String,
    /// The changed paths (and old paths of renames), for naming conflicts.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Its speculative commit, while in the stack.
    #[serde(default)]
    pub stack: Option<Stacked>,
    /// What it conflicts with, while blocked.
    #[serde(default)]
    pub blocked: Option<Conflict>,
    /// Whether landq may have created branches for it (set before the
    /// first is written, cleared once they are deleted).
    #[serde(default)]
    pub refs: bool,
    /// The pull request's author.
    #[serde(default)]
    pub author: String,
    /// When it last entered the queue (ms since the Unix epoch).
    #[serde(default)]
    pub queued_at_ms: Option<i64>,
    /// How its stack checks stood when last read: `pending`, `passed`,
    /// `failed`.
    #[serde(default)]
    pub checks: Option<String>,
}

impl QueueEntry {
    /// A new entry: `requested_by` applied the label at `requested_at_ms`;
    /// not evaluated yet (waiting).
    pub fn requested(
        repo: &str,
        pr: u64,
        base: &str,
        requested_by: &str,
        requested_at_ms: i64,
    ) -> QueueEntry {
        QueueEntry {
            repo: repo.to_owned(),
            pr,
            base: base.to_owned(),
            requested_by: requested_by.to_owned(),
            requested_at_ms,
            state: EntryState::Waiting,
            head_sha: None,
            attempts: 0,
            reasons: Vec::new(),
            updated_at_ms: requested_at_ms,
            title: String::new(),
            message: String::new(),
            paths: Vec::new(),
            stack: None,
            blocked: None,
            refs: false,
            author: String::new(),
            queued_at_ms: None,
            checks: None,
        }
    }
}

impl EntryState {
    /// Its name, as the store, the API and the CLI write it.
    pub fn name(self) -> &'static str {
        match self {
            EntryState::Queued => "queued",
            EntryState::Waiting => "waiting",
            EntryState::Testing => "testing",
            EntryState::Blocked => "blocked",
            EntryState::Landing => "landing",
            EntryState::Landed => "landed",
        }
    }

    /// Whether an entry in this state is in the queue (the policy held at
    /// its head when last evaluated).
    pub fn in_queue(self) -> bool {
        !matches!(self, EntryState::Waiting)
    }
}

/// An entry's speculative commit S_k: its pull request squashed on top of
/// its parent (the base, or the entry ahead's speculative commit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Stacked {
    /// The head commit it was built from.
    pub head_sha: String,
    /// Its parent commit.
    pub parent: String,
    /// The parent's tree.
    pub parent_tree: String,
    /// The speculative commit, on `landq/stack/<pr>`.
    pub commit: String,
    /// Its tree: what lands.
    pub tree: String,
    /// When it was pushed (ms since the Unix epoch), for the timeouts.
    pub built_at_ms: i64,
    /// Stack-check re-runs used so far.
    #[serde(default)]
    pub retries: u32,
}

/// A textual conflict that blocks an entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Conflict {
    /// The head commit that conflicts.
    pub head_sha: String,
    /// The pull request ahead it conflicts with; `None`: the base itself.
    pub culprit: Option<u64>,
    /// The landed pull request that made it conflict with the base, if known.
    pub landed: Option<u64>,
    /// Paths changed on both sides.
    pub files: Vec<String>,
}
/// How one owned path was approved, for the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// Every changed path, for telling authors which land conflicts with them.
    #[serde(default)]
    pub paths: Vec<String>,
    /// The pull request's author.
    #[serde(default)]
    pub author: String,
    /// The pull request's title.
    #[serde(default)]
    pub title: String,
    /// When the policy first held, so it entered the queue (ms since the
    /// Unix epoch); the queue wait runs from there to the land.
    #[serde(default)]
    pub queued_at_ms: Option<i64>,
}

/// A pull request landq gave up on (its label removed), for the statistics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FailureRecord {
    /// `owner/name`.
    pub repo: String,
    /// Pull request number.
    pub pr: u64,
    /// Base branch.
    pub base: String,
    /// Why, as a kind: `refused`, `merge_refused`, `check_failed`,
    /// `never_started`, `timed_out`.
    pub reason: String,
    /// When (ms since the Unix epoch).
    pub at_ms: i64,
}

/// Which land records to read: newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LandQuery {
    /// Landed at or after (ms since the Unix epoch).
    pub since_ms: Option<i64>,
    /// Landed before (ms since the Unix epoch).
    pub until_ms: Option<i64>,
    /// Only pull requests by this author.
    pub author: Option<String>,
    /// Only records older than this (landed_at_ms, pr): where the previous
    /// page ended.
    pub before: Option<(i64, u64)>,
    /// At most this many.
    pub limit: usize,
}

impl LandQuery {
    /// The `limit` most recent lands.
    pub fn latest(limit: usize) -> LandQuery {
        LandQuery {
            limit,
            ..LandQuery::default()
        }
    }

    /// Whether `record` is one this query asks for (for stores that filter
    /// in memory what they cannot in the query).
    pub fn admits(&self, record: &LandRecord) -> bool {
        self.since_ms.is_none_or(|s| record.landed_at_ms >= s)
            && self.until_ms.is_none_or(|u| record.landed_at_ms < u)
            && self.author.as_ref().is_none_or(|a| &record.author == a)
            && self
                .before
                .is_none_or(|b| (record.landed_at_ms, record.pr) < b)
    }
}

/// Milliseconds since the Unix epoch, now (the unit of every time the
/// store keeps).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
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
    /// A repository's land records that `query` asks for, most recent
    /// first (by landed time, then number).
    async fn lands_in(&self, repo: &str, query: &LandQuery) -> Result<Vec<LandRecord>, StoreError>;
    /// A repository's land records, most recent first, at most `limit`.
    async fn lands(&self, repo: &str, limit: usize) -> Result<Vec<LandRecord>, StoreError> {
        self.lands_in(repo, &LandQuery::latest(limit)).await
    }
    /// The times of a repository's lands in `[since_ms, until_ms)`, for the
    /// statistics (a store may read them without decoding whole records).
    async fn land_times(
        &self,
        repo: &str,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<stats::LandTimes>, StoreError> {
        let query = LandQuery {
            since_ms: Some(since_ms),
            until_ms: Some(until_ms),
            ..LandQuery::latest(usize::MAX)
        };
        let lands = self.lands_in(repo, &query).await?;
        Ok(lands.iter().map(stats::LandTimes::from).collect())
    }
    /// The statistics of `repo` over `[until_ms - window_ms, until_ms)`.
    async fn stats(
        &self,
        repo: &str,
        until_ms: i64,
        window_ms: i64,
    ) -> Result<stats::Stats, StoreError> {
        let since_ms = until_ms - window_ms;
        let lands = self.land_times(repo, since_ms, until_ms).await?;
        let failures = self.failures(repo, since_ms).await?;
        Ok(stats::Stats::of(&lands, &failures, until_ms, window_ms))
    }
    /// Records that landq gave up on a pull request.
    async fn record_failure(&self, record: &FailureRecord) -> Result<(), StoreError>;
    /// A repository's failures at or after `since_ms`, oldest first.
    async fn failures(&self, repo: &str, since_ms: i64) -> Result<Vec<FailureRecord>, StoreError>;
    /// Every repository the store holds entries or lands of, sorted.
    async fn repos(&self) -> Result<Vec<String>, StoreError>;
    /// Freezes (`Some(why)`) or unfreezes (`None`) the queue of `base`:
    /// nothing lands there while it is frozen.
    async fn set_frozen(&self, repo: &str, base: &str, why: Option<&str>)
    -> Result<(), StoreError>;
    /// Why the queue of `base` is frozen, if it is.
    async fn frozen(&self, repo: &str, base: &str) -> Result<Option<String>, StoreError>;
    /// Keeps `body` as document `key` of `kind` (the latest audit report of
    /// a repository, when a pull request was last announced), replacing
    /// what was there.
    async fn put_doc(&self, kind: &str, key: &str, body: &str) -> Result<(), StoreError>;
    /// Document `key` of `kind`, if kept.
    async fn doc(&self, kind: &str, key: &str) -> Result<Option<String>, StoreError>;
    /// Every document of `kind`, as (key, body), by key.
    async fn docs(&self, kind: &str) -> Result<Vec<(String, String)>, StoreError>;
    /// Takes lease `name` for `holder` until `until_ms`, if nobody holds it
    /// at `now_ms` (or `holder` does: a renewal); whether it was taken.
    /// Atomic across processes sharing the store.
    async fn lease(
        &self,
        name: &str,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Gives lease `name` back, if `holder` holds it.
    async fn release(&self, name: &str, holder: &str) -> Result<(), StoreError>;
    /// Whether the store answers (for readiness probes).
    async fn check(&self) -> Result<(), StoreError>;
}
