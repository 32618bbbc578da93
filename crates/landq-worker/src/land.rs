//! Acting on a decision: the land state machine for one pull request.
//!
//! queued → waiting (reasons) → landing → landed | failed. Every step is
//! re-derived from GitHub, so processing the same nudge twice is harmless:
//! a pull request found merged while its entry says `landing` (the worker
//! died after the merge call) is recorded as landed, not merged again.

use std::sync::Arc;

use landq_bus::Clock;
use landq_github::{CheckRunUpdate, GitHub, GitHubError, MergeOutcome, Repo};

use crate::ProcessError;
use landq_policy::feedback::{HEAD_KEPT_MOVING, Report, Standing, merge_refused, refusal_comment};
use landq_policy::{Decision, Landing, PullState, Reason, decide};
use landq_store::{EntryState, FailureRecord, LandRecord, OwnerRecord, QueueEntry, Stacked, Store};

use crate::bounded::Bounded;
use crate::gather::{FileCache, Gathered, gather};
use crate::metrics::WorkerMetrics;
use crate::queue::Focus;

/// The name of landq's check run (or commit status context).
pub const CHECK_NAME: &str = "landq";

/// Check run ids remembered before the map starts afresh.
const MAX_CHECK_RUNS: usize = 10_000;

/// How often one nudge re-evaluates after the head moved under a merge.
const HEAD_MOVES: usize = 3;

/// What processing a pull request did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Merged by landq (now, or found merged after a crash).
    Landed {
        /// The squash commit.
        sha: String,
    },
    /// Waiting for what the reasons name.
    Waiting(Vec<String>),
    /// landq gave up and removed the label; the reasons say why.
    Failed(Vec<String>),
    /// Ready, in the queue, waiting its turn or its stack checks.
    Queued,
    /// Ready, but blocked by a conflict; it keeps its label.
    Blocked,
    /// The pull request does not carry the land label (any more).
    NotRequested,
}

/// Events naming more pull requests than this (a check suite on a commit
/// many pull requests share) are narrowed with one listing of the labelled
/// ones, instead of a read per pull request.
const FAN_OUT: usize = 5;

/// The worker's state shared by all consumers.
pub struct Lander {
    pub(crate) github: Arc<GitHub>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) files: FileCache,
    /// The tree of each base tip seen, by commit SHA.
    pub(crate) trees: Bounded<String, String>,
    /// When the land label went on each (repository, pull request) not yet
    /// seen, as GitHub said.
    pub(crate) label_times: Bounded<(String, u64), Option<i64>>,
    /// The `landq` check run per (repository, head SHA), updated in place
    /// as the state changes (App auth).
    check_runs: Bounded<(String, String), u64>,
    /// landq's comment per (repository, pull request), edited in place.
    comments: Bounded<(String, u64), u64>,
    pub(crate) metrics: WorkerMetrics,
    /// Timestamps of entries and records, the stack's timeouts, and the
    /// metrics' durations.
    pub(crate) clock: Clock,
}

impl Lander {
    /// A lander acting through `github`, remembering in `store`, telling
    /// time by `clock`.
    pub fn new(
        github: Arc<GitHub>,
        store: Arc<dyn Store>,
        metrics: WorkerMetrics,
        clock: Clock,
    ) -> Lander {
        Lander {
            github,
            store,
            files: FileCache::default(),
            trees: Bounded::new(MAX_CHECK_RUNS),
            label_times: Bounded::new(MAX_CHECK_RUNS),
            check_runs: Bounded::new(MAX_CHECK_RUNS),
            comments: Bounded::new(MAX_CHECK_RUNS),
            metrics,
            clock,
        }
    }

    /// The worker's metrics.
    pub fn metrics(&self) -> &WorkerMetrics {
        &self.metrics
    }

    /// The pull requests an event is about: those it names, or for an event
    /// that names only a commit (`status`), the open ones with that head.
    /// Of many, only those carrying the land label (one listing).
    pub async fn pulls_of(&self, envelope: &landq_bus::Envelope) -> Result<Vec<u64>, ProcessError> {
        let client = || self.github.repo(envelope.installation, &envelope.repo);
        let prs = match (&envelope.prs[..], &envelope.sha) {
            ([], Some(sha)) if envelope.event == "status" => {
                client()?.open_pulls_for_commit(sha).await?
            }
            (prs, _) => prs.to_vec(),
        };
        if prs.len() <= FAN_OUT {
            return Ok(prs);
        }
        let client = client()?;
        let label = crate::reconcile::label_of(&client).await?;
        let labelled: std::collections::HashSet<u64> =
            client.open_with_label(&label).await?.into_iter().collect();
        Ok(prs.into_iter().filter(|pr| labelled.contains(pr)).collect())
    }

    /// Reads, decides and acts on pull request `pr` of `repo`, then moves
    /// its base branch's queue on.
    pub async fn process(
        &self,
        installation: Option<u64>,
        repo: &str,
        pr: u64,
    ) -> Result<Outcome, ProcessError> {
        let client = self.github.repo(installation, repo)?;
        let gathered = gather(&client, pr, &self.files).await?;
        let entry = self.store.entry(repo, pr).await?;
        let base = gathered.facts.pull.base.clone();
        let was_queued = entry.as_ref().is_some_and(|e| {
            e.state.in_queue() && e.head_sha.as_ref() == Some(&gathered.facts.pull.head_sha)
        });
        match self.evaluate(&client, &gathered, entry).await? {
            Evaluated::Done(outcome) => {
                self.drive(&client, &base, Focus::Front, None).await?;
                Ok(outcome)
            }
            Evaluated::Ready(ready) => {
                let (entry, landing) = *ready;
                if entry.state == EntryState::Blocked {
                    self.drive(&client, &base, Focus::Front, None).await?;
                    return Ok(Outcome::Blocked);
                }
                let entered = !was_queued;
                let head = landing.head_sha;
                let done = self
                    .drive(&client, &base, Focus::Front, Some(gathered))
                    .await?;
                if let Some((_, outcome)) = done.into_iter().find(|(n, _)| *n == pr) {
                    return Ok(outcome);
                }
                if entered {
                    self.report_position(&client, &base, pr, &head).await?;
                }
                Ok(Outcome::Queued)
            }
        }
    }

    /// Decides on gathered facts. A pull request that stops being ready
    /// leaves the queue (its speculative commit with it); one that is ready
    /// is handed back with its entry, in the queue, to be landed in turn.
    pub(crate) async fn evaluate(
        &self,
        client: &Repo,
        gathered: &Gathered,
        entry: Option<QueueEntry>,
    ) -> Result<Evaluated, ProcessError> {
        let pull = &gathered.facts.pull;
        if pull.state == PullState::Merged {
            return Ok(Evaluated::Done(
                self.finish_merged(client, gathered, entry).await?,
            ));
        }
        if !pull.labels.contains(&gathered.label) || pull.state == PullState::Closed {
            if let Some(entry) = entry {
                self.leave(client, &entry).await?;
            }
            return Ok(Evaluated::Done(Outcome::NotRequested));
        }
        let mut entry =
            entry.unwrap_or_else(|| new_entry(client.name(), gathered, self.clock.now_ms()));
        match decide(&gathered.facts) {
            Decision::Wait(reasons) if reasons.iter().any(refuses) => {
                let text = texts(&reasons);
                let head = pull.head_sha.clone();
                self.fail(client, &entry, &head, &gathered.label, "refused", &text)
                    .await?;
                Ok(Evaluated::Done(Outcome::Failed(text)))
            }
            Decision::Wait(reasons) if matches!(reasons[..], [Reason::NotMergeable(_)]) => {
                entry.head_sha = Some(pull.head_sha.clone());
                let paths = changed_paths(gathered);
                Ok(Evaluated::Done(
                    self.block_on_base(client, entry, &paths).await?,
                ))
            }
            Decision::Wait(reasons) => {
                let mut text = texts(&reasons);
                if let Some(i) = reasons
                    .iter()
                    .position(|r| matches!(r, Reason::NotMergeable(_)))
                {
                    // A land made it conflict: say which one.
                    entry.paths = changed_paths(gathered);
                    let conflict = self.base_conflict(client.name(), &entry).await?;
                    if let Some(landed) = conflict.landed {
                        text[i] = landq_policy::stack::landed_conflict(
                            &pull.base,
                            landed,
                            &conflict.files,
                        );
                    }
                }
                self.unstack(client, &mut entry).await?;
                entry.state = EntryState::Waiting;
                entry.reasons = text.clone();
                entry.head_sha = Some(pull.head_sha.clone());
                entry.updated_at_ms = self.clock.now_ms();
                self.store.put_entry(&entry).await?;
                self.feedback(client, &pull.head_sha, Report::waiting(&text))
                    .await?;
                Ok(Evaluated::Done(Outcome::Waiting(text)))
            }
            Decision::Land(landing) => {
                let same_head = entry.head_sha.as_deref() == Some(landing.head_sha.as_str());
                if !(entry.state.in_queue() && same_head) {
                    entry.state = EntryState::Queued;
                    entry.queued_at_ms = Some(self.clock.now_ms());
                    entry.head_sha = Some(landing.head_sha.clone());
                    entry.stack = None;
                    entry.blocked = None;
                    entry.reasons = Vec::new();
                    entry.title = pull.title.clone();
                    entry.message = landing.message.to_string();
                    entry.paths = changed_paths(gathered);
                    entry.updated_at_ms = self.clock.now_ms();
                    self.store.put_entry(&entry).await?;
                }
                Ok(Evaluated::Ready(Box::new((entry, landing))))
            }
        }
    }

    /// Merges the queue's front entry through GitHub's squash merge, pinned
    /// to the head the policy was just evaluated on (`fresh`, or read now).
    /// With a speculative commit (`tested`), the head must be the one tested
    /// and the landed tree must be the tested tree.
    pub(crate) async fn land_front(
        &self,
        client: &Repo,
        front: &QueueEntry,
        mut fresh: Option<Gathered>,
        tested: Option<&Stacked>,
    ) -> Result<Outcome, ProcessError> {
        for _ in 0..HEAD_MOVES {
            let (gathered, entry) = match fresh.take() {
                Some(gathered) => (gathered, Some(front.clone())),
                None => (
                    gather(client, front.pr, &self.files).await?,
                    self.store.entry(client.name(), front.pr).await?,
                ),
            };
            let (mut entry, landing) = match self.evaluate(client, &gathered, entry).await? {
                Evaluated::Done(outcome) => return Ok(outcome),
                Evaluated::Ready(ready) => *ready,
            };
            if entry.state == EntryState::Blocked {
                return Ok(Outcome::Blocked);
            }
            if tested.is_some_and(|t| entry.stack.as_ref() != Some(t)) {
                // A new head since the test: it is tested again in turn.
                return Ok(Outcome::Queued);
            }
            if let Some(tested) = tested {
                // The base must still be what the speculative commit was
                // built on (a land before it leaves the same tree).
                if self.tip(client, &entry.base).await?.tree != tested.parent_tree {
                    entry.state = EntryState::Testing;
                    entry.stack = None;
                    self.store.put_entry(&entry).await?;
                    return Ok(Outcome::Queued);
                }
            }
            if entry.state != EntryState::Landing
                && self.earlier_ready(client, &entry, &gathered.label).await?
            {
                return Ok(Outcome::Queued); // one labelled earlier goes first
            }
            entry.state = EntryState::Landing;
            entry.attempts += 1;
            entry.updated_at_ms = self.clock.now_ms();
            self.store.put_entry(&entry).await?;
            self.metrics.queue_wait(
                client.name(),
                self.clock.since(entry.requested_at_ms).as_secs_f64(),
            );
            let message = &landing.message;
            match client
                .merge(front.pr, &landing.head_sha, &message.title, &message.body)
                .await?
            {
                MergeOutcome::Merged { sha } => {
                    self.landed(client, &gathered, &entry, &landing, &sha)
                        .await?;
                    return Ok(Outcome::Landed { sha });
                }
                MergeOutcome::HeadMoved => {
                    tracing::info!(
                        repo = client.name(),
                        pr = front.pr,
                        "head moved under the merge; evaluating the new head"
                    );
                    entry.state = EntryState::Queued;
                    self.store.put_entry(&entry).await?;
                    continue;
                }
                MergeOutcome::NotMergeable(_) if tested.is_none() => {
                    let paths = changed_paths(&gathered);
                    return self.block_on_base(client, entry, &paths).await;
                }
                MergeOutcome::NotMergeable(why) => {
                    let text = vec![merge_refused(&why)];
                    let label = &gathered.label;
                    self.fail(
                        client,
                        &entry,
                        &landing.head_sha,
                        label,
                        "merge_refused",
                        &text,
                    )
                    .await?;
                    return Ok(Outcome::Failed(text));
                }
            }
        }
        Ok(Outcome::Waiting(vec![HEAD_KEPT_MOVING.into()]))
    }

    /// The pull request is merged: if landq merged it (the entry says
    /// `landing` or `landed` at this head), finish what a crash or a failed
    /// call cut short; otherwise forget the entry.
    async fn finish_merged(
        &self,
        client: &Repo,
        gathered: &Gathered,
        entry: Option<QueueEntry>,
    ) -> Result<Outcome, ProcessError> {
        let pull = &gathered.facts.pull;
        let sha = gathered.merge_commit_sha.clone().unwrap_or_default();
        match entry {
            Some(entry)
                if matches!(entry.state, EntryState::Landing | EntryState::Landed)
                    && entry.head_sha.as_deref() == Some(&pull.head_sha) =>
            {
                // landq merged it, then died (or GitHub failed) before the
                // record and the feedback were all out: finish them now.
                let landing = match decide_ignoring_state(gathered) {
                    Some(landing) => landing,
                    None => Landing {
                        head_sha: pull.head_sha.clone(),
                        approvers: Vec::new(),
                        ownership: Vec::new(),
                        message: landq_policy::CommitMessage::squash(
                            &pull.title,
                            pull.number,
                            &pull.body,
                            &[],
                        ),
                    },
                };
                self.landed(client, gathered, &entry, &landing, &sha)
                    .await?;
                Ok(Outcome::Landed { sha })
            }
            Some(_) => {
                self.store.remove_entry(client.name(), pull.number).await?;
                Ok(Outcome::NotRequested)
            }
            None => Ok(Outcome::NotRequested),
        }
    }

    /// Everything after a merge, each step safe to repeat: the entry says
    /// `landed` first, so a crash or a failing call at any later step leaves
    /// it for the next nudge (or reconcile) to finish; it goes only once the
    /// record, the feedback and the label's removal are done.
    pub(crate) async fn landed(
        &self,
        client: &Repo,
        gathered: &Gathered,
        entry: &QueueEntry,
        landing: &Landing,
        sha: &str,
    ) -> Result<(), ProcessError> {
        let pull = &gathered.facts.pull;
        // Fast-forward mode lands the tested commit itself.
        let fast_forwarded = entry.stack.as_ref().is_some_and(|s| s.commit == sha);
        if entry.state != EntryState::Landed {
            if let Some(tested) = entry.stack.as_ref().filter(|_| !fast_forwarded) {
                self.compare_trees(client, entry, tested, sha).await?;
            }
            let mut landed = entry.clone();
            landed.state = EntryState::Landed;
            landed.reasons = vec![format!("landed as {sha}")];
            landed.updated_at_ms = self.clock.now_ms();
            self.store.put_entry(&landed).await?;
            self.metrics.landed(
                client.name(),
                self.clock.since(entry.requested_at_ms).as_secs_f64(),
            );
        }
        self.store
            .record_land(&LandRecord {
                repo: client.name().to_owned(),
                pr: pull.number,
                base: pull.base.clone(),
                head_sha: landing.head_sha.clone(),
                squash_sha: sha.to_owned(),
                requested_by: entry.requested_by.clone(),
                approvers: landing.approvers.clone(),
                ownership: landing
                    .ownership
                    .iter()
                    .map(|o| OwnerRecord {
                        path: o.path.clone(),
                        line: o.line,
                        owner: o.owner.to_string(),
                        approver: o.approver.clone(),
                    })
                    .collect(),
                rules_sha: gathered.rules_sha.clone(),
                requested_at_ms: entry.requested_at_ms,
                landed_at_ms: self.clock.now_ms(),
                paths: changed_paths(gathered),
                author: pull.author.clone(),
                title: pull.title.clone(),
                queued_at_ms: entry.queued_at_ms,
            })
            .await?;
        self.feedback(client, &landing.head_sha, Report::landed(sha))
            .await?;
        if fast_forwarded && pull.state == PullState::Open {
            let text = landq_policy::stack::fast_forwarded(&pull.base, sha);
            self.comment(client, pull.number, &text).await?;
            client.close_pull(pull.number).await?;
        }
        client.remove_label(pull.number, &gathered.label).await?;
        self.leave(client, entry).await?;
        tracing::info!(repo = client.name(), pr = pull.number, sha, "landed");
        Ok(())
    }

    /// Gives up on `entry` for a `kind` of reason (recorded for the
    /// statistics): feedback and a comment naming `reasons`, the label
    /// removed, the entry (and its speculative commit) gone.
    pub(crate) async fn fail(
        &self,
        client: &Repo,
        entry: &QueueEntry,
        head: &str,
        label: &str,
        kind: &str,
        reasons: &[String],
    ) -> Result<(), ProcessError> {
        self.store
            .record_failure(&FailureRecord {
                repo: client.name().to_owned(),
                pr: entry.pr,
                base: entry.base.clone(),
                reason: kind.to_owned(),
                at_ms: self.clock.now_ms(),
            })
            .await?;
        self.feedback(client, head, Report::failed(reasons)).await?;
        self.comment(client, entry.pr, &refusal_comment(label, reasons))
            .await?;
        client.remove_label(entry.pr, label).await?;
        self.leave(client, entry).await?;
        tracing::info!(repo = client.name(), pr = entry.pr, ?reasons, "refused");
        Ok(())
    }

    /// Writes landq's one comment on pull request `pr`, edited in place
    /// after the first.
    pub(crate) async fn comment(
        &self,
        client: &Repo,
        pr: u64,
        text: &str,
    ) -> Result<(), GitHubError> {
        let key = (client.name().to_owned(), pr);
        let id = client
            .sticky_comment(pr, self.comments.get(&key), text)
            .await?;
        self.comments.insert(key, id);
        Ok(())
    }

    /// The `landq` check run (App) or commit status (token) on `sha`.
    pub(crate) async fn feedback(
        &self,
        client: &Repo,
        sha: &str,
        report: Report,
    ) -> Result<(), GitHubError> {
        let (conclusion, state) = match report.standing {
            Standing::Waiting => (Some("neutral"), "pending"),
            Standing::Queued | Standing::Testing => (None, "pending"),
            Standing::Blocked => (Some("action_required"), "pending"),
            Standing::Landed => (Some("success"), "success"),
            Standing::Failed => (Some("failure"), "failure"),
        };
        if !self.github.is_app() {
            return client
                .set_status(sha, CHECK_NAME, state, &report.status_line())
                .await;
        }
        let update = CheckRunUpdate {
            status: if conclusion.is_some() {
                "completed"
            } else {
                "in_progress"
            },
            conclusion,
            title: report.title,
            summary: report.summary,
        };
        let key = (client.name().to_owned(), sha.to_owned());
        match self.check_runs.get(&key) {
            Some(id) => client.update_check_run(id, &update).await,
            None => {
                let id = client.create_check_run(sha, CHECK_NAME, &update).await?;
                self.check_runs.insert(key, id);
                Ok(())
            }
        }
    }
}

/// Reasons that end the request (label removed) rather than wait.
fn refuses(reason: &Reason) -> bool {
    matches!(
        reason,
        Reason::LabelerLacksWrite { .. } | Reason::BranchNotGuarded { .. }
    )
}

/// What evaluating a pull request left to do.
pub(crate) enum Evaluated {
    /// Nothing: it is not (or no longer) ready, or already landed.
    Done(Outcome),
    /// It is ready: its entry, in the queue, and the evidence to land it.
    Ready(Box<(QueueEntry, Landing)>),
}

/// The landing evidence for a pull request found merged, if the policy
/// would have landed it (for the audit record after a crash).
fn decide_ignoring_state(gathered: &Gathered) -> Option<Landing> {
    let mut facts = gathered.facts.clone();
    facts.pull.state = PullState::Open;
    facts.pull.mergeable = Some(true);
    match decide(&facts) {
        Decision::Land(landing) => Some(landing),
        Decision::Wait(_) => None,
    }
}

fn new_entry(repo: &str, gathered: &Gathered, now: i64) -> QueueEntry {
    let pull = &gathered.facts.pull;
    let labeler = gathered.facts.labeler.as_ref().map(|l| l.login.as_str());
    // Lands are ordered by when the label went on, not when landq heard.
    let requested_at_ms = gathered.labeled_at_ms.unwrap_or(now);
    QueueEntry {
        title: pull.title.clone(),
        author: pull.author.clone(),
        updated_at_ms: now,
        ..QueueEntry::requested(
            repo,
            pull.number,
            &pull.base,
            labeler.unwrap_or_default(),
            requested_at_ms,
        )
    }
}

/// Every path the pull request changes, old paths of renames included.
fn changed_paths(gathered: &Gathered) -> Vec<String> {
    gathered
        .facts
        .files
        .iter()
        .flat_map(|f| f.paths())
        .map(str::to_owned)
        .collect()
}

fn texts(reasons: &[Reason]) -> Vec<String> {
    reasons.iter().map(Reason::to_string).collect()
}
