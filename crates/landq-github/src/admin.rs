//! How a repository is set up, for `landq audit`: its default branch, a
//! file's text, the branch protection and the rulesets that apply to a
//! branch. Only the fields the audit reads are decoded.

use serde::Deserialize;

use crate::error::{GitHubError, decode, expect_ok};
use crate::{GitHub, Repo};

/// `GET /repos/{owner}/{repo}/branches/{branch}/protection`.
#[derive(Clone, Debug, Default, serde::Serialize, Deserialize)]
pub struct Protection {
    /// Required status checks, if any.
    pub required_status_checks: Option<RequiredChecks>,
    /// Whether administrators are held to the protection too.
    pub enforce_admins: Option<Enabled>,
    /// Who may push (absent: everyone with write access).
    pub restrictions: Option<Restrictions>,
    /// Whether force pushes are allowed.
    pub allow_force_pushes: Option<Enabled>,
}

/// Required status checks of a protected branch.
#[derive(Clone, Debug, Default, serde::Serialize, Deserialize)]
pub struct RequiredChecks {
    /// "Require branches to be up to date before merging".
    #[serde(default)]
    pub strict: bool,
    /// The required checks' names (older form).
    #[serde(default)]
    pub contexts: Vec<String>,
    /// The required checks (newer form).
    #[serde(default)]
    pub checks: Vec<CheckContext>,
}

impl RequiredChecks {
    /// Whether check `name` is required.
    pub fn requires(&self, name: &str) -> bool {
        self.contexts.iter().any(|c| c == name) || self.checks.iter().any(|c| c.context == name)
    }
}

/// One required check.
#[derive(Clone, Debug, Default, serde::Serialize, Deserialize)]
pub struct CheckContext {
    /// Its name.
    pub context: String,
}

/// An on/off setting.
#[derive(Clone, Copy, Debug, Default, serde::Serialize, Deserialize)]
pub struct Enabled {
    /// On?
    pub enabled: bool,
}

/// Who may push to a protected branch.
#[derive(Clone, Debug, Default, serde::Serialize, Deserialize)]
pub struct Restrictions {
    /// Users.
    #[serde(default)]
    pub users: Vec<Named>,
    /// Teams.
    #[serde(default)]
    pub teams: Vec<Named>,
    /// GitHub Apps.
    #[serde(default)]
    pub apps: Vec<Named>,
}

/// A user (`login`), a team or an App (`slug`).
#[derive(Clone, Debug, Default, serde::Serialize, Deserialize)]
pub struct Named {
    /// A user's login.
    pub login: Option<String>,
    /// A team's or an App's slug.
    pub slug: Option<String>,
}

impl Named {
    /// The login or the slug.
    pub fn name(&self) -> &str {
        self.login.as_deref().or(self.slug.as_deref()).unwrap_or("")
    }
}

/// One rule that applies to a branch (`GET /repos/{o}/{r}/rules/branches/{b}`).
#[derive(Clone, Debug, serde::Serialize, Deserialize)]
pub struct BranchRule {
    /// `update`, `required_status_checks`, `pull_request`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The ruleset it comes from.
    pub ruleset_id: Option<u64>,
    /// The rule's parameters.
    #[serde(default)]
    pub parameters: serde_json::Value,
}

/// A ruleset (`GET /repos/{o}/{r}/rulesets/{id}`): who may bypass it.
#[derive(Clone, Debug, serde::Serialize, Deserialize)]
pub struct Ruleset {
    /// Its id.
    pub id: u64,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// `active`, `evaluate` or `disabled`.
    #[serde(default)]
    pub enforcement: String,
    /// Who may bypass it; `None` when GitHub does not say (it lists them
    /// only to those with write access to the ruleset).
    pub bypass_actors: Option<Vec<BypassActor>>,
}

/// One who may bypass a ruleset.
#[derive(Clone, Debug, serde::Serialize, Deserialize)]
pub struct BypassActor {
    /// The App's id, the team's, ...
    pub actor_id: Option<u64>,
    /// `Integration` (an App), `Team`, `RepositoryRole`, `OrganizationAdmin`, ...
    pub actor_type: String,
}

/// `GET /repos/{owner}/{repo}`: what the audit reads of it.
#[derive(Clone, Debug, serde::Serialize, Deserialize)]
pub struct RepoInfo {
    /// The default branch.
    pub default_branch: String,
}

/// A file as the contents API answers (`content` in base64).
#[derive(Clone, Debug, serde::Serialize, Deserialize)]
pub struct FileContent {
    /// Base64, with line breaks.
    pub content: Option<String>,
}

impl FileContent {
    /// The file's UTF-8 text (`url`: where it was read, for errors).
    pub fn text(self, url: &str) -> Result<String, GitHubError> {
        crate::reads::base64_text(url, self.content)
    }
}

/// An entry of a directory as the contents API lists it.
#[derive(Clone, Debug, serde::Serialize, Deserialize)]
pub struct DirItem {
    /// Its name.
    pub name: String,
    /// Its blob (or tree) SHA.
    pub sha: String,
    /// `file`, `dir`, ...
    #[serde(rename = "type")]
    pub kind: String,
}

/// Who GitHub takes landq's credentials for.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Me {
    /// The App's id or the user's.
    pub id: u64,
    /// The App's slug or the user's login.
    pub name: String,
    /// Whether it is a GitHub App.
    pub app: bool,
}

impl GitHub {
    /// Who GitHub takes these credentials for, with the id (an App's id is
    /// what rulesets name as a bypass actor).
    pub async fn me(&self) -> Result<Me, GitHubError> {
        #[derive(Deserialize)]
        struct Raw {
            id: u64,
            slug: Option<String>,
            login: Option<String>,
        }
        let path = if self.is_app() { "/app" } else { "/user" };
        let answer = self.retry.send(path, || self.root._get(path)).await?;
        let raw: Raw = decode(path, expect_ok(path, answer)?)?;
        Ok(Me {
            id: raw.id,
            name: raw.slug.or(raw.login).unwrap_or_default(),
            app: self.is_app(),
        })
    }
}

impl Repo {
    /// The repository's default branch.
    pub async fn default_branch(&self) -> Result<String, GitHubError> {
        let info: RepoInfo = self.get_json(&format!("/repos/{}", self.name)).await?;
        Ok(info.default_branch)
    }

    /// `GET /repos/{owner}/{repo}/{rest}` (the repository itself when
    /// `rest` is empty) with `etag` of what the caller holds:
    /// [`crate::Conditional::NotModified`] on GitHub's 304 (no rate limit),
    /// `None` on 404.
    pub async fn get_if_changed<T: serde::de::DeserializeOwned>(
        &self,
        rest: &str,
        etag: Option<&str>,
    ) -> Result<Option<crate::Conditional<T>>, GitHubError> {
        let path = match rest {
            "" => format!("/repos/{}", self.name),
            rest => self.url(rest),
        };
        crate::users::conditional(&self.octo, &self.retry, &path, etag).await
    }
}

/// An open pull request as the list shows it (for reminders).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct OpenPull {
    /// Its number.
    pub number: u64,
    /// Its title.
    pub title: String,
    /// Whether it is a draft.
    #[serde(default)]
    pub draft: bool,
    /// When it was opened (RFC 3339).
    pub created_at: String,
    /// Its page.
    pub html_url: String,
    /// Its author.
    pub user: Login,
    /// Reviewers asked.
    #[serde(default)]
    pub requested_reviewers: Vec<Login>,
    /// Teams asked.
    #[serde(default)]
    pub requested_teams: Vec<Slug>,
}

/// `{"login": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Login {
    /// The login.
    pub login: String,
}

/// `{"slug": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Slug {
    /// The slug.
    pub slug: String,
}

/// A review as listed (only whether there is one matters here).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Reviewed {
    /// Who reviewed.
    pub user: Option<Login>,
    /// `APPROVED`, `COMMENTED`, ...
    pub state: String,
}

/// Pull requests listed a page.
pub const PULLS_PAGE: usize = 100;

impl Repo {
    /// Page `page` (from 1) of the open pull requests, newest first, with
    /// `etag` of what the caller holds: GitHub's 304 costs no rate limit.
    pub async fn open_pulls(
        &self,
        page: usize,
        etag: Option<&str>,
    ) -> Result<crate::Conditional<Vec<OpenPull>>, GitHubError> {
        let path = self.url(&format!(
            "pulls?state=open&per_page={PULLS_PAGE}&page={page}"
        ));
        crate::users::conditional(&self.octo, &self.retry, &path, etag)
            .await?
            .ok_or_else(|| GitHubError::Status {
                status: 404,
                what: path,
                message: "Not Found".into(),
            })
    }

    /// The first reviews of pull request `number` (enough to tell whether
    /// anyone reviewed it), conditionally.
    pub async fn first_reviews(
        &self,
        number: u64,
        etag: Option<&str>,
    ) -> Result<crate::Conditional<Vec<Reviewed>>, GitHubError> {
        let path = self.url(&format!("pulls/{number}/reviews?per_page=10"));
        Ok(
            crate::users::conditional(&self.octo, &self.retry, &path, etag)
                .await?
                .unwrap_or(crate::Conditional::Fresh(Vec::new(), None)),
        )
    }
}
