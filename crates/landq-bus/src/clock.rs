//! The one clock of a landq process: wall-clock time in milliseconds since
//! the Unix epoch, as the bus's leases, the queue's entries and the audit
//! log record it.
//!
//! It reads the system clock once, when made, and advances with tokio's
//! clock after that, so a test that pauses tokio's time
//! (`tokio::time::pause`, `advance`) moves every lease and timestamp with it,
//! also on the bus's own writer thread.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::runtime::Handle;
use tokio::time::Instant;

/// `duration` in whole milliseconds, as the bus stores times (saturating).
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Wall-clock time, advanced by tokio's clock.
#[derive(Clone, Debug)]
pub struct Clock {
    anchor_ms: i64,
    anchor: Instant,
    /// The runtime whose clock counts (the one the clock was made in), so
    /// threads outside it read the same, possibly paused, time.
    runtime: Option<Handle>,
}

impl Clock {
    /// The system's time now, advancing with the current runtime's clock.
    pub fn system() -> Clock {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let runtime = Handle::try_current().ok();
        let _inside = runtime.as_ref().map(Handle::enter);
        Clock {
            anchor_ms: millis(since),
            anchor: Instant::now(),
            runtime,
        }
    }

    /// A clock that reads `ms` (since the Unix epoch) now and advances like
    /// [`Clock::system`]: for tests that need a known time of day.
    pub fn starting_at(ms: i64) -> Clock {
        Clock {
            anchor_ms: ms,
            ..Clock::system()
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        let _inside = self.runtime.as_ref().map(Handle::enter);
        self.anchor_ms.saturating_add(millis(self.anchor.elapsed()))
    }

    /// How long ago `ms` (since the Unix epoch) was; zero for the future.
    pub fn since(&self, ms: i64) -> Duration {
        Duration::from_millis(u64::try_from(self.now_ms() - ms).unwrap_or(0))
    }

    /// How long until `ms` (since the Unix epoch); zero for the past.
    pub fn until(&self, ms: i64) -> Duration {
        Duration::from_millis(u64::try_from(ms - self.now_ms()).unwrap_or(0))
    }

    /// Now, as a `SystemTime` (for RFC 3339 timestamps).
    pub fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(u64::try_from(self.now_ms()).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn moves_with_tokios_clock_on_any_thread() {
        let clock = Clock::system();
        let before = clock.now_ms();
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert_eq!(clock.now_ms() - before, 3_600_000);
        let elsewhere = clock.clone();
        let seen = std::thread::spawn(move || elsewhere.now_ms())
            .join()
            .unwrap();
        assert_eq!(seen - before, 3_600_000);
        assert_eq!(clock.since(before), Duration::from_secs(3600));
    }
}
