//! `landq firewall`: App Engine firewall rules that admit only GitHub's
//! webhook ranges (and the ranges people reach the dashboard from),
//! printed or applied.
//!
//! Each range's priority is derived from the range itself (1 + the first 28
//! bits of its SHA-256, as `terraform/firewall.tf` computes it), so a range
//! GitHub adds never renumbers the others. A deny-all rule sits just above
//! the default rule, and `--apply` turns the default rule itself to deny.

use std::process::ExitCode;

use anyhow::Context;
use landq_github::meta::hook_ranges;
use landq_github::retry::RetryPolicy;
use sha2::{Digest, Sha256};

use crate::config::GitHubApi;
use crate::gcp::{self, FirewallRule};

/// The priority of the deny-all rule, just above App Engine's default rule.
pub const DENY_ALL: u32 = 2_147_483_646;
/// App Engine's default rule.
pub const DEFAULT_RULE: u32 = 2_147_483_647;

/// Print or apply App Engine firewall rules for GitHub's webhook ranges.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    github: GitHubApi,
    /// Output: the rules as JSON, or `github_hook_ranges` for terraform.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// Replace the App Engine firewall of this project with the rules.
    #[arg(long, value_name = "PROJECT")]
    apply: Option<String>,
    /// Ranges (CIDR) people reach the dashboard from, admitted too (as
    /// terraform's `dashboard_ranges`).
    #[arg(long, env = "LANDQ_DASHBOARD_RANGES", value_delimiter = ',', value_parser = cidr)]
    dashboard_ranges: Vec<String>,
}

/// A CIDR range, as App Engine takes it.
fn cidr(value: &str) -> Result<String, String> {
    value
        .trim()
        .parse::<ipnet::IpNet>()
        .map(|net| net.to_string())
        .map_err(|_| format!("`{value}` is not a CIDR range (203.0.113.0/24)"))
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    Json,
    Tfvars,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    let ranges = runtime
        .block_on(hook_ranges(&args.github.api_url, &RetryPolicy::default()))
        .with_context(|| {
            format!(
                "cannot read GitHub's webhook ranges from {}/meta",
                args.github.api_url
            )
        })?;
    let rules = rules(&ranges, &args.dashboard_ranges);
    match (&args.apply, args.format) {
        (Some(project), _) => {
            runtime.block_on(gcp::apply_firewall(project, &rules))?;
            eprintln!(
                "landq: {project}: {} GitHub ranges and {} dashboard ranges allowed, everything \
                 else denied",
                ranges.len(),
                args.dashboard_ranges.len()
            );
        }
        (None, Format::Json) => println!("{}", serde_json::to_string_pretty(&rules)?),
        (None, Format::Tfvars) => println!(
            "github_hook_ranges = {}",
            serde_json::to_string_pretty(&ranges)?
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// The priority of `range`: stable whatever other ranges exist.
pub fn priority(range: &str) -> u32 {
    let digest = Sha256::digest(range.as_bytes());
    let first = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    1 + (first >> 4)
}

/// Allow rules for GitHub's `hooks` and for `dashboard` ranges not among
/// them, then deny-all and a denying default rule.
pub fn rules(hooks: &[String], dashboard: &[String]) -> Vec<FirewallRule> {
    let allow = |range: &String, description: &str| FirewallRule {
        priority: priority(range),
        action: "ALLOW",
        source_range: range.clone(),
        description: description.into(),
    };
    let mut rules: Vec<FirewallRule> = hooks
        .iter()
        .map(|range| allow(range, "GitHub webhooks (meta hooks)"))
        .chain(
            dashboard
                .iter()
                .filter(|range| !hooks.contains(range))
                .map(|range| allow(range, "People reaching the dashboard (dashboard_ranges)")),
        )
        .collect();
    rules.sort_by_key(|r| r.priority);
    rules.dedup_by_key(|r| r.priority);
    for (priority, description) in [
        (
            DENY_ALL,
            "Everything that is neither GitHub nor dashboard_ranges",
        ),
        (DEFAULT_RULE, "Default rule: deny"),
    ] {
        rules.push(FirewallRule {
            priority,
            action: "DENY",
            source_range: "*".into(),
            description: description.into(),
        });
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_match_terraforms_formula_and_do_not_move() {
        // terraform: 1 + parseint(substr(sha256(range), 0, 7), 16)
        let hex = hex::encode(Sha256::digest(b"192.30.252.0/22"));
        let expected = 1 + u32::from_str_radix(&hex[..7], 16).unwrap();
        assert_eq!(priority("192.30.252.0/22"), expected);

        let before = rules(&["192.30.252.0/22".into(), "185.199.108.0/22".into()], &[]);
        let after = rules(
            &[
                "192.30.252.0/22".into(),
                "140.82.112.0/20".into(),
                "185.199.108.0/22".into(),
            ],
            &["203.0.113.0/24".into()],
        );
        for rule in &before {
            assert!(after.contains(rule), "{rule:?} moved");
        }
    }

    #[test]
    fn the_last_rules_deny_everything_else() {
        let rules = rules(
            &["2a0a:a440::/29".into()],
            &["203.0.113.0/24".into(), "2a0a:a440::/29".into()],
        );
        let allowed: Vec<&str> = rules[..2].iter().map(|r| r.source_range.as_str()).collect();
        assert_eq!(allowed.len(), 2);
        assert!(allowed.contains(&"203.0.113.0/24") && allowed.contains(&"2a0a:a440::/29"));
        let last: Vec<(u32, &str, &str)> = rules[2..]
            .iter()
            .map(|r| (r.priority, r.action, r.source_range.as_str()))
            .collect();
        assert_eq!(last, [(DENY_ALL, "DENY", "*"), (DEFAULT_RULE, "DENY", "*")]);
        assert!(rules[0].priority < DENY_ALL);
    }
}
