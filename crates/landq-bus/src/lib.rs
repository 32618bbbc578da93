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
//! Both deliver at least once, in order per repository (the ordering key),
//! redeliver what is nacked or whose lease expires, and refuse to publish a
//! delivery id twice.

#![deny(missing_docs)]

pub mod embedded;
pub mod envelope;
pub mod pubsub;

use std::fmt;

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
        match self.handle {
            Handle::Embedded(lease) => lease.nack().await,
            Handle::PubSub(handler) => {
                handler.nack();
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
