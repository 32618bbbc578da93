//! `landq remind`: announce stale pull requests on Slack, once. Safe to run
//! from several places at once: a pull request is announced at most once per
//! its repository's `[remind] every`.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::anyhow;
use landq_org::jobs::Org;
use landq_org::remind::Outcome;

use crate::config::{GitHubArgs, SlackArgs, StorePlace};

/// Announce stale pull requests on Slack (each repository's `[remind]`).
#[derive(Debug, clap::Args)]
#[command(after_help = crate::config::ENVIRONMENT_HELP)]
pub struct Args {
    #[command(flatten)]
    github: GitHubArgs,
    #[command(flatten)]
    slack: SlackArgs,
    #[command(flatten)]
    place: StorePlace,
    /// With a token: the repositories (`owner/name`, comma-separated); a
    /// GitHub App covers its installations.
    #[arg(long, env = "LANDQ_REPOS", value_delimiter = ',')]
    repos: Vec<String>,
}

/// A name for this process in the store's leases.
pub fn holder(role: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{role}-{}-{nanos}", std::process::id())
}

/// Runs the command: one line per repository; exit 1 if any failed.
pub fn run(args: &Args, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let auth = args.github.auth()?;
    let slack = args
        .slack
        .slack()?
        .ok_or_else(|| anyhow!("no Slack: set LANDQ_SLACK_TOKEN or LANDQ_SLACK_WEBHOOK_URL"))?;
    let outcomes = tokio::runtime::Runtime::new()?.block_on(async {
        let org = Org {
            github: Arc::new(args.github.verified_client(auth).await?),
            store: args.place.open().await?,
            slack: Some(Arc::new(slack)),
            repos: args.repos.clone(),
        };
        org.remind(&holder("remind")).await.map_err(|e| anyhow!(e))
    })?;
    let mut failed = false;
    for (repo, outcome) in outcomes {
        let line = match outcome {
            Ok(Outcome::Off) => "off (no [remind] in .github/landq.toml)".to_owned(),
            Ok(Outcome::Busy) => "another landq is on it".to_owned(),
            Ok(Outcome::Quiet) => "nothing to announce".to_owned(),
            Ok(Outcome::Announced(prs)) => {
                let prs: Vec<String> = prs.iter().map(|n| format!("#{n}")).collect();
                format!("announced {}", prs.join(", "))
            }
            Err(err) => {
                failed = true;
                format!("failed: {err}")
            }
        };
        writeln!(out, "{repo}: {line}")?;
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
