//! Gathering the facts of one pull request from GitHub.
//!
//! Everything is read at decision time: the pull request, the settings and
//! rules from the base branch (cached by blob SHA), then at once reviews, changed files, who
//! applied the label and (only when required) checks; then the labeler's
//! permission and the team memberships that could satisfy an owner. When the
//! pull request changes the settings or rules file, both are also read as
//! its head commit has them (it must leave them valid), and when it repairs
//! broken base files, which approvers are admins.

use std::collections::BTreeSet;
use std::sync::Arc;

use landq_github::{DirEntry, GitHubError, Repo};

use crate::bounded::Bounded;
use landq_policy::{
    Facts, HeadConfig, Labeler, Owner, Permission, Rules, RulesErrors, SETTINGS_PATH, Settings,
    SettingsError, Teams, approvers,
};

/// Versions kept at most of each file, by blob SHA.
const CACHED_VERSIONS: usize = 64;

/// The base branch's rules and settings by blob SHA: each version is read
/// and parsed once, however many pull requests it judges.
pub struct FileCache {
    rules: Bounded<String, Result<Arc<Rules>, RulesErrors>>,
    settings: Bounded<String, Result<Settings, SettingsError>>,
}

impl Default for FileCache {
    fn default() -> Self {
        FileCache {
            rules: Bounded::new(CACHED_VERSIONS),
            settings: Bounded::new(CACHED_VERSIONS),
        }
    }
}

impl FileCache {
    /// The rules of blob `sha` (none: the base has no rules file).
    async fn rules(
        &self,
        repo: &Repo,
        sha: Option<&str>,
    ) -> Result<Result<Arc<Rules>, RulesErrors>, GitHubError> {
        let absent = || Ok(Arc::new(Rules::empty()));
        version(&self.rules, repo, sha, absent, |text| {
            Rules::parse(text).map(Arc::new)
        })
        .await
    }

    /// The settings and rules files as the commit `head` has them, the rules
    /// where the head's settings put them (`base`'s place if those are broken).
    async fn head_config(
        &self,
        repo: &Repo,
        head: &str,
        base: &Settings,
    ) -> Result<HeadConfig, GitHubError> {
        let listing = Listing::read(repo, Some(head)).await?;
        let settings = self
            .settings(repo, listing.blob_of(SETTINGS_PATH).as_deref())
            .await?;
        let rules_path = settings.as_ref().unwrap_or(base).rules.clone();
        let rules = self
            .rules(repo, listing.blob_of(&rules_path).as_deref())
            .await?;
        Ok(HeadConfig {
            settings,
            rules_path,
            rules,
        })
    }

    /// The settings of blob `sha` (none: defaults).
    pub(crate) async fn settings(
        &self,
        repo: &Repo,
        sha: Option<&str>,
    ) -> Result<Result<Settings, SettingsError>, GitHubError> {
        let absent = || Ok(Settings::default());
        version(&self.settings, repo, sha, absent, Settings::parse).await
    }
}

/// The files of `.github` on one reference, by blob SHA.
pub(crate) struct Listing(Vec<DirEntry>);

impl Listing {
    /// Lists `.github` on `reference` (the default branch when `None`).
    pub(crate) async fn read(repo: &Repo, reference: Option<&str>) -> Result<Listing, GitHubError> {
        Ok(Listing(
            repo.dir_at(reference, ".github").await?.unwrap_or_default(),
        ))
    }

    /// The blob SHA of `path` (`.github/NAME`), if the file exists.
    pub(crate) fn blob_of(&self, path: &str) -> Option<String> {
        let name = path.rsplit('/').next().unwrap_or(path);
        self.0
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.blob_sha.clone())
    }
}

/// Version `sha` of a file parsed by `parse`, read only when new to `cache`;
/// `absent` when the file does not exist.
async fn version<T: Clone>(
    cache: &Bounded<String, T>,
    repo: &Repo,
    sha: Option<&str>,
    absent: impl FnOnce() -> T,
    parse: impl FnOnce(&str) -> T,
) -> Result<T, GitHubError> {
    let Some(sha) = sha else {
        return Ok(absent());
    };
    if let Some(parsed) = cache.get(sha) {
        return Ok(parsed);
    }
    let parsed = parse(&repo.blob(sha).await?.text);
    cache.insert(sha.to_owned(), parsed.clone());
    Ok(parsed)
}

/// The facts of one pull request, and what acting on them needs besides.
#[derive(Debug)]
pub struct Gathered {
    /// Input to `decide`.
    pub facts: Facts,
    /// The squash commit, when the pull request is merged.
    pub merge_commit_sha: Option<String>,
    /// When the land label was applied (ms since the epoch), if GitHub said.
    pub labeled_at_ms: Option<i64>,
    /// Blob SHA of the base branch's rules file, for the audit record.
    pub rules_sha: Option<String>,
    /// The land label in force for this repository.
    pub label: String,
}

/// Reads every fact about pull request `number`.
pub async fn gather(repo: &Repo, number: u64, cache: &FileCache) -> Result<Gathered, GitHubError> {
    let view = repo.pull(number).await?;
    let pull = &view.pull;
    // One listing of `.github` on the base says which files exist, in which
    // version; versions seen before are not read again.
    let listing = Listing::read(repo, Some(&pull.base)).await?;
    let settings = cache
        .settings(repo, listing.blob_of(SETTINGS_PATH).as_deref())
        .await?;
    let in_force = settings.clone().unwrap_or_default();
    let rules_sha = listing.blob_of(&in_force.rules);
    let rules = cache.rules(repo, rules_sha.as_deref()).await?;

    let checks = async {
        if in_force.required_checks.is_empty() {
            Ok(Vec::new())
        } else {
            repo.checks(&pull.head_sha).await
        }
    };
    let (reviews, files, labeler, checks) = tokio::try_join!(
        repo.reviews(number),
        repo.files(number, view.changed_files),
        repo.labeler(number, &in_force.label),
        checks,
    )?;
    let labeled_at_ms = labeler.as_ref().and_then(|l| l.at_ms);
    let labeler = match labeler {
        Some(labeled) => Some(Labeler {
            permission: repo.permission(&labeled.login).await?,
            login: labeled.login,
        }),
        None => None,
    };

    let approving = approvers(pull, &reviews, in_force.allow_stale_approvals);
    let changes_config = files
        .iter()
        .flat_map(|f| f.paths())
        .any(|path| path == SETTINGS_PATH || path == in_force.rules);
    let head_config = match changes_config {
        true => Some(cache.head_config(repo, &pull.head_sha, &in_force).await?),
        false => None,
    };
    // A repair of broken base files needs an admin: ask only then.
    let mut admins = Vec::new();
    if head_config.is_some() && (settings.is_err() || rules.is_err()) {
        for login in &approving {
            if repo.permission(login).await? == Permission::Admin {
                admins.push(login.clone());
            }
        }
    }

    let mut teams = Teams::default();
    if let Ok(rules) = &rules {
        let paths = files.iter().flat_map(|f| f.paths());
        let asks = team_questions(rules, paths, &approving);
        // Teams are asked about concurrently; within a team, approver by
        // approver, stopping at the first member (one is enough).
        let answers = futures::future::try_join_all(asks.iter().map(|(org, slug)| async {
            for login in &approving {
                if repo.is_team_member(org, slug, login).await? {
                    return Ok(Some(login.clone()));
                }
            }
            Ok::<_, GitHubError>(None)
        }))
        .await?;
        for ((org, slug), member) in asks.iter().zip(answers) {
            if let Some(login) = member {
                teams.add(org, slug, &login);
            }
        }
    }

    let default_branch = view
        .default_branch
        .unwrap_or_else(|| view.pull.base.clone());
    Ok(Gathered {
        facts: Facts {
            pull: view.pull,
            default_branch,
            files,
            reviews,
            teams,
            rules,
            settings,
            checks,
            labeler,
            head_config,
            admins,
        },
        rules_sha,
        label: in_force.label,
        merge_commit_sha: view.merge_commit_sha,
        labeled_at_ms,
    })
}

/// The teams worth asking about: those of each rule owning a changed path
/// that no approver satisfies by name.
fn team_questions<'p>(
    rules: &Rules,
    paths: impl Iterator<Item = &'p str>,
    approving: &[String],
) -> BTreeSet<(String, String)> {
    let mut asks = BTreeSet::new();
    if approving.is_empty() {
        return asks;
    }
    let mut seen_lines = BTreeSet::new();
    for path in paths {
        let Some(rule) = rules.rule_for(path) else {
            continue;
        };
        if !seen_lines.insert(rule.line) {
            continue;
        }
        if rule
            .owners
            .iter()
            .any(|o| approving.iter().any(|a| o.is_user(a)))
        {
            continue;
        }
        for owner in &rule.owners {
            if let Owner::Team { org, slug } = owner {
                asks.insert((org.clone(), slug.clone()));
            }
        }
    }
    asks
}
