//! `landq webhook`: the webhook alone, publishing to the configured bus.

use std::process::ExitCode;

use anyhow::Context;

use crate::config::{BusArgs, GitHubApi, ListenArgs, SecretArgs, SourceArgs};
use crate::telemetry;

/// Receive GitHub webhooks, verify them and publish them to the bus.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::config::ENVIRONMENT_HELP)]
// The lease is the consumer's: the webhook only publishes.
#[command(mut_arg("bus_lease", |arg| arg.hide(true)))]
pub struct Args {
    #[command(flatten)]
    bus: BusArgs,
    #[command(flatten)]
    listen: ListenArgs,
    #[command(flatten)]
    secret: SecretArgs,
    #[command(flatten)]
    source: SourceArgs,
    /// The GitHub whose webhook ranges --github-hooks-only admits.
    #[command(flatten)]
    github: GitHubApi,
}

/// Runs the command until SIGTERM.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let secret = args.secret.load()?;
    let address = args.listen.address(3000)?;
    telemetry::init();
    tokio::runtime::Runtime::new()?.block_on(async {
        let guard = args.source.guard(&args.github).await?;
        let bus = args.bus.open(false).await?;
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address}"))?;
        tracing::info!(
            address = %listener.local_addr()?,
            bus = %args.bus.describe(),
            "landq webhook listening: POST /webhook, GET /healthz /readyz /metrics"
        );
        let mut state = landq_webhook::AppState::new(bus, secret);
        if let Some(guard) = &guard {
            guard.keep_fresh(args.github.api_url.clone(), args.source.refresh_every());
        }
        state.source = guard;
        landq_webhook::run(listener, state, telemetry::shutdown_signal()).await?;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}
