//! An opt-in check that a delivery comes from GitHub's webhook ranges, for
//! defence in depth behind App Engine's firewall.
//!
//! Behind App Engine the peer is Google's front end, which appends the
//! client's address and its own to `X-Forwarded-For`
//! (`[client-supplied…, ] client, load-balancer`). So the client is the
//! entry `hops` from the end (2 on App Engine); whatever stands before it
//! was written by the client and is never trusted. With `hops` 0 (no proxy
//! in front, where the header is the client's own word) or without the
//! header, the peer address is the client. When neither is known, the
//! delivery is refused.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;
use landq_github::GitHubError;
use landq_github::meta::hook_ranges;
use landq_github::retry::RetryPolicy;

use crate::AppState;

/// GitHub's webhook ranges from its `/meta`, parsed.
async fn github_ranges(api_url: &str) -> Result<Vec<IpNet>, GitHubError> {
    let ranges = hook_ranges(api_url, &RetryPolicy::default()).await?;
    Ok(ranges.iter().filter_map(|r| r.parse().ok()).collect())
}

/// GitHub's webhook ranges, replaced as they are refreshed.
#[derive(Clone, Debug)]
pub struct SourceGuard {
    ranges: Arc<RwLock<Vec<IpNet>>>,
    hops: usize,
}

impl SourceGuard {
    /// A guard admitting `ranges`, reading the client `hops` entries from
    /// the end of `X-Forwarded-For` (0: ignore the header, use the peer).
    pub fn new(ranges: Vec<IpNet>, hops: usize) -> SourceGuard {
        SourceGuard {
            ranges: Arc::new(RwLock::new(ranges)),
            hops,
        }
    }

    /// Replaces the ranges (a refresh from GitHub's meta).
    pub fn set(&self, ranges: Vec<IpNet>) {
        *self.ranges.write().unwrap_or_else(|e| e.into_inner()) = ranges;
    }

    /// A guard admitting the webhook ranges the GitHub at `api_url`
    /// publishes now (its `/meta`).
    pub async fn from_github(api_url: &str, hops: usize) -> Result<SourceGuard, GitHubError> {
        Ok(SourceGuard::new(github_ranges(api_url).await?, hops))
    }

    /// Refreshes the ranges from `api_url` every `every`, for as long as the
    /// runtime runs; a failed refresh keeps the ranges the guard has.
    pub fn keep_fresh(&self, api_url: String, every: Duration) {
        let guard = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match github_ranges(&api_url).await {
                    Ok(ranges) => guard.set(ranges),
                    Err(err) => tracing::warn!(
                        error = %err,
                        "cannot refresh GitHub's webhook ranges; keeping the current ones"
                    ),
                }
            }
        });
    }

    /// The client address, from `X-Forwarded-For` or else the peer.
    pub fn client(&self, forwarded: Option<&str>, peer: Option<IpAddr>) -> Option<IpAddr> {
        let Some(forwarded) = forwarded.filter(|_| self.hops > 0) else {
            return peer;
        };
        let entries: Vec<&str> = forwarded.split(',').map(str::trim).collect();
        let index = entries.len().checked_sub(self.hops.min(entries.len()))?;
        entries[index].parse().ok()
    }

    /// Whether `ip` lies in one of the ranges.
    pub fn admits(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.ranges
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|range| range.contains(&ip))
    }
}

/// Middleware: refuses deliveries from outside GitHub's ranges with `403`
/// before their body is read.
pub async fn github_only(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(guard) = &state.source else {
        return next.run(request).await;
    };
    let forwarded = request
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    match guard.client(forwarded, peer) {
        Some(ip) if guard.admits(ip) => next.run(request).await,
        client => {
            let shown = client.map_or("unknown".to_owned(), |ip| ip.to_string());
            tracing::warn!(client = %shown, "delivery from outside GitHub's webhook ranges refused");
            state.metrics.delivery("unverified", "forbidden_source");
            (
                StatusCode::FORBIDDEN,
                format!("source address {shown} is not in GitHub's webhook ranges\n"),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> SourceGuard {
        SourceGuard::new(
            vec![
                "192.30.252.0/22".parse().unwrap(),
                "2a0a:a440::/29".parse().unwrap(),
            ],
            2,
        )
    }

    #[test]
    fn the_client_is_the_entry_app_engine_appended() {
        let g = guard();
        let lb: &str = "169.254.1.1";
        assert_eq!(
            g.client(Some(&format!("192.30.252.9, {lb}")), None),
            Some("192.30.252.9".parse().unwrap())
        );
        // A forged first entry does not help an outsider.
        let forged = format!("192.30.252.9, 203.0.113.7, {lb}");
        let client = g.client(Some(&forged), None).unwrap();
        assert_eq!(client, "203.0.113.7".parse::<IpAddr>().unwrap());
        assert!(!g.admits(client));
        // Too few entries: the first is all there is.
        assert_eq!(
            g.client(Some("192.30.252.9"), None),
            Some("192.30.252.9".parse().unwrap())
        );
        assert_eq!(g.client(Some("garbage, x"), None), None);
        assert_eq!(g.client(None, None), None);
    }

    #[test]
    fn without_a_proxy_the_header_is_ignored() {
        let direct = SourceGuard::new(vec!["192.30.252.0/22".parse().unwrap()], 0);
        let peer: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(
            direct.client(Some("192.30.252.9, 192.30.252.9"), Some(peer)),
            Some(peer)
        );
    }

    #[test]
    fn ranges_cover_ipv4_ipv6_and_mapped_addresses() {
        let g = guard();
        assert!(g.admits("192.30.255.254".parse().unwrap()));
        assert!(!g.admits("192.30.251.255".parse().unwrap()));
        assert!(g.admits("2a0a:a447::1".parse().unwrap()));
        assert!(g.admits("::ffff:192.30.252.1".parse().unwrap()));
        g.set(vec![]);
        assert!(!g.admits("192.30.252.1".parse().unwrap()));
    }
}
