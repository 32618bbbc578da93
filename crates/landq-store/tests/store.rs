//! One suite, both stores: SQLite in a temporary directory, and Firestore on
//! Google's emulator (started by `scripts/test`, which sets
//! `FIRESTORE_EMULATOR_HOST`).

use landq_store::firestore::FirestoreStore;
use landq_store::sqlite::SqliteStore;
use landq_store::{
    Conflict, EntryState, FailureRecord, LandQuery, LandRecord, OwnerRecord, QueueEntry, Stacked,
    Store,
};
use tempfile::TempDir;

fn entry(repo: &str, pr: u64, requested_at_ms: i64) -> QueueEntry {
    QueueEntry {
        state: EntryState::Queued,
        title: "Charge in cents".into(),
        message: "Charge in cents (#1)

Approved-by: bob
"
        .into(),
        paths: vec!["billing/pay.rs".into()],
        ..QueueEntry::requested(repo, pr, "main", "alice", requested_at_ms)
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
        paths: vec!["services/billing/pay.rs".into(), "docs/a.md".into()],
        author: if pr.is_multiple_of(2) {
            "alice"
        } else {
            "erin"
        }
        .into(),
        title: format!("Change {pr}"),
        queued_at_ms: Some(landed_at_ms - 4_000),
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

    // The stack and a conflict are kept with the entry.
    let mut testing = entry("acme/app", 8, 3_000);
    testing.state = EntryState::Testing;
    testing.stack = Some(Stacked {
        head_sha: "h8".into(),
        parent: "p".into(),
        parent_tree: "pt".into(),
        commit: "s8".into(),
        tree: "t8".into(),
        built_at_ms: 3_100,
        retries: 1,
    });
    store.put_entry(&testing).await.unwrap();
    let mut blocked = entry("acme/app", 9, 4_000);
    blocked.state = EntryState::Blocked;
    blocked.blocked = Some(Conflict {
        head_sha: "h9".into(),
        culprit: Some(8),
        landed: None,
        files: vec!["billing/pay.rs".into()],
    });
    store.put_entry(&blocked).await.unwrap();
    assert_eq!(store.entry("acme/app", 8).await.unwrap(), Some(testing));
    assert_eq!(store.entry("acme/app", 9).await.unwrap(), Some(blocked));
    store.remove_entry("acme/app", 8).await.unwrap();
    store.remove_entry("acme/app", 9).await.unwrap();

    // Freezing is per repository and branch.
    assert_eq!(store.frozen("acme/app", "main").await.unwrap(), None);
    store
        .set_frozen("acme/app", "main", Some("tree mismatch"))
        .await
        .unwrap();
    assert_eq!(
        store.frozen("acme/app", "main").await.unwrap().as_deref(),
        Some("tree mismatch")
    );
    assert_eq!(store.frozen("acme/app", "release").await.unwrap(), None);
    assert_eq!(store.frozen("acme/other", "main").await.unwrap(), None);
    store.set_frozen("acme/app", "main", None).await.unwrap();
    store.set_frozen("acme/app", "main", None).await.unwrap();
    assert_eq!(store.frozen("acme/app", "main").await.unwrap(), None);

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

    // Queries: a time span, an author, and pages that end where the last
    // one did (two lands in the same millisecond included).
    for (pr, at) in [(3, 30_000), (4, 30_000), (5, 40_000), (6, 50_000)] {
        store
            .record_land(&land("acme/app", pr, &format!("s{pr}"), at))
            .await
            .unwrap();
    }
    let prs = |records: Vec<LandRecord>| records.iter().map(|l| l.pr).collect::<Vec<_>>();
    let span = LandQuery {
        since_ms: Some(20_000),
        until_ms: Some(50_000),
        limit: 10,
        ..LandQuery::default()
    };
    assert_eq!(
        prs(store.lands_in("acme/app", &span).await.unwrap()),
        [5, 4, 3, 2]
    );
    let alice = LandQuery {
        author: Some("alice".into()),
        ..LandQuery::latest(10)
    };
    assert_eq!(
        prs(store.lands_in("acme/app", &alice).await.unwrap()),
        [6, 4, 2]
    );
    let mut pages = Vec::new();
    let mut query = LandQuery::latest(2);
    loop {
        let page = store.lands_in("acme/app", &query).await.unwrap();
        let Some(last) = page.last() else { break };
        query.before = Some((last.landed_at_ms, last.pr));
        pages.push(prs(page));
    }
    assert_eq!(pages, [vec![6, 5], vec![4, 3], vec![2, 1]]);

    // The times the statistics need, for a span.
    let mut times = store.land_times("acme/app", 20_000, 50_000).await.unwrap();
    times.sort_by_key(|t| t.landed_at_ms);
    let spans: Vec<(i64, Option<i64>, i64)> = times
        .iter()
        .map(|t| (t.requested_at_ms, t.queued_at_ms, t.landed_at_ms))
        .collect();
    assert_eq!(
        spans,
        [
            (15_000, Some(16_000), 20_000),
            (25_000, Some(26_000), 30_000),
            (25_000, Some(26_000), 30_000),
            (35_000, Some(36_000), 40_000)
        ]
    );

    // Failures, oldest first from a time on.
    for (pr, at) in [(8, 1_000), (9, 2_000)] {
        store
            .record_failure(&FailureRecord {
                repo: "acme/app".into(),
                pr,
                base: "main".into(),
                reason: "check_failed".into(),
                at_ms: at,
            })
            .await
            .unwrap();
    }
    let failures = store.failures("acme/app", 1_500).await.unwrap();
    assert_eq!(failures.iter().map(|f| f.pr).collect::<Vec<_>>(), [9]);
    assert!(store.failures("acme/other", 0).await.unwrap().is_empty());

    // Every repository with entries or lands.
    let repos = store.repos().await.unwrap();
    assert!(repos.contains(&"acme/app".to_owned()) && repos.contains(&"acme/other".to_owned()));

    // Documents by kind and key, replaced in place.
    store
        .put_doc("audit", "acme/app", "{\"a\":1}")
        .await
        .unwrap();
    store
        .put_doc("audit", "acme/app", "{\"a\":2}")
        .await
        .unwrap();
    store.put_doc("audit", "acme/api", "{}").await.unwrap();
    store.put_doc("reminded", "acme/app#7", "5").await.unwrap();
    assert_eq!(
        store.docs("audit").await.unwrap(),
        [
            ("acme/api".to_owned(), "{}".to_owned()),
            ("acme/app".to_owned(), "{\"a\":2}".to_owned())
        ]
    );
    assert_eq!(
        store
            .doc("reminded", "acme/app#7")
            .await
            .unwrap()
            .as_deref(),
        Some("5")
    );
    assert_eq!(store.doc("reminded", "acme/app#8").await.unwrap(), None);

    // A lease: one holder at a time until it expires; renewable by its
    // holder; given back only by its holder.
    assert!(
        store
            .lease("remind/acme/app", "a", 1_000, 2_000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .lease("remind/acme/app", "b", 1_500, 2_500)
            .await
            .unwrap()
    );
    assert!(
        store
            .lease("remind/acme/app", "a", 1_500, 3_000)
            .await
            .unwrap()
    );
    store.release("remind/acme/app", "b").await.unwrap();
    assert!(
        !store
            .lease("remind/acme/app", "b", 2_999, 4_000)
            .await
            .unwrap()
    );
    assert!(
        store
            .lease("remind/acme/app", "b", 3_000, 4_000)
            .await
            .unwrap()
    );
    store.release("remind/acme/app", "b").await.unwrap();
    assert!(
        store
            .lease("remind/acme/app", "c", 3_100, 4_000)
            .await
            .unwrap()
    );
    // Many at once: exactly one wins.
    let holders: Vec<String> = (0..8).map(|i| format!("h{i}")).collect();
    let tries = holders.iter().map(|h| store.lease("race", h, 0, 10_000));
    let won = futures::future::join_all(tries).await;
    assert_eq!(won.into_iter().filter(|w| *w.as_ref().unwrap()).count(), 1);
}

#[tokio::test]
async fn sqlite_store() {
    let dir = TempDir::new().unwrap();
    suite(&SqliteStore::open(dir.path()).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_is_taken_once_across_processes_sharing_the_sqlite_file() {
    let dir = TempDir::new().unwrap();
    // Each open is its own connection, as each process has.
    let stores: Vec<SqliteStore> = (0..3)
        .map(|_| SqliteStore::open(dir.path()).unwrap())
        .collect();
    for round in 0..20_i64 {
        let holders = ["p0", "p1", "p2"];
        let tries = stores
            .iter()
            .zip(holders)
            .map(|(s, h)| s.lease("remind", h, round * 100, round * 100 + 100));
        let won = futures::future::join_all(tries).await;
        assert_eq!(
            won.into_iter().filter(|w| *w.as_ref().unwrap()).count(),
            1,
            "round {round}"
        );
    }
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
