//! The SQLite store under the data directory: WAL mode, full sync, one
//! connection used from blocking tasks. Records are stored as JSON documents
//! beside the columns that key and order them.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use crate::stats::LandTimes;
use crate::{FailureRecord, LandQuery, LandRecord, QueueEntry, Store, StoreError};

/// The database file inside the data directory.
pub const FILE_NAME: &str = "store.sqlite3";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS entries (
    repo TEXT NOT NULL,
    pr INTEGER NOT NULL,
    requested_at_ms INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (repo, pr)
);
CREATE TABLE IF NOT EXISTS lands (
    repo TEXT NOT NULL,
    pr INTEGER NOT NULL,
    squash_sha TEXT NOT NULL,
    landed_at_ms INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (repo, pr, squash_sha)
);
CREATE INDEX IF NOT EXISTS lands_by_time ON lands (repo, landed_at_ms);
CREATE TABLE IF NOT EXISTS failures (
    repo TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS failures_by_time ON failures (repo, at_ms);
CREATE TABLE IF NOT EXISTS repos (
    repo TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS docs (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS frozen (
    repo TEXT NOT NULL,
    base TEXT NOT NULL,
    why TEXT NOT NULL,
    PRIMARY KEY (repo, base)
);
";

/// The embedded store.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store under `data_dir`.
    pub fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|err| {
            StoreError::Task(format!("cannot create {}: {err}", data_dir.display()))
        })?;
        let conn = Connection::open(data_dir.join(FILE_NAME))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        // Stores written before the `repos` table existed.
        conn.execute_batch(
            "INSERT OR IGNORE INTO repos (repo)
             SELECT repo FROM entries UNION SELECT repo FROM lands",
        )?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || f(&conn.lock().expect("store connection")))
            .await
            .map_err(|err| StoreError::Task(err.to_string()))?
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn put_entry(&self, entry: &QueueEntry) -> Result<(), StoreError> {
        let (repo, pr, at, body) = (
            entry.repo.clone(),
            entry.pr,
            entry.requested_at_ms,
            serde_json::to_string(entry)?,
        );
        self.with(move |c| {
            c.execute(
                "INSERT INTO entries (repo, pr, requested_at_ms, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (repo, pr) DO UPDATE SET requested_at_ms = ?3, body = ?4",
                params![repo, pr as i64, at, body],
            )?;
            c.execute("INSERT OR IGNORE INTO repos (repo) VALUES (?1)", [&repo])?;
            Ok(())
        })
        .await
    }

    async fn entry(&self, repo: &str, pr: u64) -> Result<Option<QueueEntry>, StoreError> {
        let repo = repo.to_owned();
        self.with(move |c| {
            let body: Option<String> = c
                .query_row(
                    "SELECT body FROM entries WHERE repo = ?1 AND pr = ?2",
                    params![repo, pr as i64],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(body.map(|b| serde_json::from_str(&b)).transpose()?)
        })
        .await
    }

    async fn entries(&self, repo: &str) -> Result<Vec<QueueEntry>, StoreError> {
        let repo = repo.to_owned();
        self.with(move |c| {
            let mut stmt =
                c.prepare("SELECT body FROM entries WHERE repo = ?1 ORDER BY requested_at_ms, pr")?;
            let bodies = stmt.query_map([repo], |r| r.get::<_, String>(0))?;
            bodies.map(|b| Ok(serde_json::from_str(&b?)?)).collect()
        })
        .await
    }

    async fn remove_entry(&self, repo: &str, pr: u64) -> Result<(), StoreError> {
        let repo = repo.to_owned();
        self.with(move |c| {
            c.execute(
                "DELETE FROM entries WHERE repo = ?1 AND pr = ?2",
                params![repo, pr as i64],
            )?;
            Ok(())
        })
        .await
    }

    async fn record_land(&self, record: &LandRecord) -> Result<(), StoreError> {
        let body = serde_json::to_string(record)?;
        let (repo, pr, sha, at) = (
            record.repo.clone(),
            record.pr,
            record.squash_sha.clone(),
            record.landed_at_ms,
        );
        self.with(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO lands (repo, pr, squash_sha, landed_at_ms, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![repo, pr as i64, sha, at, body],
            )?;
            c.execute("INSERT OR IGNORE INTO repos (repo) VALUES (?1)", [&repo])?;
            Ok(())
        })
        .await
    }

    async fn lands_in(&self, repo: &str, query: &LandQuery) -> Result<Vec<LandRecord>, StoreError> {
        let (repo, query) = (repo.to_owned(), query.clone());
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let (before_ms, before_pr) = query.before.map_or((None, None), |(ms, pr)| {
            (Some(ms), Some(i64::try_from(pr).unwrap_or(i64::MAX)))
        });
        self.with(move |c| {
            let mut stmt = c.prepare(
                "SELECT body FROM lands WHERE repo = ?1
                   AND (?2 IS NULL OR landed_at_ms >= ?2)
                   AND (?3 IS NULL OR landed_at_ms < ?3)
                   AND (?4 IS NULL OR json_extract(body, '$.author') = ?4)
                   AND (?5 IS NULL OR landed_at_ms < ?5 OR (landed_at_ms = ?5 AND pr < ?6))
                 ORDER BY landed_at_ms DESC, pr DESC LIMIT ?7",
            )?;
            let bodies = stmt.query_map(
                params![
                    repo,
                    query.since_ms,
                    query.until_ms,
                    query.author,
                    before_ms,
                    before_pr,
                    limit
                ],
                |r| r.get::<_, String>(0),
            )?;
            bodies.map(|b| Ok(serde_json::from_str(&b?)?)).collect()
        })
        .await
    }

    async fn land_times(
        &self,
        repo: &str,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<LandTimes>, StoreError> {
        let repo = repo.to_owned();
        self.with(move |c| {
            let mut stmt = c.prepare(
                "SELECT json_extract(body, '$.requested_at_ms'), json_extract(body, '$.queued_at_ms'),
                        landed_at_ms
                 FROM lands WHERE repo = ?1 AND landed_at_ms >= ?2 AND landed_at_ms < ?3",
            )?;
            let times = stmt.query_map(params![repo, since_ms, until_ms], |r| {
                Ok(LandTimes {
                    requested_at_ms: r.get(0)?,
                    queued_at_ms: r.get(1)?,
                    landed_at_ms: r.get(2)?,
                })
            })?;
            Ok(times.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn record_failure(&self, record: &FailureRecord) -> Result<(), StoreError> {
        let (repo, at, body) = (
            record.repo.clone(),
            record.at_ms,
            serde_json::to_string(record)?,
        );
        self.with(move |c| {
            c.execute(
                "INSERT INTO failures (repo, at_ms, body) VALUES (?1, ?2, ?3)",
                params![repo, at, body],
            )?;
            Ok(())
        })
        .await
    }

    async fn failures(&self, repo: &str, since_ms: i64) -> Result<Vec<FailureRecord>, StoreError> {
        let repo = repo.to_owned();
        self.with(move |c| {
            let mut stmt = c.prepare(
                "SELECT body FROM failures WHERE repo = ?1 AND at_ms >= ?2 ORDER BY at_ms",
            )?;
            let bodies = stmt.query_map(params![repo, since_ms], |r| r.get::<_, String>(0))?;
            bodies.map(|b| Ok(serde_json::from_str(&b?)?)).collect()
        })
        .await
    }

    async fn repos(&self) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT repo FROM repos ORDER BY repo")?;
            let repos = stmt.query_map([], |r| r.get::<_, String>(0))?;
            Ok(repos.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn set_frozen(
        &self,
        repo: &str,
        base: &str,
        why: Option<&str>,
    ) -> Result<(), StoreError> {
        let (repo, base, why) = (repo.to_owned(), base.to_owned(), why.map(str::to_owned));
        self.with(move |c| {
            match why {
                Some(why) => c.execute(
                    "INSERT INTO frozen (repo, base, why) VALUES (?1, ?2, ?3)
                     ON CONFLICT (repo, base) DO UPDATE SET why = ?3",
                    params![repo, base, why],
                )?,
                None => c.execute(
                    "DELETE FROM frozen WHERE repo = ?1 AND base = ?2",
                    params![repo, base],
                )?,
            };
            Ok(())
        })
        .await
    }

    async fn put_doc(&self, kind: &str, key: &str, body: &str) -> Result<(), StoreError> {
        let (kind, key, body) = (kind.to_owned(), key.to_owned(), body.to_owned());
        self.with(move |c| {
            c.execute(
                "INSERT INTO docs (kind, key, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (kind, key) DO UPDATE SET body = ?3",
                params![kind, key, body],
            )?;
            Ok(())
        })
        .await
    }

    async fn doc(&self, kind: &str, key: &str) -> Result<Option<String>, StoreError> {
        let (kind, key) = (kind.to_owned(), key.to_owned());
        self.with(move |c| {
            Ok(c.query_row(
                "SELECT body FROM docs WHERE kind = ?1 AND key = ?2",
                params![kind, key],
                |r| r.get(0),
            )
            .optional()?)
        })
        .await
    }

    async fn docs(&self, kind: &str) -> Result<Vec<(String, String)>, StoreError> {
        let kind = kind.to_owned();
        self.with(move |c| {
            let mut statement =
                c.prepare_cached("SELECT key, body FROM docs WHERE kind = ?1 ORDER BY key")?;
            let rows = statement.query_map([kind], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn lease(
        &self,
        name: &str,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.with(move |c| {
            let changed = c.execute(
                "INSERT INTO leases (name, holder, until_ms) VALUES (?1, ?2, ?4)
                 ON CONFLICT (name) DO UPDATE SET holder = ?2, until_ms = ?4
                 WHERE leases.until_ms <= ?3 OR leases.holder = ?2",
                params![name, holder, now_ms, until_ms],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    async fn release(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.with(move |c| {
            c.execute(
                "DELETE FROM leases WHERE name = ?1 AND holder = ?2",
                params![name, holder],
            )?;
            Ok(())
        })
        .await
    }

    async fn frozen(&self, repo: &str, base: &str) -> Result<Option<String>, StoreError> {
        let (repo, base) = (repo.to_owned(), base.to_owned());
        self.with(move |c| {
            Ok(c.query_row(
                "SELECT why FROM frozen WHERE repo = ?1 AND base = ?2",
                params![repo, base],
                |r| r.get(0),
            )
            .optional()?)
        })
        .await
    }

    async fn check(&self) -> Result<(), StoreError> {
        self.with(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }
}
