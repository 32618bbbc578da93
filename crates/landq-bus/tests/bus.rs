//! The bus contract, run against both backends: the embedded SQLite bus and
//! Cloud Pub/Sub on Google's emulator (started by `scripts/test`, which sets
//! `PUBSUB_EMULATOR_HOST`).

use std::time::Duration;

use landq_bus::embedded::EmbeddedBus;
use landq_bus::pubsub::{PubSubBus, PubSubConfig};
use landq_bus::{Bus, Envelope, Published};
use tempfile::TempDir;
use tokio::time::timeout;

/// Generous: only a hang fails on it, never a slow machine.
const PATIENCE: Duration = Duration::from_secs(60);

fn envelope(delivery: &str, repo: &str, pr: u64) -> Envelope {
    Envelope {
        delivery: delivery.into(),
        event: "pull_request".into(),
        action: Some("labeled".into()),
        repo: repo.into(),
        installation: Some(7),
        prs: vec![pr],
        sha: Some("0123abcd".into()),
        label: Some("land requested".into()),
        sender: Some("octocat".into()),
        received_at: "2026-11-23T08:00:00Z".into(),
    }
}

async fn receive(bus: &dyn Bus) -> landq_bus::Received {
    timeout(PATIENCE, bus.receive())
        .await
        .expect("a message arrives")
        .expect("receive works")
}

// ---- the shared contract ----

async fn publishes_consumes_and_acks(bus: &dyn Bus) {
    let sent = envelope("d-1", "acme/app", 1);
    assert_eq!(bus.publish(&sent).await.unwrap(), Published::Accepted);
    let got = receive(bus).await;
    assert_eq!(got.envelope, sent);
    assert_eq!(got.attempt, 1);
    got.ack().await.unwrap();
}

async fn refuses_a_delivery_id_twice(bus: &dyn Bus) {
    let sent = envelope("d-dup", "acme/dup", 1);
    assert_eq!(bus.publish(&sent).await.unwrap(), Published::Accepted);
    assert_eq!(bus.publish(&sent).await.unwrap(), Published::Duplicate);
    receive(bus).await.ack().await.unwrap();
}

async fn keeps_order_per_repository(bus: &dyn Bus) {
    for (i, repo) in ["acme/a", "acme/b", "acme/a", "acme/b", "acme/a"]
        .iter()
        .enumerate()
    {
        bus.publish(&envelope(&format!("o-{i}"), repo, i as u64))
            .await
            .unwrap();
    }
    let mut seen: Vec<(String, u64)> = Vec::new();
    while seen.len() < 5 {
        let got = receive(bus).await;
        seen.push((got.envelope.repo.clone(), got.envelope.prs[0]));
        got.ack().await.unwrap();
    }
    let order = |repo: &str| -> Vec<u64> {
        seen.iter()
            .filter(|(r, _)| r == repo)
            .map(|(_, pr)| *pr)
            .collect()
    };
    assert_eq!(order("acme/a"), [0, 2, 4]);
    assert_eq!(order("acme/b"), [1, 3]);
}

async fn redelivers_after_nack(bus: &dyn Bus) {
    let sent = envelope("n-1", "acme/nack", 9);
    bus.publish(&sent).await.unwrap();
    receive(bus).await.nack().await.unwrap();
    let again = receive(bus).await;
    assert_eq!(again.envelope, sent);
    again.ack().await.unwrap();
}

// ---- embedded ----

fn embedded(lease: Duration) -> (TempDir, EmbeddedBus) {
    let dir = TempDir::new().unwrap();
    let bus = EmbeddedBus::open(dir.path(), lease).unwrap();
    (dir, bus)
}

#[tokio::test]
async fn embedded_contract() {
    let (_dir, bus) = embedded(Duration::from_secs(60));
    publishes_consumes_and_acks(&bus).await;
    refuses_a_delivery_id_twice(&bus).await;
    keeps_order_per_repository(&bus).await;
    redelivers_after_nack(&bus).await;
}

#[tokio::test]
async fn embedded_holds_back_a_repository_while_its_head_is_leased() {
    let (_dir, bus) = embedded(Duration::from_secs(60));
    bus.publish(&envelope("h-1", "acme/a", 1)).await.unwrap();
    bus.publish(&envelope("h-2", "acme/a", 2)).await.unwrap();
    bus.publish(&envelope("h-3", "acme/b", 3)).await.unwrap();
    let first = receive(&bus).await;
    assert_eq!(first.envelope.prs, [1]);
    // acme/a's next message waits; acme/b's does not.
    let second = receive(&bus).await;
    assert_eq!(second.envelope.prs, [3]);
    first.ack().await.unwrap();
    assert_eq!(receive(&bus).await.envelope.prs, [2]);
}

/// Moves tokio's clock (and so the bus's) `by` at once, then lets it run.
async fn pass(by: Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
}

#[tokio::test]
async fn embedded_redelivers_when_a_lease_runs_out() {
    let (_dir, bus) = embedded(Duration::from_secs(60));
    bus.publish(&envelope("l-1", "acme/a", 1)).await.unwrap();
    let first = receive(&bus).await;
    std::mem::forget(first); // a consumer that died without acking
    pass(Duration::from_secs(59)).await;
    assert!(
        timeout(Duration::from_millis(300), bus.receive())
            .await
            .is_err(),
        "still leased"
    );
    pass(Duration::from_secs(1)).await;
    let again = receive(&bus).await;
    assert_eq!(
        (again.envelope.delivery.as_str(), again.attempt),
        ("l-1", 2)
    );
    again.ack().await.unwrap();
}

#[tokio::test]
async fn embedded_ack_of_an_expired_lease_does_not_drop_the_redelivery() {
    let (_dir, bus) = embedded(Duration::from_secs(60));
    bus.publish(&envelope("x-1", "acme/a", 1)).await.unwrap();
    let stale = receive(&bus).await;
    pass(Duration::from_secs(61)).await;
    let fresh = receive(&bus).await; // the lease ran out; redelivered
    stale.ack().await.unwrap(); // too late: must not remove `fresh`
    assert_eq!(landq_bus::embedded::list(_dir.path()).unwrap().len(), 1);
    fresh.ack().await.unwrap();
    assert!(landq_bus::embedded::list(_dir.path()).unwrap().is_empty());
}

#[tokio::test]
async fn embedded_a_failed_message_waits_without_holding_back_its_repository() {
    let (_dir, bus) = embedded(Duration::from_secs(60));
    bus.publish(&envelope("f-1", "acme/a", 1)).await.unwrap();
    bus.publish(&envelope("f-2", "acme/a", 2)).await.unwrap();
    let failed = receive(&bus).await;
    assert_eq!(failed.envelope.prs, [1]);
    failed.retry_later(Duration::from_secs(3600)).await.unwrap();
    // Pull request 2 is not held up by pull request 1's failure.
    let next = receive(&bus).await;
    assert_eq!(next.envelope.prs, [2]);
    next.ack().await.unwrap();
    let waiting = landq_bus::embedded::list(_dir.path()).unwrap();
    assert_eq!(waiting.len(), 1, "the failed message waits, not lost");
    assert_eq!(waiting[0].delivery, "f-1");
}

#[tokio::test]
async fn embedded_a_consumer_renews_its_lease_and_learns_when_it_lost_it() {
    let (_dir, bus) = embedded(Duration::from_secs(60));
    bus.publish(&envelope("r-1", "acme/a", 1)).await.unwrap();
    let held = receive(&bus).await;
    assert!(held.renew().await.unwrap());
    assert_eq!(held.renew_every(), Some(Duration::from_secs(20)));
    held.ack().await.unwrap();

    // A lease of zero runs out at once: a second consumer takes the message,
    // and the first learns it is no longer its own.
    let (_dir, bus) = embedded(Duration::ZERO);
    bus.publish(&envelope("r-2", "acme/a", 1)).await.unwrap();
    let first = receive(&bus).await;
    let second = receive(&bus).await;
    assert_eq!(second.attempt, 2);
    assert!(!first.renew().await.unwrap(), "the lease moved on");
}

#[tokio::test]
async fn embedded_sets_aside_a_message_and_puts_it_back_on_request() {
    let (dir, bus) = embedded(Duration::from_secs(60));
    bus.publish(&envelope("d-1", "acme/a", 1)).await.unwrap();
    bus.publish(&envelope("d-2", "acme/a", 2)).await.unwrap();
    let doomed = receive(&bus).await;
    doomed
        .set_aside("GitHub answered 404 to GET /repos/acme/a/pulls/1")
        .await
        .unwrap();
    let dead = landq_bus::embedded::list_dead(dir.path()).unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].envelope.delivery, "d-1");
    assert_eq!(dead[0].attempts, 1);
    assert_eq!(
        dead[0].reason,
        "GitHub answered 404 to GET /repos/acme/a/pulls/1"
    );
    // The repository goes on.
    let next = receive(&bus).await;
    assert_eq!(next.envelope.delivery, "d-2");
    next.ack().await.unwrap();
    assert!(landq_bus::embedded::list(dir.path()).unwrap().is_empty());

    assert_eq!(
        landq_bus::embedded::retry_dead(dir.path(), Some(999)).unwrap(),
        0
    );
    assert_eq!(
        landq_bus::embedded::retry_dead(dir.path(), None).unwrap(),
        1
    );
    assert!(
        landq_bus::embedded::list_dead(dir.path())
            .unwrap()
            .is_empty()
    );
    let back = receive(&bus).await;
    assert_eq!((back.envelope.delivery.as_str(), back.attempt), ("d-1", 1));
}

#[tokio::test]
async fn embedded_a_restart_takes_back_the_messages_of_a_killed_process() {
    let dir = TempDir::new().unwrap();
    let bus = EmbeddedBus::open(dir.path(), Duration::from_secs(3600)).unwrap();
    bus.publish(&envelope("k-1", "acme/a", 1)).await.unwrap();
    std::mem::forget(receive(&bus).await); // leased for an hour
    drop(bus);
    // As if the lease were held by a process that was killed.
    let conn = rusqlite::Connection::open(dir.path().join("bus.sqlite3")).unwrap();
    conn.execute("UPDATE messages SET owner = 999999999", [])
        .unwrap();
    drop(conn);
    let bus = EmbeddedBus::open(dir.path(), Duration::from_secs(3600)).unwrap();
    let again = receive(&bus).await;
    assert_eq!(
        (again.envelope.delivery.as_str(), again.attempt),
        ("k-1", 2)
    );
}

#[tokio::test]
async fn embedded_a_second_process_leaves_the_leases_of_a_live_one_alone() {
    let dir = TempDir::new().unwrap();
    let bus = EmbeddedBus::open(dir.path(), Duration::from_secs(3600)).unwrap();
    bus.publish(&envelope("a-1", "acme/a", 1)).await.unwrap();
    bus.publish(&envelope("a-2", "acme/b", 2)).await.unwrap();
    let held = receive(&bus).await;
    // Another landq on the same directory (this process is alive).
    let other = EmbeddedBus::open(dir.path(), Duration::from_secs(3600)).unwrap();
    let next = receive(&other).await;
    assert_ne!(next.envelope.delivery, held.envelope.delivery);
}

#[tokio::test]
async fn embedded_opens_a_bus_written_before_retry_delays() {
    let dir = TempDir::new().unwrap();
    let old = rusqlite::Connection::open(dir.path().join("bus.sqlite3")).unwrap();
    old.execute_batch(
        "CREATE TABLE deliveries (id TEXT PRIMARY KEY, received_ms INTEGER NOT NULL) WITHOUT ROWID;
         CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, repo TEXT NOT NULL,
           body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, leased_until_ms INTEGER);",
    )
    .unwrap();
    let body = serde_json::to_string(&envelope("o-1", "acme/a", 1)).unwrap();
    old.execute(
        "INSERT INTO messages (repo, body) VALUES ('acme/a', ?1)",
        [body],
    )
    .unwrap();
    drop(old);
    let bus = EmbeddedBus::open(dir.path(), Duration::from_secs(60)).unwrap();
    let kept = receive(&bus).await;
    assert_eq!(kept.envelope.delivery, "o-1");
    kept.retry_later(Duration::from_secs(3600)).await.unwrap();
}

#[tokio::test]
async fn embedded_messages_and_dedupe_survive_reopening() {
    let dir = TempDir::new().unwrap();
    {
        let bus = EmbeddedBus::open(dir.path(), Duration::from_secs(60)).unwrap();
        bus.publish(&envelope("s-1", "acme/a", 1)).await.unwrap();
        bus.publish(&envelope("s-2", "acme/a", 2)).await.unwrap();
    }
    let listed = landq_bus::embedded::list(dir.path()).unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|e| e.delivery.as_str())
            .collect::<Vec<_>>(),
        ["s-1", "s-2"]
    );
    let bus = EmbeddedBus::open(dir.path(), Duration::from_secs(60)).unwrap();
    assert_eq!(
        bus.publish(&envelope("s-1", "acme/a", 1)).await.unwrap(),
        Published::Duplicate
    );
    assert_eq!(receive(&bus).await.envelope.delivery, "s-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_accepts_many_concurrent_publishes() {
    let (dir, bus) = embedded(Duration::from_secs(60));
    let bus = std::sync::Arc::new(bus);
    let tasks: Vec<_> = (0..500)
        .map(|i| {
            let bus = bus.clone();
            tokio::spawn(
                async move { bus.publish(&envelope(&format!("c-{i}"), "acme/a", i)).await },
            )
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), Published::Accepted);
    }
    assert_eq!(landq_bus::embedded::list(dir.path()).unwrap().len(), 500);
}

#[test]
fn listing_a_missing_bus_says_where_it_looked() {
    let dir = TempDir::new().unwrap();
    let err = landq_bus::embedded::list(dir.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no embedded bus at"), "{err}");
}

// ---- Pub/Sub on the emulator ----

/// The emulator's address. Tests that need it are `#[ignore]`d with the
/// reason, so a plain `cargo test` reports them as ignored; `scripts/test`
/// starts the emulator and runs them.
fn emulator() -> String {
    let host = std::env::var("PUBSUB_EMULATOR_HOST").expect(
        "PUBSUB_EMULATOR_HOST is not set: run the tests through scripts/test, which starts \
         the Pub/Sub emulator",
    );
    format!("http://{host}")
}

/// A fresh topic and ordered subscription on the emulator.
async fn pubsub(endpoint: &str, name: &str) -> PubSubBus {
    use google_cloud_pubsub::client::{SubscriptionAdmin, TopicAdmin};
    let anonymous = || google_cloud_auth::credentials::anonymous::Builder::new().build();
    let topic = format!("projects/landq-test/topics/{name}");
    let subscription = format!("projects/landq-test/subscriptions/{name}");
    let topics = TopicAdmin::builder()
        .with_endpoint(endpoint)
        .with_credentials(anonymous())
        .build()
        .await
        .unwrap();
    topics.create_topic().set_name(&topic).send().await.unwrap();
    let subscriptions = SubscriptionAdmin::builder()
        .with_endpoint(endpoint)
        .with_credentials(anonymous())
        .build()
        .await
        .unwrap();
    subscriptions
        .create_subscription()
        .set_name(&subscription)
        .set_topic(&topic)
        .set_enable_message_ordering(true)
        .set_ack_deadline_seconds(10)
        .send()
        .await
        .unwrap();
    PubSubBus::connect(&PubSubConfig {
        topic,
        subscription: Some(subscription),
        endpoint: Some(endpoint.to_owned()),
    })
    .await
    .unwrap()
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

#[ignore = "needs the Pub/Sub emulator: scripts/test starts it"]
#[tokio::test]
async fn contract_on_the_pubsub_emulator() {
    let endpoint = emulator();
    let bus = pubsub(&endpoint, &unique("contract")).await;
    publishes_consumes_and_acks(&bus).await;
    refuses_a_delivery_id_twice(&bus).await;
    redelivers_after_nack(&bus).await;
}

#[ignore = "needs the Pub/Sub emulator: scripts/test starts it"]
#[tokio::test]
async fn keeps_order_per_repository_on_the_pubsub_emulator() {
    let endpoint = emulator();
    let bus = pubsub(&endpoint, &unique("order")).await;
    keeps_order_per_repository(&bus).await;
}

#[ignore = "needs the Pub/Sub emulator: scripts/test starts it"]
#[tokio::test]
async fn publish_without_a_subscription_cannot_consume_on_the_pubsub_emulator() {
    let endpoint = emulator();
    let full = pubsub(&endpoint, &unique("nosub")).await;
    drop(full);
    let bus = PubSubBus::connect(&PubSubConfig {
        topic: "projects/landq-test/topics/none-such".into(),
        subscription: None,
        endpoint: Some(endpoint),
    })
    .await
    .unwrap();
    let err = bus.receive().await.unwrap_err().to_string();
    assert!(err.contains("no subscription configured"), "{err}");
}
