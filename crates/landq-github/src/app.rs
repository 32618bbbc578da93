//! Authentication and the client: a token, or a GitHub App with one octocrab
//! per installation; what GitHub takes the credentials for; the App's
//! installations and their repositories.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use octocrab::Octocrab;
use secrecy::{ExposeSecret, SecretString};

use crate::error::{GitHubError, decode, expect_ok};
use crate::retry::RetryPolicy;
use crate::{Repo, models, pages};

/// How landq authenticates.
pub enum Auth {
    /// A personal or fine-grained token (trials; no check runs).
    Token(SecretString),
    /// A GitHub App: its id and private key (PEM).
    App {
        /// The App's id.
        app_id: u64,
        /// The App's private key, PEM.
        private_key: SecretString,
    },
}

/// The client: one octocrab per installation, created on first use.
pub struct GitHub {
    pub(crate) root: Octocrab,
    /// Without credentials: for calls made with a person's token
    /// ([`crate::viewers`]).
    pub(crate) anonymous: Octocrab,
    is_app: bool,
    /// One client per installation, shared (not cloned: a clone of an
    /// octocrab copies its token cache, and every copy would mint its own
    /// installation token).
    installations: Mutex<HashMap<u64, Arc<Octocrab>>>,
    pub(crate) retry: RetryPolicy,
    /// The web pages' root: `https://github.com` for the public API.
    pub(crate) web: String,
}

/// The web root of the API at `api_url`: `https://github.com` for
/// `https://api.github.com`, `https://HOST` for GitHub Enterprise Server's
/// `https://HOST/api/v3`, else the API URL itself.
fn web_root(api_url: &str) -> String {
    let url = api_url.trim_end_matches('/');
    if url == "https://api.github.com" {
        return "https://github.com".into();
    }
    url.strip_suffix("/api/v3").unwrap_or(url).to_owned()
}

impl GitHub {
    /// A client for the API at `api_url` (e.g. `https://api.github.com`).
    pub fn new(api_url: &str, auth: Auth, retry: RetryPolicy) -> Result<GitHub, GitHubError> {
        let builder = || {
            Octocrab::builder()
                .base_uri(api_url)
                .map_err(|e| GitHubError::Config(format!("API URL `{api_url}`: {e}")))
                .map(|b| {
                    b.add_retry_config(octocrab::service::middleware::retry::RetryConfig::None)
                        .set_connect_timeout(Some(Duration::from_secs(10)))
                        .set_read_timeout(Some(Duration::from_secs(30)))
                })
        };
        let anonymous = builder()?;
        let builder = builder()?;
        let (builder, is_app) = match auth {
            Auth::Token(token) => (
                builder.personal_token(token.expose_secret().to_owned()),
                false,
            ),
            Auth::App {
                app_id,
                private_key,
            } => {
                let key =
                    octocrab::EncodingKey::from_rsa_pem(private_key.expose_secret().as_bytes())
                        .map_err(|e| {
                            GitHubError::Config(format!(
                                "the GitHub App private key is not an RSA PEM key: {e}"
                            ))
                        })?;
                (builder.app(app_id.into(), key), true)
            }
        };
        let root = builder
            .build()
            .map_err(|e| GitHubError::Config(e.to_string()))?;
        let anonymous = anonymous
            .build()
            .map_err(|e| GitHubError::Config(e.to_string()))?;
        Ok(GitHub {
            root,
            anonymous,
            is_app,
            installations: Mutex::new(HashMap::new()),
            retry,
            web: web_root(api_url),
        })
    }

    /// GitHub's web root for links (`https://github.com`).
    pub fn web(&self) -> &str {
        &self.web
    }

    /// Whether this client is a GitHub App (which can create check runs).
    pub fn is_app(&self) -> bool {
        self.is_app
    }

    /// Who GitHub takes these credentials for: the App's slug (`GET /app`
    /// with the App's JWT) or the token's user (`GET /user`). A 401 means
    /// GitHub refuses the credentials.
    pub async fn identity(&self) -> Result<String, GitHubError> {
        let path = if self.is_app { "/app" } else { "/user" };
        let answer = self.retry.send(path, || self.root._get(path)).await?;
        let who: models::Identity = decode(path, expect_ok(path, answer)?)?;
        Ok(who.slug.or(who.login).unwrap_or_default())
    }

    /// The App's installations (App authentication only).
    pub async fn installations(&self) -> Result<Vec<u64>, GitHubError> {
        pages(
            &self.root,
            &self.retry,
            "/app/installations",
            usize::MAX,
            |batch: Vec<models::Created>| batch.into_iter().map(|i| i.id).collect(),
        )
        .await
    }

    /// The repositories (`owner/name`) an installation covers.
    pub async fn installation_repos(&self, installation: u64) -> Result<Vec<String>, GitHubError> {
        let octo = self.octo_for(Some(installation), "*")?;
        pages(
            &octo,
            &self.retry,
            "/installation/repositories",
            usize::MAX,
            |page: models::InstallationRepos| {
                page.repositories.into_iter().map(|r| r.full_name).collect()
            },
        )
        .await
    }

    /// Every repository of every installation of the App, with the
    /// installation it is reached through.
    pub async fn every_repo(&self) -> Result<Vec<(Option<u64>, String)>, GitHubError> {
        let mut all = Vec::new();
        for installation in self.installations().await? {
            let repos = self.installation_repos(installation).await?;
            all.extend(repos.into_iter().map(|r| (Some(installation), r)));
        }
        Ok(all)
    }

    /// A client for `repo` (`owner/name`), through `installation` for an App.
    /// A name GitHub could never have given a repository is refused: every
    /// URL is built from validated parts.
    pub fn repo(&self, installation: Option<u64>, repo: &str) -> Result<Repo, GitHubError> {
        if !landq_policy::names::is_repo(repo) {
            return Err(GitHubError::Config(format!(
                "`{repo}` is not a GitHub repository name (owner/name)"
            )));
        }
        Ok(Repo {
            octo: self.octo_for(installation, repo)?,
            name: repo.to_owned(),
            retry: self.retry.clone(),
            web: self.web.clone(),
        })
    }

    /// The octocrab that speaks for `installation` (the root one for a token).
    pub(crate) fn octo_for(
        &self,
        installation: Option<u64>,
        repo: &str,
    ) -> Result<Arc<Octocrab>, GitHubError> {
        Ok(match (self.is_app, installation) {
            (true, Some(id)) => {
                let mut cache = self.installations.lock().expect("not poisoned");
                match cache.get(&id) {
                    Some(octo) => octo.clone(),
                    None => {
                        let octo = Arc::new(
                            self.root
                                .installation(id.into())
                                .map_err(|e| GitHubError::Config(e.to_string()))?,
                        );
                        cache.insert(id, octo.clone());
                        octo
                    }
                }
            }
            (true, None) => {
                return Err(GitHubError::Config(format!(
                    "no installation id for {repo}: the GitHub App must be installed on it"
                )));
            }
            (false, _) => Arc::new(self.root.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::web_root;

    #[test]
    fn web_pages_live_beside_the_api() {
        assert_eq!(web_root("https://api.github.com"), "https://github.com");
        assert_eq!(web_root("https://api.github.com/"), "https://github.com");
        assert_eq!(
            web_root("https://ghe.example/api/v3"),
            "https://ghe.example"
        );
        assert_eq!(web_root("http://127.0.0.1:9"), "http://127.0.0.1:9");
    }
}
