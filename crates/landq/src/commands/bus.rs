//! `landq bus list`: what the embedded bus holds.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Inspect the embedded bus.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: BusCommand,
}

#[derive(Debug, clap::Subcommand)]
enum BusCommand {
    /// Print the envelopes waiting in the embedded bus, oldest first, one JSON
    /// object per line.
    List {
        /// The data directory of `landq webhook` or `landq serve`.
        #[arg(long, env = "LANDQ_DATA_DIR", default_value = ".landq")]
        data_dir: PathBuf,
    },
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.command {
        BusCommand::List { data_dir } => {
            let mut out = BufWriter::new(std::io::stdout().lock());
            for envelope in landq_bus::embedded::list(data_dir)? {
                writeln!(out, "{}", serde_json::to_string(&envelope)?)?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
