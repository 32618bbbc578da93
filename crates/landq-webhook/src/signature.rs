//! `X-Hub-Signature-256`: HMAC-SHA256 of the raw body with the webhook
//! secret, compared in constant time.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

/// The shared webhook secret; never printed.
#[derive(Clone)]
pub struct WebhookSecret(SecretSlice<u8>);

impl WebhookSecret {
    /// Wraps the secret's bytes.
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        WebhookSecret(SecretSlice::from(secret.into()))
    }

    /// Whether `header` (`sha256=<hex>`) signs `body` with this secret.
    pub fn verify(&self, body: &[u8], header: &str) -> bool {
        let Some(signature) = header
            .strip_prefix("sha256=")
            .and_then(|hex| hex::decode(hex).ok())
        else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0.expose_secret())
            .expect("HMAC takes any key length");
        mac.update(body);
        mac.verify_slice(&signature).is_ok()
    }

    /// The header value GitHub would send for `body` (for tests and tools).
    pub fn sign(&self, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0.expose_secret())
            .expect("HMAC takes any key length");
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector from GitHub's "Validating webhook deliveries".
    const SECRET: &str = "It's a Secret to Everybody";
    const PAYLOAD: &str = "Hello, World!";
    const SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn githubs_published_test_vector() {
        let secret = WebhookSecret::new(SECRET);
        assert_eq!(secret.sign(PAYLOAD.as_bytes()), SIGNATURE);
        assert!(secret.verify(PAYLOAD.as_bytes(), SIGNATURE));
    }

    #[test]
    fn rejects_wrong_secret_body_or_format() {
        let secret = WebhookSecret::new(SECRET);
        assert!(!WebhookSecret::new("other").verify(PAYLOAD.as_bytes(), SIGNATURE));
        assert!(!secret.verify(b"Hello, World?", SIGNATURE));
        assert!(!secret.verify(PAYLOAD.as_bytes(), &SIGNATURE.replace("sha256=", "sha1=")));
        assert!(!secret.verify(PAYLOAD.as_bytes(), "sha256=zz"));
        assert!(!secret.verify(PAYLOAD.as_bytes(), &SIGNATURE[..20]));
        assert!(!secret.verify(PAYLOAD.as_bytes(), ""));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        assert_eq!(
            format!("{:?}", WebhookSecret::new(SECRET)),
            "WebhookSecret([redacted])"
        );
    }
}
