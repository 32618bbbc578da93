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

use crate::{LandRecord, QueueEntry, Store, StoreError};

/// A stored document.
#[derive(Debug, Serialize, Deserialize)]
struct Doc {
    repo: String,
    at_ms: i64,
    body: String,
}

/// The Firestore store.
pub struct FirestoreStore {
    db: FirestoreDb,
    entries: String,
    lands: String,
    frozen: String,
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
        limit: Option<u32>,
    ) -> Result<Vec<Doc>, StoreError> {
        let mut query = self
            .db
            .fluent()
            .select()
            .from(collection)
            .filter(|q| q.for_all([q.field("repo").eq(repo)]));
        if let Some(limit) = limit {
            query = query
                .order(|o| o.fields([o.field("at_ms").desc()]))
                .limit(limit);
        }
        query.obj::<Doc>().query().await.map_err(firestore_error)
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
            .by_repo(&self.entries, repo, None)
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
        self.put(&self.lands, &id, &doc).await
    }

    async fn lands(&self, repo: &str, limit: usize) -> Result<Vec<LandRecord>, StoreError> {
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        self.by_repo(&self.lands, repo, Some(limit))
            .await?
            .into_iter()
            .map(|d| Ok(serde_json::from_str(&d.body)?))
            .collect()
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

    async fn check(&self) -> Result<(), StoreError> {
        self.entry("landq/readiness-probe", 0).await.map(drop)
    }
}
