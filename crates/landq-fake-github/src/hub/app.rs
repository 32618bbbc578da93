//! The GitHub App side of the fake: JWTs signed with the App's key are
//! exchanged for installation tokens, which then authorize only their
//! installation's repositories.

use std::collections::HashMap;

use axum::http::{Method, StatusCode};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

use super::Answer;

/// The test App's private key (test-only, never used anywhere real).
pub const TEST_KEY: &str = include_str!("../../keys/test-app.pem");
const TEST_PUBLIC_KEY: &str = include_str!("../../keys/test-app.pub.pem");

/// A GitHub App the fake trusts: its id and public key, and the
/// installation tokens it issued.
pub struct App {
    id: u64,
    key: DecodingKey,
    /// token → installation
    tokens: HashMap<String, u64>,
}

impl App {
    /// App `id` whose JWTs are signed with [`TEST_KEY`].
    pub fn test(id: u64) -> App {
        App {
            id,
            key: DecodingKey::from_rsa_pem(TEST_PUBLIC_KEY.as_bytes()).expect("test public key"),
            tokens: HashMap::new(),
        }
    }

    fn verify_jwt(&self, bearer: &str) -> Result<(), Answer> {
        let mut validation = Validation::new(Algorithm::RS256);
        // GitHub's `iss` is the numeric App id, checked below.
        validation.set_required_spec_claims(&["exp"]);
        let claims =
            jsonwebtoken::decode::<Value>(bearer, &self.key, &validation).map_err(|e| {
                (
                    StatusCode::UNAUTHORIZED,
                    json!({"message": format!("A JSON web token could not be decoded: {e}")}),
                )
            })?;
        let iss = &claims.claims["iss"];
        if iss.as_u64() != Some(self.id) && iss.as_str() != Some(&self.id.to_string()) {
            return Err((
                StatusCode::UNAUTHORIZED,
                json!({"message": "'Issuer' claim ('iss') must be an Integer"}),
            ));
        }
        Ok(())
    }

    /// Answers `/app/...` (JWT) and `/installation/...` (installation
    /// token) requests; `None` for every other route.
    pub(super) fn answer(
        &mut self,
        method: &Method,
        segments: &[&str],
        bearer: &str,
        repos: &HashMap<u64, Vec<String>>,
    ) -> Result<Option<Answer>, Answer> {
        match (method.as_str(), segments) {
            ("GET", ["app"]) => {
                self.verify_jwt(bearer)?;
                Ok(Some((
                    StatusCode::OK,
                    json!({"id": self.id, "slug": "landq-test", "name": "landq test"}),
                )))
            }
            ("GET", ["app", "installations"]) => {
                self.verify_jwt(bearer)?;
                let mut ids: Vec<&u64> = repos.keys().collect();
                ids.sort();
                let list: Vec<Value> = ids
                    .into_iter()
                    .map(|id| json!({"id": id, "account": {"login": "acme"}}))
                    .collect();
                Ok(Some((StatusCode::OK, Value::Array(list))))
            }
            ("POST", ["app", "installations", id, "access_tokens"]) => {
                self.verify_jwt(bearer)?;
                let Some(id) = id.parse::<u64>().ok().filter(|id| repos.contains_key(id)) else {
                    return Ok(Some(super::rest::not_found()));
                };
                let token = format!("ghs_test_{id}_{}", self.tokens.len() + 1);
                self.tokens.insert(token.clone(), id);
                Ok(Some((
                    StatusCode::CREATED,
                    json!({"token": token, "expires_at": "2099-01-01T00:00:00Z", "permissions": {}}),
                )))
            }
            ("GET", ["installation", "repositories"]) => {
                let id = self.installation_of(bearer)?;
                let names = repos.get(&id).cloned().unwrap_or_default();
                let list: Vec<Value> = names.iter().map(|n| json!({"full_name": n})).collect();
                Ok(Some((
                    StatusCode::OK,
                    json!({"total_count": list.len(), "repositories": list}),
                )))
            }
            _ => Ok(None),
        }
    }

    /// The installation an installation token belongs to.
    pub(super) fn installation_of(&self, bearer: &str) -> Result<u64, Answer> {
        self.tokens.get(bearer).copied().ok_or_else(|| {
            (
                StatusCode::UNAUTHORIZED,
                json!({"message": "Bad credentials"}),
            )
        })
    }

    /// How many installation tokens were issued.
    pub fn tokens_issued(&self) -> usize {
        self.tokens.len()
    }
}
