//! The README's command examples, run: every ```console block right after a
//! `<!-- README test: SANDBOX -->` line is executed command by command with
//! the `landq` just built first on `PATH`, and each command's stdout must be
//! the output the README shows under it. `LANDQ_README_UPDATE=1` rewrites
//! the README with what the commands print instead, so the examples are
//! regenerated, never edited by hand.
//!
//! Sandboxes: `project` is this repository's own checkout; `explain` is a
//! git repository built here, with fixed dates so its commit ids never change.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::git::{git, repository, write};

const MARKER: &str = "<!-- README test: ";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One `$ command` (continuation lines included) and the output under it.
struct Step {
    command: Vec<String>,
    output: Vec<String>,
}

/// A checked console block: its sandbox, where its lines are, its steps.
struct Block {
    sandbox: String,
    /// Index of the first line inside the fence, and one past the last.
    lines: (usize, usize),
    steps: Vec<Step>,
}

fn blocks(readme: &[&str]) -> Vec<Block> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < readme.len() {
        let Some(sandbox) = readme[i]
            .strip_prefix(MARKER)
            .and_then(|s| s.strip_suffix(" -->"))
        else {
            i += 1;
            continue;
        };
        assert_eq!(
            readme[i + 1],
            "```console",
            "line {}: a console block must follow",
            i + 2
        );
        let start = i + 2;
        let end = start
            + readme[start..]
                .iter()
                .position(|l| *l == "```")
                .expect("the block ends");
        let mut steps: Vec<Step> = Vec::new();
        let mut continued = false;
        for line in &readme[start..end] {
            if let Some(command) = line.strip_prefix("$ ") {
                steps.push(Step {
                    command: vec![command.to_owned()],
                    output: Vec::new(),
                });
            } else if continued {
                steps.last_mut().unwrap().command.push(line.to_string());
            } else {
                let step = steps.last_mut().expect("a block starts with a command");
                step.output.push(line.to_string());
            }
            continued = line.ends_with('\\');
        }
        found.push(Block {
            sandbox: sandbox.to_owned(),
            lines: (start, end),
            steps,
        });
        i = end;
    }
    found
}

/// Runs the steps in one shell in `dir`; each step's stdout lines.
fn run(dir: &Path, steps: &[Step]) -> Vec<Vec<String>> {
    let bin = Path::new(env!("CARGO_BIN_EXE_landq")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut script = String::new();
    for step in steps {
        // The marker keeps `$?` for the step after it (`echo $?`).
        script.push_str("status=$?; printf '\\036\\n'; (exit $status)\n");
        script.push_str(&step.command.join("\n"));
        script.push('\n');
    }
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("LANDQ_WEBHOOK_SECRET")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.split("\u{1e}\n")
        .skip(1)
        .map(|chunk| chunk.lines().map(str::to_owned).collect())
        .collect()
}

/// A checkout whose `main` has the README's example rules, and a branch
/// that renames a doc and edits billing and search: commit ids are fixed.
fn explain_sandbox() -> TempDir {
    let dir = repository(&[
        (".github/.landqueue", &example_rules()),
        ("services/billing/charge.rs", "fn charge() {}\n"),
        ("services/search/index.rs", "fn index() {}\n"),
        ("docs/intro.md", "# Intro\n"),
    ]);
    let d = dir.path();
    git(d, &["checkout", "-qb", "feature"]);
    git(d, &["mv", "docs/intro.md", "docs/getting-started.md"]);
    write(
        d,
        &[
            ("services/billing/charge.rs", "fn charge(cents: u64) {}\n"),
            ("services/search/index.rs", "fn index(fast: bool) {}\n"),
        ],
    );
    git(d, &["commit", "-qam", "feature"]);
    dir
}

/// The rules file the README shows under "The rules file".
fn example_rules() -> String {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme.split("## The rules file").nth(1).unwrap();
    let block = section.split("```\n").nth(1).unwrap();
    block.to_owned()
}

#[test]
fn the_readme_shows_what_the_commands_print() {
    let path = root().join("README.md");
    let text = fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let found = blocks(&lines);
    assert!(found.len() >= 3, "the README's checked examples are marked");
    let explain = explain_sandbox();
    let mut updated: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let mut stale = Vec::new();
    // Rewrite from the end so earlier line numbers stay valid.
    for block in found.iter().rev() {
        let dir = match block.sandbox.as_str() {
            "project" => root(),
            "explain" => explain.path().to_owned(),
            other => panic!("unknown README test sandbox `{other}`"),
        };
        let outputs = run(&dir, &block.steps);
        let mut body = Vec::new();
        for (step, output) in block.steps.iter().zip(&outputs) {
            if &step.output != output {
                stale.push(format!(
                    "$ {}\nREADME shows:\n{}\nprints:\n{}",
                    step.command.join("\n"),
                    step.output.join("\n"),
                    output.join("\n")
                ));
            }
            body.extend(step.command.iter().enumerate().map(|(i, l)| match i {
                0 => format!("$ {l}"),
                _ => l.clone(),
            }));
            body.extend(output.iter().cloned());
        }
        updated.splice(block.lines.0..block.lines.1, body);
    }
    if std::env::var_os("LANDQ_README_UPDATE").is_some() {
        fs::write(&path, updated.join("\n") + "\n").unwrap();
        return;
    }
    assert!(
        stale.is_empty(),
        "the README's examples are stale (LANDQ_README_UPDATE=1 cargo test --test e2e readme \
         rewrites them):\n\n{}",
        stale.join("\n\n")
    );
}
