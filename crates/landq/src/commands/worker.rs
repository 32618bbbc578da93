//! `landq worker`: consume the bus and land pull requests.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use crate::config::{
    BusArgs, DashboardArgs, GitHubArgs, ListenArgs, OrgArgs, StoreArgs, WorkerArgs,
};
use crate::telemetry;

/// Consume events from the bus, decide, and land pull requests.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::config::ENVIRONMENT_HELP)]
pub struct Args {
    #[command(flatten)]
    bus: BusArgs,
    #[command(flatten)]
    listen: ListenArgs,
    #[command(flatten)]
    dashboard: DashboardArgs,
    #[command(flatten)]
    org: OrgArgs,
    #[command(flatten)]
    github: GitHubArgs,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    worker: WorkerArgs,
}

/// Runs the command until SIGTERM.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let auth = args.github.auth()?;
    let sign_in = args.dashboard.sign_in()?;
    let org = args.org.prepare()?;
    tokio::runtime::Runtime::new()?.block_on(async {
        // octocrab needs a runtime; nothing is opened before this validates.
        telemetry::init();
        let github = Arc::new(args.github.verified_client(auth).await?);
        let bus = args.bus.open(true).await?;
        let store = args.store.open(&args.bus.data_dir).await?;
        tracing::info!(bus = %args.bus.describe(), consumers = args.worker.consumers, "landq worker started");
        let (stop, stopped) = tokio::sync::watch::channel(false);
        org.spawn(github.clone(), store.clone(), args.worker.config().repos, &stopped);
        tokio::spawn(async move {
            telemetry::shutdown_signal().await;
            let _ = stop.send(true);
        });
        let mut registry = prometheus_client::registry::Registry::default();
        let worker = landq_worker::Worker::new(github.clone(), bus, store.clone(), args.worker.config(), &mut registry);
        let address = args.listen.address(3001)?;
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address}"))?;
        let local = listener.local_addr()?;
        tracing::info!(address = %local, "landq worker probes: GET /healthz /readyz /metrics, the dashboard at / and /api");
        let dashboard = super::serve::dashboard(&store, &github, &args.worker.config().repos, local, sign_in);
        let ready = move || {
            let store = store.clone();
            async move { store.check().await.map_err(|err| err.to_string()) }
        };
        let probes = landq_http::probes::router("store", ready, Arc::new(registry)).merge(dashboard);
        let mut probes_stopped = stopped.clone();
        tokio::spawn(async move {
            let stop = async move {
                let _ = probes_stopped.wait_for(|s| *s).await;
            };
            if let Err(err) = landq_http::serve(listener, probes, stop).await {
                tracing::error!(error = %err, "worker probes stopped");
            }
        });
        worker.run(stopped).await;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}
