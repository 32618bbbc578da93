//! The README's walkthrough: a fake GitHub holding `acme/app` with one pull
//! request ready to land, whose review and label webhooks are delivered,
//! signed, to a running `landq serve`.

use std::time::{Duration, Instant};

use landq_webhook::WebhookSecret;

use crate::hub::{Event, Hub};

/// The repository of the walkthrough.
pub const REPO: &str = "acme/app";

/// A fake GitHub with the walkthrough's pull request.
pub struct Demo {
    /// The fake.
    pub hub: Hub,
    /// The pull request that lands.
    pub pr: u64,
}

impl Demo {
    /// Serves the fake on `listener` with alice's pull request changing
    /// billing (owned by carol) and docs (owned by the `acme/eng` team).
    pub fn start(listener: tokio::net::TcpListener) -> Demo {
        let hub = Hub::serve_on(listener);
        hub.create_repo(
            REPO,
            None,
            &[
                (".github/.landqueue", "* @acme/eng\n/billing/ @carol\n"),
                ("billing/pay.rs", "fn pay(amount: f64) {}\n"),
                ("docs/pay.md", "# Paying\n"),
            ],
        );
        hub.permit(REPO, "dan", "write");
        hub.join_team("acme/eng", "bob");
        hub.push(
            REPO,
            "cents",
            "main",
            &[
                ("billing/pay.rs", Some("fn pay(cents: u64) {}\n")),
                ("docs/pay.md", Some("# Paying\n\nAmounts are in cents.\n")),
            ],
            "alice",
        );
        let pr = hub.open_pull(
            REPO,
            "alice",
            "cents",
            "main",
            "Charge in cents",
            "Floating point money rounds.",
        );
        Demo { hub, pr }
    }

    /// bob and carol approve, dan applies the label; each event is delivered
    /// to `webhook` signed with `secret` under delivery ids of this run's
    /// own (landq would ignore ids it has seen), waiting up to
    /// [`LANDQ_START_WAIT`] for landq to answer and telling `progress` what
    /// it waits for. Then waits for the land and returns the squash
    /// commit's SHA and message.
    pub async fn run(
        &self,
        webhook: &str,
        secret: &str,
        progress: impl Fn(&str),
    ) -> Result<(String, String), String> {
        let secret = WebhookSecret::new(secret);
        let client = reqwest::Client::new();
        let events = [
            self.hub.review(REPO, self.pr, "bob", "APPROVED"),
            self.hub.review(REPO, self.pr, "carol", "APPROVED"),
            self.hub.label(REPO, self.pr, "land requested", "dan"),
        ];
        let run = run_id();
        progress(&format!(
            "waiting for landq to answer at {webhook} (up to {} min: a first `cargo run` \
             compiles for a while)",
            LANDQ_START_WAIT.as_secs() / 60
        ));
        for (n, event) in events.iter().enumerate() {
            deliver(&client, webhook, &secret, event, &format!("demo-{run}-{n}")).await?;
        }
        progress("delivered; waiting for landq to land the pull request");
        let deadline = Instant::now() + LAND_WAIT;
        loop {
            if let (_, _, Some(sha)) = self.hub.pull_state(REPO, self.pr) {
                let (message, _) = self.hub.commit_message(REPO, &sha);
                return Ok((sha, message));
            }
            if Instant::now() > deadline {
                let head = self.hub.tip(REPO, "cents");
                return Err(match self.hub.feedback(REPO, &head) {
                    Some((state, text)) => format!(
                        "not landed after {} s; landq reports `{state}`: {text}",
                        LAND_WAIT.as_secs()
                    ),
                    None => format!(
                        "not landed after {} s and landq has said nothing on the pull request: \
                         is it running with LANDQ_GITHUB_API_URL={}?",
                        LAND_WAIT.as_secs(),
                        self.hub.url()
                    ),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// How long the walkthrough waits for landq to answer its first delivery:
/// long enough for a cold build of `landq serve`.
pub const LANDQ_START_WAIT: Duration = Duration::from_secs(15 * 60);

/// How long it waits for the land once landq has the deliveries.
const LAND_WAIT: Duration = Duration::from_secs(60);

/// Different on every run: the process and the time it started.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("{}-{nanos:x}", std::process::id())
}

async fn deliver(
    client: &reqwest::Client,
    webhook: &str,
    secret: &WebhookSecret,
    event: &Event,
    id: &str,
) -> Result<(), String> {
    let body = serde_json::to_vec(&event.payload).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + LANDQ_START_WAIT;
    loop {
        let answer = client
            .post(webhook)
            .header("content-type", "application/json")
            .header("x-github-event", event.name)
            .header("x-github-delivery", id)
            .header("x-hub-signature-256", secret.sign(&body))
            .body(body.clone())
            .send()
            .await;
        match answer {
            Ok(answer) if answer.status().is_success() => return Ok(()),
            Ok(answer) => return Err(format!("{webhook} answered {}", answer.status())),
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            Err(err) => return Err(format!("cannot reach {webhook}: {err}")),
        }
    }
}
