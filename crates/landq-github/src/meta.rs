//! GitHub's published facts about itself (`GET /meta`), read without
//! credentials: the source ranges of its webhooks.

use std::collections::BTreeSet;
use std::time::Duration;

use octocrab::Octocrab;

use crate::error::{GitHubError, decode, expect_ok};
use crate::retry::RetryPolicy;

#[derive(serde::Deserialize)]
struct Meta {
    hooks: Option<Vec<String>>,
}

/// GitHub's webhook source ranges (IPv4 and IPv6 CIDRs, as GitHub writes
/// them), sorted and deduplicated. Refuses an empty list (that would deny
/// every webhook) and anything that is not a CIDR range.
pub async fn hook_ranges(api_url: &str, retry: &RetryPolicy) -> Result<Vec<String>, GitHubError> {
    let octo = Octocrab::builder()
        .base_uri(api_url)
        .map_err(|e| GitHubError::Config(format!("API URL `{api_url}`: {e}")))?
        .add_retry_config(octocrab::service::middleware::retry::RetryConfig::None)
        .set_connect_timeout(Some(Duration::from_secs(10)))
        .set_read_timeout(Some(Duration::from_secs(30)))
        .build()
        .map_err(|e| GitHubError::Config(e.to_string()))?;
    let path = "/meta";
    let answer = retry.send(path, || octo._get(path)).await?;
    let meta: Meta = decode(path, expect_ok(path, answer)?)?;
    let ranges: BTreeSet<String> = meta.hooks.unwrap_or_default().into_iter().collect();
    if ranges.is_empty() {
        return Err(GitHubError::Decode {
            what: path.into(),
            message: "no `hooks` ranges listed: refusing to deny every webhook".into(),
        });
    }
    if let Some(bad) = ranges.iter().find(|r| r.parse::<ipnet::IpNet>().is_err()) {
        return Err(GitHubError::Decode {
            what: path.into(),
            message: format!("`{bad}` is not a CIDR range"),
        });
    }
    Ok(ranges.into_iter().collect())
}
