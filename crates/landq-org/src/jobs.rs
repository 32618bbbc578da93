//! The audit and the reminders as jobs: once (`landq audit`, `landq
//! remind`) or on an interval inside the worker. The worker keeps each
//! repository's latest audit report in the store (served at
//! `GET /api/v1/audit`) and posts to Slack when a repository's status
//! changes.

use std::sync::Arc;
use std::time::Duration;

use landq_github::GitHub;
use landq_store::{Store, StoreError};

use crate::audit::{self, Audit, Policy, Report, Status};
use crate::remind::{self, Outcome, RemindError};
use crate::slack::Slack;

/// The store kind of the latest audit reports, by repository.
pub const AUDIT: &str = "audit";

/// What the jobs act through.
pub struct Org {
    /// GitHub.
    pub github: Arc<GitHub>,
    /// The store (leases, announcements, reports).
    pub store: Arc<dyn Store>,
    /// Slack, if configured.
    pub slack: Option<Arc<Slack>>,
    /// With a token: the repositories (an App covers its installations).
    pub repos: Vec<String>,
}

impl Org {
    /// Audits every repository; keeps each report; tells Slack (in
    /// `channel`) of each repository whose status changed since the last
    /// kept report.
    pub async fn audit(&self, policy: &Policy, channel: Option<&str>) -> Result<Audit, String> {
        let me = self.github.me().await.map_err(|e| e.to_string())?;
        let targets = crate::targets(&self.github, &self.repos).await?;
        let store = Some(self.store.as_ref());
        let audit = audit::audit_each(
            &self.github,
            &me,
            targets,
            policy,
            audit::CONCURRENCY,
            store,
        )
        .await;
        let mut changes = Vec::new();
        for (repo, report) in &audit {
            let before = self.kept(repo).await.map_err(|e| e.to_string())?;
            if before.as_ref().map(|r| r.status) != Some(report.status) {
                changes.push(change(repo, before.is_some(), report));
            }
            let body = serde_json::to_string(report).map_err(|e| e.to_string())?;
            self.store
                .put_doc(AUDIT, repo, &body)
                .await
                .map_err(|e| e.to_string())?;
        }
        if let (Some(slack), false) = (&self.slack, changes.is_empty()) {
            let text = format!("*landq audit*\n{}", changes.join("\n"));
            if let Err(err) = slack.post(channel, &text).await {
                tracing::warn!(error = %err, "audit: Slack was not told of the changes");
            }
        }
        Ok(audit)
    }

    /// The kept report of `repo`, if any.
    pub async fn kept(&self, repo: &str) -> Result<Option<Report>, StoreError> {
        Ok(self
            .store
            .doc(AUDIT, repo)
            .await?
            .and_then(|body| serde_json::from_str(&body).ok()))
    }

    /// Runs the reminders of every repository as `holder`.
    pub async fn remind(
        &self,
        holder: &str,
    ) -> Result<Vec<(String, Result<Outcome, RemindError>)>, String> {
        let slack = self
            .slack
            .as_ref()
            .ok_or("no Slack: set LANDQ_SLACK_TOKEN or LANDQ_SLACK_WEBHOOK_URL")?;
        let targets = crate::targets(&self.github, &self.repos).await?;
        Ok(remind::remind_all(&self.github, self.store.as_ref(), slack, &targets, holder).await)
    }
}

/// One line for Slack about `repo`'s new status.
fn change(repo: &str, known: bool, report: &Report) -> String {
    match (report.status, known) {
        (Status::Compliant, true) => format!("• {repo} is compliant again"),
        (Status::Compliant, false) => format!("• {repo} is compliant"),
        (Status::NotCompliant, _) => {
            let first = report
                .findings
                .first()
                .map(|f| f.message.clone())
                .or_else(|| {
                    report.jobs.iter().next().map(|(job, missing)| {
                        format!("job `{job}` does not run {}", missing.join(", "))
                    })
                })
                .unwrap_or_default();
            let more = (report.findings.len() + report.jobs.len()).saturating_sub(1);
            let more = match more {
                0 => String::new(),
                n => format!(" (and {n} more)"),
            };
            format!("• {repo} is not compliant: {first}{more}")
        }
    }
}

/// Runs `job` every `interval` until `stop` turns true (the first run at
/// once).
pub async fn every<F, Fut>(interval: Duration, mut stop: tokio::sync::watch::Receiver<bool>, job: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stopped = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            _ = ticks.tick() => job().await,
            () = &mut stopped => return,
        }
    }
}
