//! The consumer loop: take nudges off the bus and process their pull
//! requests, several repositories at once, one message per repository at a
//! time (the bus guarantees that).
//!
//! A message is acked once processed. When GitHub or the store fails, the
//! message is left unacked: the embedded bus redelivers it when its lease
//! runs out, Pub/Sub by the subscription's retry policy, so a rate limit or
//! an outage delays a land but never drops it.

use std::sync::Arc;

use landq_bus::{Bus, Received};
use landq_store::Store;
use tokio::sync::watch;
use tracing::Instrument;

use crate::land::{Lander, Outcome};

/// Runs `consumers` consumer tasks until `stop` turns true, then lets each
/// finish the message in hand.
pub async fn run(
    lander: Arc<Lander>,
    bus: Arc<dyn Bus>,
    store: Arc<dyn Store>,
    consumers: usize,
    stop: watch::Receiver<bool>,
) {
    let tasks: Vec<_> = (0..consumers.max(1))
        .map(|_| {
            let (lander, bus, store, mut stop) = (lander.clone(), bus.clone(), store.clone(), stop.clone());
            tokio::spawn(async move {
                loop {
                    let received = tokio::select! {
                        biased;
                        _ = stop.wait_for(|stopped| *stopped) => break,
                        received = bus.receive() => received,
                    };
                    match received {
                        Ok(received) => handle(&lander, store.as_ref(), received).await,
                        Err(err) => {
                            tracing::error!(error = %err, "cannot receive from the bus; retrying in 1 s");
                            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
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

async fn handle(lander: &Lander, store: &dyn Store, received: Received) {
    let envelope = received.envelope.clone();
    let span = tracing::info_span!(
        "nudge",
        repo = %envelope.repo,
        delivery = %envelope.delivery,
        event = %envelope.event,
    );
    async {
        let prs = match lander.pulls_of(&envelope).await {
            Ok(prs) => prs,
            Err(err) => {
                tracing::warn!(error = %err, "cannot find the event's pull requests; will be redelivered");
                return;
            }
        };
        let mut failed = false;
        for pr in prs {
            match lander.process(envelope.installation, &envelope.repo, pr).await {
                Ok(Outcome::Landed { sha }) => {
                    lander.metrics().processed("landed");
                    tracing::info!(pr, %sha, "landed");
                }
                Ok(Outcome::Waiting(reasons)) => {
                    lander.metrics().processed("waiting");
                    tracing::info!(pr, ?reasons, "waiting");
                }
                Ok(Outcome::Failed(reasons)) => {
                    lander.metrics().processed("failed");
                    tracing::info!(pr, ?reasons, "not landed");
                }
                Ok(Outcome::NotRequested) => {
                    lander.metrics().processed("not_requested");
                    tracing::debug!(pr, "not requested");
                }
                Err(err) => {
                    lander.metrics().processed("error");
                    tracing::warn!(pr, error = %err, attempt = received.attempt, "processing failed; will be redelivered");
                    failed = true;
                }
            }
        }
        if failed {
            return; // unacked: redelivered later
        }
        if let Err(err) = store.remember_delivery(&envelope.delivery).await {
            tracing::warn!(error = %err, "cannot record the delivery as processed");
        }
        if let Err(err) = received.ack().await {
            tracing::warn!(error = %err, "cannot ack; the message will be processed again (harmless)");
        }
    }
    .instrument(span)
    .await;
}
