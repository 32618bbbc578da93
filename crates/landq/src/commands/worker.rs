//! `landq worker`: consume the bus and land pull requests.

use std::process::ExitCode;
use std::sync::Arc;

use crate::config::{BusArgs, GitHubArgs, ReconcileArgs, StoreArgs};
use crate::telemetry;

/// Consume events from the bus, decide, and land pull requests.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    bus: BusArgs,
    #[command(flatten)]
    github: GitHubArgs,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    reconcile: ReconcileArgs,
    /// Repositories processed at once (each one serially).
    #[arg(long, env = "LANDQ_CONSUMERS", default_value_t = 8)]
    consumers: usize,
}

/// Runs the command until SIGTERM.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    tokio::runtime::Runtime::new()?.block_on(async {
        // octocrab needs a runtime; nothing is opened before this validates.
        let github = Arc::new(args.github.client()?);
        telemetry::init();
        let bus = args.bus.open(true).await?;
        let store = args.store.open(&args.bus.data_dir).await?;
        tracing::info!(bus = %args.bus.describe(), consumers = args.consumers, "landq worker started");
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            telemetry::shutdown_signal().await;
            let _ = stop.send(true);
        });
        let reconcile = args.reconcile.spawn(github.clone(), bus.clone(), stopped.clone());
        let lander = Arc::new(landq_worker::land::Lander::new(github, store.clone()));
        landq_worker::consume::run(lander, bus, store, args.consumers, stopped).await;
        if let Some(reconcile) = reconcile {
            let _ = reconcile.await;
        }
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}
