//! One module per subcommand; each exposes `Args` (clap) and `run`.

pub mod audit;
pub mod bus;
pub mod check;
pub mod explain;
pub mod firewall;
pub mod lands;
pub mod owners;
pub mod queue;
pub mod remind;
pub mod serve;
pub mod webhook;
pub mod worker;

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use anyhow::Context;
use landq_policy::{Rules, RulesErrors};

/// Reads a rules file as UTF-8 text.
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

/// Parses rules, or writes every error as `FILE:LINE: message` to `out`
/// (until a reader that stopped early closes it: the rules are invalid
/// all the same).
pub fn parse_rules_or_report(
    out: &mut dyn Write,
    name: &str,
    text: &str,
) -> io::Result<Option<Rules>> {
    let RulesErrors(errors) = match Rules::parse(text) {
        Ok(rules) => return Ok(Some(rules)),
        Err(errors) => errors,
    };
    for err in errors {
        let written = match err.line {
            0 => writeln!(out, "{name}: {}", err.kind),
            line => writeln!(out, "{name}:{line}: {}", err.kind),
        };
        match written {
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => break,
            written => written?,
        }
    }
    Ok(None)
}
