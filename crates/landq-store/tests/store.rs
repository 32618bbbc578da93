//! One suite, both stores: SQLite in a temporary directory, and Firestore on
//! Google's emulator (started by `scripts/test`, which sets
//! `FIRESTORE_EMULATOR_HOST`).

use landq_store::firestore::FirestoreStore;
use landq_store::sqlite::SqliteStore;
use landq_store::{EntryState, LandRecord, OwnerRecord, QueueEntry, Store};
use tempfile::TempDir;

fn entry(repo: &str, pr: u64, requested_at_ms: i64) -> QueueEntry {
    QueueEntry {
        repo: repo.into(),
        pr,
        base: "main".into(),
        requested_by: "alice".into(),
        requested_at_ms,
        state: EntryState::Queued,
        head_sha: None,
        attempts: 0,
        reasons: Vec::new(),
        updated_at_ms: requested_at_ms,
    }
}

fn land(repo: &str, pr: u64, squash: &str, landed_at_ms: i64) -> LandRecord {
    LandRecord {
        repo: repo.into(),
        pr,
        base: "main".into(),
        head_sha: "h".repeat(40),
        squash_sha: squash.into(),
        requested_by: "alice".into(),
        approvers: vec!["bob".into(), "carol".into()],
        ownership: vec![OwnerRecord {
            path: "services/billing/pay.rs".into(),
            line: 2,
            owner: "@carol".into(),
            approver: "carol".into(),
        }],
        rules_sha: Some("r".repeat(40)),
        requested_at_ms: landed_at_ms - 5_000,
        landed_at_ms,
    }
}

async fn suite(store: &dyn Store) {
    store.check().await.unwrap();

    // Entries: upsert, read back, queue order, remove.
    assert_eq!(store.entry("acme/app", 7).await.unwrap(), None);
    store.put_entry(&entry("acme/app", 7, 2_000)).await.unwrap();
    store.put_entry(&entry("acme/app", 3, 1_000)).await.unwrap();
    store.put_entry(&entry("acme/other", 1, 500)).await.unwrap();
    let mut waiting = entry("acme/app", 7, 2_000);
    waiting.state = EntryState::Waiting;
    waiting.reasons = vec!["`a.rs` needs an approval from @carol".into()];
    waiting.head_sha = Some("abc".into());
    store.put_entry(&waiting).await.unwrap();
    assert_eq!(
        store.entry("acme/app", 7).await.unwrap(),
        Some(waiting.clone())
    );
    let queue: Vec<u64> = store
        .entries("acme/app")
        .await
        .unwrap()
        .iter()
        .map(|e| e.pr)
        .collect();
    assert_eq!(
        queue,
        [3, 7],
        "oldest request first, one entry per pull request"
    );
    store.remove_entry("acme/app", 3).await.unwrap();
    store.remove_entry("acme/app", 3).await.unwrap();
    assert_eq!(store.entries("acme/app").await.unwrap(), [waiting]);
    assert_eq!(store.entries("acme/other").await.unwrap().len(), 1);

    // Lands: the audit log, idempotent per squash commit, newest first.
    store
        .record_land(&land("acme/app", 1, "s1", 10_000))
        .await
        .unwrap();
    store
        .record_land(&land("acme/app", 2, "s2", 20_000))
        .await
        .unwrap();
    store
        .record_land(&land("acme/app", 2, "s2", 20_000))
        .await
        .unwrap();
    store
        .record_land(&land("acme/other", 9, "s9", 30_000))
        .await
        .unwrap();
    let lands = store.lands("acme/app", 10).await.unwrap();
    assert_eq!(lands.iter().map(|l| l.pr).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(lands[1], land("acme/app", 1, "s1", 10_000));
    assert_eq!(store.lands("acme/app", 1).await.unwrap().len(), 1);
}

#[tokio::test]
async fn sqlite_store() {
    let dir = TempDir::new().unwrap();
    suite(&SqliteStore::open(dir.path()).unwrap()).await;
}

#[tokio::test]
async fn sqlite_store_keeps_everything_across_reopening() {
    let dir = TempDir::new().unwrap();
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        store.put_entry(&entry("acme/app", 1, 1)).await.unwrap();
        store
            .record_land(&land("acme/app", 2, "s", 2))
            .await
            .unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.entries("acme/app").await.unwrap().len(), 1);
    assert_eq!(store.lands("acme/app", 5).await.unwrap().len(), 1);
}

#[tokio::test]
#[ignore = "needs the Firestore emulator: scripts/test starts it"]
async fn suite_on_the_firestore_emulator() {
    assert!(
        std::env::var_os("FIRESTORE_EMULATOR_HOST").is_some(),
        "FIRESTORE_EMULATOR_HOST is not set: run the tests through scripts/test, which starts \
         the Firestore emulator"
    );
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let prefix = format!("t{}_{nanos}_", std::process::id());
    suite(
        &FirestoreStore::connect("landq-test", &prefix)
            .await
            .unwrap(),
    )
    .await;
}
