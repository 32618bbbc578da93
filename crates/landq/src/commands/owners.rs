//! `landq owners --rules FILE [PATH...]`: who owns each path.

use std::io::{self, BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use landq_policy::{Owner, Rules};

/// Print the owners of each path (paths from stdin when none are given):
/// `PATH<TAB>OWNERS` per line, or one JSON object per line with `--json`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The rules file (CODEOWNERS format).
    #[arg(long, value_name = "FILE")]
    rules: PathBuf,
    /// Print `{"path":…,"owners":[…],"line":N|null}` per path.
    #[arg(long)]
    json: bool,
    /// Paths relative to the repository root (`./a` and `a` are the same path).
    paths: Vec<String>,
}

/// Runs the command.
pub fn run(args: &Args, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let name = args.rules.display().to_string();
    let text = super::read_text(&args.rules)?;
    let Some(rules) = super::parse_rules_or_report(out, &name, &text)? else {
        return Ok(ExitCode::FAILURE);
    };
    let mut out = BufWriter::new(out);
    if args.paths.is_empty() {
        for line in io::stdin().lock().lines() {
            let line = line?;
            if !line.is_empty() {
                write_owners(&mut out, &rules, &line, args.json)?;
            }
        }
    } else {
        for path in &args.paths {
            write_owners(&mut out, &rules, path, args.json)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// One `--json` line, fields in the documented order.
#[derive(serde::Serialize)]
struct JsonEntry<'a> {
    path: &'a str,
    owners: Vec<String>,
    line: Option<usize>,
}

/// `path` as git prints it: no `./` or `/` in front, no `.` or empty
/// segments (`find . | landq owners` works).
fn normalise(path: &str) -> String {
    path.split('/')
        .filter(|segment| !segment.is_empty() && *segment != ".")
        .collect::<Vec<_>>()
        .join("/")
}

fn write_owners(out: &mut impl Write, rules: &Rules, path: &str, json: bool) -> io::Result<()> {
    let normal = normalise(path);
    let rule = rules.rule_for(&normal);
    let owners: Vec<String> = rule
        .map(|r| r.owners.iter().map(Owner::to_string).collect())
        .unwrap_or_default();
    if json {
        let entry = JsonEntry {
            path: &normal,
            owners,
            line: rule.map(|r| r.line),
        };
        writeln!(out, "{}", serde_json::to_string(&entry)?)
    } else {
        writeln!(out, "{normal}\t{}", owners.join(" "))
    }
}
