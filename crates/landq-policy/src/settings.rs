//! Repository settings: `.github/landq.toml` on the base branch.
//!
//! Every field is optional; an absent file means all defaults. Unknown fields
//! are errors, so a typo never silently weakens the policy. See
//! `examples/landq.toml` in this crate for an annotated example.

use serde::Deserialize;

use crate::rules::RULES_PATH;

/// Where the settings live on the base branch.
pub const SETTINGS_PATH: &str = ".github/landq.toml";

/// The label that asks landq to land a pull request, unless configured.
pub const DEFAULT_LABEL: &str = "land requested";

/// A repository's landing settings.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The label that requests a land. Default: `land requested`.
    pub label: String,
    /// Approvals needed from reviewers other than the author. Default: 1.
    pub min_approvals: usize,
    /// Whether an approval given on an earlier head commit still counts.
    /// Default: false: any push needs fresh approvals.
    pub allow_stale_approvals: bool,
    /// Check runs or commit statuses (by name or context) that must have
    /// succeeded on the head commit. Default: none.
    pub required_checks: Vec<String>,
    /// Base branches landq guards. Default: the repository's default branch.
    pub branches: Option<Vec<String>>,
    /// The rules file (CODEOWNERS format), a file directly in `.github/`.
    /// Default: `.github/.landqueue`; `.github/CODEOWNERS` shares GitHub's.
    pub rules: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            label: DEFAULT_LABEL.to_owned(),
            min_approvals: 1,
            allow_stale_approvals: false,
            required_checks: Vec::new(),
            branches: None,
            rules: RULES_PATH.to_owned(),
        }
    }
}

/// A settings file that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct SettingsError {
    /// 1-based line of the error.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl Settings {
    /// Parses the settings file's text.
    pub fn parse(text: &str) -> Result<Settings, SettingsError> {
        let settings: Settings = toml::from_str(text).map_err(|err| SettingsError {
            line: err
                .span()
                .map_or(1, |span| text[..span.start].matches('\n').count() + 1),
            message: err.message().to_owned(),
        })?;
        if settings.label.trim().is_empty() {
            return Err(SettingsError {
                line: line_of(text, "label"),
                message: "`label` must not be empty".into(),
            });
        }
        if settings.min_approvals == 0 {
            return Err(SettingsError {
                line: line_of(text, "min_approvals"),
                message: "`min_approvals` must be at least 1: landq never lands unreviewed code"
                    .into(),
            });
        }
        if !is_github_file(&settings.rules) {
            return Err(SettingsError {
                line: line_of(text, "rules"),
                message: format!(
                    "`rules` must name a file directly in .github/ (such as \
                     `.github/CODEOWNERS`), not `{}`",
                    settings.rules
                ),
            });
        }
        Ok(settings)
    }

    /// Whether landq guards `base`, given the repository's default branch.
    pub fn guards(&self, base: &str, default_branch: &str) -> bool {
        match &self.branches {
            Some(branches) => branches.iter().any(|b| b == base),
            None => base == default_branch,
        }
    }
}

/// `.github/NAME`, with a plain file name.
fn is_github_file(path: &str) -> bool {
    path.strip_prefix(".github/")
        .is_some_and(|name| !name.is_empty() && !name.contains('/') && name != "." && name != "..")
}

fn line_of(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(key))
        .map_or(1, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_means_defaults() {
        assert_eq!(Settings::parse("").unwrap(), Settings::default());
        assert_eq!(Settings::default().label, "land requested");
        assert_eq!(Settings::default().min_approvals, 1);
    }

    #[test]
    fn the_annotated_example_parses() {
        let example = include_str!("../examples/landq.toml");
        let settings = Settings::parse(example).unwrap();
        assert_eq!(settings.min_approvals, 2);
        assert_eq!(settings.required_checks, vec!["ci / test".to_owned()]);
    }

    #[test]
    fn unknown_fields_are_errors_with_their_line() {
        let err = Settings::parse("label = \"ship it\"\nmin_aprovals = 2\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(
            err.message.contains("unknown field `min_aprovals`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn wrong_types_are_errors() {
        let err = Settings::parse("\n\nallow_stale_approvals = \"yes\"").unwrap_err();
        assert_eq!(err.line, 3);
    }

    #[test]
    fn zero_approvals_is_refused() {
        let err = Settings::parse("min_approvals = 0").unwrap_err();
        assert!(err.message.contains("at least 1"));
    }

    #[test]
    fn the_rules_file_can_be_github_codeowners() {
        assert_eq!(Settings::default().rules, ".github/.landqueue");
        let settings = Settings::parse("rules = \".github/CODEOWNERS\"").unwrap();
        assert_eq!(settings.rules, ".github/CODEOWNERS");
        for outside in [
            "CODEOWNERS",
            "docs/CODEOWNERS",
            ".github/a/b",
            ".github/",
            "/etc/x",
            ".github/..",
        ] {
            let err = Settings::parse(&format!("\nrules = \"{outside}\"")).unwrap_err();
            assert_eq!(err.line, 2, "{outside}");
            assert!(
                err.message.contains("directly in .github/"),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn guarded_branches_default_to_the_default_branch() {
        let default = Settings::default();
        assert!(default.guards("main", "main"));
        assert!(!default.guards("release", "main"));
        let listed = Settings::parse("branches = [\"main\", \"release\"]").unwrap();
        assert!(listed.guards("release", "trunk"));
        assert!(!listed.guards("trunk", "trunk"));
    }
}
