//! `landq serve`: webhook and worker in one process, on the embedded bus and
//! the SQLite store under `--data-dir`. Nothing else to install or run.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use crate::config::{
    BusArgs, DashboardArgs, GitHubArgs, ListenArgs, OrgArgs, SecretArgs, SourceArgs, StoreArgs,
    WorkerArgs,
};
use crate::telemetry;

/// Run the webhook and the worker together (the embedded default).
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
    secret: SecretArgs,
    #[command(flatten)]
    source: SourceArgs,
    #[command(flatten)]
    github: GitHubArgs,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    worker: WorkerArgs,
}

/// The dashboard's routes over `store`: behind sign-in with GitHub when
/// configured; else open on a loopback listener (`local`) and closed
/// elsewhere.
pub fn dashboard(
    store: &Arc<dyn landq_store::Store>,
    github: &Arc<landq_github::GitHub>,
    repos: &[String],
    local: std::net::SocketAddr,
    sign_in: Option<landq_api::SignIn>,
) -> axum::Router {
    let access = match (sign_in, local.ip().is_loopback()) {
        (Some(sign_in), _) => landq_api::Access::SignIn(sign_in),
        (None, true) => landq_api::Access::Open,
        (None, false) => landq_api::Access::Closed,
    };
    let dashboard = landq_api::Dashboard::new(store.clone(), repos.to_vec(), github.web(), access)
        .with_github(github.clone());
    landq_api::router(Arc::new(dashboard))
}

/// Runs the command until SIGTERM: the webhook stops accepting, in-flight
/// deliveries and lands finish, then the process exits 0.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let secret = args.secret.load()?;
    let address = args.listen.address(3000)?;
    let auth = args.github.auth()?;
    let sign_in = args.dashboard.sign_in()?;
    let org = args.org.prepare()?;
    tokio::runtime::Runtime::new()?.block_on(async {
        // octocrab needs a runtime; nothing is opened before this validates.
        telemetry::init();
        let guard = args.source.guard(&args.github.api).await?;
        let github = Arc::new(args.github.verified_client(auth).await?);
        let bus = args.bus.open(true).await?;
        let store = args.store.open(&args.bus.data_dir).await?;
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address}"))?;
        let local = listener.local_addr()?;
        tracing::info!(
            address = %local,
            bus = %args.bus.describe(),
            "landq serve listening: POST /webhook, GET /healthz /readyz /metrics, the dashboard at / and /api"
        );
        let dashboard = dashboard(&store, &github, &args.worker.config().repos, local, sign_in);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        org.spawn(github.clone(), store.clone(), args.worker.config().repos, &stopped);
        let mut registry = prometheus_client::registry::Registry::default();
        let worker = landq_worker::Worker::new(
            github,
            bus.clone(),
            store,
            args.worker.config(),
            &mut registry,
        );
        let worker = tokio::spawn(worker.run(stopped));
        let mut state = landq_webhook::AppState::with_registry(bus, secret, registry);
        if let Some(guard) = &guard {
            guard.keep_fresh(args.github.api.api_url.clone(), args.source.refresh_every());
        }
        state.source = guard;
        let app = landq_webhook::router(state).merge(dashboard);
        landq_http::serve(listener, app, telemetry::shutdown_signal()).await?;
        let _ = stop.send(true);
        worker.await?;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}
