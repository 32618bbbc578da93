//! The dashboard on a SQLite store with a queue and land records: every API
//! route's answers and errors, the OpenAPI document, the pages, and the
//! closed door where sign-in is not configured.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::{REPO, get, json};
use landq_api::Access;
use serde_json::Value;
use tempfile::TempDir;

/// The dashboard's router over the common store.
async fn dashboard(access: Access) -> (TempDir, axum::Router) {
    let (dir, dashboard) = common::dashboard(access).await;
    (dir, landq_api::router(Arc::new(dashboard)))
}

#[tokio::test]
async fn repos_list_the_configured_and_the_stored_with_queue_and_last_land() {
    let (_dir, router) = dashboard(Access::Open).await;
    let (status, repos) = json(&router, "/api/v1/repos").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(repos[0]["repo"], REPO);
    assert_eq!(repos[0]["queue_length"], 2, "the waiting one is not queued");
    assert_eq!(repos[0]["last_land"]["pr"], 5);
    assert_eq!(repos[1]["repo"], "acme/quiet");
    assert_eq!(repos[1]["last_land"], Value::Null);
}

#[tokio::test]
async fn the_queue_lists_entries_in_order_then_the_waiting() {
    let (_dir, router) = dashboard(Access::Open).await;
    let (status, queue) = json(&router, "/api/v1/repos/acme/app/queue").await;
    assert_eq!(status, StatusCode::OK);
    let entries = &queue["branches"][0]["entries"];
    let shown: Vec<(u64, &str, Value)> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["pr"].as_u64().unwrap(),
                e["state"].as_str().unwrap(),
                e["position"].clone(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (7, "testing", Value::from(1)),
            (8, "queued", Value::from(2)),
            (9, "waiting", Value::Null)
        ]
    );
    assert_eq!(entries[0]["stack_branch"], "landq/stack/7");
    assert_eq!(entries[0]["checks"], "pending");
    assert_eq!(entries[0]["url"], "https://github.com/acme/app/pull/7");
    assert_eq!(
        entries[2]["waiting_for"][0],
        "`docs/a.md` needs an approval from @acme/eng"
    );
    assert_eq!(queue["branches"][0]["frozen"], Value::Null);

    let (status, error) = json(&router, "/api/v1/repos/acme/nope/queue").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["message"], "landq knows no repository `acme/nope`");
}

#[tokio::test]
async fn lands_come_newest_first_in_pages_filtered_by_author_and_time() {
    let (_dir, router) = dashboard(Access::Open).await;
    let mut seen = Vec::new();
    let mut uri = "/api/v1/repos/acme/app/lands?limit=2".to_owned();
    loop {
        let (status, page) = json(&router, &uri).await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(
            page["lands"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["pr"].as_u64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/api/v1/repos/acme/app/lands?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, [5, 4, 3, 2, 1]);

    let (_, alice) = json(&router, "/api/v1/repos/acme/app/lands?author=alice").await;
    let prs: Vec<u64> = alice["lands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["pr"].as_u64().unwrap())
        .collect();
    assert_eq!(prs, [4, 3, 1]);
    assert_eq!(
        alice["lands"][0]["approvers"][0], "bob",
        "the whole audit record"
    );

    let since = humantime::format_rfc3339_seconds(
        std::time::SystemTime::now() - std::time::Duration::from_secs(9_000),
    );
    let (_, recent) = json(
        &router,
        &format!("/api/v1/repos/acme/app/lands?since={since}"),
    )
    .await;
    assert_eq!(recent["lands"].as_array().unwrap().len(), 2);

    for (query, parameter) in [
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("since=soon", "since"),
        ("until=2026-13-01", "until"),
        ("cursor=abc", "cursor"),
    ] {
        let (status, error) = json(&router, &format!("/api/v1/repos/acme/app/lands?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("`{parameter}`: ")),
            "{query}: {message}"
        );
    }
}

#[tokio::test]
async fn stats_cover_the_window_with_a_row_per_day() {
    let (_dir, router) = dashboard(Access::Open).await;
    let (status, stats) = json(&router, "/api/v1/repos/acme/app/stats?window=7d").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stats["lands"], 5);
    assert_eq!(stats["land_time"]["p50"], 600.0);
    assert_eq!(stats["queue_wait"]["max"], 300.0);
    assert_eq!(stats["days"].as_array().unwrap().len(), 8);
    let (status, error) = json(&router, "/api/v1/repos/acme/app/stats?window=forever").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["message"].as_str().unwrap().starts_with("`window`: "));
}

#[tokio::test]
async fn every_route_is_in_the_openapi_document_and_the_docs_are_served() {
    let (_dir, router) = dashboard(Access::Open).await;
    let (status, doc) = json(&router, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/repos",
        "/api/v1/repos/{owner}/{repo}/queue",
        "/api/v1/repos/{owner}/{repo}/lands",
        "/api/v1/repos/{owner}/{repo}/stats",
        "/api/v1/authors/{login}",
        "/api/v1/audit",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["LandRecord"].is_object());
    assert_eq!(landq_api::api::openapi().paths.paths.len(), 6);
    assert!(doc["components"]["schemas"]["Report"].is_object());
    let (status, docs) = get(&router, "/api/docs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        docs.contains("/api/openapi.json") || docs.contains("openapi"),
        "{docs}"
    );
}

#[tokio::test]
async fn the_pages_show_the_queue_the_lands_and_the_chart() {
    let (_dir, router) = dashboard(Access::Open).await;
    let (status, index) = get(&router, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(index.contains(r#"href="/repos/acme/app""#), "{index}");
    let (status, page) = get(&router, "/repos/acme/app").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"<meta http-equiv="refresh""#));
    assert!(page.contains(r#"href="https://github.com/acme/app/pull/7""#));
    assert!(page.contains("Rename old") && page.contains("testing"));
    assert!(page.contains("needs an approval from @acme/eng"));
    assert!(page.contains("<svg") && page.contains("p95"));
    assert!(page.contains("Change 5"), "recent lands");
    let (status, _) = get(&router, "/repos/acme/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn authors_need_github() {
    let (_dir, router) = dashboard(Access::Open).await;
    let (status, error) = json(&router, "/api/v1/authors/alice").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(error["message"], "this landq is not connected to GitHub");
}

#[tokio::test]
async fn without_sign_in_a_reachable_dashboard_shows_nothing() {
    let (_dir, router) = dashboard(Access::Closed).await;
    for uri in [
        "/",
        "/repos/acme/app",
        "/api/v1/repos",
        "/api/v1/repos/acme/app/lands",
        "/api/v1/authors/alice",
    ] {
        let (status, body) = get(&router, uri).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
        assert!(!body.contains("acme/app"), "{uri} leaks: {body}");
    }
    // The API's description holds no data: open to all.
    let (status, _) = get(&router, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
}
