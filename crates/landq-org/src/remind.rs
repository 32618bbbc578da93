//! Reminders of stale pull requests on Slack: per repository whose
//! `.github/landq.toml` has a `[remind]` table, the open, non-draft pull
//! requests nobody reviewed for longer than `after`, and the labelled ones
//! waiting longer than `after` for an owner (naming the owners asked), in
//! one message per repository and run.
//!
//! However many workers or `landq remind` processes run at once, a pull
//! request is announced at most once per `every`: a process takes the
//! repository's lease in the store before it looks, and records when each
//! pull request was announced before it posts (a failed post takes the
//! records back). GitHub reads are conditional: the settings, the pull
//! request pages and reviews are kept in the store with their ETags, and
//! GitHub's 304 costs no rate limit.

use std::time::{Duration, UNIX_EPOCH};

use landq_github::admin::{OpenPull, Reviewed};
use landq_github::{GitHub, GitHubError, Repo};
use landq_policy::{Remind, SETTINGS_PATH, Settings};
use landq_store::{EntryState, Store, StoreError};

use crate::reads::{ReadError, Reads, kept};
use crate::slack::{Slack, SlackError};

/// How long a process may hold a repository's lease.
pub const LEASE: Duration = Duration::from_secs(300);

/// The store kind of when each pull request was last announced.
const REMINDED: &str = "reminded";

/// What a run did for one repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No `[remind]` in its settings (or they are invalid).
    Off,
    /// Another process holds its lease.
    Busy,
    /// Nothing stale, or all announced within `every`.
    Quiet,
    /// These pull requests were announced.
    Announced(Vec<u64>),
}

/// Why a repository's run failed (nothing was announced).
#[derive(Debug, thiserror::Error)]
pub enum RemindError {
    /// GitHub or the store failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Slack failed.
    #[error(transparent)]
    Slack(#[from] SlackError),
}

impl From<GitHubError> for RemindError {
    fn from(err: GitHubError) -> Self {
        RemindError::Read(err.into())
    }
}

impl From<StoreError> for RemindError {
    fn from(err: StoreError) -> Self {
        RemindError::Read(err.into())
    }
}

/// A stale pull request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stale {
    /// Its number.
    pub pr: u64,
    /// Its title.
    pub title: String,
    /// Its page.
    pub url: String,
    /// Its author.
    pub author: String,
    /// How long it has waited.
    pub age: Duration,
    /// Why it is stale: `no review yet` or `waiting for an owner`.
    pub why: &'static str,
    /// Who is asked (`@login`, `@org/team`).
    pub asked: Vec<String>,
}

/// Runs the reminders of `repos` (each with its installation) as
/// `holder`, one repository after another.
pub async fn remind_all(
    github: &GitHub,
    store: &dyn Store,
    slack: &Slack,
    repos: &[(Option<u64>, String)],
    holder: &str,
) -> Vec<(String, Result<Outcome, RemindError>)> {
    let mut outcomes = Vec::new();
    for (installation, name) in repos {
        let outcome = match github.repo(*installation, name) {
            Ok(repo) => remind(&repo, store, slack, holder, landq_store::now_ms()).await,
            Err(e) => Err(e.into()),
        };
        if let Err(err) = &outcome {
            tracing::warn!(repo = %name, error = %err, "remind: nothing announced");
        }
        outcomes.push((name.clone(), outcome));
    }
    outcomes
}

/// Runs the reminders of one repository at `now_ms`.
pub async fn remind(
    repo: &Repo,
    store: &dyn Store,
    slack: &Slack,
    holder: &str,
    now_ms: i64,
) -> Result<Outcome, RemindError> {
    let reads = Reads {
        repo,
        store: Some(store),
    };
    let text = reads.text_file(SETTINGS_PATH).await?;
    let settings = match text {
        None => return Ok(Outcome::Off),
        Some(text) => match Settings::parse(&text) {
            Ok(settings) => settings,
            Err(_) => return Ok(Outcome::Off),
        },
    };
    let Some(remind) = settings.remind else {
        return Ok(Outcome::Off);
    };
    let lease = format!("remind/{}", repo.name());
    if !store
        .lease(&lease, holder, now_ms, now_ms + LEASE.as_millis() as i64)
        .await?
    {
        return Ok(Outcome::Busy);
    }
    let outcome = announce(repo, store, slack, &remind, now_ms).await;
    store.release(&lease, holder).await?;
    outcome
}

async fn announce(
    repo: &Repo,
    store: &dyn Store,
    slack: &Slack,
    remind: &Remind,
    now_ms: i64,
) -> Result<Outcome, RemindError> {
    let mut stale = stale(repo, store, remind, now_ms).await?;
    let every = remind.every.as_millis() as i64;
    let mut due = Vec::new();
    for pr in stale.drain(..) {
        let last = store
            .doc(REMINDED, &reminded_key(repo.name(), pr.pr))
            .await?;
        let last: Option<i64> = last.and_then(|l| l.parse().ok());
        if last.is_none_or(|at| now_ms - at >= every) {
            due.push((pr, last));
        }
    }
    if due.is_empty() {
        return Ok(Outcome::Quiet);
    }
    for (pr, _) in &due {
        store
            .put_doc(
                REMINDED,
                &reminded_key(repo.name(), pr.pr),
                &now_ms.to_string(),
            )
            .await?;
    }
    let stale: Vec<Stale> = due.iter().map(|(pr, _)| pr.clone()).collect();
    if let Err(err) = slack
        .post(remind.channel.as_deref(), &message(repo.name(), &stale))
        .await
    {
        for (pr, last) in &due {
            let back = last.map_or("0".to_owned(), |at| at.to_string());
            store
                .put_doc(REMINDED, &reminded_key(repo.name(), pr.pr), &back)
                .await?;
        }
        return Err(err.into());
    }
    Ok(Outcome::Announced(stale.iter().map(|s| s.pr).collect()))
}

fn reminded_key(repo: &str, pr: u64) -> String {
    format!("{repo}#{pr}")
}

/// The stale pull requests of `repo`, oldest first.
pub async fn stale(
    repo: &Repo,
    store: &dyn Store,
    remind: &Remind,
    now_ms: i64,
) -> Result<Vec<Stale>, RemindError> {
    let after = remind.after.as_millis() as i64;
    let owner = repo.name().split('/').next().unwrap_or_default();
    let mut found = Vec::new();
    for pull in open_pulls(repo, store).await? {
        let opened = humantime::parse_rfc3339(&pull.created_at)
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(now_ms, |d| d.as_millis() as i64);
        if pull.draft || now_ms - opened < after {
            continue;
        }
        let path = format!("/repos/{}/pulls/{}/reviews", repo.name(), pull.number);
        let reviews: Vec<Reviewed> = kept(store, &path, |etag| async move {
            repo.first_reviews(pull.number, etag.as_deref()).await
        })
        .await?;
        if !reviews.is_empty() {
            continue;
        }
        let asked = pull
            .requested_reviewers
            .iter()
            .map(|r| format!("@{}", r.login))
            .chain(
                pull.requested_teams
                    .iter()
                    .map(|t| format!("@{owner}/{}", t.slug)),
            )
            .collect();
        found.push(Stale {
            pr: pull.number,
            title: pull.title,
            url: pull.html_url,
            author: pull.user.login,
            age: Duration::from_millis((now_ms - opened) as u64),
            why: "no review yet",
            asked,
        });
    }
    for entry in store.entries(repo.name()).await? {
        if entry.state != EntryState::Waiting
            || now_ms - entry.requested_at_ms < after
            || found.iter().any(|s| s.pr == entry.pr)
        {
            continue;
        }
        let mut asked: Vec<String> = entry
            .reasons
            .iter()
            .flat_map(|r| r.split(|c: char| c.is_whitespace() || c == ',' || c == '`'))
            .filter(|w| w.starts_with('@') && w.len() > 1)
            .map(|w| w.trim_end_matches(['.', ';', ')']).to_owned())
            .collect();
        asked.sort();
        asked.dedup();
        if asked.is_empty() {
            continue;
        }
        found.push(Stale {
            pr: entry.pr,
            title: entry.title.clone(),
            url: repo.pull_page(entry.pr),
            author: entry.author.clone(),
            age: Duration::from_millis((now_ms - entry.requested_at_ms) as u64),
            why: "waiting for an owner",
            asked,
        });
    }
    found.sort_by(|a, b| b.age.cmp(&a.age).then(a.pr.cmp(&b.pr)));
    Ok(found)
}

/// Every open pull request, each page read conditionally.
async fn open_pulls(repo: &Repo, store: &dyn Store) -> Result<Vec<OpenPull>, RemindError> {
    let mut all = Vec::new();
    for page in 1.. {
        let path = format!("/repos/{}/pulls?state=open&page={page}", repo.name());
        let batch: Vec<OpenPull> = kept(store, &path, |etag| async move {
            repo.open_pulls(page, etag.as_deref()).await
        })
        .await?;
        let done = batch.len() < landq_github::admin::PULLS_PAGE;
        all.extend(batch);
        if done {
            break;
        }
    }
    Ok(all)
}

/// The Slack message for `repo`'s stale pull requests (mrkdwn).
pub fn message(repo: &str, stale: &[Stale]) -> String {
    let count = match stale.len() {
        1 => "1 pull request waits".to_owned(),
        n => format!("{n} pull requests wait"),
    };
    let mut text = format!("*{}*: {count} for review\n", escape(repo));
    for pr in stale {
        let asked = match pr.asked.is_empty() {
            true => "nobody asked yet".to_owned(),
            false => format!("asked {}", pr.asked.join(", ")),
        };
        text.push_str(&format!(
            "• <{}|#{} {}> by {}, waiting {}: {}; {}\n",
            pr.url,
            pr.pr,
            escape(&pr.title),
            escape(&pr.author),
            age(pr.age),
            pr.why,
            escape(&asked),
        ));
    }
    text
}

/// `3d`, `5h`, `12m`.
fn age(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        s if s >= 86_400 => format!("{}d", s / 86_400),
        s if s >= 3_600 => format!("{}h", s / 3_600),
        s => format!("{}m", s / 60),
    }
}

/// Slack's mrkdwn escapes.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_message_lists_each_pull_request_with_link_age_and_who_is_asked() {
        let stale = [
            Stale {
                pr: 12,
                title: "Fix <script> & co".into(),
                url: "https://github.com/acme/app/pull/12".into(),
                author: "alice".into(),
                age: Duration::from_secs(3 * 86_400 + 5),
                why: "no review yet",
                asked: vec!["@bob".into(), "@acme/eng".into()],
            },
            Stale {
                pr: 14,
                title: "Docs".into(),
                url: "https://github.com/acme/app/pull/14".into(),
                author: "carol".into(),
                age: Duration::from_secs(5 * 3_600),
                why: "waiting for an owner",
                asked: vec!["@acme/security".into()],
            },
        ];
        assert_eq!(
            message("acme/app", &stale),
            "*acme/app*: 2 pull requests wait for review\n\
             • <https://github.com/acme/app/pull/12|#12 Fix &lt;script&gt; &amp; co> by alice, waiting 3d: no review yet; asked @bob, @acme/eng\n\
             • <https://github.com/acme/app/pull/14|#14 Docs> by carol, waiting 5h: waiting for an owner; asked @acme/security\n"
        );
    }
}
