//! The little of Google Cloud the binary talks to directly, through
//! Google's own clients: Secret Manager reads by the commands that need a
//! secret, and the App Engine firewall.
//!
//! Credentials: `GOOGLE_OAUTH_ACCESS_TOKEN` when set (as gcloud and
//! Terraform read it), else Application Default Credentials (the metadata
//! server on Google Cloud, which honours `GCE_METADATA_HOST`). Endpoints can
//! be pointed elsewhere (tests use loopback fakes): `LANDQ_SECRET_MANAGER_URL`,
//! `LANDQ_APPENGINE_API_URL`.

use anyhow::{Context, bail};
use google_cloud_auth::credentials::{
    CacheableResource, Credentials, CredentialsProvider, EntityTag,
};
use http::{Extensions, HeaderMap, HeaderValue, header};
use secrecy::{ExposeSecret, SecretString};

use crate::env::env_value;

/// Secret `name` (e.g. `LANDQ_GITHUB_APP_KEY`): the variable itself, or the
/// Secret Manager version variable `version_name` names, read now. Only the
/// commands that need a secret ask for it; it is passed on as a value and
/// never written back to the environment or a log. Blocking: call before
/// the command's runtime starts.
pub fn secret_value(name: &str, version_name: &str) -> anyhow::Result<Option<String>> {
    match (env_value(name), env_value(version_name)) {
        (Some(_), Some(_)) => bail!("both {name} and {version_name} are set: keep one"),
        (Some(value), None) => Ok(Some(value)),
        (None, Some(version)) => {
            let value = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(read_secret(&version))?;
            Ok(Some(value.trim_end_matches(['\n', '\r']).to_owned()))
        }
        (None, None) => Ok(None),
    }
}

/// Reads secret `version` (`projects/P/secrets/S/versions/V`).
async fn read_secret(version: &str) -> anyhow::Result<String> {
    use google_cloud_secretmanager_v1::client::SecretManagerService;
    if !version.starts_with("projects/") || !version.contains("/secrets/") {
        bail!("`{version}` is not a secret version (projects/P/secrets/S/versions/V)");
    }
    let mut client = SecretManagerService::builder().with_credentials(credentials()?);
    if let Some(url) = env_value("LANDQ_SECRET_MANAGER_URL") {
        client = client.with_endpoint(url);
    }
    let answer = client
        .build()
        .await
        .context("cannot set up the Secret Manager client")?
        .access_secret_version()
        .set_name(version)
        .send()
        .await
        .with_context(|| format!("Secret Manager refused {version}"))?;
    let payload = answer
        .payload
        .with_context(|| format!("Secret Manager sent no payload for {version}"))?;
    String::from_utf8(payload.data.to_vec()).context("the secret is not UTF-8 text")
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
pub async fn apply_firewall(app: &str, rules: &[FirewallRule]) -> anyhow::Result<()> {
    use google_cloud_appengine_v1::client::Firewall;
    use google_cloud_appengine_v1::model::{self, firewall_rule::Action};
    let mut client = Firewall::builder().with_credentials(credentials()?);
    if let Some(url) = env_value("LANDQ_APPENGINE_API_URL") {
        client = client.with_endpoint(url);
    }
    let rules = rules.iter().map(|rule| {
        model::FirewallRule::new()
            .set_priority(i32::try_from(rule.priority).unwrap_or(i32::MAX))
            .set_action(match rule.action {
                "ALLOW" => Action::Allow,
                _ => Action::Deny,
            })
            .set_source_range(rule.source_range.clone())
            .set_description(rule.description.clone())
    });
    client
        .build()
        .await
        .context("cannot set up the App Engine Admin client")?
        .batch_update_ingress_rules()
        .set_name(format!("apps/{app}/firewall/ingressRules"))
        .set_ingress_rules(rules)
        .send()
        .await
        .context("App Engine refused the firewall update")?;
    Ok(())
}

/// `GOOGLE_OAUTH_ACCESS_TOKEN`, else Application Default Credentials.
fn credentials() -> anyhow::Result<Credentials> {
    match env_value("GOOGLE_OAUTH_ACCESS_TOKEN") {
        Some(token) => Ok(Credentials::from(AccessToken(token.into()))),
        None => google_cloud_auth::credentials::Builder::default()
            .build()
            .context(
                "no Google credentials: set GOOGLE_OAUTH_ACCESS_TOKEN (e.g. to `gcloud auth \
                 print-access-token`), run `gcloud auth application-default login`, or run on \
                 Google Cloud",
            ),
    }
}

/// A bearer token handed over as it is (it is never printed).
#[derive(Debug)]
struct AccessToken(SecretString);

impl CredentialsProvider for AccessToken {
    async fn headers(
        &self,
        _: Extensions,
    ) -> Result<CacheableResource<HeaderMap>, google_cloud_auth::errors::CredentialsError> {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.0.expose_secret()))
            .map_err(|e| google_cloud_auth::errors::CredentialsError::from_source(false, e))?;
        value.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value);
        Ok(CacheableResource::New {
            entity_tag: EntityTag::new(),
            data: headers,
        })
    }

    async fn universe_domain(&self) -> Option<String> {
        None
    }
}
