//! `landq audit`: is every repository set up so that only landq writes to
//! its guarded branches, with valid rules and settings, and do its CI jobs
//! run the organisation's required steps? A table for people, JSON for
//! scripts; exit 1 when any repository is not compliant, so it can gate a
//! CI job.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use landq_org::audit::Policy;

use crate::config::GitHubArgs;

/// Audit every repository of the installation (or those named).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    github: GitHubArgs,
    /// Only these repositories (`owner/name`, comma-separated); required
    /// with a token.
    #[arg(long, value_delimiter = ',')]
    repos: Vec<String>,
    /// The organisation's policy: the steps CI jobs must run
    /// (`landq-audit.toml`).
    #[arg(long, env = "LANDQ_AUDIT_POLICY", value_name = "FILE")]
    policy: Option<PathBuf>,
    /// `{repo: {status, findings, jobs}}` as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Reads the policy file, if any.
pub fn policy(path: Option<&PathBuf>) -> anyhow::Result<Policy> {
    let Some(path) = path else {
        return Ok(Policy::default());
    };
    let text = super::read_text(path)?;
    Policy::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Runs the command.
pub fn run(args: &Args, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let policy = policy(args.policy.as_ref())?;
    let auth = args.github.auth()?;
    let audit = tokio::runtime::Runtime::new()?.block_on(async {
        let github = args.github.verified_client(auth).await?;
        let me = github
            .me()
            .await
            .context("cannot ask GitHub who landq is")?;
        let targets = landq_org::targets(&github, &args.repos)
            .await
            .map_err(|e| anyhow!(e))?;
        anyhow::Ok(landq_org::audit::audit_all(&github, &me, targets, &policy).await)
    })?;
    match args.json {
        true => writeln!(out, "{}", serde_json::to_string_pretty(&audit)?)?,
        false => write!(out, "{}", landq_org::audit::table(&audit))?,
    }
    Ok(match landq_org::audit::all_compliant(&audit) {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    })
}
