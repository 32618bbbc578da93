//! The few git plumbing calls `landq explain` needs, through the `git` binary
//! of the checkout it runs in.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

/// Runs `git ARGS` in `dir` and returns its stdout.
pub fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .context("cannot run git: is it installed?")?;
    if !output.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    String::from_utf8(output.stdout).context("git printed something that is not UTF-8")
}

/// Whether `rev` names a commit.
pub fn is_commit(dir: &Path, rev: &str) -> bool {
    git(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .is_ok()
}

/// The file at `path` as of `rev`, or `None` when it does not exist there.
pub fn show(dir: &Path, rev: &str, path: &str) -> anyhow::Result<Option<String>> {
    let spec = format!("{rev}:{path}");
    if git(dir, &["cat-file", "-e", &spec]).is_err() {
        return Ok(None);
    }
    git(dir, &["show", &spec]).map(Some)
}

/// One changed file, from `git diff --name-status`.
#[derive(Debug, PartialEq, Eq)]
pub struct Change {
    /// `A`, `M`, `D`, `R`, `C`, `T`.
    pub status: char,
    /// The path now.
    pub path: String,
    /// The path before a rename.
    pub previous: Option<String>,
}

/// Files changed between `base` and the working tree, renames detected.
pub fn changes_since(dir: &Path, base: &str) -> anyhow::Result<Vec<Change>> {
    let out = git(dir, &["diff", "--name-status", "-z", "-M", base, "--"])?;
    let mut fields = out.split('\0').filter(|f| !f.is_empty());
    let mut changes = Vec::new();
    while let Some(code) = fields.next() {
        let status = code.chars().next().context("empty status from git diff")?;
        let first = fields
            .next()
            .context("git diff: status without a path")?
            .to_owned();
        let change = match status {
            'R' => Change {
                status,
                previous: Some(first),
                path: fields
                    .next()
                    .context("git diff: rename without a target")?
                    .to_owned(),
            },
            'C' => Change {
                status,
                previous: None,
                path: fields
                    .next()
                    .context("git diff: copy without a target")?
                    .to_owned(),
            },
            _ => Change {
                status,
                path: first,
                previous: None,
            },
        };
        changes.push(change);
    }
    Ok(changes)
}
