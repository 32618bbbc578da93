//! Repository settings: `.github/landq.toml` on the base branch.
//!
//! Every field is optional; an absent file means all defaults. Unknown fields
//! are errors, so a typo never silently weakens the policy. See
//! `examples/landq.toml` in this crate for an annotated example.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

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
    /// Queue entries tested at once, each on top of those ahead of it.
    /// Default: 4; 1 tests one pull request at a time.
    pub stack_depth: usize,
    /// Check runs or commit statuses that must succeed on each speculative
    /// commit (`landq/stack/<number>`). Default: none, and then landq tests
    /// nothing together: it lands ready pull requests one at a time, in order.
    pub stack_checks: Vec<String>,
    /// How long a speculative commit may wait for its first check before the
    /// pull request leaves the queue (the CI is not triggered). Default: 10m.
    #[serde(deserialize_with = "duration")]
    pub stack_start_timeout: Duration,
    /// How long the stack checks of one speculative commit may run in all.
    /// Default: 2h.
    #[serde(deserialize_with = "duration")]
    pub stack_timeout: Duration,
    /// How often a failed stack check is re-run before the pull request
    /// leaves the queue, for flaky CI. Default: 0.
    pub stack_retries: u32,
    /// How a tested pull request reaches the base branch. Default: `merge`.
    pub land_mode: LandMode,
    /// Reminders of stale pull requests on Slack (`[remind]`). Default:
    /// none.
    pub remind: Option<Remind>,
}

/// Reminders of stale pull requests (`[remind]`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Remind {
    /// How old a pull request nobody reviewed (or a labelled one waiting
    /// for an owner) must be to be announced. Default: 2d.
    #[serde(deserialize_with = "duration")]
    pub after: Duration,
    /// How long before the same pull request is announced again. Default:
    /// 1d.
    #[serde(deserialize_with = "duration")]
    pub every: Duration,
    /// The Slack channel (with a bot token; an incoming webhook posts to
    /// its own).
    pub channel: Option<String>,
}

impl Default for Remind {
    fn default() -> Self {
        Remind {
            after: Duration::from_secs(2 * 86_400),
            every: Duration::from_secs(86_400),
            channel: None,
        }
    }
}

/// How a tested pull request reaches the base branch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LandMode {
    /// GitHub's squash merge pinned to the tested head; the landed tree is
    /// then compared with the tested one. GitHub shows the pull request
    /// merged.
    #[default]
    Merge,
    /// The base branch is moved to the tested commit itself (never forced),
    /// a whole green prefix at once; each pull request is then closed with a
    /// comment naming its commit (GitHub shows it closed, not merged).
    FastForward,
}

/// The deepest stack landq builds.
pub const MAX_STACK_DEPTH: usize = 32;

fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    humantime::parse_duration(&text).map_err(|err| {
        serde::de::Error::custom(format!(
            "`{text}` is not a duration such as \"10m\" or \"2h\": {err}"
        ))
    })
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
            stack_depth: 4,
            stack_checks: Vec::new(),
            stack_start_timeout: Duration::from_secs(10 * 60),
            stack_timeout: Duration::from_secs(2 * 60 * 60),
            stack_retries: 0,
            land_mode: LandMode::Merge,
            remind: None,
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
        if !(1..=MAX_STACK_DEPTH).contains(&settings.stack_depth) {
            return Err(SettingsError {
                line: line_of(text, "stack_depth"),
                message: format!("`stack_depth` must be between 1 and {MAX_STACK_DEPTH}"),
            });
        }
        if settings.stack_start_timeout.is_zero() || settings.stack_timeout.is_zero() {
            return Err(SettingsError {
                line: line_of(text, "stack_"),
                message: "stack timeouts must be longer than zero".into(),
            });
        }
        if settings.remind.as_ref().is_some_and(|r| r.every.is_zero()) {
            return Err(SettingsError {
                line: line_of(text, "every"),
                message: "`every` under [remind] must be longer than zero".into(),
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
        assert_eq!(settings.stack_checks, vec!["ci / test".to_owned()]);
        assert_eq!(settings.stack_depth, 4);
    }

    #[test]
    fn reminders_are_off_unless_asked_for_with_defaults_for_what_is_unset() {
        assert_eq!(Settings::default().remind, None);
        let settings = Settings::parse("[remind]\nafter = \"3d\"\nchannel = \"#eng\"\n").unwrap();
        let remind = settings.remind.unwrap();
        assert_eq!(remind.after, Duration::from_secs(3 * 86_400));
        assert_eq!(remind.every, Duration::from_secs(86_400));
        assert_eq!(remind.channel.as_deref(), Some("#eng"));
        let err = Settings::parse("[remind]\nevery = \"0s\"\n").unwrap_err();
        assert_eq!(
            (err.line, err.message.as_str()),
            (2, "`every` under [remind] must be longer than zero")
        );
        let err = Settings::parse("[remind]\nchanel = \"#eng\"\n").unwrap_err();
        assert_eq!(err.line, 2);
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
    fn the_stack_settings_have_defaults_and_bounds() {
        let default = Settings::default();
        assert_eq!(default.stack_depth, 4);
        assert!(default.stack_checks.is_empty());
        assert_eq!(default.stack_start_timeout, Duration::from_secs(600));
        assert_eq!(default.stack_timeout, Duration::from_secs(7200));
        assert_eq!(default.land_mode, LandMode::Merge);
        let set = Settings::parse(
            "stack_depth = 8\nstack_checks = [\"ci / test\"]\nstack_start_timeout = \"90s\"\n\
             stack_timeout = \"1h 30m\"\nstack_retries = 1\nland_mode = \"fast-forward\"\n",
        )
        .unwrap();
        assert_eq!(set.stack_depth, 8);
        assert_eq!(set.stack_start_timeout, Duration::from_secs(90));
        assert_eq!(set.stack_timeout, Duration::from_secs(5400));
        assert_eq!(set.land_mode, LandMode::FastForward);
        let err = Settings::parse("label = \"x\"\nstack_depth = 0").unwrap_err();
        assert_eq!(
            (err.line, err.message.contains("between 1 and 32")),
            (2, true)
        );
        let err = Settings::parse("\nstack_timeout = \"soon\"").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("not a duration"), "{}", err.message);
        let err = Settings::parse("land_mode = \"rebase\"").unwrap_err();
        assert!(err.message.contains("fast-forward"), "{}", err.message);
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
