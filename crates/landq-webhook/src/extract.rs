//! The `Delivery` extractor: authenticates a webhook request before anything
//! in it is parsed, and limits its size.
//!
//! Order: signature header present (401), size (413), a permit to read the
//! body (503 when [`MAX_UNVERIFIED_BODIES`] are in flight), the body within
//! [`BODY_TIMEOUT`] (408), HMAC over the raw bytes (401), then the event and
//! delivery headers (400).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// GitHub caps payloads at 25 MB; landq refuses anything larger.
pub const MAX_BODY_BYTES: usize = 25 * 1024 * 1024;

/// How long a body may take to arrive. GitHub itself gives up on a delivery
/// after 10 s, so a slower body is not GitHub's.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Bodies read at once before their signature can be checked: each may be
/// 25 MiB, so a client without the secret cannot make landq hold more than
/// this many.
pub const MAX_UNVERIFIED_BODIES: usize = 32;

/// How long a delivery waits for a permit to read its body.
pub const BODY_PERMIT_WAIT: Duration = Duration::from_secs(2);

/// A delivery whose signature checked out.
#[derive(Debug)]
pub struct Delivery {
    /// `X-GitHub-Event`.
    pub event: String,
    /// `X-GitHub-Delivery`.
    pub id: String,
    /// The JSON payload (unwrapped from a form-encoded body if need be).
    pub body: Bytes,
}

/// Why a request is not a valid delivery.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Rejection {
    /// No `X-Hub-Signature-256` header.
    #[error("missing X-Hub-Signature-256: configure a webhook secret in GitHub")]
    Unsigned,
    /// The signature does not match the body.
    #[error("X-Hub-Signature-256 does not match the body: check the webhook secret")]
    BadSignature,
    /// Larger than [`MAX_BODY_BYTES`].
    #[error("payload larger than 25 MiB")]
    TooLarge,
    /// A required header is missing or not text.
    #[error("missing or invalid {0} header")]
    MissingHeader(&'static str),
    /// The body could not be read or decoded.
    #[error("malformed body: {0}")]
    Malformed(String),
    /// The body did not arrive within [`BODY_TIMEOUT`].
    #[error("the body did not arrive within 10 s")]
    Slow,
    /// Too many bodies are being read at once.
    #[error("too many deliveries in flight; redeliver this one from GitHub")]
    Busy,
}

impl Rejection {
    /// The HTTP status for this rejection.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::Unsigned | Rejection::BadSignature => StatusCode::UNAUTHORIZED,
            Rejection::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::MissingHeader(_) | Rejection::Malformed(_) => StatusCode::BAD_REQUEST,
            Rejection::Slow => StatusCode::REQUEST_TIMEOUT,
            Rejection::Busy => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The metrics outcome label.
    pub fn outcome(&self) -> &'static str {
        match self {
            Rejection::Unsigned | Rejection::BadSignature => "unauthorized",
            Rejection::TooLarge => "too_large",
            Rejection::MissingHeader(_) | Rejection::Malformed(_) => "malformed",
            Rejection::Slow => "slow",
            Rejection::Busy => "busy",
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        (self.status(), format!("{self}\n")).into_response()
    }
}

impl FromRequest<AppState> for Delivery {
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Rejection> {
        let (parts, body) = req.into_parts();
        let headers = &parts.headers;
        let signature = header(headers, "x-hub-signature-256").ok_or(Rejection::Unsigned)?;
        let declared = header(headers, "content-length").and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|len| len > MAX_BODY_BYTES) {
            return Err(Rejection::TooLarge);
        }
        let _permit = tokio::time::timeout(BODY_PERMIT_WAIT, state.bodies.acquire())
            .await
            .map_err(|_| Rejection::Busy)?
            .map_err(|_| Rejection::Busy)?;
        let bytes = tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY_BYTES))
            .await
            .map_err(|_| Rejection::Slow)?
            .map_err(|err| {
                if is_length_limit(&err) {
                    Rejection::TooLarge
                } else {
                    Rejection::Malformed(format!("cannot read the body: {err}"))
                }
            })?;
        if !state.secret.verify(&bytes, signature) {
            return Err(Rejection::BadSignature);
        }
        let event =
            header(headers, "x-github-event").ok_or(Rejection::MissingHeader("X-GitHub-Event"))?;
        let id = header(headers, "x-github-delivery")
            .ok_or(Rejection::MissingHeader("X-GitHub-Delivery"))?;
        let form = header(headers, "content-type")
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        let body = if form { form_payload(&bytes)? } else { bytes };
        Ok(Delivery {
            event: event.to_owned(),
            id: id.to_owned(),
            body,
        })
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok().filter(|v| !v.is_empty())
}

fn is_length_limit(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// GitHub's `application/x-www-form-urlencoded` format: `payload=<json>`.
fn form_payload(bytes: &[u8]) -> Result<Bytes, Rejection> {
    form_urlencoded::parse(bytes)
        .find(|(key, _)| key == "payload")
        .map(|(_, value)| Bytes::from(value.into_owned()))
        .ok_or_else(|| Rejection::Malformed("form body without a `payload` field".into()))
}
