//! The consumer loop: take nudges off the bus and process their pull
//! requests, several repositories at once, one message per repository at a
//! time (the bus guarantees that).
//!
//! A consumer owns the message it works on: it renews the lease while it
//! works (a rate limit may keep it busy longer than one lease), and stops
//! acting the moment it learns the lease went to another consumer. A message
//! is acked once processed. When GitHub or the store fails, the message is
//! retried later with a growing delay (GitHub's `retry-after` for a rate
//! limit) and, on the embedded bus, without holding back the repository's
//! other messages; after `max_attempts` failures, or at once when GitHub's
//! answer can never change (404, 410, 422, an answer landq cannot read, a name
//! GitHub could never give), it is set aside with the reason. On SIGTERM a
//! consumer stops between pull requests and leaves the rest for redelivery.

use std::sync::Arc;
use std::time::Duration;

use landq_bus::{Bus, Received};
use tokio::sync::watch;
use tracing::Instrument;

use crate::ProcessError;
use crate::land::{Lander, Outcome};
use crate::queue::Focus;
use crate::reconcile::QUEUE_EVENT;

/// Failures after which a message is set aside, unless configured otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;

/// The longest wait before a failed message is tried again.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(300);

/// How the consumers work.
#[derive(Clone, Copy, Debug)]
pub struct Consumers {
    /// Consumer tasks: repositories processed at once.
    pub count: usize,
    /// Failures after which a message is set aside.
    pub max_attempts: u32,
}

/// Runs the consumer tasks until `stop` turns true; each finishes the pull
/// request in hand and leaves the rest of its message for redelivery.
pub async fn run(
    lander: Arc<Lander>,
    bus: Arc<dyn Bus>,
    consumers: Consumers,
    stop: watch::Receiver<bool>,
) {
    let tasks: Vec<_> = (0..consumers.count.max(1))
        .map(|_| {
            let (lander, bus, mut stop) = (lander.clone(), bus.clone(), stop.clone());
            tokio::spawn(async move {
                loop {
                    let received = tokio::select! {
                        biased;
                        _ = stop.wait_for(|stopped| *stopped) => break,
                        received = bus.receive() => received,
                    };
                    match received {
                        Ok(received) => {
                            handle(&lander, received, &stop, consumers).await
                        }
                        Err(err) => {
                            tracing::error!(error = %err, "cannot receive from the bus; retrying in 1 s");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
}

/// How processing a message ended.
enum Processed {
    /// Every pull request it names was processed.
    Done,
    /// SIGTERM came between two pull requests.
    Stopped,
    /// A pull request could not be processed.
    Failed(ProcessError),
}

async fn handle(
    lander: &Lander,
    received: Received,
    stop: &watch::Receiver<bool>,
    consumers: Consumers,
) {
    let envelope = received.envelope.clone();
    let span = tracing::info_span!(
        "nudge",
        repo = %envelope.repo,
        delivery = %envelope.delivery,
        event = %envelope.event,
        attempt = received.attempt,
    );
    async {
        let work = process(lander, &received, stop);
        let processed = match received.renew_every() {
            None => work.await,
            Some(every) => tokio::select! {
                processed = work => processed,
                () = keep_lease(&received, every) => {
                    tracing::warn!("the message's lease went to another consumer; leaving it to them");
                    return;
                }
            },
        };
        settle(lander, received, processed, consumers.max_attempts).await;
    }
    .instrument(span)
    .await;
}

/// Renews the lease every `every`; returns once it is lost.
async fn keep_lease(received: &Received, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        match received.renew().await {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => tracing::warn!(error = %err, "cannot renew the lease; trying again"),
        }
    }
}

async fn process(lander: &Lander, received: &Received, stop: &watch::Receiver<bool>) -> Processed {
    let envelope = &received.envelope;
    let prs = match lander.pulls_of(envelope).await {
        Ok(prs) => prs,
        Err(err) => return Processed::Failed(err),
    };
    let mut failure = None;
    for pr in prs {
        if *stop.borrow() {
            return Processed::Stopped;
        }
        match lander
            .process(envelope.installation, &envelope.repo, pr)
            .await
        {
            Ok(outcome) => {
                let name = match &outcome {
                    Outcome::Landed { .. } => "landed",
                    Outcome::Waiting(_) => "waiting",
                    Outcome::Failed(_) => "failed",
                    Outcome::Queued => "queued",
                    Outcome::Blocked => "blocked",
                    Outcome::NotRequested => "not_requested",
                };
                lander.metrics().processed(&envelope.repo, name);
                tracing::info!(pr, ?outcome, "processed");
            }
            Err(err) => {
                lander.metrics().processed(&envelope.repo, "error");
                tracing::warn!(pr, error = %err, "processing failed");
                // The other pull requests of the message go on.
                failure = Some(err);
            }
        }
    }
    if failure.is_none()
        && let Some(focus) = queue_focus(envelope)
        && let Err(err) = lander
            .drive_repo(envelope.installation, &envelope.repo, focus)
            .await
    {
        tracing::warn!(error = %err, "moving the queue failed");
        failure = Some(err);
    }
    failure.map_or(Processed::Done, Processed::Failed)
}

/// Whether an event moves the queue by itself, and which stack checks it
/// may have changed: a check or status on a commit no pull request has as
/// its head (a speculative commit), or the periodic pass over the queue.
fn queue_focus(envelope: &landq_bus::Envelope) -> Option<Focus<'_>> {
    match envelope.event.as_str() {
        QUEUE_EVENT => Some(Focus::All),
        "check_run" | "check_suite" | "status" | "workflow_run" if envelope.prs.is_empty() => {
            envelope.sha.as_deref().map(Focus::Commit)
        }
        _ => None,
    }
}

/// Acks, retries later or sets the message aside, as `processed` says.
async fn settle(lander: &Lander, received: Received, processed: Processed, max_attempts: u32) {
    let attempt = received.attempt;
    let settled = match processed {
        Processed::Done => received.ack().await,
        Processed::Stopped => {
            tracing::info!("stopping: the message's other pull requests are left for redelivery");
            received.nack().await
        }
        Processed::Failed(err) if err.is_permanent() => {
            lander
                .metrics()
                .processed(&received.envelope.repo, "set_aside");
            tracing::error!(error = %err, "GitHub's answer will not change: message set aside");
            received.set_aside(&err.to_string()).await
        }
        Processed::Failed(err) if attempt >= max_attempts => {
            lander
                .metrics()
                .processed(&received.envelope.repo, "set_aside");
            tracing::error!(error = %err, "message failed {attempt} times: set aside");
            received
                .set_aside(&format!("failed {attempt} times; last: {err}"))
                .await
        }
        Processed::Failed(err) => {
            let delay = retry_delay(attempt, &err);
            tracing::warn!(error = %err, delay_s = delay.as_secs(), "will retry");
            received.retry_later(delay).await
        }
    };
    if let Err(err) = settled {
        tracing::warn!(error = %err, "cannot settle the message with the bus; it will come back");
    }
}

/// 1 s after the first failure, doubling to at most 5 minutes; as long as
/// GitHub asks for a rate limit.
fn retry_delay(attempt: u32, err: &ProcessError) -> Duration {
    if let ProcessError::GitHub(landq_github::GitHubError::RateLimited { wait }) = err {
        return *wait;
    }
    let doubling = Duration::from_secs(1u64 << attempt.saturating_sub(1).min(16));
    doubling.min(MAX_RETRY_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use landq_github::GitHubError;

    #[test]
    fn retries_back_off_and_honour_rate_limits() {
        let transport = || ProcessError::GitHub(GitHubError::Transport("reset".into()));
        let delays: Vec<u64> = (1..=10)
            .map(|a| retry_delay(a, &transport()).as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
        let limited = ProcessError::GitHub(GitHubError::RateLimited {
            wait: Duration::from_secs(900),
        });
        assert_eq!(retry_delay(1, &limited), Duration::from_secs(900));
    }
}
