//! The embedded bus: a durable queue in SQLite (WAL mode) under the data
//! directory, for `landq serve` and single-machine installs.
//!
//! One writer thread owns the connection. Every operation (publish, lease,
//! ack, nack) is a message to it; it drains whatever is waiting, applies it
//! all in one transaction and commits once, then answers. So concurrent
//! publishes share one fsync, and a publish is answered only after its
//! commit is durable (`synchronous = FULL`): a delivery answered `202` survives
//! `kill -9` and power loss.
//!
//! Ordering: only the oldest ready message of a repository can be leased,
//! and only while no other message of that repository is leased, so one
//! repository is worked on by one consumer at a time. A lease that runs out
//! makes the message available again; a consumer holding a message renews
//! its lease while it works. A message that failed waits out its retry delay
//! without holding back the repository's later messages (they are nudges:
//! the worker re-reads GitHub whatever their order), and one that keeps
//! failing, or can never succeed, is set aside in `dead_messages` until an
//! operator puts it back ([`retry_dead`]).

use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use tokio::sync::{Notify, mpsc, oneshot};

use crate::clock::millis;
use crate::{Bus, BusError, Clock, Envelope, Handle, Published, Received};

/// The database file inside the data directory.
pub const FILE_NAME: &str = "bus.sqlite3";

/// How long a message stays with a consumer that stopped renewing it before
/// it is redelivered, unless configured otherwise (a working consumer renews
/// it every third of this, so only a crash waits it out).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(15);

/// How long a waiting consumer sleeps before looking again, in case another
/// process published (within one process, publishes wake consumers at once).
const POLL: Duration = Duration::from_millis(200);

/// How long delivery ids are remembered to refuse duplicates: GitHub lets a
/// user redeliver for 3 days.
const DEDUPE_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;

/// At most this many operations share one commit.
const MAX_BATCH: usize = 1024;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,
    received_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    repo TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    leased_until_ms INTEGER
);
CREATE INDEX IF NOT EXISTS messages_by_repo ON messages (repo, seq);
CREATE TABLE IF NOT EXISTS dead_messages (
    seq INTEGER PRIMARY KEY,
    repo TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    reason TEXT NOT NULL,
    died_ms INTEGER NOT NULL
);
";

/// Added after the first release: when a failed message may be retried, and
/// which process holds a lease.
const ADDED_COLUMNS: [(&str, &str); 2] = [
    (
        "not_before_ms",
        "ALTER TABLE messages ADD COLUMN not_before_ms INTEGER",
    ),
    ("owner", "ALTER TABLE messages ADD COLUMN owner INTEGER"),
];

/// How often the checkpointer folds the write-ahead log into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// The embedded, durable bus.
#[derive(Clone)]
pub struct EmbeddedBus {
    ops: mpsc::UnboundedSender<Op>,
    wake: Arc<Notify>,
    lease: Duration,
    clock: Clock,
    /// Dropping the last clone stops the checkpointer thread.
    _checkpointer: Arc<std::sync::mpsc::Sender<()>>,
}

/// A leased message's handle (see [`Received`]).
pub(crate) struct Lease {
    ops: mpsc::UnboundedSender<Op>,
    wake: Arc<Notify>,
    seq: i64,
    attempt: i64,
    lease: Duration,
}

enum Op {
    Publish {
        delivery: String,
        repo: String,
        body: String,
        reply: oneshot::Sender<Result<Published, BusError>>,
    },
    Take {
        lease_ms: i64,
        reply: oneshot::Sender<Result<Taken, BusError>>,
    },
    Ack {
        seq: i64,
        attempt: i64,
        reply: oneshot::Sender<Result<(), BusError>>,
    },
    Nack {
        seq: i64,
        attempt: i64,
        delay_ms: i64,
        reply: oneshot::Sender<Result<(), BusError>>,
    },
    Renew {
        seq: i64,
        attempt: i64,
        lease_ms: i64,
        reply: oneshot::Sender<Result<bool, BusError>>,
    },
    Bury {
        seq: i64,
        attempt: i64,
        reason: String,
        reply: oneshot::Sender<Result<(), BusError>>,
    },
}

enum Taken {
    Message {
        seq: i64,
        attempt: i64,
        body: String,
    },
    Empty {
        next_expiry_ms: Option<i64>,
    },
}

/// An operation's result, held until the batch's commit succeeds.
enum Done {
    Publish(oneshot::Sender<Result<Published, BusError>>, Published),
    Take(oneshot::Sender<Result<Taken, BusError>>, Taken),
    Unit(oneshot::Sender<Result<(), BusError>>),
    Held(oneshot::Sender<Result<bool, BusError>>, bool),
}

impl EmbeddedBus {
    /// Opens (creating if needed) the bus under `data_dir`.
    pub fn open(data_dir: &Path, lease: Duration) -> Result<EmbeddedBus, BusError> {
        std::fs::create_dir_all(data_dir).map_err(|err| {
            BusError::Embedded(format!(
                "cannot create data directory {}: {err}",
                data_dir.display()
            ))
        })?;
        let path = data_dir.join(FILE_NAME);
        let conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Checkpoints run on their own thread, never inside a publish's commit.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        for (column, add) in ADDED_COLUMNS {
            let present = conn
                .prepare("SELECT 1 FROM pragma_table_info('messages') WHERE name = ?1")?
                .exists([column])?;
            if !present {
                conn.execute_batch(add)?;
            }
        }
        let clock = Clock::system();
        release_leases_of_dead_processes(&conn, clock.now_ms())?;
        let checkpoints = Connection::open(&path)?;
        checkpoints.busy_timeout(Duration::from_secs(5))?;

        let (ops, rx) = mpsc::unbounded_channel();
        let writer = Writer {
            conn,
            pruned_ms: 0,
            clock: clock.clone(),
        };
        spawn("landq-bus-writer", move || writer.run(rx))?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        spawn("landq-bus-checkpoint", move || {
            checkpoint_until(checkpoints, stopped)
        })?;
        Ok(EmbeddedBus {
            ops,
            wake: Arc::new(Notify::new()),
            lease,
            clock,
            _checkpointer: Arc::new(stop),
        })
    }

    async fn call<T>(
        &self,
        op: impl FnOnce(oneshot::Sender<Result<T, BusError>>) -> Op,
    ) -> Result<T, BusError> {
        send(&self.ops, op).await
    }
}

fn spawn(name: &str, body: impl FnOnce() + Send + 'static) -> Result<(), BusError> {
    thread::Builder::new()
        .name(name.into())
        .spawn(body)
        .map(drop)
        .map_err(|err| BusError::Embedded(format!("cannot start thread {name}: {err}")))
}

/// Makes the messages leased by processes that no longer run available at
/// once, instead of after their lease: a `landq serve` killed and started
/// again picks up where it was. Where processes cannot be looked up (no
/// `/proc`), or a process id was reused, the lease runs out as usual.
fn release_leases_of_dead_processes(conn: &Connection, now: i64) -> Result<(), BusError> {
    let procfs = Path::new("/proc/self");
    if !procfs.exists() {
        return Ok(());
    }
    let mut owners = conn.prepare(
        "SELECT DISTINCT owner FROM messages WHERE leased_until_ms > ?1 AND owner IS NOT NULL",
    )?;
    let dead: Vec<i64> = owners
        .query_map([now], |row| row.get::<_, i64>(0))?
        .filter_map(Result::ok)
        .filter(|pid| *pid != i64::from(std::process::id()))
        .filter(|pid| !Path::new(&format!("/proc/{pid}")).exists())
        .collect();
    for pid in dead {
        let released = conn.execute(
            "UPDATE messages SET leased_until_ms = NULL WHERE owner = ?1",
            [pid],
        )?;
        tracing::info!(
            pid,
            released,
            "released the leases of a process that is gone"
        );
    }
    Ok(())
}

/// Folds the write-ahead log into the database file without ever blocking
/// the writer (PASSIVE), until the bus is dropped.
fn checkpoint_until(conn: Connection, stop: std::sync::mpsc::Receiver<()>) {
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY)
    {
        if let Err(err) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %err, "embedded bus checkpoint failed; will retry");
        }
    }
}

async fn send<T>(
    ops: &mpsc::UnboundedSender<Op>,
    op: impl FnOnce(oneshot::Sender<Result<T, BusError>>) -> Op,
) -> Result<T, BusError> {
    let (reply, answer) = oneshot::channel();
    ops.send(op(reply)).map_err(|_| BusError::Closed)?;
    answer.await.map_err(|_| BusError::Closed)?
}

#[async_trait::async_trait]
impl Bus for EmbeddedBus {
    async fn publish(&self, envelope: &Envelope) -> Result<Published, BusError> {
        let body = serde_json::to_string(envelope)?;
        let published = self
            .call(|reply| Op::Publish {
                delivery: envelope.delivery.clone(),
                repo: envelope.repo.clone(),
                body,
                reply,
            })
            .await?;
        if published == Published::Accepted {
            self.wake.notify_waiters();
        }
        Ok(published)
    }

    async fn receive(&self) -> Result<Received, BusError> {
        let lease_ms = millis(self.lease);
        loop {
            // Register for wake-ups before looking, so none is missed.
            let mut woken = pin!(self.wake.notified());
            woken.as_mut().enable();
            match self.call(|reply| Op::Take { lease_ms, reply }).await? {
                Taken::Message { seq, attempt, body } => {
                    return Ok(Received {
                        envelope: serde_json::from_str(&body)?,
                        attempt: u32::try_from(attempt).unwrap_or(u32::MAX),
                        handle: Handle::Embedded(Lease {
                            ops: self.ops.clone(),
                            wake: self.wake.clone(),
                            seq,
                            attempt,
                            lease: self.lease,
                        }),
                    });
                }
                Taken::Empty { next_expiry_ms } => {
                    let wait = next_expiry_ms
                        .map(|at| self.clock.until(at))
                        .map_or(POLL, |until| until.clamp(Duration::from_millis(1), POLL));
                    tokio::select! {
                        _ = woken => {}
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }

    async fn check(&self) -> Result<(), BusError> {
        if self.ops.is_closed() {
            return Err(BusError::Closed);
        }
        Ok(())
    }
}

impl Lease {
    pub(crate) async fn ack(self) -> Result<(), BusError> {
        let (seq, attempt) = (self.seq, self.attempt);
        send(&self.ops, |reply| Op::Ack {
            seq,
            attempt,
            reply,
        })
        .await
    }

    /// Available again after `delay`, to this or another consumer.
    pub(crate) async fn nack(self, delay: Duration) -> Result<(), BusError> {
        let (seq, attempt) = (self.seq, self.attempt);
        let delay_ms = millis(delay);
        send(&self.ops, |reply| Op::Nack {
            seq,
            attempt,
            delay_ms,
            reply,
        })
        .await?;
        self.wake.notify_waiters();
        Ok(())
    }

    /// Holds the message for another lease period; `false` when it is no
    /// longer this consumer's (the lease ran out and another took it).
    pub(crate) async fn renew(&self) -> Result<bool, BusError> {
        let (seq, attempt) = (self.seq, self.attempt);
        let lease_ms = millis(self.lease);
        send(&self.ops, |reply| Op::Renew {
            seq,
            attempt,
            lease_ms,
            reply,
        })
        .await
    }

    /// How often a consumer renews its lease: three times per lease.
    pub(crate) fn renew_every(&self) -> Duration {
        self.lease / 3
    }

    /// Sets the message aside with `reason`: never delivered again unless
    /// an operator puts it back.
    pub(crate) async fn bury(self, reason: &str) -> Result<(), BusError> {
        let (seq, attempt, reason) = (self.seq, self.attempt, reason.to_owned());
        send(&self.ops, |reply| Op::Bury {
            seq,
            attempt,
            reason,
            reply,
        })
        .await?;
        self.wake.notify_waiters();
        Ok(())
    }
}

struct Writer {
    conn: Connection,
    pruned_ms: i64,
    clock: Clock,
}

impl Writer {
    fn run(mut self, mut rx: mpsc::UnboundedReceiver<Op>) {
        let mut batch = Vec::with_capacity(64);
        while let Some(op) = rx.blocking_recv() {
            batch.push(op);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(op) => batch.push(op),
                    Err(_) => break,
                }
            }
            self.apply(&mut batch);
        }
    }

    /// Applies every operation in one transaction; answers after the commit.
    fn apply(&mut self, batch: &mut Vec<Op>) {
        let now = self.clock.now_ms();
        let prune = now - self.pruned_ms > 600_000;
        let mut done = Vec::with_capacity(batch.len());
        let outcome = (|| -> Result<(), rusqlite::Error> {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            for op in batch.drain(..) {
                done.push(apply_one(&tx, op, now)?);
            }
            if prune {
                tx.execute(
                    "DELETE FROM deliveries WHERE received_ms < ?1",
                    [now - DEDUPE_WINDOW_MS],
                )?;
            }
            tx.commit()
        })();
        match outcome {
            Ok(()) => {
                if prune {
                    self.pruned_ms = now;
                }
                for result in done {
                    match result {
                        Done::Publish(reply, published) => drop(reply.send(Ok(published))),
                        Done::Take(reply, taken) => drop(reply.send(Ok(taken))),
                        Done::Unit(reply) => drop(reply.send(Ok(()))),
                        Done::Held(reply, held) => drop(reply.send(Ok(held))),
                    }
                }
            }
            Err(err) => {
                tracing::error!(error = %err, "embedded bus transaction failed; nothing was stored");
                let message = err.to_string();
                let fail = || BusError::Embedded(message.clone());
                for result in done {
                    match result {
                        Done::Publish(reply, _) => drop(reply.send(Err(fail()))),
                        Done::Take(reply, _) => drop(reply.send(Err(fail()))),
                        Done::Unit(reply) => drop(reply.send(Err(fail()))),
                        Done::Held(reply, _) => drop(reply.send(Err(fail()))),
                    }
                }
                // The failing operation and those after it were dropped with
                // the transaction (`drain` drops what it did not yield): their
                // callers see `BusError::Closed`, an error all the same.
            }
        }
    }
}

fn apply_one(tx: &rusqlite::Transaction<'_>, op: Op, now: i64) -> Result<Done, rusqlite::Error> {
    Ok(match op {
        Op::Publish {
            delivery,
            repo,
            body,
            reply,
        } => {
            let new = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO deliveries (id, received_ms) VALUES (?1, ?2)",
                )?
                .execute(params![delivery, now])?;
            if new == 0 {
                Done::Publish(reply, Published::Duplicate)
            } else {
                tx.prepare_cached("INSERT INTO messages (repo, body) VALUES (?1, ?2)")?
                    .execute(params![repo, body])?;
                Done::Publish(reply, Published::Accepted)
            }
        }
        Op::Take { lease_ms, reply } => {
            let head = tx
                .prepare_cached(
                    "SELECT seq, attempts, body FROM messages m
                     WHERE (m.leased_until_ms IS NULL OR m.leased_until_ms <= ?1)
                       AND (m.not_before_ms IS NULL OR m.not_before_ms <= ?1)
                       AND NOT EXISTS (SELECT 1 FROM messages o
                                       WHERE o.repo = m.repo AND o.leased_until_ms > ?1)
                       AND NOT EXISTS (SELECT 1 FROM messages o
                                       WHERE o.repo = m.repo AND o.seq < m.seq
                                         AND (o.not_before_ms IS NULL OR o.not_before_ms <= ?1))
                     ORDER BY m.seq LIMIT 1",
                )?
                .query_row([now], |row| {
                    Ok((row.get(0)?, row.get::<_, i64>(1)?, row.get(2)?))
                })
                .optional()?;
            let taken = match head {
                Some((seq, attempts, body)) => {
                    tx.prepare_cached(
                        "UPDATE messages SET attempts = attempts + 1, leased_until_ms = ?2,
                                             owner = ?3
                         WHERE seq = ?1",
                    )?
                    .execute(params![
                        seq,
                        now.saturating_add(lease_ms),
                        std::process::id()
                    ])?;
                    Taken::Message {
                        seq,
                        attempt: attempts + 1,
                        body,
                    }
                }
                None => Taken::Empty {
                    next_expiry_ms: tx
                        .prepare_cached(
                            "SELECT MIN(at) FROM (
                               SELECT MIN(leased_until_ms) AS at FROM messages
                                 WHERE leased_until_ms > ?1
                               UNION ALL
                               SELECT MIN(not_before_ms) FROM messages WHERE not_before_ms > ?1)",
                        )?
                        .query_row([now], |row| row.get(0))?,
                },
            };
            Done::Take(reply, taken)
        }
        Op::Ack {
            seq,
            attempt,
            reply,
        } => {
            tx.prepare_cached("DELETE FROM messages WHERE seq = ?1 AND attempts = ?2")?
                .execute(params![seq, attempt])?;
            Done::Unit(reply)
        }
        Op::Nack {
            seq,
            attempt,
            delay_ms,
            reply,
        } => {
            tx.prepare_cached(
                "UPDATE messages SET leased_until_ms = NULL, not_before_ms = ?3
                 WHERE seq = ?1 AND attempts = ?2",
            )?
            .execute(params![seq, attempt, now.saturating_add(delay_ms)])?;
            Done::Unit(reply)
        }
        Op::Renew {
            seq,
            attempt,
            lease_ms,
            reply,
        } => {
            let held = tx
                .prepare_cached(
                    "UPDATE messages SET leased_until_ms = ?3 WHERE seq = ?1 AND attempts = ?2",
                )?
                .execute(params![seq, attempt, now.saturating_add(lease_ms)])?;
            Done::Held(reply, held == 1)
        }
        Op::Bury {
            seq,
            attempt,
            reason,
            reply,
        } => {
            let moved = tx
                .prepare_cached(
                    "INSERT INTO dead_messages (seq, repo, body, attempts, reason, died_ms)
                     SELECT seq, repo, body, attempts, ?3, ?4 FROM messages
                     WHERE seq = ?1 AND attempts = ?2",
                )?
                .execute(params![seq, attempt, reason, now])?;
            if moved == 1 {
                tx.prepare_cached("DELETE FROM messages WHERE seq = ?1")?
                    .execute([seq])?;
            }
            Done::Unit(reply)
        }
    })
}

/// The envelopes waiting in the embedded bus under `data_dir`, oldest first,
/// read without disturbing a running landq.
pub fn list(data_dir: &Path) -> Result<Vec<Envelope>, BusError> {
    let conn = existing(data_dir, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stmt = conn.prepare("SELECT body FROM messages ORDER BY seq")?;
    let bodies = stmt.query_map([], |row| row.get::<_, String>(0))?;
    bodies
        .map(|body| Ok(serde_json::from_str(&body?)?))
        .collect()
}

/// A message set aside after it kept failing or could never succeed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DeadMessage {
    /// Its number in the bus (for [`retry_dead`]).
    pub seq: i64,
    /// The envelope.
    pub envelope: Envelope,
    /// How often it was delivered.
    pub attempts: i64,
    /// Why it was set aside.
    pub reason: String,
    /// When (ms since the Unix epoch).
    pub died_ms: i64,
}

/// The messages set aside in the embedded bus under `data_dir`, oldest first.
pub fn list_dead(data_dir: &Path) -> Result<Vec<DeadMessage>, BusError> {
    let conn = existing(data_dir, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stmt = conn
        .prepare("SELECT seq, body, attempts, reason, died_ms FROM dead_messages ORDER BY seq")?;
    let rows = stmt.query_map([], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, i64>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, i64>(4)?,
        ))
    })?;
    rows.map(|row| {
        let (seq, body, attempts, reason, died_ms) = row?;
        Ok(DeadMessage {
            seq,
            envelope: serde_json::from_str(&body)?,
            attempts,
            reason,
            died_ms,
        })
    })
    .collect()
}

/// Puts set-aside messages back on the bus, as new messages at the end of
/// their repository's queue: the one numbered `seq`, or all of them.
/// Returns how many went back. Safe while landq runs (it polls).
pub fn retry_dead(data_dir: &Path, seq: Option<i64>) -> Result<usize, BusError> {
    let mut conn = existing(data_dir, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let filter = "(?1 IS NULL OR seq = ?1)";
    tx.execute(
        &format!(
            "INSERT INTO messages (repo, body) SELECT repo, body FROM dead_messages
             WHERE {filter} ORDER BY seq"
        ),
        [seq],
    )?;
    let moved = tx.execute(&format!("DELETE FROM dead_messages WHERE {filter}"), [seq])?;
    tx.commit()?;
    Ok(moved)
}

/// The bus database under `data_dir`, which must exist.
fn existing(data_dir: &Path, flags: OpenFlags) -> Result<Connection, BusError> {
    let path: PathBuf = data_dir.join(FILE_NAME);
    if !path.exists() {
        return Err(BusError::Embedded(format!(
            "no embedded bus at {} (start `landq webhook` or `landq serve` with this --data-dir)",
            path.display()
        )));
    }
    let conn = Connection::open_with_flags(&path, flags)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}
