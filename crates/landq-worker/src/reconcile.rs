//! The periodic reconcile: GitHub does not retry a failed delivery, so every
//! interval landq lists the open pull requests carrying the land label in each
//! repository it serves and publishes a nudge for each. Whatever a lost
//! delivery would have stranded lands on the next pass. Nudges go out in the
//! order the label was applied (from the store, or for pull requests it has
//! never seen, from GitHub's label events), so ready pull requests land in
//! that order.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use landq_bus::{Bus, Clock, Envelope, Published};
use landq_github::{GitHub, GitHubError, Repo};
use landq_store::{EntryState, Store};

use crate::ProcessError;
use crate::gather::Listing;
use landq_policy::settings::{DEFAULT_LABEL, SETTINGS_PATH, Settings};
use tokio::sync::watch;

/// The event name of the nudge that moves a repository's queues: stack
/// checks read, timeouts applied, even when no delivery says anything changed.
pub const QUEUE_EVENT: &str = "queue";

/// How often the reconcile runs unless configured otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(300);

/// Which repositories to reconcile.
#[derive(Clone, Debug)]
pub enum Repositories {
    /// Every repository of every installation of the GitHub App.
    Installations,
    /// These repositories (token authentication), without an installation.
    Listed(Vec<String>),
}

/// What a reconcile pass reads, where it publishes, and its clock.
pub struct Reconcile {
    /// GitHub, to list the labelled pull requests.
    pub github: Arc<GitHub>,
    /// Where the nudges go.
    pub bus: Arc<dyn Bus>,
    /// The queue: the order labels went on, and unfinished lands.
    pub store: Arc<dyn Store>,
    /// Which repositories.
    pub repositories: Repositories,
    /// Its clock: nudges are deduplicated per minute.
    pub clock: Clock,
}

impl Reconcile {
    /// Runs a pass every `interval` until `stop` turns true.
    pub async fn run(self, interval: Duration, mut stop: watch::Receiver<bool>) {
        loop {
            match self.once().await {
                Ok(nudged) => tracing::info!(nudged, "reconcile pass done"),
                Err(err) => {
                    tracing::warn!(error = %err, "reconcile pass failed; next pass will retry")
                }
            }
            tokio::select! {
                _ = stop.wait_for(|stopped| *stopped) => return,
                _ = tokio::time::sleep(interval) => {}
            }
        }
    }

    /// One pass; returns how many pull requests were nudged.
    pub async fn once(&self) -> Result<usize, ProcessError> {
        let (github, bus, store) = (&self.github, &self.bus, self.store.as_ref());
        let targets: Vec<(Option<u64>, String)> = match &self.repositories {
            Repositories::Listed(names) => names.iter().map(|n| (None, n.clone())).collect(),
            Repositories::Installations => github.every_repo().await?,
        };
        let now = self.clock.now_ms();
        let mut nudged = 0;
        for (installation, name) in targets {
            let repo = github.repo(installation, &name)?;
            let label = label_of(&repo).await?;
            let prs = in_label_order(&repo, store, &label).await?;
            let stacked = store
                .entries(&name)
                .await?
                .iter()
                .any(|e| e.state.in_queue());
            // One nudge per pull request per minute, however often passes run;
            // then one for the queue, after them.
            let minute = now / 60_000;
            let nudges = prs
                .into_iter()
                .map(|pr| {
                    (
                        format!("reconcile:{name}:{pr}:{minute}"),
                        "reconcile",
                        vec![pr],
                    )
                })
                .chain(stacked.then(|| (format!("queue:{name}:{minute}"), QUEUE_EVENT, vec![])));
            for (delivery, event, prs) in nudges {
                let envelope = Envelope {
                    delivery,
                    event: event.into(),
                    action: None,
                    repo: name.clone(),
                    installation,
                    prs: prs.clone(),
                    sha: None,
                    label: None,
                    sender: None,
                    received_at: humantime::format_rfc3339_seconds(self.clock.now()).to_string(),
                };
                match bus.publish(&envelope).await {
                    Ok(Published::Accepted) => nudged += 1,
                    Ok(Published::Duplicate) => {}
                    Err(err) => {
                        tracing::warn!(repo = %name, ?prs, error = %err, "cannot publish a reconcile nudge")
                    }
                }
            }
        }
        Ok(nudged)
    }
}

/// The open pull requests carrying `label`, in the order it was applied:
/// as the store recorded it, or for pull requests it has never seen, as
/// GitHub's label events say (asked only when there is an order to keep).
async fn in_label_order(
    repo: &Repo,
    store: &dyn Store,
    label: &str,
) -> Result<Vec<u64>, ProcessError> {
    let mut prs = repo.open_with_label(label).await?;
    let entries = store.entries(repo.name()).await?;
    let unfinished: Vec<u64> = entries
        .iter()
        .filter(|e| matches!(e.state, EntryState::Landing | EntryState::Landed))
        .map(|e| e.pr)
        .collect();
    let mut requested: HashMap<u64, i64> = entries
        .into_iter()
        .map(|e| (e.pr, e.requested_at_ms))
        .collect();
    let unseen: Vec<u64> = prs
        .iter()
        .copied()
        .filter(|pr| !requested.contains_key(pr))
        .collect();
    if unseen.len() > 1 || (!unseen.is_empty() && !requested.is_empty()) {
        for pr in unseen {
            if let Some(at) = repo.labeler(pr, label).await?.and_then(|l| l.at_ms) {
                requested.insert(pr, at);
            }
        }
    }
    prs.sort_by_key(|pr| (requested.get(pr).copied().unwrap_or(i64::MAX), *pr));
    // A land whose record, feedback or label removal was cut short: the pull
    // request is merged (no longer listed open), its entry says what is left.
    for pr in unfinished {
        if !prs.contains(&pr) {
            prs.push(pr);
        }
    }
    Ok(prs)
}

/// The land label the default branch's `landq.toml` names (the default label
/// when there is none, or it does not parse: the worker reports that).
pub(crate) async fn label_of(repo: &Repo) -> Result<String, GitHubError> {
    let Some(sha) = Listing::read(repo, None).await?.blob_of(SETTINGS_PATH) else {
        return Ok(DEFAULT_LABEL.to_owned());
    };
    let text = repo.blob(&sha).await?.text;
    Ok(Settings::parse(&text).map_or_else(|_| DEFAULT_LABEL.to_owned(), |s| s.label))
}
