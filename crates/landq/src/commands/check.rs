//! `landq check FILE`: validate a rules file (CODEOWNERS format) or, for a
//! `.toml` file, a `landq.toml` settings file.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use landq_policy::{RULES_PATH, Settings};

/// Validate a rules file (or a `landq.toml`): exit 0, or exit 1 with
/// `FILE:LINE: message` per error. Warnings go to stderr.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to check.
    file: PathBuf,
    /// Where the rules file lives in the repository, for the warning when
    /// no rule owns it (`.github/CODEOWNERS` when landq reads GitHub's file).
    #[arg(long = "as", value_name = "PATH", default_value = RULES_PATH)]
    repo_path: String,
}

/// Runs the command.
pub fn run(args: &Args, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let name = args.file.display().to_string();
    let text = super::read_text(&args.file)?;
    if args.file.extension().is_some_and(|ext| ext == "toml") {
        return Ok(match Settings::parse(&text) {
            Ok(_) => {
                writeln!(out, "{name}: ok")?;
                ExitCode::SUCCESS
            }
            Err(err) => {
                writeln!(out, "{name}:{}: {}", err.line, err.message)?;
                ExitCode::FAILURE
            }
        });
    }
    let Some(rules) = super::parse_rules_or_report(out, &name, &text)? else {
        return Ok(ExitCode::FAILURE);
    };
    for warning in rules.warnings(&args.repo_path) {
        eprintln!("{name}: warning: {warning}");
    }
    writeln!(out, "{name}: ok, {} rules", rules.rules().len())?;
    Ok(ExitCode::SUCCESS)
}
