//! One module per subcommand; each exposes `Args` (clap) and `run`.

pub mod bus;
pub mod check;
pub mod explain;
pub mod firewall;
pub mod owners;
pub mod serve;
pub mod webhook;
pub mod worker;

use std::fs;
use std::path::Path;

use anyhow::Context;
use landq_policy::{Rules, RulesErrors};

/// Reads a rules file as UTF-8 text.
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

/// Parses rules, or prints every error as `FILE:LINE: message` on stdout.
pub fn parse_rules_or_report(name: &str, text: &str) -> Option<Rules> {
    match Rules::parse(text) {
        Ok(rules) => Some(rules),
        Err(RulesErrors(errors)) => {
            for err in errors {
                match err.line {
                    0 => println!("{name}: {}", err.kind),
                    line => println!("{name}:{line}: {}", err.kind),
                }
            }
            None
        }
    }
}
