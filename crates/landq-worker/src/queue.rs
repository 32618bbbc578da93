//! The land queue of one base branch: ready pull requests in the order their
//! label went on, the first `stack_depth` of them tested together as a chain
//! of speculative squash commits, landed in order.
//!
//! Every step reads the queue from the store and the base tip from GitHub,
//! so a drive after a crash carries on where the last one stopped. A drive
//! runs under the bus's one-message-per-repository rule, so two never move
//! one queue at once.
//!
//! Without `stack_checks` nothing is tested together: the queue's front is
//! landed as soon as it is ready, one pull request after the other.

use std::collections::HashSet;

use landq_github::Repo;
use landq_policy::feedback::Report;
use landq_policy::stack::{self, Culprit, StackVerdict};
use landq_policy::{LandMode, SETTINGS_PATH, Settings};
use landq_store::{Conflict, EntryState, QueueEntry, Stacked};

use crate::ProcessError;
use crate::gather::Gathered;
use crate::gather::Listing;
use crate::gather::gather;
use crate::land::{Evaluated, Lander, Outcome};

/// Which speculative commits a drive reads the checks of.
#[derive(Clone, Copy, Debug)]
pub enum Focus<'a> {
    /// The front's only (a pull request's event).
    Front,
    /// The front's and the one of this commit (a check's event).
    Commit(&'a str),
    /// Every one (the periodic pass, which also times them out).
    All,
}

/// Recent lands searched for the one a conflict with the base comes from.
const LANDS_SEARCHED: usize = 100;

/// Rounds of one drive at most (each lands, takes out or rebuilds).
const MAX_ROUNDS: usize = 64;

/// What one round did.
enum Round {
    /// Nothing more to do until the next event.
    Settled,
    /// The queue changed; go round again.
    Changed(Vec<(u64, Outcome)>),
}

/// A commit and its tree.
#[derive(Clone, Debug)]
pub(crate) struct Tip {
    pub(crate) sha: String,
    pub(crate) tree: String,
}

impl Lander {
    /// Moves the queue of every base branch of `repo` that has one.
    pub async fn drive_repo(
        &self,
        installation: Option<u64>,
        repo: &str,
        focus: Focus<'_>,
    ) -> Result<(), ProcessError> {
        let client = self.github.repo(installation, repo)?;
        let mut bases: Vec<String> = self
            .store
            .entries(repo)
            .await?
            .into_iter()
            .filter(|e| e.state.in_queue())
            .map(|e| e.base)
            .collect();
        bases.sort();
        bases.dedup();
        for base in bases {
            self.drive(&client, &base, focus, None).await?;
        }
        Ok(())
    }

    /// Moves the queue of `base` as far as it goes now; returns what
    /// happened to which pull request. `fresh`: facts just gathered for a
    /// ready pull request, so landing it at once needs no second read.
    pub(crate) async fn drive(
        &self,
        client: &Repo,
        base: &str,
        focus: Focus<'_>,
        mut fresh: Option<Gathered>,
    ) -> Result<Vec<(u64, Outcome)>, ProcessError> {
        let mut done = Vec::new();
        for _ in 0..MAX_ROUNDS {
            let queue = self.queue_of(client.name(), base).await?;
            if queue.is_empty() {
                break;
            }
            if let Some(why) = self.store.frozen(client.name(), base).await? {
                tracing::warn!(
                    repo = client.name(),
                    base,
                    why,
                    "queue frozen: nothing lands"
                );
                break;
            }
            let Some(settings) = self.settings_of(client, base, fresh.as_ref()).await? else {
                break; // broken settings: every entry shows it when evaluated
            };
            let round = match settings.stack_checks.is_empty() {
                true => self.serial_round(client, &queue, &mut fresh).await?,
                false => {
                    self.stack_round(client, base, &queue, &settings, focus, &mut fresh)
                        .await?
                }
            };
            match round {
                Round::Settled => break,
                Round::Changed(outcomes) => done.extend(outcomes),
            }
        }
        Ok(done)
    }

    /// The entries of `base` in the queue, in label order.
    async fn queue_of(&self, repo: &str, base: &str) -> Result<Vec<QueueEntry>, ProcessError> {
        Ok(self
            .store
            .entries(repo)
            .await?
            .into_iter()
            .filter(|e| e.base == base && e.state.in_queue())
            .collect())
    }

    /// The base branch's settings, `None` when they are broken.
    async fn settings_of(
        &self,
        client: &Repo,
        base: &str,
        fresh: Option<&Gathered>,
    ) -> Result<Option<Settings>, ProcessError> {
        if let Some(fresh) = fresh.filter(|f| f.facts.pull.base == base) {
            return Ok(fresh.facts.settings.clone().ok());
        }
        let listing = Listing::read(client, Some(base)).await?;
        let settings = self
            .files
            .settings(client, listing.blob_of(SETTINGS_PATH).as_deref())
            .await?;
        Ok(settings.ok())
    }

    /// Without stack checks: land the first entry that is not blocked.
    async fn serial_round(
        &self,
        client: &Repo,
        queue: &[QueueEntry],
        fresh: &mut Option<Gathered>,
    ) -> Result<Round, ProcessError> {
        let Some(front) = queue.iter().find(|e| e.state != EntryState::Blocked) else {
            return Ok(Round::Settled);
        };
        let fresh = fresh.take_if(|f| f.facts.pull.number == front.pr);
        let outcome = self.land_front(client, front, fresh, None).await?;
        Ok(Round::Changed(vec![(front.pr, outcome)]))
    }

    /// With stack checks: build what is missing of the stack, then land its
    /// first entry if it passed, or take out an entry that failed.
    async fn stack_round(
        &self,
        client: &Repo,
        base: &str,
        queue: &[QueueEntry],
        settings: &Settings,
        focus: Focus<'_>,
        fresh: &mut Option<Gathered>,
    ) -> Result<Round, ProcessError> {
        let tip = self.tip(client, base).await?;
        let queued: HashSet<u64> = queue.iter().map(|e| e.pr).collect();
        let mut outcomes = Vec::new();
        let mut parent = tip.clone();
        let mut stack: Vec<QueueEntry> = Vec::new();
        for entry in queue {
            if stack.len() == settings.stack_depth {
                break;
            }
            let mut entry = entry.clone();
            if entry.state == EntryState::Blocked {
                match entry.blocked.as_ref().and_then(|b| b.culprit) {
                    Some(culprit) if !queued.contains(&culprit) => {} // it left: try again
                    _ => continue,
                }
                entry.blocked = None;
            }
            let head = entry.head_sha.clone().unwrap_or_default();
            let landing = matches!(entry.state, EntryState::Landing | EntryState::Landed);
            let valid = (landing && entry.stack.is_some())
                || entry.stack.as_ref().is_some_and(|s| {
                    s.head_sha == head
                        && match stack.is_empty() {
                            true => s.parent_tree == tip.tree,
                            false => s.parent == parent.sha,
                        }
                });
            if !valid {
                match self
                    .build(client, &mut entry, &parent, &stack, &tip)
                    .await?
                {
                    Ok(()) => {
                        let ahead: Vec<u64> = stack.iter().map(|e| e.pr).collect();
                        let s = entry.stack.as_ref().expect("built");
                        let report = stack::testing(
                            base,
                            &ahead,
                            &s.commit,
                            &client.commit_page(&s.commit),
                            &stack_ref(entry.pr),
                            &settings.stack_checks,
                        );
                        self.feedback(client, &head, report).await?;
                    }
                    Err(conflict) => {
                        outcomes.push((entry.pr, self.block(client, entry, conflict).await?));
                        continue;
                    }
                }
            }
            let s = entry.stack.as_ref().expect("in the stack");
            parent = Tip {
                sha: s.commit.clone(),
                tree: s.tree.clone(),
            };
            stack.push(entry);
        }

        if settings.land_mode == LandMode::FastForward
            && let Some(landed) = self
                .fast_forward(client, base, &tip, &stack, settings)
                .await?
        {
            outcomes.extend(landed);
            return Ok(Round::Changed(outcomes));
        }
        for (k, entry) in stack.iter().enumerate() {
            let s = entry.stack.as_ref().expect("in the stack");
            if k == 0 && matches!(entry.state, EntryState::Landing | EntryState::Landed) {
                // A land cut short: finish it (or find it done).
                let outcome = self.land_front(client, entry, None, Some(s)).await?;
                outcomes.push((entry.pr, outcome));
                return Ok(Round::Changed(outcomes));
            }
            let wanted = k == 0
                || matches!(focus, Focus::All)
                || matches!(focus, Focus::Commit(sha) if sha == s.commit);
            if !wanted {
                continue;
            }
            let checks = client.checks(&s.commit).await?;
            let verdict = stack::judge(&checks, &settings.stack_checks);
            self.note_checks(entry, &verdict).await?;
            let out = match verdict {
                StackVerdict::Passed if k == 0 && settings.land_mode == LandMode::Merge => {
                    let fresh = fresh.take_if(|f| f.facts.pull.number == entry.pr);
                    let outcome = self.land_front(client, entry, fresh, Some(s)).await?;
                    outcomes.push((entry.pr, outcome));
                    return Ok(Round::Changed(outcomes));
                }
                StackVerdict::Passed => None,
                StackVerdict::Failed { .. } if s.retries < settings.stack_retries => {
                    self.retry(client, entry).await?;
                    return Ok(Round::Changed(outcomes));
                }
                StackVerdict::Failed {
                    check,
                    conclusion,
                    url,
                } => Some((
                    "check_failed",
                    stack::check_failed(&check, &conclusion, url.as_deref(), &s.commit),
                )),
                StackVerdict::Pending { started, waiting } => {
                    let age = self.clock.since(s.built_at_ms);
                    if !started && age >= settings.stack_start_timeout {
                        Some((
                            "never_started",
                            stack::never_started(
                                &settings.stack_checks,
                                settings.stack_start_timeout,
                            ),
                        ))
                    } else if age >= settings.stack_timeout {
                        Some((
                            "timed_out",
                            stack::timed_out(&waiting, settings.stack_timeout),
                        ))
                    } else {
                        None
                    }
                }
            };
            if let Some((kind, why)) = out {
                outcomes.push(self.take_out(client, entry, settings, kind, why).await?);
                return Ok(Round::Changed(outcomes));
            }
        }
        Ok(match outcomes.is_empty() {
            true => Round::Settled,
            false => Round::Changed(outcomes),
        })
    }

    /// Fast-forward mode: moves the base (never forced) to the speculative
    /// commit of the last entry of the green prefix of `stack` whose policy
    /// still holds, landing the whole prefix in one call; then reports each
    /// landed and closes it. `None` when no prefix is ready. Entries already
    /// landing (a crash cut it short) belong to the prefix without a new
    /// look at their checks.
    async fn fast_forward(
        &self,
        client: &Repo,
        base: &str,
        tip: &Tip,
        stack: &[QueueEntry],
        settings: &Settings,
    ) -> Result<Option<Vec<(u64, Outcome)>>, ProcessError> {
        let mut prefix = Vec::new();
        for entry in stack {
            let s = entry.stack.as_ref().expect("in the stack");
            if entry.state != EntryState::Landing {
                let checks = client.checks(&s.commit).await?;
                if stack::judge(&checks, &settings.stack_checks) != StackVerdict::Passed {
                    break;
                }
            }
            let gathered = gather(client, entry.pr, &self.files).await?;
            match self
                .evaluate(client, &gathered, Some(entry.clone()))
                .await?
            {
                Evaluated::Done(outcome) => return Ok(Some(vec![(entry.pr, outcome)])),
                Evaluated::Ready(ready) => {
                    let (entry, landing) = *ready;
                    if entry.stack.as_ref() != Some(s) {
                        break;
                    }
                    prefix.push((entry, gathered, landing));
                }
            }
        }
        let Some(target) = prefix
            .last()
            .and_then(|(e, _, _)| e.stack.as_ref())
            .map(|s| s.commit.clone())
        else {
            return Ok(None);
        };
        let (last, _, _) = prefix.last().expect("not empty");
        if last.state != EntryState::Landing
            && self.earlier_ready(client, last, &settings.label).await?
        {
            return Ok(Some(Vec::new()));
        }
        for (entry, _, _) in &mut prefix {
            entry.state = EntryState::Landing;
            entry.updated_at_ms = self.clock.now_ms();
            self.store.put_entry(entry).await?;
        }
        if tip.sha != target
            && !client
                .set_ref(&format!("heads/{base}"), &target, false)
                .await?
        {
            // The base moved since this round read it: build again on it.
            tracing::warn!(
                repo = client.name(),
                base,
                "the base moved under a fast-forward"
            );
            for (entry, _, _) in &mut prefix {
                entry.state = EntryState::Testing;
                self.store.put_entry(entry).await?;
            }
            return Ok(Some(Vec::new()));
        }
        let mut landed = Vec::new();
        for (entry, gathered, landing) in &prefix {
            let sha = entry.stack.as_ref().expect("in the stack").commit.clone();
            self.metrics.queue_wait(
                client.name(),
                self.clock.since(entry.requested_at_ms).as_secs_f64(),
            );
            self.landed(client, gathered, entry, landing, &sha).await?;
            landed.push((entry.pr, Outcome::Landed { sha }));
        }
        Ok(Some(landed))
    }

    /// Whether a pull request labelled before `front` that landq has not
    /// seen yet (its events are still on their way) turned out ready: it
    /// entered the queue ahead of `front`, which must not land first. One
    /// listing of the labelled pull requests; each unseen one's label time is
    /// read once, and one labelled earlier is evaluated now.
    pub(crate) async fn earlier_ready(
        &self,
        client: &Repo,
        front: &QueueEntry,
        label: &str,
    ) -> Result<bool, ProcessError> {
        let labelled = client.open_with_label(label).await?;
        let known: HashSet<u64> = self
            .store
            .entries(client.name())
            .await?
            .iter()
            .map(|e| e.pr)
            .collect();
        let mut entered = false;
        for pr in labelled {
            if pr == front.pr || known.contains(&pr) {
                continue;
            }
            let key = (client.name().to_owned(), pr);
            let at = match self.label_times.get(&key) {
                Some(at) => at,
                None => {
                    let at = client.labeler(pr, label).await?.and_then(|l| l.at_ms);
                    self.label_times.insert(key, at);
                    at
                }
            };
            if at.is_some_and(|at| (at, pr) > (front.requested_at_ms, front.pr)) {
                continue; // labelled later: its own event will bring it
            }
            let gathered = gather(client, pr, &self.files).await?;
            let ready = self.evaluate(client, &gathered, None).await?;
            entered |= matches!(ready, Evaluated::Ready(ref r) if r.0.base == front.base);
        }
        Ok(entered)
    }

    /// The base tip and its tree.
    pub(crate) async fn tip(&self, client: &Repo, base: &str) -> Result<Tip, ProcessError> {
        let sha = client
            .ref_sha(&format!("heads/{base}"))
            .await?
            .ok_or_else(|| {
                landq_github::GitHubError::Config(format!("branch `{base}` does not exist"))
            })?;
        let tree = match self.trees.get(&sha) {
            Some(tree) => tree,
            None => {
                let tree = client.git_commit(&sha).await?.tree;
                self.trees.insert(sha.clone(), tree.clone());
                tree
            }
        };
        Ok(Tip { sha, tree })
    }

    /// Builds `entry`'s speculative commit on `parent` (the base tip, or the
    /// commit of the last entry of `ahead`): its head merged into a scratch
    /// branch reset to the parent gives the tree; one commit with that tree,
    /// the squash message and the single parent; `landq/stack/<number>`
    /// pointed at it, which starts the CI. On a conflict, names the culprit.
    async fn build(
        &self,
        client: &Repo,
        entry: &mut QueueEntry,
        parent: &Tip,
        ahead: &[QueueEntry],
        tip: &Tip,
    ) -> Result<Result<(), Conflict>, ProcessError> {
        let head = entry.head_sha.clone().unwrap_or_default();
        // Refs are about to exist: the entry says so first, so whoever takes
        // it out deletes them even after a crash here.
        entry.state = EntryState::Testing;
        entry.stack = None;
        entry.checks = None;
        entry.refs = true;
        self.store.put_entry(entry).await?;
        let Some(tree) = self.merged_tree(client, entry.pr, &head, parent).await? else {
            self.metrics.stack(client.name(), "conflict");
            return Ok(Err(self.culprit(client, entry, ahead, tip).await?));
        };
        let commit = client
            .create_commit(&entry.message, &tree, &[&parent.sha])
            .await?;
        client
            .set_ref(&format!("heads/{}", stack_ref(entry.pr)), &commit, true)
            .await?;
        self.metrics.stack(client.name(), "built");
        entry.stack = Some(Stacked {
            head_sha: head,
            parent: parent.sha.clone(),
            parent_tree: parent.tree.clone(),
            commit,
            tree,
            built_at_ms: self.clock.now_ms(),
            retries: 0,
        });
        entry.updated_at_ms = self.clock.now_ms();
        self.store.put_entry(entry).await?;
        Ok(Ok(()))
    }

    /// The tree of `head` merged onto `parent` (through the scratch branch
    /// of pull request `pr`), or `None` on a conflict.
    async fn merged_tree(
        &self,
        client: &Repo,
        pr: u64,
        head: &str,
        parent: &Tip,
    ) -> Result<Option<String>, ProcessError> {
        let scratch = scratch_ref(pr);
        client
            .set_ref(&format!("heads/{scratch}"), &parent.sha, true)
            .await?;
        Ok(
            match client.merge_into(&scratch, head, "landq scratch").await? {
                landq_github::MergeInto::Merged { tree, .. } => Some(tree),
                landq_github::MergeInto::AlreadyContained => Some(parent.tree.clone()),
                landq_github::MergeInto::Conflict => None,
            },
        )
    }

    /// What `entry` conflicts with: the base itself (and which landed pull
    /// request, from the land records), or the first entry `ahead` whose
    /// addition makes it conflict. Candidates are the entries whose paths
    /// overlap; among several, bisection over their speculative commits.
    async fn culprit(
        &self,
        client: &Repo,
        entry: &QueueEntry,
        ahead: &[QueueEntry],
        tip: &Tip,
    ) -> Result<Conflict, ProcessError> {
        let head = entry.head_sha.clone().unwrap_or_default();
        let overlap = |paths: &[String]| overlap(&entry.paths, paths);
        let on_base = ahead.is_empty()
            || self
                .merged_tree(client, entry.pr, &head, tip)
                .await?
                .is_none();
        if on_base {
            return self.base_conflict(client.name(), entry).await;
        }
        let mut candidates: Vec<&QueueEntry> = ahead
            .iter()
            .filter(|e| !overlap(&e.paths).is_empty())
            .collect();
        if candidates.is_empty() {
            candidates = ahead.iter().collect(); // path lists can be partial
        }
        // The first candidate whose speculative commit conflicts: the last
        // one does (it is, or precedes, the parent that conflicted).
        let (mut low, mut high) = (0, candidates.len() - 1);
        while low < high {
            let mid = (low + high) / 2;
            let s = candidates[mid].stack.as_ref().expect("in the stack");
            let at = Tip {
                sha: s.commit.clone(),
                tree: s.tree.clone(),
            };
            match self.merged_tree(client, entry.pr, &head, &at).await? {
                None => high = mid,
                Some(_) => low = mid + 1,
            }
        }
        let culprit = candidates[low];
        Ok(Conflict {
            head_sha: head,
            culprit: Some(culprit.pr),
            landed: None,
            files: overlap(&culprit.paths),
        })
    }

    /// A conflict of `entry` with its base, naming the most recent landed
    /// pull request whose paths overlap its own, if any.
    pub(crate) async fn base_conflict(
        &self,
        repo: &str,
        entry: &QueueEntry,
    ) -> Result<Conflict, ProcessError> {
        let landed = self
            .store
            .lands(repo, LANDS_SEARCHED)
            .await?
            .into_iter()
            .find(|l| l.base == entry.base && !overlap(&entry.paths, &l.paths).is_empty());
        Ok(Conflict {
            head_sha: entry.head_sha.clone().unwrap_or_default(),
            culprit: None,
            files: landed
                .as_ref()
                .map(|l| overlap(&entry.paths, &l.paths))
                .unwrap_or_default(),
            landed: landed.map(|l| l.pr),
        })
    }

    /// Marks `entry` blocked by `conflict`, with feedback; it keeps its label.
    async fn block(
        &self,
        client: &Repo,
        mut entry: QueueEntry,
        conflict: Conflict,
    ) -> Result<Outcome, ProcessError> {
        if entry.refs {
            client
                .delete_ref(&format!("heads/{}", stack_ref(entry.pr)))
                .await?;
        }
        let culprit = match conflict.culprit {
            Some(n) => Culprit::Ahead(n),
            None => Culprit::Base {
                base: entry.base.clone(),
                landed: conflict.landed,
            },
        };
        let report = stack::blocked(&culprit, &conflict.files);
        let head = conflict.head_sha.clone();
        entry.state = EntryState::Blocked;
        entry.stack = None;
        entry.reasons = vec![report.title.clone()];
        entry.blocked = Some(conflict);
        entry.updated_at_ms = self.clock.now_ms();
        self.store.put_entry(&entry).await?;
        self.feedback(client, &head, report).await?;
        tracing::info!(repo = client.name(), pr = entry.pr, reason = %entry.reasons[0], "blocked");
        Ok(Outcome::Blocked)
    }

    /// Blocks `entry` (whose head GitHub cannot merge into the base) naming
    /// the landed pull request that changed its `paths`, if any did.
    pub(crate) async fn block_on_base(
        &self,
        client: &Repo,
        mut entry: QueueEntry,
        paths: &[String],
    ) -> Result<Outcome, ProcessError> {
        if entry.state == EntryState::Blocked
            && entry.blocked.as_ref().map(|b| &b.head_sha) == entry.head_sha.as_ref()
        {
            return Ok(Outcome::Blocked); // already said
        }
        entry.paths = paths.to_vec();
        let conflict = self.base_conflict(client.name(), &entry).await?;
        self.block(client, entry, conflict).await
    }

    /// Runs the stack checks of `entry` again: a new speculative commit with
    /// the same tree and parent (the message says which retry), so the CI
    /// sees a new push. Those behind are rebuilt on it.
    async fn retry(&self, client: &Repo, entry: &QueueEntry) -> Result<(), ProcessError> {
        let mut entry = entry.clone();
        let s = entry.stack.as_mut().expect("in the stack");
        s.retries += 1;
        let message = format!(
            "{}\n\nlandq-retry: {}\n",
            entry.message.trim_end(),
            s.retries
        );
        s.commit = client
            .create_commit(&message, &s.tree, &[&s.parent])
            .await?;
        s.built_at_ms = self.clock.now_ms();
        client
            .set_ref(&format!("heads/{}", stack_ref(entry.pr)), &s.commit, true)
            .await?;
        self.metrics.stack(client.name(), "retried");
        self.store.put_entry(&entry).await?;
        Ok(())
    }

    /// Takes a failed `entry` out of the queue for a `kind` of reason:
    /// feedback and comment naming `why`, label removed. Those behind are
    /// rebuilt without it.
    async fn take_out(
        &self,
        client: &Repo,
        entry: &QueueEntry,
        settings: &Settings,
        kind: &'static str,
        why: String,
    ) -> Result<(u64, Outcome), ProcessError> {
        self.metrics.stack(client.name(), kind);
        let head = entry.head_sha.clone().unwrap_or_default();
        let reasons = vec![why];
        self.fail(client, entry, &head, &settings.label, kind, &reasons)
            .await?;
        Ok((entry.pr, Outcome::Failed(reasons)))
    }

    /// Keeps how `entry`'s stack checks stand, for the queue's readers
    /// (written only when it changes).
    async fn note_checks(
        &self,
        entry: &QueueEntry,
        verdict: &StackVerdict,
    ) -> Result<(), ProcessError> {
        let state = match verdict {
            StackVerdict::Passed => "passed",
            StackVerdict::Pending { .. } => "pending",
            StackVerdict::Failed { .. } => "failed",
        };
        if entry.checks.as_deref() != Some(state) {
            let mut entry = entry.clone();
            entry.checks = Some(state.to_owned());
            self.store.put_entry(&entry).await?;
        }
        Ok(())
    }

    /// Deletes `entry`'s branches, if it may have any, and forgets its
    /// speculative commit (the entry stays, for the caller to update).
    pub(crate) async fn unstack(
        &self,
        client: &Repo,
        entry: &mut QueueEntry,
    ) -> Result<(), ProcessError> {
        if entry.refs {
            client
                .delete_ref(&format!("heads/{}", stack_ref(entry.pr)))
                .await?;
            client
                .delete_ref(&format!("heads/{}", scratch_ref(entry.pr)))
                .await?;
            entry.refs = false;
        }
        entry.stack = None;
        Ok(())
    }

    /// Removes `entry` from the queue and the store, branches first.
    pub(crate) async fn leave(
        &self,
        client: &Repo,
        entry: &QueueEntry,
    ) -> Result<(), ProcessError> {
        self.unstack(client, &mut entry.clone()).await?;
        self.store.remove_entry(client.name(), entry.pr).await?;
        Ok(())
    }

    /// Tells a pull request that just entered the queue where it stands.
    pub(crate) async fn report_position(
        &self,
        client: &Repo,
        base: &str,
        pr: u64,
        head: &str,
    ) -> Result<(), ProcessError> {
        let queue = self.queue_of(client.name(), base).await?;
        let Some(position) = queue.iter().position(|e| e.pr == pr) else {
            return Ok(());
        };
        if queue[position].state != EntryState::Queued {
            return Ok(());
        }
        let ahead: Vec<u64> = queue[..position].iter().map(|e| e.pr).collect();
        let report: Report = stack::queued(position + 1, queue.len(), &ahead);
        self.feedback(client, head, report).await?;
        Ok(())
    }

    /// After a land of a tested entry: the landed commit's tree must be the
    /// tree landq tested. If not, the queue of its base freezes.
    pub(crate) async fn compare_trees(
        &self,
        client: &Repo,
        entry: &QueueEntry,
        tested: &Stacked,
        landed: &str,
    ) -> Result<(), ProcessError> {
        let tree = client.git_commit(landed).await?.tree;
        if tree == tested.tree {
            return Ok(());
        }
        self.metrics.stack(client.name(), "tree_mismatch");
        let why = stack::tree_mismatch(
            client.name(),
            &entry.base,
            entry.pr,
            landed,
            &tree,
            &tested.tree,
        );
        tracing::error!(repo = client.name(), pr = entry.pr, landed, "{why}");
        self.store
            .set_frozen(client.name(), &entry.base, Some(&why))
            .await?;
        self.comment(client, entry.pr, &format!("landq: {why}"))
            .await?;
        Ok(())
    }
}

/// The paths of `mine` that `theirs` also changes.
fn overlap(mine: &[String], theirs: &[String]) -> Vec<String> {
    let theirs: HashSet<&str> = theirs.iter().map(String::as_str).collect();
    mine.iter()
        .filter(|p| theirs.contains(p.as_str()))
        .cloned()
        .collect()
}

/// The branch CI runs on for pull request `pr`'s speculative commit.
pub fn stack_ref(pr: u64) -> String {
    format!("landq/stack/{pr}")
}

/// The branch landq merges on to compute a tree; CI never runs there.
pub fn scratch_ref(pr: u64) -> String {
    format!("landq/scratch/{pr}")
}
