//! The `.github/.landqueue` rules file: CODEOWNERS syntax, parsed strictly.
//!
//! Each non-blank, non-comment line is a pattern followed by zero or more
//! owners; `#` starts a comment anywhere after the pattern. GitHub skips lines
//! it cannot read; landq reports them instead, each with its line number, and
//! a file with any error blocks landing (fail closed).

use std::fmt;

use crate::names::{is_login, is_org, is_team_slug};
use crate::owners::{OwnerIndex, RuleId};
use crate::pattern::{Pattern, PatternError};

/// GitHub refuses CODEOWNERS files of 3 MB or more; so does landq.
pub const MAX_RULES_FILE_BYTES: usize = 3 * 1024 * 1024;

/// Where the rules live on the base branch, unless the settings say otherwise.
pub const RULES_PATH: &str = ".github/.landqueue";

/// An owner named in a rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    /// `@login`
    User(String),
    /// `@org/team-slug`
    Team {
        /// The organization's login.
        org: String,
        /// The team's slug.
        slug: String,
    },
    /// `someone@example.com`; GitHub maps it to the account that verified it.
    Email(String),
}

impl Owner {
    /// Parses one owner token as written in the rules file.
    pub fn parse(token: &str) -> Option<Owner> {
        if let Some(name) = token.strip_prefix('@') {
            return match name.split_once('/') {
                None if is_login(name) => Some(Owner::User(name.to_owned())),
                Some((org, slug)) if is_org(org) && is_team_slug(slug) => Some(Owner::Team {
                    org: org.to_owned(),
                    slug: slug.to_owned(),
                }),
                _ => None,
            };
        }
        let (local, domain) = token.split_once('@')?;
        let plausible = !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.');
        plausible.then(|| Owner::Email(token.to_owned()))
    }

    /// Whether `login` is this user (GitHub logins are case-insensitive).
    pub fn is_user(&self, login: &str) -> bool {
        matches!(self, Owner::User(user) if user.eq_ignore_ascii_case(login))
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::User(login) => write!(f, "@{login}"),
            Owner::Team { org, slug } => write!(f, "@{org}/{slug}"),
            Owner::Email(email) => f.write_str(email),
        }
    }
}

/// One rule: a pattern and who owns what it matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// 1-based line in the rules file.
    pub line: usize,
    /// The compiled pattern.
    pub pattern: Pattern,
    /// Empty when the rule makes matching paths unowned.
    pub owners: Vec<Owner>,
}

/// An error on one line of the rules file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct RuleError {
    /// 1-based line number (0 for errors about the whole file).
    pub line: usize,
    /// What is wrong.
    pub kind: RuleErrorKind,
}

/// What is wrong with a line (or the whole file).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleErrorKind {
    /// The pattern could not be compiled.
    #[error(transparent)]
    Pattern(#[from] PatternError),
    /// An owner is not `@user`, `@org/team` or an email address.
    #[error("invalid owner `{0}`: expected @user, @org/team or an email address")]
    InvalidOwner(String),
    /// The file is too large for GitHub and for landq.
    #[error("the rules file is {0} bytes; GitHub and landq refuse rules files of 3 MiB or more")]
    TooLarge(usize),
}

/// Every error found in a rules file, in line order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} error(s) in the rules file, first: {}", .0.len(), .0[0])]
pub struct RulesErrors(pub Vec<RuleError>);

/// A parsed, valid rules file, indexed for fast owner lookups.
#[derive(Debug)]
pub struct Rules {
    rules: Vec<Rule>,
    index: OwnerIndex,
}

impl Rules {
    /// Parses a whole rules file; any error rejects the file.
    pub fn parse(text: &str) -> Result<Rules, RulesErrors> {
        if text.len() >= MAX_RULES_FILE_BYTES {
            return Err(RulesErrors(vec![RuleError {
                line: 0,
                kind: RuleErrorKind::TooLarge(text.len()),
            }]));
        }
        let mut rules = Vec::with_capacity(text.matches('\n').count() + 1);
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            match parse_line(line) {
                Ok(Some((pattern, owners))) => rules.push(Rule {
                    line: i + 1,
                    pattern,
                    owners,
                }),
                Ok(None) => {}
                Err(kind) => errors.push(RuleError { line: i + 1, kind }),
            }
        }
        if !errors.is_empty() {
            return Err(RulesErrors(errors));
        }
        let index = OwnerIndex::new(rules.iter().map(|r| &r.pattern));
        Ok(Rules { rules, index })
    }

    /// A rules file that owns nothing (the base branch has none).
    pub fn empty() -> Rules {
        Rules::parse("").expect("the empty file is valid")
    }

    /// The rule that decides who owns `path`: the last one that matches.
    pub fn rule_for(&self, path: &str) -> Option<&Rule> {
        self.index.lookup(path).map(|RuleId(i)| &self.rules[i])
    }

    /// The owners of `path`; empty when no rule or an un-owning rule matches.
    pub fn owners_of(&self, path: &str) -> &[Owner] {
        self.rule_for(path).map_or(&[], |rule| &rule.owners)
    }

    /// All rules in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Advice about a valid file kept at `path` in the repository: today,
    /// whether it protects itself.
    pub fn warnings(&self, path: &str) -> Vec<String> {
        if self.owners_of(path).is_empty() {
            vec![format!(
                "no rule gives `{path}` an owner: any approver can change who owns what; \
                 add e.g. `/{path} @org/security`"
            )]
        } else {
            Vec::new()
        }
    }
}

/// Splits a line into its pattern and owners; `None` for blanks and comments.
fn parse_line(line: &str) -> Result<Option<(Pattern, Vec<Owner>)>, RuleErrorKind> {
    let line = line.trim_start();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let end = pattern_end(line);
    let pattern = Pattern::new(&line[..end])?;
    let mut owners = Vec::new();
    for token in line[end..].split_whitespace() {
        if token.starts_with('#') {
            break;
        }
        owners.push(Owner::parse(token).ok_or_else(|| RuleErrorKind::InvalidOwner(token.into()))?);
    }
    Ok(Some((pattern, owners)))
}

/// The byte offset where the pattern ends: the first unescaped whitespace.
fn pattern_end(line: &str) -> usize {
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c.is_whitespace() => return i,
            _ => {}
        }
    }
    line.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<(usize, String)> {
        match Rules::parse(text) {
            Ok(_) => Vec::new(),
            Err(RulesErrors(errs)) => errs
                .into_iter()
                .map(|e| (e.line, e.kind.to_string()))
                .collect(),
        }
    }

    #[test]
    fn parses_owners_of_every_kind() {
        let rules =
            Rules::parse("*.go @alice @octo-org/octo_cats.v2 docs@example.com # who\n").unwrap();
        assert_eq!(
            rules.rules()[0].owners,
            vec![
                Owner::User("alice".into()),
                Owner::Team {
                    org: "octo-org".into(),
                    slug: "octo_cats.v2".into()
                },
                Owner::Email("docs@example.com".into()),
            ]
        );
    }

    #[test]
    fn comments_blanks_and_crlf_are_skipped() {
        let rules = Rules::parse("# header\r\n\r\n   \n*.rs @a\r\n  # indented comment\n").unwrap();
        assert_eq!(rules.rules().len(), 1);
        assert_eq!(rules.rules()[0].line, 4);
        assert_eq!(rules.rules()[0].owners, vec![Owner::User("a".into())]);
    }

    #[test]
    fn inline_comment_right_after_owner_ends_the_owners() {
        let rules = Rules::parse("*.js    @js-owner #This is an inline comment.").unwrap();
        assert_eq!(
            rules.rules()[0].owners,
            vec![Owner::User("js-owner".into())]
        );
    }

    #[test]
    fn escaped_space_stays_in_the_pattern() {
        let rules = Rules::parse(r"/my\ docs/ @writer").unwrap();
        assert_eq!(
            rules.owners_of("my docs/a.md"),
            &[Owner::User("writer".into())]
        );
    }

    #[test]
    fn escaped_hash_starts_a_pattern() {
        let rules = Rules::parse(r"\#notes @a").unwrap();
        assert_eq!(rules.owners_of("#notes"), &[Owner::User("a".into())]);
    }

    #[test]
    fn every_error_is_reported_with_its_line() {
        let text = "*.rs @ok\n!secret @a\n*.[ch] @b\nsrc/ @-bad-\nlib/ @org/\ntools/ not-an-owner\na//b @c\n";
        assert_eq!(
            errors(text),
            vec![
                (
                    2,
                    "negated patterns (`!`) are not supported in CODEOWNERS files".into()
                ),
                (
                    3,
                    "character ranges (`[ ]`) are not supported in CODEOWNERS files".into()
                ),
                (
                    4,
                    "invalid owner `@-bad-`: expected @user, @org/team or an email address".into()
                ),
                (
                    5,
                    "invalid owner `@org/`: expected @user, @org/team or an email address".into()
                ),
                (
                    6,
                    "invalid owner `not-an-owner`: expected @user, @org/team or an email address"
                        .into()
                ),
                (7, "pattern `a//b` has an empty path segment".into()),
            ]
        );
    }

    #[test]
    fn files_of_three_mib_or_more_are_refused() {
        let line = "/some/long/service/path/for/padding/ @org/team-name\n";
        let mut text = line.repeat(MAX_RULES_FILE_BYTES / line.len());
        text.truncate(MAX_RULES_FILE_BYTES - 1);
        text.truncate(text.rfind('\n').unwrap() + 1);
        assert!(
            Rules::parse(&text).is_ok(),
            "just under the limit must load"
        );
        text.push_str(&"#".repeat(MAX_RULES_FILE_BYTES - text.len()));
        let err = Rules::parse(&text).unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert_eq!(err.0[0].kind, RuleErrorKind::TooLarge(MAX_RULES_FILE_BYTES));
        assert!(err.0[0].to_string().contains("3 MiB"), "{}", err.0[0]);
    }

    #[test]
    fn rule_without_owners_unowns() {
        let rules = Rules::parse("/apps/ @octocat\n/apps/github\n").unwrap();
        assert_eq!(
            rules.owners_of("apps/web/x"),
            &[Owner::User("octocat".into())]
        );
        assert!(rules.owners_of("apps/github/x").is_empty());
        assert_eq!(rules.rule_for("apps/github/x").unwrap().line, 2);
    }

    #[test]
    fn every_login_form_github_issued_is_accepted() {
        // Real owners from public CODEOWNERS files and GitHub's documentation:
        // a legacy trailing hyphen, a legacy double hyphen, Enterprise
        // Managed Users (`handle_SHORTCODE`), digits first, the 39-char limit.
        for login in [
            "tobias-",
            "some--legacy-name",
            "mona-cat_octo",
            "octocat_acme",
            "1024",
            "a",
            "abcdefghijklmnopqrstuvwxyz0123456789abc",
        ] {
            let token = format!("@{login}");
            assert_eq!(
                Owner::parse(&token),
                Some(Owner::User(login.into())),
                "{token}"
            );
        }
        assert!(
            Owner::parse("@octocat_acme/some-team").is_none(),
            "orgs are not EMU users"
        );
        assert!(
            Owner::parse("@tobias-/team").is_some(),
            "legacy org logins own teams"
        );
    }

    #[test]
    fn what_can_never_be_a_login_is_refused() {
        for token in [
            "@",
            "@-leading",
            "@_shortcode",
            "@handle_",
            "@two_under_scores",
            "@dot.ted",
            "@spa ce",
            "@ümlaut",
            "@abcdefghijklmnopqrstuvwxyz0123456789abcd",
            "@handle_short-code",
        ] {
            assert_eq!(Owner::parse(token), None, "{token}");
        }
    }

    #[test]
    fn owner_logins_compare_case_insensitively() {
        assert!(Owner::User("Alice".into()).is_user("alice"));
        assert!(!Owner::User("alice".into()).is_user("alicia"));
    }

    #[test]
    fn warns_when_the_rules_file_is_unowned() {
        let warnings = |text: &str, path: &str| Rules::parse(text).unwrap().warnings(path);
        assert_eq!(warnings("*.rs @a", RULES_PATH).len(), 1);
        assert!(warnings("/.github/.landqueue @org/sec", RULES_PATH).is_empty());
        assert!(warnings("* @org/everyone", RULES_PATH).is_empty());
        let codeowners = warnings("/.github/.landqueue @org/sec", ".github/CODEOWNERS");
        assert!(
            codeowners[0].contains("`.github/CODEOWNERS`"),
            "{codeowners:?}"
        );
    }
}
