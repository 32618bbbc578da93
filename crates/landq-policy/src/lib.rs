//! landq's pure domain: who owns a path, and whether a pull request may land.
//!
//! Data in, decision out: no I/O, no clock, no async. The worker reads facts
//! from GitHub and calls [`decide()`]; the CLI calls [`Rules`] directly.
//!
//! - [`rules`]: the `.github/.landqueue` file (CODEOWNERS syntax), strictly parsed.
//! - [`pattern`]: one path pattern and the reference definition of matching.
//! - [`owners`]: the index that finds a path's last matching rule fast.
//! - [`settings`]: the `.github/landq.toml` file.
//! - [`facts`] and [`decide`](mod@decide): the landing policy.
//! - [`feedback`]: every text a pull request shows.
//! - [`stack`]: the land queue's check verdicts and texts.
//! - [`message`]: the squash commit message.
//! - [`names`]: GitHub's logins and repository names.

#![deny(missing_docs)]

pub mod decide;
pub mod facts;
pub mod feedback;
pub mod message;
pub mod names;
pub mod owners;
pub mod pattern;
pub mod rules;
pub mod settings;
pub mod stack;

#[cfg(test)]
mod matching_cases;

pub use decide::{Decision, Landing, OwnerApproval, Reason, approvers, decide};
pub use facts::{
    ChangedFile, Check, CheckOutcome, Facts, HeadConfig, Labeler, Permission, PullRequest,
    PullState, Review, ReviewState, Teams,
};
pub use message::CommitMessage;
pub use rules::{Owner, RULES_PATH, Rule, RuleError, RuleErrorKind, Rules, RulesErrors};
pub use settings::{LandMode, Remind, SETTINGS_PATH, Settings, SettingsError};
