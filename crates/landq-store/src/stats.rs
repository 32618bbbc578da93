//! Land-time statistics over a window of land records and failures: what
//! `landq stats`, the JSON API and the pages show. Pure: records in,
//! figures out.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{FailureRecord, LandRecord};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Quantiles of a set of durations, in seconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Quantiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Longest.
    pub max: f64,
}

impl Quantiles {
    /// Nearest-rank quantiles of `seconds` (all zero when empty).
    pub fn of(mut seconds: Vec<f64>) -> Quantiles {
        if seconds.is_empty() {
            return Quantiles::default();
        }
        seconds.sort_by(f64::total_cmp);
        let rank = |q: f64| {
            seconds[((q * seconds.len() as f64).ceil() as usize).clamp(1, seconds.len()) - 1]
        };
        Quantiles {
            p50: rank(0.5),
            p90: rank(0.9),
            p95: rank(0.95),
            max: seconds[seconds.len() - 1],
        }
    }
}

/// One day of a window (UTC).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Day {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Pull requests landed that day.
    pub lands: usize,
    /// Pull requests landq gave up on that day.
    pub failures: usize,
    /// Label-to-landed time of that day's lands, seconds.
    pub land_time: Quantiles,
}

/// The figures of one window.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Stats {
    /// First millisecond of the window (since the Unix epoch).
    pub since_ms: i64,
    /// End of the window, exclusive.
    pub until_ms: i64,
    /// Pull requests landed.
    pub lands: usize,
    /// Pull requests landq gave up on, by reason.
    pub failures: BTreeMap<String, usize>,
    /// From the label to landed, seconds.
    pub land_time: Quantiles,
    /// From entering the queue (the policy held) to landed, seconds.
    pub queue_wait: Quantiles,
    /// One row per day, oldest first, days without lands included.
    pub days: Vec<Day>,
}

/// The times of one land the statistics need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LandTimes {
    /// When the label went on (ms since the Unix epoch).
    pub requested_at_ms: i64,
    /// When it entered the queue, if recorded.
    pub queued_at_ms: Option<i64>,
    /// When it landed.
    pub landed_at_ms: i64,
}

impl From<&LandRecord> for LandTimes {
    fn from(land: &LandRecord) -> Self {
        LandTimes {
            requested_at_ms: land.requested_at_ms,
            queued_at_ms: land.queued_at_ms,
            landed_at_ms: land.landed_at_ms,
        }
    }
}

impl Stats {
    /// The figures of the window `[until_ms - window_ms, until_ms)` from
    /// `lands` and `failures` (records outside it are ignored).
    pub fn of(
        lands: &[LandTimes],
        failures: &[FailureRecord],
        until_ms: i64,
        window_ms: i64,
    ) -> Stats {
        let since_ms = until_ms - window_ms;
        let inside = |at: i64| at >= since_ms && at < until_ms;
        let secs = |ms: i64| ms.max(0) as f64 / 1000.0;
        let day_of = |at: i64| at.div_euclid(DAY_MS);
        let mut by_reason = BTreeMap::new();
        let mut failures_by_day: BTreeMap<i64, usize> = BTreeMap::new();
        for failure in failures.iter().filter(|f| inside(f.at_ms)) {
            *by_reason.entry(failure.reason.clone()).or_insert(0) += 1;
            *failures_by_day.entry(day_of(failure.at_ms)).or_default() += 1;
        }
        let (mut land_time, mut queue_wait) = (Vec::new(), Vec::new());
        let mut by_day: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
        for land in lands.iter().filter(|l| inside(l.landed_at_ms)) {
            let seconds = secs(land.landed_at_ms - land.requested_at_ms);
            land_time.push(seconds);
            by_day
                .entry(day_of(land.landed_at_ms))
                .or_default()
                .push(seconds);
            let queued = land.queued_at_ms.unwrap_or(land.requested_at_ms);
            queue_wait.push(secs(land.landed_at_ms - queued));
        }
        let days = (day_of(since_ms)..=day_of(until_ms - 1))
            .map(|day| {
                let times = by_day.remove(&day).unwrap_or_default();
                Day {
                    date: date(day),
                    lands: times.len(),
                    failures: failures_by_day.get(&day).copied().unwrap_or(0),
                    land_time: Quantiles::of(times),
                }
            })
            .collect();
        Stats {
            since_ms,
            until_ms,
            lands: land_time.len(),
            failures: by_reason,
            land_time: Quantiles::of(land_time),
            queue_wait: Quantiles::of(queue_wait),
            days,
        }
    }
}

/// `YYYY-MM-DD` of day `day` since the Unix epoch.
fn date(day: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs((day * 86_400).max(0) as u64);
    humantime::format_rfc3339_seconds(at).to_string()[..10].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn land(pr: u64, requested_at_ms: i64, landed_at_ms: i64) -> LandRecord {
        LandRecord {
            repo: "acme/app".into(),
            pr,
            base: "main".into(),
            head_sha: String::new(),
            squash_sha: format!("s{pr}"),
            requested_by: "dan".into(),
            approvers: Vec::new(),
            ownership: Vec::new(),
            rules_sha: None,
            requested_at_ms,
            landed_at_ms,
            paths: Vec::new(),
            author: "alice".into(),
            title: String::new(),
            queued_at_ms: Some(requested_at_ms + 60_000),
        }
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let q = Quantiles::of((1..=100).map(f64::from).collect());
        assert_eq!((q.p50, q.p90, q.p95, q.max), (50.0, 90.0, 95.0, 100.0));
        assert_eq!(Quantiles::of(vec![]), Quantiles::default());
        assert_eq!(Quantiles::of(vec![7.0]).p50, 7.0);
    }

    #[test]
    fn a_window_counts_its_lands_failures_and_days() {
        let day = DAY_MS;
        let until = 20_000 * day; // 2024-10-04 00:00 UTC
        let lands = [
            land(1, until - day - 600_001, until - day - 1), // 10 minutes, first day
            land(2, until - 3_600_000, until - 1_800_000),   // 30 minutes, second day
            land(3, until - 3 * day, until - 2 * day - 1),   // outside
        ];
        let failures = [FailureRecord {
            repo: "acme/app".into(),
            pr: 4,
            base: "main".into(),
            reason: "check_failed".into(),
            at_ms: until - 10,
        }];
        let times: Vec<LandTimes> = lands.iter().map(LandTimes::from).collect();
        let stats = Stats::of(&times, &failures, until, 2 * day);
        assert_eq!(stats.lands, 2);
        assert_eq!(stats.failures["check_failed"], 1);
        assert_eq!((stats.land_time.p50, stats.land_time.max), (600.0, 1800.0));
        assert_eq!(stats.queue_wait.max, 1800.0 - 60.0);
        let days: Vec<(&str, usize, usize)> = stats
            .days
            .iter()
            .map(|d| (d.date.as_str(), d.lands, d.failures))
            .collect();
        assert_eq!(days, [("2024-10-02", 1, 0), ("2024-10-03", 1, 1)]);
        assert_eq!(stats.days[1].land_time.p95, 1800.0);
    }
}
