//! The commands' argument types (clap), each turned into the value it
//! configures: the bus, the store, the secret, GitHub's credentials, the
//! worker. Every flag has a `LANDQ_*` environment variable; everything is
//! validated before anything starts, with a message that says what to set.
//! Nothing here starts a task: the commands wire.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use landq_bus::Bus;
use landq_bus::embedded::{self, EmbeddedBus};
use landq_bus::pubsub::{PubSubBus, PubSubConfig};
use landq_webhook::WebhookSecret;

use crate::env::env_value;
use crate::gcp::secret_value;

/// Which bus to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BusKind {
    /// SQLite under --data-dir: nothing else to run.
    Embedded,
    /// Google Cloud Pub/Sub.
    Pubsub,
}

/// Where events go and come from.
#[derive(Debug, clap::Args)]
pub struct BusArgs {
    /// The event bus.
    #[arg(long, env = "LANDQ_BUS", value_enum, default_value = "embedded")]
    pub bus: BusKind,
    /// Directory for the embedded bus and store.
    #[arg(long, env = "LANDQ_DATA_DIR", default_value = ".landq")]
    pub data_dir: PathBuf,
    /// Seconds an embedded-bus message stays with a consumer that stopped
    /// renewing it (a crash) before it goes to another; a working consumer
    /// renews it every third of this.
    #[arg(long, env = "LANDQ_BUS_LEASE", default_value_t = embedded::DEFAULT_LEASE.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub bus_lease: u64,
    /// Pub/Sub topic, `projects/P/topics/T` (with --bus pubsub).
    #[arg(long, env = "LANDQ_PUBSUB_TOPIC")]
    pub pubsub_topic: Option<String>,
    /// Pub/Sub subscription, `projects/P/subscriptions/S` (to consume).
    #[arg(long, env = "LANDQ_PUBSUB_SUBSCRIPTION")]
    pub pubsub_subscription: Option<String>,
    /// Another Pub/Sub endpoint, e.g. the emulator's `http://127.0.0.1:8085`.
    #[arg(long, env = "LANDQ_PUBSUB_ENDPOINT")]
    pub pubsub_endpoint: Option<String>,
}

impl BusArgs {
    /// Opens the configured bus; `consume` says whether this process reads it.
    pub async fn open(&self, consume: bool) -> anyhow::Result<Arc<dyn Bus>> {
        match self.bus {
            BusKind::Embedded => {
                let bus = EmbeddedBus::open(&self.data_dir, Duration::from_secs(self.bus_lease))
                    .with_context(|| {
                        format!(
                            "cannot open the embedded bus in {}",
                            self.data_dir.display()
                        )
                    })?;
                Ok(Arc::new(bus))
            }
            BusKind::Pubsub => {
                let topic = self.pubsub_topic.clone().context(
                    "--bus pubsub needs --pubsub-topic or LANDQ_PUBSUB_TOPIC (projects/P/topics/T)",
                )?;
                check_name(&topic, "topics", "--pubsub-topic")?;
                if consume && self.pubsub_subscription.is_none() {
                    bail!(
                        "consuming from Pub/Sub needs --pubsub-subscription or LANDQ_PUBSUB_SUBSCRIPTION (projects/P/subscriptions/S)"
                    );
                }
                if let Some(subscription) = &self.pubsub_subscription {
                    check_name(subscription, "subscriptions", "--pubsub-subscription")?;
                }
                let config = PubSubConfig {
                    topic,
                    subscription: self.pubsub_subscription.clone().filter(|_| consume),
                    endpoint: self.pubsub_endpoint.clone(),
                };
                Ok(Arc::new(
                    PubSubBus::connect(&config)
                        .await
                        .context("cannot connect to Pub/Sub")?,
                ))
            }
        }
    }

    /// A one-line description for the start-up log.
    pub fn describe(&self) -> String {
        match self.bus {
            BusKind::Embedded => format!("embedded bus in {}", self.data_dir.display()),
            BusKind::Pubsub => format!(
                "Pub/Sub topic {}",
                self.pubsub_topic.as_deref().unwrap_or("?")
            ),
        }
    }
}

fn check_name(name: &str, kind: &str, flag: &str) -> anyhow::Result<()> {
    let parts: Vec<&str> = name.split('/').collect();
    match parts[..] {
        ["projects", project, k, id] if k == kind && !project.is_empty() && !id.is_empty() => {
            Ok(())
        }
        _ => bail!("{flag} `{name}` must look like projects/PROJECT/{kind}/NAME"),
    }
}

/// The webhook secret, from `LANDQ_WEBHOOK_SECRET` or a file.
#[derive(Debug, clap::Args)]
pub struct SecretArgs {
    /// File holding the webhook secret (the secret itself may only come from
    /// the LANDQ_WEBHOOK_SECRET environment variable, never a flag).
    #[arg(long, env = "LANDQ_WEBHOOK_SECRET_FILE", value_name = "FILE")]
    pub webhook_secret_file: Option<PathBuf>,
}

impl SecretArgs {
    /// Reads and validates the secret.
    pub fn load(&self) -> anyhow::Result<WebhookSecret> {
        let from_env = secret_value("LANDQ_WEBHOOK_SECRET", "LANDQ_WEBHOOK_SECRET_VERSION")?;
        let secret = match (from_env, &self.webhook_secret_file) {
            (Some(_), Some(_)) => {
                bail!("both LANDQ_WEBHOOK_SECRET and LANDQ_WEBHOOK_SECRET_FILE are set: keep one")
            }
            (Some(secret), None) => secret,
            (None, Some(path)) => std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the webhook secret file {}", path.display()))?
                .trim_end_matches(['\n', '\r'])
                .to_owned(),
            (None, None) => bail!(
                "no webhook secret: set LANDQ_WEBHOOK_SECRET or LANDQ_WEBHOOK_SECRET_FILE to the \
                 secret configured on the GitHub App's webhook"
            ),
        };
        if secret.is_empty() {
            bail!("the webhook secret is empty");
        }
        Ok(WebhookSecret::new(secret))
    }
}

/// Where to listen.
#[derive(Debug, clap::Args)]
pub struct ListenArgs {
    /// Address to listen on. Default: 0.0.0.0:$PORT when PORT is set (as on
    /// App Engine), otherwise 127.0.0.1:3000 (`landq worker` alone: 3001, so
    /// it can run beside `landq webhook`).
    #[arg(long, env = "LANDQ_LISTEN")]
    pub listen: Option<SocketAddr>,
}

impl ListenArgs {
    /// The address, with the documented defaults (`local_port` without PORT).
    pub fn address(&self, local_port: u16) -> anyhow::Result<SocketAddr> {
        if let Some(addr) = self.listen {
            return Ok(addr);
        }
        match std::env::var("PORT") {
            Ok(port) => {
                let port: u16 = port
                    .parse()
                    .with_context(|| format!("PORT `{port}` is not a port number"))?;
                Ok(SocketAddr::from(([0, 0, 0, 0], port)))
            }
            Err(_) => Ok(SocketAddr::from(([127, 0, 0, 1], local_port))),
        }
    }
}

/// Who may look at the dashboard.
#[derive(Debug, clap::Args)]
pub struct DashboardArgs {
    /// The GitHub App's OAuth client id: people sign in with GitHub to see
    /// the dashboard (with LANDQ_OAUTH_CLIENT_SECRET). Without it the
    /// dashboard answers only on a loopback listener.
    #[arg(long, env = "LANDQ_OAUTH_CLIENT_ID")]
    pub oauth_client_id: Option<String>,
    /// Where people reach landq (`https://landq.example`): GitHub sends them
    /// back to {public-url}/auth/callback after signing in, and the
    /// session cookie is Secure behind https.
    #[arg(long, env = "LANDQ_PUBLIC_URL")]
    pub public_url: Option<String>,
}

impl DashboardArgs {
    /// Sign-in with GitHub: on when the client id is set (not empty), and
    /// then the client secret must be set too; an error names what is
    /// missing.
    pub fn sign_in(&self) -> anyhow::Result<Option<landq_api::SignIn>> {
        let Some(id) = self.oauth_client_id.as_ref().filter(|id| !id.is_empty()) else {
            return Ok(None);
        };
        if let Some(url) = &self.public_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            bail!("--public-url `{url}` is not an http(s) URL");
        }
        let secret = secret_value(
            "LANDQ_OAUTH_CLIENT_SECRET",
            "LANDQ_OAUTH_CLIENT_SECRET_VERSION",
        )?
        .filter(|s| !s.is_empty())
        .with_context(|| {
            "LANDQ_OAUTH_CLIENT_ID is set but LANDQ_OAUTH_CLIENT_SECRET is not: set it (or \
             LANDQ_OAUTH_CLIENT_SECRET_VERSION) to a client secret of the GitHub App (its \
             General settings, \"Client secrets\")"
        })?;
        Ok(Some(landq_api::SignIn::new(
            landq_github::OAuthClient {
                id: id.clone(),
                secret: secret.into(),
            },
            self.public_url.clone(),
        )))
    }
}

/// Slack, for reminders and audit changes: a bot token or an incoming
/// webhook, both read only from the environment (or Secret Manager).
#[derive(Debug, clap::Args)]
pub struct SlackArgs {
    /// Slack's Web API (`https://slack.com/api` unless set; tests point it
    /// at a fake).
    #[arg(long, env = "LANDQ_SLACK_API_URL")]
    pub slack_api_url: Option<String>,
}

impl SlackArgs {
    /// Slack, if configured; an error names what is wrong (never the
    /// secret).
    pub fn slack(&self) -> anyhow::Result<Option<landq_org::slack::Slack>> {
        let token = secret_value("LANDQ_SLACK_TOKEN", "LANDQ_SLACK_TOKEN_VERSION")?;
        let hook = secret_value("LANDQ_SLACK_WEBHOOK_URL", "LANDQ_SLACK_WEBHOOK_URL_VERSION")?;
        Ok(match (token, hook) {
            (Some(_), Some(_)) => {
                bail!("both LANDQ_SLACK_TOKEN and LANDQ_SLACK_WEBHOOK_URL are set: keep one")
            }
            (Some(token), None) => Some(landq_org::slack::Slack::bot(
                &token,
                self.slack_api_url.as_deref(),
            )?),
            (None, Some(hook)) => Some(landq_org::slack::Slack::webhook(&hook)?),
            (None, None) => None,
        })
    }
}

/// The organisation tools inside the worker: the audit and the reminders on
/// an interval (both off unless set).
#[derive(Debug, clap::Args)]
pub struct OrgArgs {
    /// Audit every repository this often (`1d`, `12h`); off unless set
    /// (empty or `off`: off).
    #[arg(long, env = "LANDQ_AUDIT_INTERVAL", value_parser = interval)]
    pub audit_interval: Option<Interval>,
    /// The organisation's policy for the audit (`landq-audit.toml`).
    #[arg(long, env = "LANDQ_AUDIT_POLICY", value_name = "FILE")]
    pub audit_policy: Option<PathBuf>,
    /// The Slack channel told when a repository's audit status changes
    /// (with a bot token; a webhook posts to its own).
    #[arg(long, env = "LANDQ_AUDIT_CHANNEL")]
    pub audit_channel: Option<String>,
    /// Run the reminders this often (`1h`); off unless set (empty or `off`:
    /// off).
    #[arg(long, env = "LANDQ_REMIND_INTERVAL", value_parser = interval)]
    pub remind_interval: Option<Interval>,
    #[command(flatten)]
    pub slack: SlackArgs,
}

/// How often a job runs; `None`: never.
#[derive(Clone, Copy, Debug)]
pub struct Interval(Option<Duration>);

/// `1d`, `12h`; empty, `off` or zero: off (so a deployment can always set
/// the variable).
fn interval(text: &str) -> Result<Interval, String> {
    if matches!(text.trim(), "" | "off" | "0") {
        return Ok(Interval(None));
    }
    let every = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    Ok(Interval((!every.is_zero()).then_some(every)))
}

/// The organisation jobs, configured (files and secrets read at start-up).
pub struct OrgJobs {
    audit: Option<(Duration, landq_org::audit::Policy, Option<String>)>,
    remind: Option<Duration>,
    slack: Option<Arc<landq_org::slack::Slack>>,
}

impl OrgArgs {
    /// Reads the policy and Slack's secrets; an error names what is wrong.
    pub fn prepare(&self) -> anyhow::Result<OrgJobs> {
        let remind_interval = self.remind_interval.and_then(|i| i.0);
        let audit_interval = self.audit_interval.and_then(|i| i.0);
        // Slack's secrets are read only when a job may post.
        let slack = match remind_interval.or(audit_interval) {
            Some(_) => self.slack.slack()?.map(Arc::new),
            None => None,
        };
        if remind_interval.is_some() && slack.is_none() {
            bail!(
                "--remind-interval needs Slack: set LANDQ_SLACK_TOKEN or LANDQ_SLACK_WEBHOOK_URL"
            );
        }
        let audit = match audit_interval {
            Some(every) => Some((
                every,
                crate::commands::audit::policy(self.audit_policy.as_ref())?,
                self.audit_channel.clone().filter(|c| !c.is_empty()),
            )),
            None => None,
        };
        Ok(OrgJobs {
            audit,
            remind: remind_interval,
            slack,
        })
    }
}

impl OrgJobs {
    /// Starts the configured jobs until `stop` turns true.
    pub fn spawn(
        self,
        github: Arc<landq_github::GitHub>,
        store: Arc<dyn landq_store::Store>,
        repos: Vec<String>,
        stop: &tokio::sync::watch::Receiver<bool>,
    ) {
        let org = Arc::new(landq_org::jobs::Org {
            github,
            store,
            slack: self.slack,
            repos,
        });
        if let Some((every, policy, channel)) = self.audit {
            let (org, stop) = (org.clone(), stop.clone());
            tokio::spawn(landq_org::jobs::every(every, stop, move || {
                let (org, policy, channel) = (org.clone(), policy.clone(), channel.clone());
                async move {
                    match org.audit(&policy, channel.as_deref()).await {
                        Ok(audit) => tracing::info!(
                            repositories = audit.len(),
                            compliant = audit
                                .values()
                                .filter(|r| r.status == landq_org::audit::Status::Compliant)
                                .count(),
                            "audit done"
                        ),
                        Err(err) => tracing::warn!(error = %err, "audit failed"),
                    }
                }
            }));
        }
        if let Some(every) = self.remind {
            let holder = crate::commands::remind::holder("worker");
            tokio::spawn(landq_org::jobs::every(every, stop.clone(), move || {
                let (org, holder) = (org.clone(), holder.clone());
                async move {
                    if let Err(err) = org.remind(&holder).await {
                        tracing::warn!(error = %err, "reminders failed");
                    }
                }
            }));
        }
    }
}

/// Which GitHub: its REST API, for the client and for `/meta`.
#[derive(Debug, clap::Args)]
pub struct GitHubApi {
    /// The GitHub REST API (any GitHub-compatible API).
    #[arg(
        long = "github-api-url",
        env = "LANDQ_GITHUB_API_URL",
        default_value = "https://api.github.com"
    )]
    pub api_url: String,
}

/// How landq reaches GitHub.
#[derive(Debug, clap::Args)]
pub struct GitHubArgs {
    #[command(flatten)]
    pub api: GitHubApi,
    /// GitHub App id (with LANDQ_GITHUB_APP_KEY or --github-app-key-file).
    #[arg(long = "github-app-id", env = "LANDQ_GITHUB_APP_ID")]
    pub app_id: Option<u64>,
    /// File holding the GitHub App's private key (PEM).
    #[arg(
        long = "github-app-key-file",
        env = "LANDQ_GITHUB_APP_KEY_FILE",
        value_name = "FILE"
    )]
    pub app_key_file: Option<PathBuf>,
}

impl GitHubArgs {
    /// The client, once GitHub has accepted its credentials (or has not
    /// answered within [`CREDENTIALS_CHECK`]): a token or App
    /// key that GitHub refuses (401) stops landq at start-up with the
    /// reason; an unreachable GitHub is only a warning (the worker retries).
    pub async fn verified_client(
        &self,
        auth: landq_github::Auth,
    ) -> anyhow::Result<landq_github::GitHub> {
        let github = landq_github::GitHub::new(
            &self.api.api_url,
            auth,
            landq_github::retry::RetryPolicy::default(),
        )?;
        let checked = tokio::time::timeout(CREDENTIALS_CHECK, github.identity()).await;
        let Ok(checked) = checked else {
            tracing::warn!(api = %self.api.api_url, "GitHub did not answer the credentials check in time");
            return Ok(github);
        };
        match checked {
            Ok(who) => {
                tracing::info!(%who, api = %self.api.api_url, "GitHub accepts landq's credentials")
            }
            Err(landq_github::GitHubError::Status {
                status: 401,
                message,
                ..
            }) => bail!(
                "GitHub at {} refuses landq's credentials ({message}): check {}",
                self.api.api_url,
                if github.is_app() {
                    "LANDQ_GITHUB_APP_ID and the App's private key (LANDQ_GITHUB_APP_KEY or \
                     LANDQ_GITHUB_APP_KEY_FILE)"
                } else {
                    "LANDQ_GITHUB_TOKEN"
                }
            ),
            Err(err) => tracing::warn!(error = %err, "cannot check landq's GitHub credentials yet"),
        }
        Ok(github)
    }

    /// The credentials, from the environment or files only:
    /// `LANDQ_GITHUB_TOKEN` (trials) or an App id with `LANDQ_GITHUB_APP_KEY`
    /// (or its Secret Manager `_VERSION`) or `LANDQ_GITHUB_APP_KEY_FILE`.
    /// Blocking (Secret Manager): call before the runtime starts.
    pub fn auth(&self) -> anyhow::Result<landq_github::Auth> {
        use landq_github::Auth;
        let token = env_value("LANDQ_GITHUB_TOKEN");
        let key = match self.app_id {
            Some(_) => secret_value("LANDQ_GITHUB_APP_KEY", "LANDQ_GITHUB_APP_KEY_VERSION")?,
            None => None,
        };
        let auth = match (token, self.app_id) {
            (Some(_), Some(_)) => {
                bail!("both LANDQ_GITHUB_TOKEN and LANDQ_GITHUB_APP_ID are set: keep one")
            }
            (Some(token), None) => Auth::Token(token.into()),
            (None, Some(app_id)) => {
                let private_key = match (key, &self.app_key_file) {
                    (Some(_), Some(_)) => bail!(
                        "both LANDQ_GITHUB_APP_KEY and LANDQ_GITHUB_APP_KEY_FILE are set: keep one"
                    ),
                    (Some(key), None) => key,
                    (None, Some(path)) => std::fs::read_to_string(path).with_context(|| {
                        format!("cannot read the GitHub App key file {}", path.display())
                    })?,
                    (None, None) => bail!(
                        "LANDQ_GITHUB_APP_ID is set but no private key: set LANDQ_GITHUB_APP_KEY or \
                         LANDQ_GITHUB_APP_KEY_FILE"
                    ),
                };
                Auth::App {
                    app_id,
                    private_key: private_key.into(),
                }
            }
            (None, None) => bail!(
                "no GitHub credentials: set LANDQ_GITHUB_APP_ID with LANDQ_GITHUB_APP_KEY_FILE (a GitHub \
                 App), or LANDQ_GITHUB_TOKEN (a token, for trials)"
            ),
        };
        Ok(auth)
    }
}

/// What `serve`, `webhook` and `worker` read only from the environment,
/// for their `--help`.
pub const ENVIRONMENT_HELP: &str = "\
Read only from the environment (secrets are never flags and never logged):
  LANDQ_WEBHOOK_SECRET          the webhook's secret (or --webhook-secret-file) [serve, webhook]
  LANDQ_GITHUB_TOKEN            a token with `repo` scope, for trials [serve, worker]
  LANDQ_GITHUB_APP_KEY          the GitHub App's private key, PEM (or --github-app-key-file)
  LANDQ_OAUTH_CLIENT_SECRET     the App's OAuth client secret, for sign-in to the dashboard
  LANDQ_SLACK_TOKEN             a Slack bot token (xoxb-…), for reminders and audit changes
  LANDQ_SLACK_WEBHOOK_URL       or a Slack incoming-webhook URL
  LANDQ_..._VERSION             each of the above from Secret Manager instead
                                (projects/P/secrets/S/versions/V): LANDQ_WEBHOOK_SECRET_VERSION,
                                LANDQ_GITHUB_APP_KEY_VERSION, LANDQ_OAUTH_CLIENT_SECRET_VERSION,
                                LANDQ_SLACK_TOKEN_VERSION, LANDQ_SLACK_WEBHOOK_URL_VERSION
  LANDQ_LOG                     log filter (default `info`); JSON lines when stderr is not a terminal";

/// How long start-up waits for GitHub to say whether it accepts landq's
/// credentials before going on without knowing.
pub const CREDENTIALS_CHECK: std::time::Duration = std::time::Duration::from_secs(10);

/// Which store to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// SQLite under --data-dir.
    Sqlite,
    /// Google Cloud Firestore (native mode).
    Firestore,
}

/// Where the worker keeps the queue and the audit log.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// The store.
    #[arg(long, env = "LANDQ_STORE", value_enum, default_value = "sqlite")]
    pub store: StoreKind,
    /// Google Cloud project of the Firestore database.
    #[arg(long, env = "LANDQ_FIRESTORE_PROJECT")]
    pub firestore_project: Option<String>,
    /// Prefix of landq's Firestore collections.
    #[arg(long, env = "LANDQ_FIRESTORE_PREFIX", default_value = "landq_")]
    pub firestore_prefix: String,
}

impl StoreArgs {
    /// Opens the configured store (SQLite lives in `data_dir`).
    pub async fn open(
        &self,
        data_dir: &std::path::Path,
    ) -> anyhow::Result<Arc<dyn landq_store::Store>> {
        match self.store {
            StoreKind::Sqlite => Ok(Arc::new(
                landq_store::sqlite::SqliteStore::open(data_dir)
                    .with_context(|| format!("cannot open the store in {}", data_dir.display()))?,
            )),
            StoreKind::Firestore => {
                let project = self.firestore_project.clone().context(
                    "--store firestore needs --firestore-project or LANDQ_FIRESTORE_PROJECT",
                )?;
                let store = landq_store::firestore::FirestoreStore::connect(
                    &project,
                    &self.firestore_prefix,
                )
                .await
                .context("cannot connect to Firestore")?;
                Ok(Arc::new(store))
            }
        }
    }
}

/// Where the commands that read the store find it.
#[derive(Debug, clap::Args)]
pub struct StorePlace {
    /// The data directory of `landq serve` or `landq worker` (SQLite store).
    #[arg(long, env = "LANDQ_DATA_DIR", default_value = ".landq", global = true)]
    pub data_dir: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
}

impl StorePlace {
    /// Opens the store.
    pub async fn open(&self) -> anyhow::Result<Arc<dyn landq_store::Store>> {
        self.store.open(&self.data_dir).await
    }
}

/// How the worker runs: its consumers and the reconcile.
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// Repositories processed at once (each one serially).
    #[arg(long, env = "LANDQ_CONSUMERS", default_value_t = 8)]
    pub consumers: usize,
    /// Failed attempts after which a message is set aside (`landq bus list
    /// --dead`; on Pub/Sub the subscription's dead-letter policy decides).
    #[arg(long, env = "LANDQ_BUS_MAX_ATTEMPTS", default_value_t = landq_worker::consume::DEFAULT_MAX_ATTEMPTS, value_parser = clap::value_parser!(u32).range(1..))]
    pub bus_max_attempts: u32,
    /// Seconds between reconcile passes (0 turns it off).
    #[arg(long, env = "LANDQ_RECONCILE_INTERVAL", default_value_t = 300)]
    pub reconcile_interval: u64,
    /// With token authentication: the repositories to reconcile, comma-separated
    /// `owner/name` (a GitHub App reconciles all its installations).
    #[arg(long, env = "LANDQ_REPOS", value_delimiter = ',')]
    pub repos: Vec<String>,
}

impl WorkerArgs {
    /// The worker's configuration.
    pub fn config(&self) -> landq_worker::Config {
        landq_worker::Config {
            consumers: landq_worker::consume::Consumers {
                count: self.consumers,
                max_attempts: self.bus_max_attempts,
            },
            reconcile_every: (self.reconcile_interval > 0)
                .then(|| std::time::Duration::from_secs(self.reconcile_interval)),
            repos: self.repos.clone(),
        }
    }
}

/// The opt-in allowlist of GitHub's webhook ranges (defence in depth behind
/// App Engine's firewall).
#[derive(Debug, clap::Args)]
pub struct SourceArgs {
    /// Refuse deliveries from outside GitHub's webhook ranges (`hooks` of
    /// GitHub's /meta, refreshed every --github-hooks-refresh seconds).
    #[arg(long, env = "LANDQ_GITHUB_HOOKS_ONLY")]
    pub github_hooks_only: bool,
    /// Seconds between refreshes of GitHub's webhook ranges.
    #[arg(long, env = "LANDQ_GITHUB_HOOKS_REFRESH", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(60..))]
    pub github_hooks_refresh: u64,
    /// `X-Forwarded-For` entries from the end to the client's (App Engine
    /// appends the client and its load balancer: 2; no proxy in front: 0,
    /// the header is ignored and the peer address is the client).
    #[arg(long, env = "LANDQ_FORWARDED_HOPS", default_value_t = 2)]
    pub forwarded_hops: usize,
}

impl SourceArgs {
    /// The guard with the current ranges of `github`, or `None` when not
    /// asked for.
    pub async fn guard(
        &self,
        github: &GitHubApi,
    ) -> anyhow::Result<Option<landq_webhook::SourceGuard>> {
        if !self.github_hooks_only {
            return Ok(None);
        }
        let guard = landq_webhook::SourceGuard::from_github(&github.api_url, self.forwarded_hops)
            .await
            .context("--github-hooks-only needs GitHub's webhook ranges")?;
        Ok(Some(guard))
    }

    /// How often the guard's ranges are refreshed.
    pub fn refresh_every(&self) -> Duration {
        Duration::from_secs(self.github_hooks_refresh)
    }
}
