//! Reducing a verified delivery to an [`Envelope`], leniently: an event or
//! action landq does not know is a valid delivery to ignore, never an error.
//! Only the fields the envelope needs are read; everything else is skipped.

use landq_bus::Envelope;
use landq_policy::names::is_repo;
use serde::Deserialize;

/// What to do with a verified delivery.
#[derive(Debug, PartialEq, Eq)]
pub enum Reduced {
    /// Publish this.
    Keep(Box<Envelope>),
    /// A valid delivery landq does not use (or `ping`).
    Ignore(String),
}

/// The payload is not JSON landq can read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct Malformed(pub String);

#[derive(Deserialize, Default)]
#[serde(default)]
struct Payload {
    action: Option<String>,
    repository: Option<Repository>,
    installation: Option<Installation>,
    sender: Option<Account>,
    pull_request: Option<PullRef>,
    label: Option<Label>,
    check_suite: Option<CheckRef>,
    check_run: Option<CheckRef>,
    workflow_run: Option<CheckRef>,
    sha: Option<String>,
    repositories: Option<Vec<Repository>>,
    repositories_added: Option<Vec<Repository>>,
    repositories_removed: Option<Vec<Repository>>,
}

#[derive(Deserialize)]
struct Repository {
    full_name: String,
}

#[derive(Deserialize)]
struct Installation {
    id: u64,
    account: Option<Account>,
}

#[derive(Deserialize)]
struct Account {
    login: String,
}

#[derive(Deserialize)]
struct PullRef {
    number: u64,
    head: Option<Head>,
}

#[derive(Deserialize)]
struct Head {
    sha: String,
}

#[derive(Deserialize)]
struct Label {
    name: String,
}

#[derive(Deserialize)]
struct CheckRef {
    head_sha: Option<String>,
    #[serde(default)]
    pull_requests: Vec<Number>,
}

#[derive(Deserialize)]
struct Number {
    number: u64,
}

/// Whether landq acts on `event` with `action`.
pub fn is_kept(event: &str, action: Option<&str>) -> bool {
    match event {
        "pull_request" => matches!(
            action,
            Some(
                "labeled"
                    | "unlabeled"
                    | "synchronize"
                    | "opened"
                    | "reopened"
                    | "closed"
                    | "edited"
                    | "ready_for_review"
                    | "converted_to_draft"
            )
        ),
        "pull_request_review" => matches!(action, Some("submitted" | "edited" | "dismissed")),
        "check_suite" | "check_run" | "workflow_run" => action == Some("completed"),
        "status" | "installation" | "installation_repositories" => true,
        _ => false,
    }
}

/// Whether landq could ever keep `event` (cheap check before parsing).
fn is_known(event: &str) -> bool {
    is_kept(event, Some("labeled"))
        || is_kept(event, Some("submitted"))
        || is_kept(event, Some("completed"))
}

/// Reduces one verified delivery.
pub fn reduce(
    event: &str,
    delivery: &str,
    body: &[u8],
    received_at: String,
) -> Result<Reduced, Malformed> {
    // serde reads a struct from an array too, field by field: GitHub only
    // ever sends an object.
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(Malformed("the payload is not a JSON object".into()));
    }
    if !is_known(event) {
        // Still a JSON document, or the delivery is malformed.
        serde_json::from_slice::<serde::de::IgnoredAny>(body)
            .map_err(|e| Malformed(format!("invalid JSON: {e}")))?;
        return Ok(Reduced::Ignore(format!(
            "event `{event}` is not used by landq"
        )));
    }
    let payload: Payload = serde_json::from_slice(body)
        .map_err(|e| Malformed(format!("invalid {event} payload: {e}")))?;
    let action = payload.action.as_deref();
    if !is_kept(event, action) {
        return Ok(Reduced::Ignore(format!(
            "`{event}` action `{}` is not used by landq",
            action.unwrap_or("")
        )));
    }

    let check = payload
        .check_suite
        .as_ref()
        .or(payload.check_run.as_ref())
        .or(payload.workflow_run.as_ref());
    let prs = match (&payload.pull_request, check) {
        (Some(pull), _) => vec![pull.number],
        (None, Some(check)) => check.pull_requests.iter().map(|p| p.number).collect(),
        _ => Vec::new(),
    };
    let sha = payload
        .pull_request
        .as_ref()
        .and_then(|p| p.head.as_ref().map(|h| h.sha.clone()))
        .or_else(|| check.and_then(|c| c.head_sha.clone()))
        .or(payload.sha.clone());
    let repo = match (&payload.repository, event) {
        (Some(repo), _) => repo.full_name.clone(),
        (None, "installation" | "installation_repositories") => installation_scope(&payload)?,
        (None, _) => return Err(Malformed(format!("{event} payload has no repository"))),
    };
    let scope = repo
        .strip_suffix("/*")
        .map(|account| format!("{account}/x"));
    if !is_repo(scope.as_deref().unwrap_or(&repo)) {
        return Err(Malformed(format!(
            "`{repo}` is not a GitHub repository name (owner/name)"
        )));
    }
    if event.starts_with("pull_request") && prs.is_empty() {
        return Err(Malformed(format!("{event} payload has no pull_request")));
    }
    Ok(Reduced::Keep(Box::new(Envelope {
        delivery: delivery.to_owned(),
        event: event.to_owned(),
        action: payload.action.clone(),
        repo,
        installation: payload.installation.as_ref().map(|i| i.id),
        prs,
        sha,
        label: payload.label.map(|l| l.name),
        sender: payload.sender.map(|s| s.login),
        received_at,
    })))
}

/// The ordering key of an installation event: its one repository, or
/// `account/*` when it covers several.
fn installation_scope(payload: &Payload) -> Result<String, Malformed> {
    let repos: Vec<&Repository> = [
        &payload.repositories,
        &payload.repositories_added,
        &payload.repositories_removed,
    ]
    .into_iter()
    .flatten()
    .flatten()
    .collect();
    if let [only] = repos[..] {
        return Ok(only.full_name.clone());
    }
    let account = payload
        .installation
        .as_ref()
        .and_then(|i| i.account.as_ref())
        .ok_or_else(|| Malformed("installation payload has no account".into()))?;
    Ok(format!("{}/*", account.login))
}
