//! Gathering the facts of one pull request from GitHub.
//!
//! Everything is read at decision time: the pull request, then, at once, the
//! settings and rules from the base branch, reviews, changed files, who
//! applied the label and (only when required) checks; then the labeler's
//! permission and the team memberships that could satisfy an owner.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use landq_github::{FileAtRef, GitHubError, PullView, Repo};
use landq_policy::{
    Facts, Labeler, Owner, RULES_PATH, Rules, RulesErrors, SETTINGS_PATH, Settings, Teams,
    approvers,
};

/// Compiled rules kept at most, by blob SHA.
const CACHED_RULES: usize = 64;

/// Compiled rules by the rules file's blob SHA: a rules file is parsed once
/// per version, however many pull requests it judges.
#[derive(Default)]
pub struct RulesCache {
    compiled: Mutex<HashMap<String, Arc<Rules>>>,
}

impl RulesCache {
    /// The compiled rules of `file`, parsing it only if this version is new.
    pub fn get(&self, file: &FileAtRef) -> Result<Arc<Rules>, RulesErrors> {
        if let Some(rules) = self
            .compiled
            .lock()
            .expect("not poisoned")
            .get(&file.blob_sha)
        {
            return Ok(rules.clone());
        }
        let rules = Arc::new(Rules::parse(&file.text)?);
        let mut compiled = self.compiled.lock().expect("not poisoned");
        if compiled.len() >= CACHED_RULES {
            compiled.clear();
        }
        compiled.insert(file.blob_sha.clone(), rules.clone());
        Ok(rules)
    }
}

/// The facts of one pull request, and what acting on them needs besides.
#[derive(Debug)]
pub struct Gathered {
    /// Input to `decide`.
    pub facts: Facts,
    /// The pull request as read (merge commit, file count).
    pub view: PullView,
    /// Blob SHA of the base branch's rules file, for the audit record.
    pub rules_sha: Option<String>,
    /// The land label in force for this repository.
    pub label: String,
}

/// Reads every fact about pull request `number`.
pub async fn gather(repo: &Repo, number: u64, cache: &RulesCache) -> Result<Gathered, GitHubError> {
    let view = repo.pull(number).await?;
    let pull = &view.pull;
    let (settings_file, rules_file) = tokio::try_join!(
        repo.file_at(&pull.base, SETTINGS_PATH),
        repo.file_at(&pull.base, RULES_PATH)
    )?;
    let settings = settings_file.map_or_else(
        || Ok(Settings::default()),
        |file| Settings::parse(&file.text),
    );
    let in_force = settings.clone().unwrap_or_default();
    let rules = rules_file
        .as_ref()
        .map_or_else(|| Ok(Arc::new(Rules::empty())), |file| cache.get(file));

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
    let labeler = match labeler {
        Some(login) => Some(Labeler {
            permission: repo.permission(&login).await?,
            login,
        }),
        None => None,
    };

    let mut teams = Teams::default();
    if let Ok(rules) = &rules {
        let approving = approvers(pull, &reviews, in_force.allow_stale_approvals);
        let paths = files.iter().flat_map(|f| f.paths());
        let asks = team_questions(rules, paths, &approving);
        let answers = futures::future::try_join_all(
            asks.iter()
                .map(|(org, slug, login)| repo.is_team_member(org, slug, login)),
        )
        .await?;
        for ((org, slug, login), member) in asks.iter().zip(answers) {
            if member {
                teams.add(org, slug, login);
            }
        }
    }

    Ok(Gathered {
        facts: Facts {
            pull: view.pull.clone(),
            default_branch: view
                .default_branch
                .clone()
                .unwrap_or_else(|| view.pull.base.clone()),
            files,
            reviews,
            teams,
            rules,
            settings,
            checks,
            labeler,
        },
        rules_sha: rules_file.map(|f| f.blob_sha),
        label: in_force.label,
        view,
    })
}

/// The (org, team, approver) memberships worth asking about: for each rule
/// owning a changed path that no approver satisfies by name, each of its
/// teams with each approver.
fn team_questions<'p>(
    rules: &Rules,
    paths: impl Iterator<Item = &'p str>,
    approving: &[String],
) -> BTreeSet<(String, String, String)> {
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
                for login in approving {
                    asks.insert((org.clone(), slug.clone(), login.clone()));
                }
            }
        }
    }
    asks
}
