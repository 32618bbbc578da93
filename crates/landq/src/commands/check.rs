//! `landq check FILE`: validate a `.landqueue` rules file (or, for a `.toml`
//! file, a `landq.toml` settings file).

use std::path::PathBuf;
use std::process::ExitCode;

use landq_policy::Settings;

/// Validate a `.landqueue` file (or a `landq.toml`): exit 0, or exit 1 with
/// `FILE:LINE: message` per error. Warnings go to stderr.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to check.
    file: PathBuf,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let name = args.file.display().to_string();
    let text = super::read_text(&args.file)?;
    if args.file.extension().is_some_and(|ext| ext == "toml") {
        return Ok(match Settings::parse(&text) {
            Ok(_) => {
                println!("{name}: ok");
                ExitCode::SUCCESS
            }
            Err(err) => {
                println!("{name}:{}: {}", err.line, err.message);
                ExitCode::FAILURE
            }
        });
    }
    let Some(rules) = super::parse_rules_or_report(&name, &text) else {
        return Ok(ExitCode::FAILURE);
    };
    for warning in rules.warnings() {
        eprintln!("{name}: warning: {warning}");
    }
    println!("{name}: ok, {} rules", rules.rules().len());
    Ok(ExitCode::SUCCESS)
}
