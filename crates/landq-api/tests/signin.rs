//! Who may look, on the git-backed fake GitHub: a person signs in through
//! the App's OAuth web flow and sees only the repositories GitHub lets them
//! read; scripts send their GitHub token; what is refused leaves no session.
//!
//! `acme/app` (the common store's queue and lands) is private, readable by
//! alice; `acme/quiet` (configured, nothing stored) is public.

mod common;

use std::sync::Arc;

use common::REPO;
use landq_api::{Access, SignIn};
use landq_fake_github::hub::Hub;
use landq_github::retry::RetryPolicy;
use landq_github::{Auth, GitHub, OAuthClient};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use serde_json::Value;
use tempfile::TempDir;

const CLIENT_ID: &str = "Iv1.landqtest";
const CLIENT_SECRET: &str = "s3cret-never-logged";

struct Site {
    url: String,
    hub: Hub,
    _dir: TempDir,
}

/// landq's dashboard with sign-in, on loopback, over the fake GitHub.
async fn site() -> Site {
    let hub = Hub::start().await;
    hub.create_repo(REPO, None, &[("README.md", "app\n")]);
    hub.create_repo("acme/quiet", None, &[("README.md", "quiet\n")]);
    hub.make_private(REPO);
    hub.permit(REPO, "alice", "read");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    hub.oauth_app(CLIENT_ID, CLIENT_SECRET, &format!("{url}/auth/callback"));
    let github = GitHub::new(
        hub.url(),
        Auth::Token("landq-token".to_owned().into()),
        RetryPolicy::default(),
    )
    .unwrap();
    let sign_in = SignIn::new(
        OAuthClient {
            id: CLIENT_ID.into(),
            secret: CLIENT_SECRET.to_owned().into(),
        },
        None,
    );
    let (dir, dashboard) = common::dashboard(Access::SignIn(sign_in)).await;
    for repo in [REPO, "acme/quiet"] {
        let report = r#"{"status":"compliant","findings":[],"jobs":{}}"#;
        dashboard
            .store
            .put_doc("audit", repo, report)
            .await
            .unwrap();
    }
    let router = landq_api::router(Arc::new(dashboard.with_github(Arc::new(github))));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Site {
        url,
        hub,
        _dir: dir,
    }
}

/// A browser that keeps cookies and does not follow redirects by itself.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// GETs `url`; the status, the redirect target and the body.
async fn visit(browser: &reqwest::Client, url: &str) -> (StatusCode, Option<String>, String) {
    let answer = browser.get(url).send().await.unwrap();
    let status = answer.status();
    let location = answer
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_owned());
    (status, location, answer.text().await.unwrap())
}

/// Signs `browser` in as whoever is signed in at the fake GitHub, from the
/// sign-in link of `page`; returns where landq sent it at the end.
async fn sign_in(site: &Site, browser: &reqwest::Client, page: &str) -> String {
    let (status, _, body) = visit(browser, &format!("{}{page}", site.url)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let link = body
        .split("href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a sign-in link")
        .replace("&amp;", "&");
    assert!(link.starts_with("/auth/login?next="), "{link}");
    let (status, to_github, _) = visit(browser, &format!("{}{link}", site.url)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let to_github = to_github.unwrap();
    assert!(
        to_github.starts_with(&format!("{}/login/oauth/authorize?", site.hub.url())),
        "{to_github}"
    );
    assert!(to_github.contains(&format!("client_id={CLIENT_ID}")));
    let (status, back, _) = visit(browser, &to_github).await;
    assert_eq!(status, StatusCode::FOUND);
    let (status, next, body) = visit(browser, &back.unwrap()).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    next.unwrap()
}

#[tokio::test]
async fn a_person_signs_in_with_github_and_sees_only_what_they_can_read() {
    let site = site().await;

    site.hub.sign_in_browser(Some("alice"));
    let alice = browser();
    assert_eq!(
        sign_in(&site, &alice, "/repos/acme/app").await,
        "/repos/acme/app"
    );
    let (status, _, page) = visit(&alice, &format!("{}/repos/acme/app", site.url)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Rename old"), "{page}");
    assert!(page.contains("signed in as @alice"), "{page}");
    let (_, _, index) = visit(&alice, &format!("{}/", site.url)).await;
    assert!(
        index.contains("acme/app") && index.contains("acme/quiet"),
        "{index}"
    );

    site.hub.sign_in_browser(Some("bob"));
    let bob = browser();
    assert_eq!(sign_in(&site, &bob, "/").await, "/");
    let (status, _, index) = visit(&bob, &format!("{}/", site.url)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(index.contains("acme/quiet"), "{index}");
    assert!(
        !index.contains("acme/app"),
        "bob sees a private repository: {index}"
    );
    for path in [
        "/repos/acme/app",
        "/api/v1/repos/acme/app/queue",
        "/api/v1/repos/acme/app/lands",
        "/api/v1/repos/acme/app/stats",
    ] {
        let (status, _, body) = visit(&bob, &format!("{}{path}", site.url)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            !body.contains("Rename old") && !body.contains("Change 1"),
            "{path}: {body}"
        );
    }
    let (_, _, repos) = visit(&bob, &format!("{}/api/v1/repos", site.url)).await;
    let repos: Value = serde_json::from_str(&repos).unwrap();
    assert_eq!(repos.as_array().unwrap().len(), 1, "{repos}");
    assert_eq!(repos[0]["repo"], "acme/quiet");
    let (_, _, audit) = visit(&bob, &format!("{}/api/v1/audit", site.url)).await;
    let audit: Value = serde_json::from_str(&audit).unwrap();
    let audited: Vec<&String> = audit.as_object().unwrap().keys().collect();
    assert_eq!(audited, ["acme/quiet"]);
    let (_, _, audit) = visit(&alice, &format!("{}/api/v1/audit", site.url)).await;
    let audit: Value = serde_json::from_str(&audit).unwrap();
    assert_eq!(audit[REPO]["status"], "compliant");

    // Signed out, the session is gone.
    let (status, to, _) = visit(&bob, &format!("{}/auth/logout", site.url)).await;
    assert_eq!((status, to.as_deref()), (StatusCode::SEE_OTHER, Some("/")));
    let (status, _, _) = visit(&bob, &format!("{}/", site.url)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn scripts_send_their_github_token_and_answers_are_held_a_minute() {
    let site = site().await;
    let client = reqwest::Client::new();
    let call = |token: Option<String>, path: &str| {
        let mut request = client.get(format!("{}{path}", site.url));
        if let Some(token) = token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        async move {
            let answer = request.send().await.unwrap();
            let status = answer.status();
            (status, answer.json::<Value>().await.unwrap())
        }
    };
    let (status, error) = call(None, "/api/v1/repos/acme/app/queue").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer"),
        "{error}"
    );

    let alice = site.hub.person_token("alice");
    for _ in 0..3 {
        let (status, queue) = call(Some(alice.clone()), "/api/v1/repos/acme/app/queue").await;
        assert_eq!(status, StatusCode::OK, "{queue}");
        assert_eq!(queue["branches"][0]["entries"][0]["pr"], 7);
    }
    // Who the token is and whether it reads acme/app: asked once each.
    assert_eq!(site.hub.count("GET", "/user"), 1);
    assert_eq!(site.hub.count("GET", "/repos/acme/app"), 1);

    let bob = site.hub.person_token("bob");
    let (status, error) = call(Some(bob), "/api/v1/repos/acme/app/lands").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["message"], "landq knows no repository `acme/app`");

    let revoked = site.hub.person_token("alice");
    site.hub.revoke(&revoked);
    let (status, _) = call(Some(revoked), "/api/v1/repos").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The API's description is open to all.
    let answer = client
        .get(format!("{}/api/openapi.json", site.url))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_sign_in_not_started_here_or_refused_by_github_leaves_no_session() {
    let site = site().await;
    site.hub.sign_in_browser(Some("alice"));

    // A code that reached landq without this browser's state cookie.
    let stranger = browser();
    let (status, _, _) = visit(&stranger, &format!("{}/auth/login", site.url)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let forged = format!("{}/auth/callback?code=code1&state=guessed", site.url);
    let answer = stranger.get(&forged).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert!(
        !set_cookies(&answer)
            .iter()
            .any(|c| c.starts_with("landq_session="))
    );
    assert!(answer.text().await.unwrap().contains("does not match"));

    let fresh = browser();
    let answer = fresh
        .get(format!("{}/auth/callback?code=x&state=y", site.url))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);

    // GitHub refuses a code it did not issue.
    let browser = browser();
    let (_, to_github, _) = visit(&browser, &format!("{}/auth/login", site.url)).await;
    let (_, back, _) = visit(&browser, &to_github.unwrap()).await;
    let back = back.unwrap();
    let state = back.split("state=").nth(1).unwrap().to_owned();
    let answer = browser
        .get(format!(
            "{}/auth/callback?code=nope&state={state}",
            site.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_GATEWAY);
    assert!(
        !set_cookies(&answer)
            .iter()
            .any(|c| c.starts_with("landq_session="))
    );
    let page = answer.text().await.unwrap();
    assert!(page.contains("bad_verification_code"), "{page}");
    assert!(!page.contains(CLIENT_SECRET));
    let (status, _, _) = visit(&browser, &format!("{}/", site.url)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

fn set_cookies(answer: &reqwest::Response) -> Vec<String> {
    answer
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_tampered_session_is_no_session_and_sign_in_returns_only_here() {
    let site = site().await;
    site.hub.sign_in_browser(Some("alice"));
    let alice = browser();
    let (_, to_github, _) = visit(
        &alice,
        &format!("{}/auth/login?next=//evil.example/x", site.url),
    )
    .await;
    let (_, back, _) = visit(&alice, &to_github.unwrap()).await;
    let answer = alice.get(back.unwrap()).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()[LOCATION], "/");
    let session = set_cookies(&answer)
        .into_iter()
        .find(|c| c.starts_with("landq_session="))
        .expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    assert!(
        !session.contains("ghu_"),
        "the token is in the clear: {session}"
    );

    let value = session.split(';').next().unwrap();
    let mut tampered = value.to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let answer = reqwest::Client::new()
        .get(format!("{}/api/v1/repos", site.url))
        .header("cookie", tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let answer = reqwest::Client::new()
        .get(format!("{}/api/v1/repos", site.url))
        .header("cookie", value)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}
