//! landq's organisation tools, run beside the queue:
//!
//! - [`audit`]: is every repository set up so that only landq writes to
//!   its guarded branches, with valid rules, and do its CI jobs run the
//!   organisation's required steps? (`landq audit`)
//! - [`remind`]: stale pull requests announced on Slack ([`slack`]), each
//!   at most once per period however many processes run (`landq remind`).
//! - [`jobs`]: both once, or on an interval inside the worker.

#![deny(missing_docs)]

pub mod audit;
pub mod jobs;
pub mod reads;
pub mod remind;
pub mod slack;

use landq_github::GitHub;

/// The repositories the organisation tools cover, each with the
/// installation it is reached through: for an App, every repository of every installation (only those
/// in `only`, when given: one the App is not installed on is an error);
/// for a token, `only`, which must then name them.
pub async fn targets(
    github: &GitHub,
    only: &[String],
) -> Result<Vec<(Option<u64>, String)>, String> {
    if !github.is_app() {
        if only.is_empty() {
            return Err(
                "with a token, name the repositories: --repos owner/name,… (or LANDQ_REPOS)".into(),
            );
        }
        return Ok(only.iter().map(|r| (None, r.clone())).collect());
    }
    let mut all = github.every_repo().await.map_err(|e| e.to_string())?;
    if only.is_empty() {
        return Ok(all);
    }
    if let Some(missing) = only.iter().find(|r| !all.iter().any(|(_, a)| a == *r)) {
        return Err(format!("the GitHub App is not installed on `{missing}`"));
    }
    all.retain(|(_, r)| only.contains(r));
    Ok(all)
}
