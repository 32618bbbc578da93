//! The compliance audit: for each repository, is it set up so that only
//! landq writes to its guarded branches, are its rules and settings valid,
//! and do its CI jobs run the steps the organisation requires? Each finding
//! comes with the exact fix.
//!
//! - [`ci`]: the jobs and steps of GitHub Actions workflows and CircleCI.
//! - [`branch`]: branch protection and rulesets of a guarded branch.
//! - [`Policy`]: the organisation's `landq-audit.toml`.
//!
//! A repository whose setup GitHub would not tell is not compliant: the
//! audit says what it could not read and why, rather than guess.

pub mod branch;
pub mod ci;

use std::collections::BTreeMap;

use futures::StreamExt;
use landq_github::GitHub;
use landq_github::admin::Me;
use landq_policy::{Rules, SETTINGS_PATH, Settings};
use landq_store::Store;
use serde::{Deserialize, Serialize};

use ci::{Ci, Step};

use crate::reads::{ReadError, Reads};

/// Repositories audited at once.
pub const CONCURRENCY: usize = 8;

/// The organisation's policy (`landq-audit.toml`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Steps every CI job of a given name must run.
    #[serde(default)]
    pub required_steps: Vec<RequiredStep>,
}

/// A step every CI job named `job` must run: a command (`run`) or an
/// action or CircleCI command (`uses`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredStep {
    /// The job's id or name (GitHub Actions) or name (CircleCI).
    pub job: String,
    /// A command the job runs (found anywhere in one of its `run:` steps).
    pub run: Option<String>,
    /// An action (`actions/checkout`, any version) or CircleCI command.
    pub uses: Option<String>,
}

impl RequiredStep {
    fn step(&self) -> Step {
        match (&self.run, &self.uses) {
            (Some(run), _) => Step::Run(run.clone()),
            (None, Some(uses)) => Step::Uses(uses.clone()),
            (None, None) => Step::Run(String::new()),
        }
    }

    fn describe(&self) -> String {
        match (&self.run, &self.uses) {
            (Some(run), _) => format!("run: {run}"),
            (_, Some(uses)) => format!("uses: {uses}"),
            _ => String::new(),
        }
    }
}

impl Policy {
    /// Parses `landq-audit.toml`; the error names the line.
    pub fn parse(text: &str) -> Result<Policy, String> {
        let policy: Policy = toml::from_str(text).map_err(|e| e.to_string())?;
        if let Some(bad) = policy
            .required_steps
            .iter()
            .find(|s| s.run.is_some() == s.uses.is_some())
        {
            return Err(format!(
                "required step of job `{}`: give exactly one of `run` and `uses`",
                bad.job
            ));
        }
        Ok(policy)
    }
}

/// One thing wrong, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Finding {
    /// What was checked (`anyone_can_push`, `rules_invalid`, ...).
    pub check: String,
    /// What is wrong.
    pub message: String,
    /// The exact fix.
    pub fix: String,
}

impl Finding {
    /// A finding.
    pub fn new(check: &str, message: String, fix: String) -> Finding {
        Finding {
            check: check.to_owned(),
            message,
            fix,
        }
    }
}

/// `compliant` or `not-compliant`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Nothing found.
    Compliant,
    /// Something to fix.
    NotCompliant,
}

/// One repository's audit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Report {
    /// Compliant when nothing is found.
    pub status: Status,
    /// What is wrong, each with its fix.
    pub findings: Vec<Finding>,
    /// Per CI job, the required steps it does not run.
    pub jobs: BTreeMap<String, Vec<String>>,
}

impl Report {
    fn of(findings: Vec<Finding>, jobs: BTreeMap<String, Vec<String>>) -> Report {
        let status = match findings.is_empty() && jobs.is_empty() {
            true => Status::Compliant,
            false => Status::NotCompliant,
        };
        Report {
            status,
            findings,
            jobs,
        }
    }
}

/// The audit of every repository: `owner/name` → its report.
pub type Audit = BTreeMap<String, Report>;

/// Whether every repository of `audit` is compliant.
pub fn all_compliant(audit: &Audit) -> bool {
    audit.values().all(|r| r.status == Status::Compliant)
}

/// Audits `repos` (each with the installation it is reached through),
/// [`CONCURRENCY`] at a time, each read plain.
pub async fn audit_all(
    github: &GitHub,
    me: &Me,
    repos: Vec<(Option<u64>, String)>,
    policy: &Policy,
) -> Audit {
    audit_each(github, me, repos, policy, CONCURRENCY, None).await
}

/// As [`audit_all`], `concurrency` repositories at a time; with a `store`,
/// GitHub's answers are kept there and read again conditionally.
pub async fn audit_each(
    github: &GitHub,
    me: &Me,
    repos: Vec<(Option<u64>, String)>,
    policy: &Policy,
    concurrency: usize,
    store: Option<&dyn Store>,
) -> Audit {
    futures::stream::iter(repos)
        .map(|(installation, repo)| async move {
            let report = match github.repo(installation, &repo) {
                Ok(client) => {
                    audit(
                        &Reads {
                            repo: &client,
                            store,
                        },
                        me,
                        policy,
                    )
                    .await
                }
                Err(e) => unreadable(&e),
            };
            (repo, report)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}

fn unreadable(e: &dyn std::fmt::Display) -> Report {
    Report::of(
        vec![Finding::new(
            "unreadable",
            format!("landq could not read the repository's setup: {e}"),
            "give the GitHub App *Administration: read*, *Contents: read* and *Metadata: read* on \
             the repository, then audit again"
                .into(),
        )],
        BTreeMap::new(),
    )
}

/// Audits one repository.
pub async fn audit(repo: &Reads<'_>, me: &Me, policy: &Policy) -> Report {
    match try_audit(repo, me, policy).await {
        Ok(report) => report,
        Err(e) => {
            tracing::warn!(repo = repo.repo.name(), error = %e, "audit: a read failed");
            unreadable(&e)
        }
    }
}

async fn try_audit(repo: &Reads<'_>, me: &Me, policy: &Policy) -> Result<Report, ReadError> {
    let mut findings = Vec::new();
    let default_branch = repo.default_branch().await?;
    let settings = match repo.text_file(SETTINGS_PATH).await? {
        None => Settings::default(),
        Some(text) => match Settings::parse(&text) {
            Ok(settings) => settings,
            Err(e) => {
                findings.push(Finding::new(
                    "settings_invalid",
                    format!("`{SETTINGS_PATH}` line {}: {}", e.line, e.message),
                    format!("fix line {} of `{SETTINGS_PATH}` (`landq check {SETTINGS_PATH}` shows every error); until then landq lands nothing", e.line),
                ));
                Settings::default()
            }
        },
    };
    findings.extend(rules_findings(repo, &settings.rules).await?);

    let branches = settings
        .branches
        .clone()
        .unwrap_or_else(|| vec![default_branch.clone()]);
    for branch in &branches {
        let protection = repo.protection(branch).await?;
        let rules = repo.branch_rules(branch).await?;
        let mut ids: Vec<u64> = rules.iter().filter_map(|r| r.ruleset_id).collect();
        ids.sort();
        ids.dedup();
        let mut rulesets = Vec::new();
        for id in ids {
            rulesets.extend(repo.ruleset(id).await?);
        }
        let setup = branch::BranchSetup {
            branch,
            protection: protection.as_ref(),
            rules: &rules,
            rulesets: &rulesets,
        };
        findings.extend(branch::findings(&setup, me));
    }

    let ci = read_ci(repo).await?;
    for broken in &ci.broken {
        findings.push(Finding::new(
            "ci_file_invalid",
            format!(
                "`{}` is not valid CI configuration: {}",
                broken.file, broken.message
            ),
            format!(
                "fix `{}` so that it parses (its jobs are not checked until then)",
                broken.file
            ),
        ));
    }
    if !settings.stack_checks.is_empty() && ci.stack_workflows.is_empty() {
        findings.push(Finding::new(
            "stack_not_tested",
            format!(
                "`stack_checks` lists {} but no workflow runs on pushes to `landq/stack/**`, so \
                 every stack times out",
                settings.stack_checks.join(", ")
            ),
            "add to the workflow that runs those checks: `on: push: branches: [\"landq/stack/**\"]`".into(),
        ));
    }
    let mut jobs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for required in &policy.required_steps {
        for job in ci.jobs.iter().filter(|j| j.names.contains(&required.job)) {
            if !ci::runs(job, &required.step()) {
                jobs.entry(required.job.clone()).or_default().push(format!(
                    "{} ({})",
                    required.describe(),
                    job.file
                ));
            }
        }
    }
    Ok(Report::of(findings, jobs))
}

/// The rules file: present, valid, owning itself.
async fn rules_findings(repo: &Reads<'_>, path: &str) -> Result<Vec<Finding>, ReadError> {
    let Some(text) = repo.text_file(path).await? else {
        return Ok(vec![Finding::new(
            "rules_missing",
            format!("no `{path}`: landq has no owners to ask, so it lands nothing"),
            format!(
                "add `{path}` (CODEOWNERS format) with a rule owning it, e.g. `/{path} @ORG/security`"
            ),
        )]);
    };
    Ok(match Rules::parse(&text) {
        Err(errors) => errors
            .0
            .iter()
            .map(|e| {
                Finding::new(
                    "rules_invalid",
                    format!("`{path}` line {}: {}", e.line, e.kind),
                    format!("fix line {} of `{path}` (`landq check {path}`); until then landq lands nothing", e.line),
                )
            })
            .collect(),
        Ok(rules) => rules
            .warnings(path)
            .into_iter()
            .map(|warning| {
                Finding::new(
                    "rules_not_self_owned",
                    format!("`{path}`: {warning}"),
                    format!("add a last line `/{path} @ORG/security` so that only its owners approve changes to it"),
                )
            })
            .collect(),
    })
}

/// The workflows and CircleCI's configuration on the default branch.
async fn read_ci(repo: &Reads<'_>) -> Result<Ci, ReadError> {
    let mut ci = Ci::default();
    for entry in repo.dir(".github/workflows").await? {
        if !(entry.name.ends_with(".yml") || entry.name.ends_with(".yaml")) {
            continue;
        }
        let file = format!(".github/workflows/{}", entry.name);
        let text = repo.blob(&entry.sha).await?;
        ci.add_workflow(&file, &text);
    }
    if let Some(text) = repo.text_file(".circleci/config.yml").await? {
        ci.add_circleci(".circleci/config.yml", &text);
    }
    Ok(ci)
}

/// The audit as a table for people.
pub fn table(audit: &Audit) -> String {
    let mut out = String::new();
    for (repo, report) in audit {
        let status = match report.status {
            Status::Compliant => "compliant",
            Status::NotCompliant => "not compliant",
        };
        out.push_str(&format!("{repo}: {status}\n"));
        for finding in &report.findings {
            out.push_str(&format!(
                "  - {}\n    fix: {}\n",
                finding.message, finding.fix
            ));
        }
        for (job, missing) in &report.jobs {
            for step in missing {
                out.push_str(&format!("  - job `{job}` does not run `{step}`\n"));
            }
        }
    }
    out
}
