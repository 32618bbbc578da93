//! `landq`: the land queue's single entry point.
//!
//! `main` only parses arguments and maps the outcome to an exit code: 0 ok,
//! 1 invalid input or a failed command, 2 usage errors (from clap).

mod commands;
mod config;
mod env;
mod gcp;
mod git;
mod telemetry;

use std::io;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// landq: only landq merges. Ownership rules live in `.github/.landqueue`.
#[derive(Debug, Parser)]
#[command(name = "landq", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Check(commands::check::Args),
    Owners(commands::owners::Args),
    Explain(commands::explain::Args),
    Serve(commands::serve::Args),
    Webhook(commands::webhook::Args),
    Worker(commands::worker::Args),
    Bus(commands::bus::Args),
    Queue(commands::queue::Args),
    Lands(commands::lands::LandsArgs),
    Stats(commands::lands::StatsArgs),
    Firewall(commands::firewall::Args),
    Audit(commands::audit::Args),
    Remind(commands::remind::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let outcome = match cli.command {
        Command::Check(args) => commands::check::run(&args, &mut stdout.lock()),
        Command::Owners(args) => commands::owners::run(&args, &mut stdout.lock()),
        Command::Explain(args) => commands::explain::run(&args, &mut stdout.lock()),
        Command::Serve(args) => commands::serve::run(&args),
        Command::Webhook(args) => commands::webhook::run(&args),
        Command::Worker(args) => commands::worker::run(&args),
        Command::Bus(args) => commands::bus::run(&args, &mut stdout.lock()),
        Command::Queue(args) => commands::queue::run(&args, &mut stdout.lock()),
        Command::Lands(args) => commands::lands::lands(&args, &mut stdout.lock()),
        Command::Stats(args) => commands::lands::stats(&args, &mut stdout.lock()),
        Command::Firewall(args) => commands::firewall::run(&args),
        Command::Audit(args) => commands::audit::run(&args, &mut stdout.lock()),
        Command::Remind(args) => commands::remind::run(&args, &mut stdout.lock()),
    };
    match outcome {
        Ok(code) => code,
        // A reader that stopped early (`landq owners | head`) is no error.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("landq: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
