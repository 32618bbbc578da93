//! `landq lands REPO`: the audit log of a repository's lands, newest first,
//! and `landq stats REPO`: land time, queue wait and failures over a window.
//! Both read the store directly; tables for people, JSON for scripts.

use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use landq_api::query::rfc3339;
use landq_store::LandQuery;
use landq_store::now_ms;
use landq_store::stats::Quantiles;

use crate::config::StorePlace;

/// Print a repository's land records, newest first.
#[derive(Debug, clap::Args)]
pub struct LandsArgs {
    /// The repository, `owner/name`.
    repo: String,
    /// Only lands at or after this day (`2026-12-01`) or time (RFC 3339).
    #[arg(long, value_parser = landq_api::query::time)]
    since: Option<i64>,
    /// At most this many.
    #[arg(long, default_value_t = 100)]
    limit: usize,
    /// One JSON object per land (the whole audit record).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    place: StorePlace,
}

/// Print a repository's land time, queue wait and failures over a window.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// The repository, `owner/name`.
    repo: String,
    /// The window, ending now (`7d`, `30d`, `12h`).
    #[arg(long, default_value = "7d", value_parser = humantime::parse_duration)]
    window: Duration,
    /// One JSON object instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    place: StorePlace,
}

/// Runs `landq lands`.
pub fn lands(args: &LandsArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let mut out = BufWriter::new(out);
    let query = LandQuery {
        since_ms: args.since,
        ..LandQuery::latest(args.limit)
    };
    let records = tokio::runtime::Runtime::new()?.block_on(async {
        let store = args.place.open().await?;
        store
            .lands_in(&args.repo, &query)
            .await
            .context("cannot read the land records")
    })?;
    for land in &records {
        match args.json {
            true => writeln!(out, "{}", serde_json::to_string(land)?)?,
            false => writeln!(
                out,
                "{}  #{:<6} {:<16} {:<12} {:>8}  {}",
                rfc3339(land.landed_at_ms),
                land.pr,
                land.author,
                landq_policy::stack::short(&land.squash_sha),
                minutes(land.landed_at_ms - land.requested_at_ms),
                land.title
            )?,
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `landq stats`.
pub fn stats(args: &StatsArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let mut out = BufWriter::new(out);
    let until = now_ms();
    let window = i64::try_from(args.window.as_millis()).context("the window is too long")?;
    let stats = tokio::runtime::Runtime::new()?.block_on(async {
        let store = args.place.open().await?;
        anyhow::Ok(store.stats(&args.repo, until, window).await?)
    })?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&stats)?)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{} from {} to {}",
        args.repo,
        rfc3339(stats.since_ms),
        rfc3339(stats.until_ms)
    )?;
    writeln!(out, "lands        {}", stats.lands)?;
    let failures: Vec<String> = stats
        .failures
        .iter()
        .map(|(reason, n)| format!("{reason} {n}"))
        .collect();
    let failures = match failures.is_empty() {
        true => "none".to_owned(),
        false => failures.join(", "),
    };
    writeln!(out, "failures     {failures}")?;
    writeln!(out, "land time    {}", quantiles(&stats.land_time))?;
    writeln!(out, "queue wait   {}", quantiles(&stats.queue_wait))?;
    writeln!(
        out,
        "day          lands  failures  p50 land time  p95 land time"
    )?;
    for day in &stats.days {
        writeln!(
            out,
            "{}   {:>5}  {:>8}  {:>13}  {:>13}",
            day.date,
            day.lands,
            day.failures,
            seconds(day.land_time.p50),
            seconds(day.land_time.p95)
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn quantiles(q: &Quantiles) -> String {
    format!(
        "p50 {}, p90 {}, p95 {}, max {}",
        seconds(q.p50),
        seconds(q.p90),
        seconds(q.p95),
        seconds(q.max)
    )
}

fn seconds(s: f64) -> String {
    humantime::format_duration(Duration::from_secs(s.round() as u64)).to_string()
}

fn minutes(ms: i64) -> String {
    seconds(ms.max(0) as f64 / 1000.0)
}
