//! The event bus between the webhook and the worker.
//!
//! One interface, [`Bus`], two backends:
//!
//! - [`embedded::EmbeddedBus`]: SQLite in WAL mode under the data directory,
//!   the default. Concurrent publishes share one commit (one fsync), and a
//!   publish returns only once its commit is on disk.
//! - [`pubsub::PubSubBus`]: Google Cloud Pub/Sub through the official client,
//!   for production.
//!
//! Both deliver at least once, hand a repository's messages to one consumer
//! at a time, and redeliver what is nacked or whose lease expires; a
//! consumer keeps the lease of the message it works on ([`Received::renew`]).
//! A message that keeps failing is set aside: by the embedded bus after the
//! consumer's attempts ([`Received::set_aside`]), by Pub/Sub's dead-letter
//! policy. The embedded bus refuses to publish a delivery id twice; Pub/Sub
//! does not deduplicate, and the worker's re-reading makes duplicates
//! harmless.

#![deny(missing_docs)]

pub mod clock;
pub mod embedded;
pub mod envelope;
pub mod pubsub;

use std::fmt;

pub use clock::Clock;
pub use envelope::Envelope;

/// What happened to a publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Published {
    /// Durably stored for the worker.
    Accepted,
    /// This delivery id was accepted before; nothing was stored.
    Duplicate,
}

/// Why the bus could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The embedded store failed (disk full, permissions, corruption).
    #[error("embedded bus: {0}")]
    Embedded(String),
    /// Pub/Sub refused or could not be reached.
    #[error("pub/sub: {0}")]
    PubSub(String),
    /// The bus is shutting down.
    #[error("the bus is closed")]
    Closed,
    /// A stored message is not a valid envelope.
    #[error("undecodable message: {0}")]
    Decode(#[from] serde_json::Error),
}

impl From<rusqlite::Error> for BusError {
    fn from(err: rusqlite::Error) -> Self {
        BusError::Embedded(err.to_string())
    }
}

/// The bus interface shared by both backends.
#[async_trait::async_trait]
pub trait Bus: Send + Sync + 'static {
    /// Stores `envelope` durably, unless its delivery id was seen before.
    async fn publish(&self, envelope: &Envelope) -> Result<Published, BusError>;

    /// Waits for the next message whose repository has nothing in flight.
    async fn receive(&self) -> Result<Received, BusError>;

    /// Whether the bus can take publishes now (for readiness probes).
    async fn check(&self) -> Result<(), BusError>;
}

/// A message leased to one consumer until it is acked, nacked or the lease
/// runs out. Dropping it without acking leaves it to be redelivered.
pub struct Received {
    /// The envelope.
    pub envelope: Envelope,
    /// 1 on first delivery, more on redelivery (when the backend knows).
    pub attempt: u32,
    handle: Handle,
}

enum Handle {
    Embedded(embedded::Lease),
    PubSub(google_cloud_pubsub::subscriber::handler::Handler),
}

impl Received {
    /// Done: never deliver this message again.
    pub async fn ack(self) -> Result<(), BusError> {
        match self.handle {
            Handle::Embedded(lease) => lease.ack().await,
            Handle::PubSub(handler) => {
                handler.ack();
                Ok(())
            }
        }
    }

    /// Not done: deliver it again (to this or another consumer).
    pub async fn nack(self) -> Result<(), BusError> {
        self.retry_later(std::time::Duration::ZERO).await
    }

    /// Not done: deliver it again after `delay` (the embedded bus; Pub/Sub
    /// applies the subscription's retry policy). Meanwhile the embedded bus
    /// goes on with the repository's later messages.
    pub async fn retry_later(self, delay: std::time::Duration) -> Result<(), BusError> {
        match self.handle {
            Handle::Embedded(lease) => lease.nack(delay).await,
            Handle::PubSub(handler) => {
                handler.nack();
                Ok(())
            }
        }
    }

    /// Keeps this message from going to another consumer for another lease
    /// period; `Ok(false)` when it already has (the lease ran out): the
    /// consumer must then stop acting on it. Pub/Sub's client renews leases
    /// by itself.
    pub async fn renew(&self) -> Result<bool, BusError> {
        match &self.handle {
            Handle::Embedded(lease) => lease.renew().await,
            Handle::PubSub(_) => Ok(true),
        }
    }

    /// How often [`Received::renew`] must be called, if at all.
    pub fn renew_every(&self) -> Option<std::time::Duration> {
        match &self.handle {
            Handle::Embedded(lease) => Some(lease.renew_every()),
            Handle::PubSub(_) => None,
        }
    }

    /// Gives up on this message for good, saying why: the embedded bus keeps
    /// it aside (`landq bus list --dead`, `landq bus retry`); on Pub/Sub it
    /// is acked (the reason goes to the log; messages that keep failing reach
    /// the dead-letter topic through nacks instead).
    pub async fn set_aside(self, reason: &str) -> Result<(), BusError> {
        match self.handle {
            Handle::Embedded(lease) => lease.bury(reason).await,
            Handle::PubSub(handler) => {
                handler.ack();
                Ok(())
            }
        }
    }
}

impl fmt::Debug for Received {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Received")
            .field("envelope", &self.envelope)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}
