//! The Cloud Pub/Sub bus, for production: publish with the repository as the
//! ordering key, consume by streaming pull with flow control; the official
//! client extends leases while a message is being handled.
//!
//! Duplicate delivery ids are refused within one webhook instance (a bounded
//! memory of recent ids); across instances the worker's idempotence (events
//! are nudges) makes a second copy harmless.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use google_cloud_pubsub::client::{Publisher, Subscriber};
use google_cloud_pubsub::model::Message;
use google_cloud_pubsub::subscriber::MessageStream;

use crate::{Bus, BusError, Envelope, Handle, Published, Received};

/// How many recent delivery ids one instance remembers.
const RECENT_DELIVERIES: usize = 100_000;

/// Messages one worker holds at once (flow control).
const MAX_OUTSTANDING: i64 = 64;

/// Where to publish and consume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PubSubConfig {
    /// `projects/P/topics/T`.
    pub topic: String,
    /// `projects/P/subscriptions/S`; needed only to consume.
    pub subscription: Option<String>,
    /// Another endpoint, such as the emulator's `http://127.0.0.1:8085`;
    /// anonymous credentials are used with it.
    pub endpoint: Option<String>,
}

/// The Pub/Sub bus.
pub struct PubSubBus {
    publisher: Publisher,
    subscriber: Option<(Subscriber, String)>,
    stream: tokio::sync::Mutex<Option<MessageStream>>,
    recent: Mutex<Recent>,
}

impl PubSubBus {
    /// Connects the publisher (and the subscriber when a subscription is set).
    pub async fn connect(config: &PubSubConfig) -> Result<PubSubBus, BusError> {
        let mut publisher = Publisher::builder(config.topic.clone());
        let mut subscriber = Subscriber::builder();
        if let Some(endpoint) = &config.endpoint {
            let anonymous = google_cloud_auth::credentials::anonymous::Builder::new().build();
            publisher = publisher
                .with_endpoint(endpoint)
                .with_credentials(anonymous.clone());
            subscriber = subscriber
                .with_endpoint(endpoint)
                .with_credentials(anonymous);
        }
        let publisher = publisher.build().await.map_err(pubsub_error)?;
        let subscriber = match &config.subscription {
            Some(name) => Some((
                subscriber.build().await.map_err(pubsub_error)?,
                name.clone(),
            )),
            None => None,
        };
        Ok(PubSubBus {
            publisher,
            subscriber,
            stream: tokio::sync::Mutex::new(None),
            recent: Mutex::new(Recent::default()),
        })
    }
}

#[async_trait::async_trait]
impl Bus for PubSubBus {
    async fn publish(&self, envelope: &Envelope) -> Result<Published, BusError> {
        if !self
            .recent
            .lock()
            .expect("not poisoned")
            .insert(&envelope.delivery)
        {
            return Ok(Published::Duplicate);
        }
        let message = Message::new()
            .set_data(serde_json::to_vec(envelope)?)
            .set_ordering_key(envelope.repo.clone())
            .set_attributes([
                ("event", envelope.event.clone()),
                ("action", envelope.action.clone().unwrap_or_default()),
                ("delivery", envelope.delivery.clone()),
            ]);
        match self.publisher.publish(message).await {
            Ok(_id) => Ok(Published::Accepted),
            Err(err) => {
                // A failed publish pauses its ordering key until resumed.
                self.publisher.resume_publish(envelope.repo.clone());
                self.recent
                    .lock()
                    .expect("not poisoned")
                    .forget(&envelope.delivery);
                Err(pubsub_error(err))
            }
        }
    }

    async fn receive(&self) -> Result<Received, BusError> {
        let Some((subscriber, subscription)) = &self.subscriber else {
            return Err(BusError::PubSub(
                "no subscription configured to consume from".into(),
            ));
        };
        let mut stream = self.stream.lock().await;
        let stream = stream.get_or_insert_with(|| {
            subscriber
                .subscribe(subscription.clone())
                .set_max_outstanding_messages(MAX_OUTSTANDING)
                .build()
        });
        let (message, handler) = stream
            .next()
            .await
            .ok_or(BusError::Closed)?
            .map_err(pubsub_error)?;
        let attempt = handler
            .delivery_attempt()
            .and_then(|a| u32::try_from(a).ok())
            .unwrap_or(1);
        Ok(Received {
            envelope: serde_json::from_slice(&message.data)?,
            attempt,
            handle: Handle::PubSub(handler),
        })
    }

    async fn check(&self) -> Result<(), BusError> {
        Ok(())
    }
}

fn pubsub_error(err: impl std::fmt::Display) -> BusError {
    BusError::PubSub(err.to_string())
}

/// A bounded set of recent delivery ids, oldest forgotten first.
#[derive(Default)]
struct Recent {
    ids: HashSet<String>,
    order: VecDeque<String>,
}

impl Recent {
    /// False when `id` is already remembered.
    fn insert(&mut self, id: &str) -> bool {
        if !self.ids.insert(id.to_owned()) {
            return false;
        }
        self.order.push_back(id.to_owned());
        if self.order.len() > RECENT_DELIVERIES
            && let Some(old) = self.order.pop_front()
        {
            self.ids.remove(&old);
        }
        true
    }

    fn forget(&mut self, id: &str) {
        self.ids.remove(id);
        self.order.retain(|kept| kept != id);
    }
}
