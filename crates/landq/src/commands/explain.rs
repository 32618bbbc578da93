//! `landq explain [--base REV]`: in a git checkout, the files changed since
//! the merge base with REV and whose approval landing them needs, judged by
//! the rules and settings as of REV, exactly as landq would judge them;
//! grouped by owner, with the fewest reviewers who can cover every group.
//! A working-tree rules or settings file that landq would refuse is reported
//! on stderr (exit 1): a pull request that leaves it so never lands.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use landq_policy::{Owner, Rules, SETTINGS_PATH, Settings};

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
    /// The pull request's author (a GitHub login): never counted as an owner
    /// of their own change.
    #[arg(long, value_name = "LOGIN")]
    author: Option<String>,
}

/// Runs the command.
pub fn run(args: &Args, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let dir = &args.dir;
    let top = git::git(dir, &["rev-parse", "--show-toplevel"])
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
                writeln!(out, "{base}:{SETTINGS_PATH}:{}: {}", err.line, err.message)?;
                writeln!(out, "{}", nothing_lands(&base))?;
                return Ok(ExitCode::FAILURE);
            }
        },
    };
    let rules_path = settings.rules.as_str();
    let rules_text = git::show(dir, &base, rules_path)?;
    let rules = match &rules_text {
        None => Rules::empty(),
        Some(text) => {
            match super::parse_rules_or_report(out, &format!("{base}:{rules_path}"), text)? {
                Some(rules) => rules,
                None => {
                    writeln!(out, "{}", nothing_lands(&base))?;
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    };

    let short = &merge_base[..merge_base.len().min(10)];
    match rules_text {
        Some(_) => writeln!(
            out,
            "base {base} (merge base {short}), rules {base}:{rules_path} ({} rules)",
            rules.rules().len()
        )?,
        None => writeln!(
            out,
            "base {base} (merge base {short}); {base} has no {rules_path}: no path has owners"
        )?,
    }

    let changes = git::changes_since(dir, merge_base)?;
    if changes.is_empty() {
        writeln!(out, "\nno changes against {base}")?;
    } else {
        write!(
            out,
            "{}",
            render(&changes, &rules, &settings, args.author.as_deref())
        )?;
    }
    let refusals = working_tree_refusals(Path::new(top.trim()), &settings)?;
    for refusal in &refusals {
        eprintln!("landq: warning: {refusal}");
    }
    Ok(match refusals.is_empty() {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    })
}

fn nothing_lands(base: &str) -> String {
    format!(
        "landq lands nothing into {base} until these errors are fixed there (a pull request \
         that changes only the landq files, makes them valid and is approved by a repository \
         admin)"
    )
}

/// Errors in the working tree's settings and rules files, each as
/// `FILE:LINE: message`: landq refuses to land a change that leaves them so.
fn working_tree_refusals(top: &Path, base: &Settings) -> anyhow::Result<Vec<String>> {
    let read = |path: &str| -> anyhow::Result<Option<String>> {
        let file = top.join(path);
        match file.exists() {
            true => super::read_text(&file).map(Some),
            false => Ok(None),
        }
    };
    let mut refusals = Vec::new();
    let mut rules_path = base.rules.clone();
    if let Some(text) = read(SETTINGS_PATH)? {
        match Settings::parse(&text) {
            Ok(settings) => rules_path = settings.rules,
            Err(err) => refusals.push(format!(
                "{SETTINGS_PATH}:{}: {} (landq will not land a change that leaves this file \
                 invalid)",
                err.line, err.message
            )),
        }
    }
    if let Some(text) = read(&rules_path)?
        && let Err(errors) = Rules::parse(&text)
    {
        refusals.extend(errors.0.iter().map(|err| {
            format!(
                "{rules_path}:{}: {} (landq will not land a change that leaves this file \
                 invalid)",
                err.line, err.kind
            )
        }));
    }
    Ok(refusals)
}

/// Changed paths owned by the same owners, and the rule lines that own them.
struct Group {
    owners: Vec<Owner>,
    lines: BTreeSet<usize>,
    paths: Vec<String>,
}

/// The per-file table, the approvals needed grouped by owner, and whom to ask.
fn render(changes: &[Change], rules: &Rules, settings: &Settings, author: Option<&str>) -> String {
    let mut groups: Vec<Group> = Vec::new();
    let mut rows: Vec<[String; 4]> = Vec::new();
    let mut row = |status: String, path: &str, shown: String| {
        let (owners, line) = match rules.rule_for(path) {
            Some(rule) if !rule.owners.is_empty() => {
                let group = match groups.iter().position(|g| g.owners == rule.owners) {
                    Some(i) => &mut groups[i],
                    None => {
                        groups.push(Group {
                            owners: rule.owners.clone(),
                            lines: BTreeSet::new(),
                            paths: Vec::new(),
                        });
                        groups.last_mut().expect("just pushed")
                    }
                };
                group.lines.insert(rule.line);
                group.paths.push(path.to_owned());
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
    let mut out = format!("\n{} changed file(s):\n", changes.len());
    push_table(&mut out, &rows);

    let need = settings.min_approvals;
    if groups.is_empty() {
        out.push_str(&format!(
            "\nno changed path has owners: to land, {need} approval(s) from reviewers other \
             than the author\n"
        ));
        return out;
    }
    out.push_str("\nwho must approve (an approval from one owner on each line):\n");
    let rows: Vec<[String; 3]> = groups
        .iter()
        .map(|g| {
            let lines: Vec<String> = g.lines.iter().map(usize::to_string).collect();
            [
                owners_text(&g.owners),
                paths_text(&g.paths),
                format!("line {}", lines.join(", ")),
            ]
        })
        .collect();
    push_table(&mut out, &rows);

    let usable = |owner: &Owner| match owner {
        Owner::Email(_) => false,
        Owner::User(_) => author.is_none_or(|a| !owner.is_user(a)),
        Owner::Team { .. } => true,
    };
    let (coverable, stuck): (Vec<&Group>, Vec<&Group>) =
        groups.iter().partition(|g| g.owners.iter().any(&usable));
    for group in &stuck {
        let why = match group.owners.iter().all(|o| matches!(o, Owner::Email(_))) {
            true => "landq cannot match email owners to reviewers: name them by @login",
            false => "the author cannot approve their own change",
        };
        out.push_str(&format!(
            "\nnobody can approve {} ({why}): ask the owners of the rules file for another owner\n",
            paths_text(&group.paths)
        ));
    }
    let sets: Vec<Vec<&Owner>> = coverable
        .iter()
        .map(|g| g.owners.iter().filter(|o| usable(o)).collect())
        .collect();
    let ask = fewest_reviewers(&sets);
    let asked: Vec<String> = ask
        .iter()
        .map(|owner| match owner {
            Owner::Team { .. } => format!("a member of {owner}"),
            _ => owner.to_string(),
        })
        .collect();
    out.push_str(&format!(
        "\nto land, landq needs both:\n  \
         - an approval from an owner on each line above (one reviewer may cover several lines)\n  \
         - at least {need} approval(s) in all from reviewers other than the author\n\
         ask: {}",
        asked.join(", ")
    ));
    if ask.len() < need {
        out.push_str(&format!(
            ", and {} more reviewer(s) of your choice",
            need - ask.len()
        ));
    }
    out.push('\n');
    if let Some(author) = author
        && groups
            .iter()
            .any(|g| g.owners.iter().any(|o| o.is_user(author)))
    {
        out.push_str(&format!(
            "(@{author} owns some of these paths, but the author's approval never counts)\n"
        ));
    }
    out
}

/// Owners to ask so that every set has one of them: the fewest, found
/// exactly for up to 20 distinct owners, greedily beyond.
fn fewest_reviewers<'a>(sets: &[Vec<&'a Owner>]) -> Vec<&'a Owner> {
    let mut candidates: Vec<&Owner> = sets.iter().flatten().copied().collect();
    candidates.sort();
    candidates.dedup();
    let covers = |chosen: &[&Owner]| sets.iter().all(|s| s.iter().any(|o| chosen.contains(o)));
    if candidates.len() <= 20 {
        let mut best: Option<Vec<&Owner>> = None;
        for mask in 0u32..(1 << candidates.len()) {
            if best
                .as_ref()
                .is_some_and(|b| b.len() <= mask.count_ones() as usize)
            {
                continue;
            }
            let chosen: Vec<&Owner> = (0..candidates.len())
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| candidates[i])
                .collect();
            if covers(&chosen) {
                best = Some(chosen);
            }
        }
        return best.unwrap_or_default();
    }
    let mut chosen: Vec<&Owner> = Vec::new();
    while !covers(&chosen) {
        let best = candidates
            .iter()
            .filter(|c| !chosen.contains(c))
            .max_by_key(|c| {
                sets.iter()
                    .filter(|s| !s.iter().any(|o| chosen.contains(o)) && s.contains(c))
                    .count()
            })
            .copied()
            .expect("every set has a candidate");
        chosen.push(best);
    }
    chosen
}

/// Rows indented by two spaces, each column but the last padded to its
/// widest cell and two spaces apart, trailing spaces trimmed.
fn push_table<const N: usize>(out: &mut String, rows: &[[String; N]]) {
    let widths: Vec<usize> = (0..N)
        .map(|col| rows.iter().map(|r| r[col].len()).max().unwrap_or(0))
        .collect();
    for row in rows {
        let mut text = String::from(" ");
        for (cell, width) in row.iter().zip(&widths) {
            text.push_str(&format!(" {cell:<width$} "));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
}

fn paths_text(paths: &[String]) -> String {
    match paths {
        [one] => one.clone(),
        [a, b] => format!("{a}, {b}"),
        [a, rest @ ..] => format!("{a} and {} more", rest.len()),
        [] => String::new(),
    }
}

fn owners_text(owners: &[Owner]) -> String {
    owners
        .iter()
        .map(Owner::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}
