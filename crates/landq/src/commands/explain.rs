//! `landq explain [--base REV]`: in a git checkout, the files changed since
//! the merge base with REV and whose approval landing them needs, judged by
//! the rules and settings as of REV, exactly as landq would judge them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use landq_policy::{Owner, RULES_PATH, Rule, Rules, SETTINGS_PATH, Settings};

use crate::git::{self, Change};

/// Show the changed files against a base and which owners must approve them.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The base branch or commit; default `origin/HEAD`, else `main`, else `master`.
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// The checkout to explain (default: the current directory).
    #[arg(long, short = 'C', value_name = "DIR", default_value = ".")]
    dir: PathBuf,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let dir = &args.dir;
    git::git(dir, &["rev-parse", "--show-toplevel"])
        .context("landq explain runs inside a git checkout")?;
    let base = match &args.base {
        Some(rev) if git::is_commit(dir, rev) => rev.clone(),
        Some(rev) => bail!("`{rev}` is not a commit in this repository"),
        None => ["origin/HEAD", "main", "master"]
            .into_iter()
            .find(|rev| git::is_commit(dir, rev))
            .context(
                "cannot find a base branch (tried origin/HEAD, main, master): pass --base REV",
            )?
            .to_owned(),
    };
    let merge_base = git::git(dir, &["merge-base", &base, "HEAD"])?;
    let merge_base = merge_base.trim();

    let settings = match git::show(dir, &base, SETTINGS_PATH)? {
        None => Settings::default(),
        Some(text) => match Settings::parse(&text) {
            Ok(settings) => settings,
            Err(err) => {
                println!("{base}:{SETTINGS_PATH}:{}: {}", err.line, err.message);
                return Ok(ExitCode::FAILURE);
            }
        },
    };
    let rules_text = git::show(dir, &base, RULES_PATH)?;
    let rules = match &rules_text {
        None => Rules::empty(),
        Some(text) => match super::parse_rules_or_report(&format!("{base}:{RULES_PATH}"), text) {
            Some(rules) => rules,
            None => {
                println!("landq lands nothing into {base} until these errors are fixed there");
                return Ok(ExitCode::FAILURE);
            }
        },
    };

    let short = &merge_base[..merge_base.len().min(10)];
    match rules_text {
        Some(_) => println!(
            "base {base} (merge base {short}), rules {base}:{RULES_PATH} ({} rules)",
            rules.rules().len()
        ),
        None => println!(
            "base {base} (merge base {short}); {base} has no {RULES_PATH}: no path has owners"
        ),
    }

    let changes = git::changes_since(dir, merge_base)?;
    if changes.is_empty() {
        println!("\nno changes against {base}");
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", render(&changes, &rules, &settings));
    Ok(ExitCode::SUCCESS)
}

/// The per-file table and the summary of approvals needed.
fn render(changes: &[Change], rules: &Rules, settings: &Settings) -> String {
    let mut needed: BTreeMap<usize, (&Rule, usize)> = BTreeMap::new();
    let mut rows: Vec<[String; 4]> = Vec::new();
    let mut row = |status: String, path: &str, shown: String| {
        let (owners, line) = match rules.rule_for(path) {
            Some(rule) if !rule.owners.is_empty() => {
                needed.entry(rule.line).or_insert((rule, 0)).1 += 1;
                (owners_text(&rule.owners), format!("line {}", rule.line))
            }
            Some(rule) => ("(unowned)".to_owned(), format!("line {}", rule.line)),
            None => ("(unowned)".to_owned(), String::new()),
        };
        rows.push([status, shown, owners, line]);
    };
    for change in changes {
        row(change.status.to_string(), &change.path, change.path.clone());
        if let Some(previous) = &change.previous {
            row(String::new(), previous, format!("  from {previous}"));
        }
    }
    let shown_width = rows.iter().map(|r| r[1].len()).max().unwrap_or(0);
    let owners_width = rows.iter().map(|r| r[2].len()).max().unwrap_or(0);
    let mut out = format!("\n{} changed file(s):\n", changes.len());
    for [status, shown, owners, line] in &rows {
        let text = format!("  {status:<2} {shown:<shown_width$}  {owners:<owners_width$}  {line}");
        out.push_str(text.trim_end());
        out.push('\n');
    }

    out.push_str(&format!(
        "\nto land: {} approval(s) from reviewers other than the author",
        settings.min_approvals
    ));
    if needed.is_empty() {
        out.push_str("; no changed path has owners\n");
        return out;
    }
    out.push_str(", including one from an owner of each rule:\n");
    let pattern_width = needed
        .values()
        .map(|(r, _)| r.pattern.as_str().len())
        .max()
        .unwrap_or(0);
    for (line, (rule, paths)) in needed {
        let text = format!(
            "  line {line:<4} {:<pattern_width$}  {}  ({paths} path(s))",
            rule.pattern.as_str(),
            owners_text(&rule.owners),
        );
        out.push_str(&text);
        out.push('\n');
    }
    out
}

fn owners_text(owners: &[Owner]) -> String {
    owners
        .iter()
        .map(Owner::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}
