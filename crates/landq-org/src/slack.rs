//! Posting to Slack through `slack-morphism`: a bot token
//! (`chat.postMessage` to a channel) or an incoming webhook (its own
//! channel). Slack's 429 is honoured: wait its `Retry-After`, then try
//! again, a few times. Neither the token nor the webhook URL (which is a
//! secret too) ever reaches a log or an error message.

use std::sync::Arc;
use std::time::Duration;

use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

/// Tries of one message (the first included) while Slack rate-limits.
pub const MAX_TRIES: u32 = 4;

/// The longest `Retry-After` waited out; longer ones give up.
pub const MAX_WAIT: Duration = Duration::from_secs(120);

/// Where messages go.
pub enum Target {
    /// A bot token (`xoxb-…`) posting to each repository's channel, at
    /// `api_url` (Slack's own unless set, for tests).
    Bot {
        /// The token.
        token: SlackApiToken,
    },
    /// An incoming webhook, which posts to the channel it was made for.
    Webhook(url::Url),
}

/// A Slack client.
pub struct Slack {
    client: Arc<SlackHyperClient>,
    target: Target,
}

/// Why a message was not posted (never naming the token or the URL).
#[derive(Debug, thiserror::Error)]
#[error("Slack: {0}")]
pub struct SlackError(String);

/// The HTTPS connector (plain HTTP only to this machine, for tests), with
/// rustls's aws-lc provider chosen for the process (GitHub's client and
/// Slack's each link one).
fn connector(url: Option<&str>) -> Result<SlackClientHyperHttpsConnector, SlackError> {
    if let Some(url) = url {
        let parsed =
            url::Url::parse(url).map_err(|_| SlackError("a Slack URL is not a URL".into()))?;
        let loopback = match parsed.host() {
            Some(url::Host::Domain(host)) => host == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
            return Err(SlackError(
                "a Slack URL must be https (plain http only to this machine)".into(),
            ));
        }
    }
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| SlackError(format!("cannot read the system's certificates: {e}")))?
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build();
    Ok(SlackClientHyperConnector::with_connector(https))
}

impl Slack {
    /// A bot token, with Slack's Web API at `api_url` (`https://slack.com/api`
    /// unless set).
    pub fn bot(token: &str, api_url: Option<&str>) -> Result<Slack, SlackError> {
        let mut connector = connector(api_url)?;
        if let Some(url) = api_url {
            connector = connector.with_slack_api_url(url.trim_end_matches('/'));
        }
        Ok(Slack {
            client: Arc::new(SlackClient::new(connector)),
            target: Target::Bot {
                token: SlackApiToken::new(token.to_owned().into()),
            },
        })
    }

    /// An incoming webhook.
    pub fn webhook(url: &str) -> Result<Slack, SlackError> {
        let connector = connector(Some(url))?;
        let url = url::Url::parse(url)
            .map_err(|_| SlackError("the incoming-webhook URL is not a URL".into()))?;
        Ok(Slack {
            client: Arc::new(SlackClient::new(connector)),
            target: Target::Webhook(url),
        })
    }

    /// Whether messages need a channel (a bot token does; a webhook has
    /// its own).
    pub fn needs_channel(&self) -> bool {
        matches!(self.target, Target::Bot { .. })
    }

    /// Posts `text` (Slack's mrkdwn) to `channel` (ignored by a webhook).
    pub async fn post(&self, channel: Option<&str>, text: &str) -> Result<(), SlackError> {
        let content = SlackMessageContent::new().with_text(text.to_owned());
        let mut tries = 0;
        loop {
            tries += 1;
            let sent = match &self.target {
                Target::Bot { token } => {
                    let channel = channel.ok_or_else(|| {
                        SlackError(
                            "no channel for the bot token: set `channel` under [remind] (reminders) \
                             or --audit-channel (the audit)"
                                .into(),
                        )
                    })?;
                    let request =
                        SlackApiChatPostMessageRequest::new(channel.into(), content.clone());
                    self.client
                        .open_session(token)
                        .chat_post_message(&request)
                        .await
                        .map(drop)
                }
                Target::Webhook(url) => self
                    .client
                    .post_webhook_message(
                        url,
                        &SlackApiPostWebhookMessageRequest::new(content.clone()),
                    )
                    .await
                    .map(drop),
            };
            match sent {
                Ok(()) => return Ok(()),
                Err(SlackClientError::RateLimitError(limit)) if tries < MAX_TRIES => {
                    let wait = limit.retry_after.unwrap_or(Duration::from_secs(1));
                    if wait > MAX_WAIT {
                        return Err(SlackError(format!(
                            "rate-limited for {}s, longer than landq waits",
                            wait.as_secs()
                        )));
                    }
                    tracing::info!(wait_seconds = wait.as_secs(), "Slack rate-limits: waiting");
                    tokio::time::sleep(wait).await;
                }
                Err(err) => return Err(SlackError(describe(&err))),
            }
        }
    }
}

/// What went wrong, without anything from the request.
fn describe(err: &SlackClientError) -> String {
    match err {
        SlackClientError::ApiError(e) => format!("Slack refused the message: {}", e.code),
        SlackClientError::HttpError(e) => format!("Slack answered HTTP {}", e.status_code),
        SlackClientError::RateLimitError(_) => "still rate-limited after retrying".into(),
        _ => "could not reach Slack".into(),
    }
}
