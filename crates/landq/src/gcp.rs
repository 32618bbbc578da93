//! The little of Google Cloud the binary talks to directly: an access token,
//! Secret Manager reads by the commands that need a secret, and the App
//! Engine firewall.
//!
//! Endpoints can be pointed elsewhere (tests use loopback fakes):
//! `LANDQ_SECRET_MANAGER_URL`, `LANDQ_APPENGINE_API_URL`, and the metadata
//! server's `GCE_METADATA_HOST`, as Google's own libraries honour it.

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::blocking::Client;
use serde::Deserialize;

use crate::env::env_value;

/// The blocking HTTP client for start-up and one-shot commands (30 s timeout).
pub fn http_client() -> anyhow::Result<Client> {
    Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .context("cannot build an HTTP client")
}

/// An OAuth access token: `GOOGLE_OAUTH_ACCESS_TOKEN` (as gcloud and
/// Terraform read it), else the metadata server of the instance.
pub fn access_token(http: &Client) -> anyhow::Result<String> {
    if let Some(token) = env_value("GOOGLE_OAUTH_ACCESS_TOKEN") {
        return Ok(token);
    }
    let host = env_value("GCE_METADATA_HOST").unwrap_or_else(|| "metadata.google.internal".into());
    let url = format!("http://{host}/computeMetadata/v1/instance/service-accounts/default/token");
    #[derive(Deserialize)]
    struct Token {
        access_token: String,
    }
    let answer = http
        .get(&url)
        .header("Metadata-Flavor", "Google")
        .send()
        .and_then(|r| r.error_for_status())
        .with_context(|| {
            format!(
                "no Google credentials: set GOOGLE_OAUTH_ACCESS_TOKEN (e.g. to `gcloud auth \
                 print-access-token`) or run on Google Cloud (metadata server {host})"
            )
        })?;
    Ok(answer
        .json::<Token>()
        .context("metadata server token")?
        .access_token)
}

/// Reads secret `version` (`projects/P/secrets/S/versions/V`).
pub fn read_secret(http: &Client, token: &str, version: &str) -> anyhow::Result<String> {
    let base = env_value("LANDQ_SECRET_MANAGER_URL")
        .unwrap_or_else(|| "https://secretmanager.googleapis.com".into());
    if !version.starts_with("projects/") || !version.contains("/secrets/") {
        bail!("`{version}` is not a secret version (projects/P/secrets/S/versions/V)");
    }
    #[derive(Deserialize)]
    struct Access {
        payload: Payload,
    }
    #[derive(Deserialize)]
    struct Payload {
        data: String,
    }
    let answer = http
        .get(format!("{base}/v1/{version}:access"))
        .bearer_auth(token)
        .send()
        .with_context(|| format!("cannot reach Secret Manager for {version}"))?;
    let answer = succeeded(answer, || format!("Secret Manager refused {version}"))?;
    let access: Access = answer.json().context("Secret Manager answer")?;
    let bytes = STANDARD
        .decode(access.payload.data)
        .context("Secret Manager payload is not base64")?;
    String::from_utf8(bytes).context("the secret is not UTF-8 text")
}

/// Secret `name` (e.g. `LANDQ_GITHUB_APP_KEY`): the variable itself, or the
/// Secret Manager version variable `version_name` names, read now. Only the
/// commands that need a secret ask for it; it is passed on as a value and
/// never written back to the environment or a log.
pub fn secret_value(name: &str, version_name: &str) -> anyhow::Result<Option<String>> {
    match (env_value(name), env_value(version_name)) {
        (Some(_), Some(_)) => bail!("both {name} and {version_name} are set: keep one"),
        (Some(value), None) => Ok(Some(value)),
        (None, Some(version)) => {
            let http = http_client()?;
            let token = access_token(&http)?;
            let value = read_secret(&http, &token, &version)?;
            Ok(Some(value.trim_end_matches(['\n', '\r']).to_owned()))
        }
        (None, None) => Ok(None),
    }
}

/// One App Engine firewall rule, as the Admin API spells it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FirewallRule {
    /// 1 (first) to 2147483647 (the default rule).
    pub priority: u32,
    /// `ALLOW` or `DENY`.
    pub action: &'static str,
    /// A CIDR range, or `*`.
    pub source_range: String,
    /// Why the rule exists.
    pub description: String,
}

/// Replaces every App Engine firewall rule of `app` (the project id) with
/// `rules`, in one batch update.
pub fn apply_firewall(app: &str, rules: &[FirewallRule]) -> anyhow::Result<()> {
    let base = env_value("LANDQ_APPENGINE_API_URL")
        .unwrap_or_else(|| "https://appengine.googleapis.com".into());
    let http = http_client()?;
    let token = access_token(&http)?;
    let answer = http
        .post(format!(
            "{base}/v1/apps/{app}/firewall/ingressRules:batchUpdate"
        ))
        .bearer_auth(token)
        .json(&serde_json::json!({ "ingressRules": rules }))
        .send()
        .context("cannot reach the App Engine Admin API")?;
    succeeded(answer, || "App Engine refused the firewall update".into()).map(drop)
}

/// `answer` if it succeeded, else an error `REFUSED: STATUS BODY`.
fn succeeded(
    answer: reqwest::blocking::Response,
    refused: impl FnOnce() -> String,
) -> anyhow::Result<reqwest::blocking::Response> {
    let status = answer.status();
    if status.is_success() {
        return Ok(answer);
    }
    bail!(
        "{}: {status} {}",
        refused(),
        answer.text().unwrap_or_default()
    )
}
