//! `landq bus list [--dead]` and `landq bus retry`: what the embedded bus
//! holds, what it set aside, and putting that back.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;

/// Inspect the embedded bus, and put set-aside messages back.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: BusCommand,
}

#[derive(Debug, clap::Subcommand)]
enum BusCommand {
    /// Print the envelopes waiting in the embedded bus, oldest first, one JSON
    /// object per line; with --dead, the messages set aside (after too many
    /// failed attempts, or an answer that can never change), with why.
    List {
        /// The data directory of `landq webhook` or `landq serve`.
        #[arg(long, env = "LANDQ_DATA_DIR", default_value = ".landq")]
        data_dir: PathBuf,
        /// The set-aside messages: `{"seq":…,"envelope":{…},"attempts":…,"reason":…,"died_ms":…}`.
        #[arg(long)]
        dead: bool,
    },
    /// Put set-aside messages back on the bus (at the end of their
    /// repository's queue): the one numbered SEQ, or all with --all. Safe
    /// while landq runs.
    Retry {
        /// The data directory of `landq webhook` or `landq serve`.
        #[arg(long, env = "LANDQ_DATA_DIR", default_value = ".landq")]
        data_dir: PathBuf,
        /// The `seq` that `landq bus list --dead` printed.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        seq: Option<i64>,
        /// Every set-aside message.
        #[arg(long)]
        all: bool,
    },
}

/// Runs the command.
pub fn run(args: &Args, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let mut out = BufWriter::new(out);
    match &args.command {
        BusCommand::List {
            data_dir,
            dead: false,
        } => {
            for envelope in landq_bus::embedded::list(data_dir)? {
                writeln!(out, "{}", serde_json::to_string(&envelope)?)?;
            }
        }
        BusCommand::List {
            data_dir,
            dead: true,
        } => {
            for dead in landq_bus::embedded::list_dead(data_dir)? {
                writeln!(out, "{}", serde_json::to_string(&dead)?)?;
            }
        }
        BusCommand::Retry { data_dir, seq, .. } => {
            let moved = landq_bus::embedded::retry_dead(data_dir, *seq)?;
            if let (Some(seq), 0) = (seq, moved) {
                bail!("no set-aside message {seq} (see `landq bus list --dead`)");
            }
            writeln!(out, "{moved} message(s) back on the bus")?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
