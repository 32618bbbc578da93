//! The Firestore (native mode) store, for production on App Engine.
//!
//! Each record is a document holding the fields queries need (`repo`, a time)
//! and the record itself as JSON, so both backends store exactly the same
//! thing. Document ids make writes idempotent: `owner:name:pr` for entries,
//! `owner:name:pr:squash_sha` for lands.
//! `lands` orders by (`repo`, `at_ms` descending), which needs a composite
//! index in production (declared with the deployment).
//!
//! The `firestore` crate connects to the emulator when
//! `FIRESTORE_EMULATOR_HOST` is set.

use ::firestore::FirestoreDb;
use ::firestore::errors::FirestoreError;
use serde::{Deserialize, Serialize};

use crate::{FailureRecord, LandQuery, LandRecord, QueueEntry, Store, StoreError};

/// Extra records read past a page's limit, for lands in the same
/// millisecond as the cursor (filtered here).
const SAME_MS_SLACK: usize = 8;

/// A stored document.
#[derive(Debug, Serialize, Deserialize)]
struct Doc {
    repo: String,
    at_ms: i64,
    body: String,
}

/// A document kept by name ([`Store::put_doc`]).
#[derive(Debug, Serialize, Deserialize)]
struct KeyedDoc {
    kind: String,
    key: String,
    body: String,
}

/// A lease ([`Store::lease`]).
#[derive(Debug, Serialize, Deserialize)]
struct Lease {
    holder: String,
    until_ms: i64,
}

/// The Firestore store.
pub struct FirestoreStore {
    db: FirestoreDb,
    entries: String,
    lands: String,
    frozen: String,
    failures: String,
    repos: String,
    docs: String,
    leases: String,
}

/// Lease `id` of `collection`, read in the caller's transaction.
async fn lease_of(
    db: &FirestoreDb,
    collection: &str,
    id: &str,
) -> Result<Option<Lease>, FirestoreError> {
    db.fluent()
        .select()
        .by_id_in(collection)
        .obj()
        .one(id)
        .await
}

/// A document id for any text (ids may not hold `/`).
fn id_of(text: &str) -> String {
    text.replace('%', "%25").replace('/', "%2F")
}

/// Which documents of a repository a query reads, by their time.
#[derive(Clone, Copy, Default)]
struct Span {
    since_ms: Option<i64>,
    /// Exclusive.
    until_ms: Option<i64>,
    newest_first: bool,
    limit: Option<u32>,
}

impl FirestoreStore {
    /// Connects to `project`'s default database; collection names start with
    /// `prefix` (e.g. `landq_`), so several installations can share a project.
    pub async fn connect(project: &str, prefix: &str) -> Result<FirestoreStore, StoreError> {
        let db = FirestoreDb::new(project).await.map_err(firestore_error)?;
        Ok(FirestoreStore {
            db,
            entries: format!("{prefix}entries"),
            lands: format!("{prefix}lands"),
            frozen: format!("{prefix}frozen"),
            failures: format!("{prefix}failures"),
            repos: format!("{prefix}repos"),
            docs: format!("{prefix}docs"),
            leases: format!("{prefix}leases"),
        })
    }

    async fn put(&self, collection: &str, id: &str, doc: &Doc) -> Result<(), StoreError> {
        self.db
            .fluent()
            .update()
            .in_col(collection)
            .document_id(id)
            .object(doc)
            .execute::<Doc>()
            .await
            .map_err(firestore_error)?;
        Ok(())
    }

    async fn by_repo(
        &self,
        collection: &str,
        repo: &str,
        span: Span,
    ) -> Result<Vec<Doc>, StoreError> {
        let mut query = self.db.fluent().select().from(collection).filter(|q| {
            q.for_all([
                q.field("repo").eq(repo),
                span.since_ms
                    .and_then(|s| q.field("at_ms").greater_than_or_equal(s)),
                span.until_ms.and_then(|u| q.field("at_ms").less_than(u)),
            ])
        });
        if span.newest_first || span.since_ms.is_some() || span.until_ms.is_some() {
            query = query.order(|o| {
                o.fields([match span.newest_first {
                    true => o.field("at_ms").desc(),
                    false => o.field("at_ms").ascending(),
                }])
            });
        }
        if let Some(limit) = span.limit {
            query = query.limit(limit);
        }
        query.obj::<Doc>().query().await.map_err(firestore_error)
    }

    /// Notes that the store holds something of `repo`.
    async fn note_repo(&self, repo: &str) -> Result<(), StoreError> {
        let doc = Doc {
            repo: repo.to_owned(),
            at_ms: 0,
            body: String::new(),
        };
        self.put(&self.repos, &repo.replace('/', ":"), &doc).await
    }
}

fn doc_id(repo: &str, pr: u64) -> String {
    format!("{}:{pr}", repo.replace('/', ":"))
}

/// The id of the document that says the queue of `base` is frozen.
fn frozen_id(repo: &str, base: &str) -> String {
    format!("{}:{base}", repo.replace('/', ":"))
}

fn firestore_error(err: FirestoreError) -> StoreError {
    StoreError::Firestore(err.to_string())
}

#[async_trait::async_trait]
impl Store for FirestoreStore {
    async fn put_entry(&self, entry: &QueueEntry) -> Result<(), StoreError> {
        let doc = Doc {
            repo: entry.repo.clone(),
            at_ms: entry.requested_at_ms,
            body: serde_json::to_string(entry)?,
        };
        self.note_repo(&entry.repo).await?;
        self.put(&self.entries, &doc_id(&entry.repo, entry.pr), &doc)
            .await
    }

    async fn entry(&self, repo: &str, pr: u64) -> Result<Option<QueueEntry>, StoreError> {
        let doc: Option<Doc> = self
            .db
            .fluent()
            .select()
            .by_id_in(&self.entries)
            .obj()
            .one(doc_id(repo, pr))
            .await
            .map_err(firestore_error)?;
        Ok(doc.map(|d| serde_json::from_str(&d.body)).transpose()?)
    }

    async fn entries(&self, repo: &str) -> Result<Vec<QueueEntry>, StoreError> {
        let mut entries: Vec<QueueEntry> = self
            .by_repo(&self.entries, repo, Span::default())
            .await?
            .into_iter()
            .map(|d| serde_json::from_str(&d.body))
            .collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| (e.requested_at_ms, e.pr));
        Ok(entries)
    }

    async fn remove_entry(&self, repo: &str, pr: u64) -> Result<(), StoreError> {
        self.db
            .fluent()
            .delete()
            .from(&self.entries)
            .document_id(doc_id(repo, pr))
            .execute()
            .await
            .map_err(firestore_error)
    }

    async fn record_land(&self, record: &LandRecord) -> Result<(), StoreError> {
        let doc = Doc {
            repo: record.repo.clone(),
            at_ms: record.landed_at_ms,
            body: serde_json::to_string(record)?,
        };
        let id = format!("{}:{}", doc_id(&record.repo, record.pr), record.squash_sha);
        self.note_repo(&record.repo).await?;
        self.put(&self.lands, &id, &doc).await
    }

    async fn lands_in(&self, repo: &str, query: &LandQuery) -> Result<Vec<LandRecord>, StoreError> {
        // Firestore orders by time; the author, and ties within a
        // millisecond at the cursor, are filtered here, so a query with an
        // author reads the whole span.
        let until_ms = match (query.until_ms, query.before) {
            (Some(u), Some((b, _))) => Some(u.min(b + 1)),
            (u, b) => u.or(b.map(|(b, _)| b + 1)),
        };
        let span = Span {
            since_ms: query.since_ms,
            until_ms,
            newest_first: true,
            limit: match query.author {
                Some(_) => None,
                None => u32::try_from(query.limit.saturating_add(SAME_MS_SLACK)).ok(),
            },
        };
        let mut records: Vec<LandRecord> = self
            .by_repo(&self.lands, repo, span)
            .await?
            .into_iter()
            .map(|d| serde_json::from_str(&d.body))
            .collect::<Result<_, _>>()?;
        records.sort_by_key(|r| std::cmp::Reverse((r.landed_at_ms, r.pr)));
        records.retain(|r| query.admits(r));
        records.truncate(query.limit);
        Ok(records)
    }

    async fn record_failure(&self, record: &FailureRecord) -> Result<(), StoreError> {
        let doc = Doc {
            repo: record.repo.clone(),
            at_ms: record.at_ms,
            body: serde_json::to_string(record)?,
        };
        let id = format!("{}:{}", doc_id(&record.repo, record.pr), record.at_ms);
        self.put(&self.failures, &id, &doc).await
    }

    async fn failures(&self, repo: &str, since_ms: i64) -> Result<Vec<FailureRecord>, StoreError> {
        let span = Span {
            since_ms: Some(since_ms),
            ..Span::default()
        };
        self.by_repo(&self.failures, repo, span)
            .await?
            .into_iter()
            .map(|d| Ok(serde_json::from_str(&d.body)?))
            .collect()
    }

    async fn repos(&self) -> Result<Vec<String>, StoreError> {
        let docs: Vec<Doc> = self
            .db
            .fluent()
            .select()
            .from(self.repos.as_str())
            .obj()
            .query()
            .await
            .map_err(firestore_error)?;
        let mut repos: Vec<String> = docs.into_iter().map(|d| d.repo).collect();
        repos.sort();
        Ok(repos)
    }

    async fn set_frozen(
        &self,
        repo: &str,
        base: &str,
        why: Option<&str>,
    ) -> Result<(), StoreError> {
        let id = frozen_id(repo, base);
        match why {
            Some(why) => {
                let doc = Doc {
                    repo: repo.to_owned(),
                    at_ms: 0,
                    body: why.to_owned(),
                };
                self.put(&self.frozen, &id, &doc).await
            }
            None => self
                .db
                .fluent()
                .delete()
                .from(self.frozen.as_str())
                .document_id(id)
                .execute()
                .await
                .map_err(firestore_error),
        }
    }

    async fn frozen(&self, repo: &str, base: &str) -> Result<Option<String>, StoreError> {
        let id = frozen_id(repo, base);
        let doc: Option<Doc> = self
            .db
            .fluent()
            .select()
            .by_id_in(&self.frozen)
            .obj()
            .one(id)
            .await
            .map_err(firestore_error)?;
        Ok(doc.map(|d| d.body))
    }

    async fn put_doc(&self, kind: &str, key: &str, body: &str) -> Result<(), StoreError> {
        let doc = KeyedDoc {
            kind: kind.to_owned(),
            key: key.to_owned(),
            body: body.to_owned(),
        };
        self.db
            .fluent()
            .update()
            .in_col(&self.docs)
            .document_id(id_of(&format!("{kind}/{key}")))
            .object(&doc)
            .execute::<KeyedDoc>()
            .await
            .map_err(firestore_error)?;
        Ok(())
    }

    async fn doc(&self, kind: &str, key: &str) -> Result<Option<String>, StoreError> {
        let doc: Option<KeyedDoc> = self
            .db
            .fluent()
            .select()
            .by_id_in(&self.docs)
            .obj()
            .one(id_of(&format!("{kind}/{key}")))
            .await
            .map_err(firestore_error)?;
        Ok(doc.map(|d| d.body))
    }

    async fn docs(&self, kind: &str) -> Result<Vec<(String, String)>, StoreError> {
        let docs: Vec<KeyedDoc> = self
            .db
            .fluent()
            .select()
            .from(self.docs.as_str())
            .filter(|q| q.for_all([q.field("kind").eq(kind)]))
            .obj()
            .query()
            .await
            .map_err(firestore_error)?;
        let mut docs: Vec<(String, String)> = docs.into_iter().map(|d| (d.key, d.body)).collect();
        docs.sort();
        Ok(docs)
    }

    async fn lease(
        &self,
        name: &str,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        let (id, collection, holder) = (id_of(name), self.leases.clone(), holder.to_owned());
        self.db
            .run_transaction(|db, transaction| {
                let (id, collection, holder) = (id.clone(), collection.clone(), holder.clone());
                Box::pin(async move {
                    let held = lease_of(&db, &collection, &id).await?;
                    let free = held
                        .as_ref()
                        .is_none_or(|l| l.until_ms <= now_ms || l.holder == holder);
                    if free {
                        db.fluent()
                            .update()
                            .in_col(&collection)
                            .document_id(&id)
                            .object(&Lease { holder, until_ms })
                            .add_to_transaction(transaction)?;
                    }
                    Ok(free)
                })
            })
            .await
            .map_err(firestore_error)
    }

    async fn release(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        let (id, collection, holder) = (id_of(name), self.leases.clone(), holder.to_owned());
        self.db
            .run_transaction(|db, transaction| {
                let (id, collection, holder) = (id.clone(), collection.clone(), holder.clone());
                Box::pin(async move {
                    let held = lease_of(&db, &collection, &id).await?;
                    if held.is_some_and(|l| l.holder == holder) {
                        db.fluent()
                            .delete()
                            .from(collection.as_str())
                            .document_id(&id)
                            .add_to_transaction(transaction)?;
                    }
                    Ok(())
                })
            })
            .await
            .map_err(firestore_error)
    }

    async fn check(&self) -> Result<(), StoreError> {
        self.entry("landq/readiness-probe", 0).await.map(drop)
    }
}
