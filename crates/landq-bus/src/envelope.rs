//! The envelope: the small, normalised nudge the webhook publishes and the
//! worker consumes. It says "pull request N of repo R may have changed"; the
//! worker re-reads the truth from GitHub.

use serde::{Deserialize, Serialize};

/// One kept webhook delivery, reduced to what routing and tracing need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// GitHub's `X-GitHub-Delivery` id, unique per delivery.
    pub delivery: String,
    /// GitHub's `X-GitHub-Event` name.
    pub event: String,
    /// The payload's `action`, when it has one.
    pub action: Option<String>,
    /// `owner/name`; the ordering key. For installation events without a
    /// single repository: `account/*`.
    pub repo: String,
    /// The GitHub App installation id, when the delivery came through an App.
    pub installation: Option<u64>,
    /// Pull requests the event is about (several for a check suite).
    pub prs: Vec<u64>,
    /// The head or commit SHA the event is about, when there is one.
    pub sha: Option<String>,
    /// The label added or removed, for `labeled`/`unlabeled`. For people
    /// reading `landq bus list` and the logs: the worker never reads it (it
    /// asks GitHub who applied which label).
    pub label: Option<String>,
    /// Who caused the event. For people and logs only, like `label`.
    pub sender: Option<String>,
    /// When the webhook received the delivery (RFC 3339, UTC). For people
    /// and logs only: the worker orders lands by GitHub's label events.
    pub received_at: String,
}
