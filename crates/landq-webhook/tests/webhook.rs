//! The webhook through its router: real GitHub payloads signed as GitHub signs
//! them, a real embedded bus on disk, and for every rejection a check that
//! nothing was published.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use landq_bus::embedded::{self, EmbeddedBus};
use landq_bus::{Bus, BusError, Envelope, Published, Received};
use landq_webhook::{AppState, WebhookSecret, router};
use tempfile::TempDir;
use tower::ServiceExt;

const SECRET: &str = "test-webhook-secret";

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/webhooks")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Harness {
    dir: TempDir,
    app: Router,
}

impl Harness {
    fn new() -> Harness {
        let dir = TempDir::new().unwrap();
        let bus = EmbeddedBus::open(dir.path(), embedded::DEFAULT_LEASE).unwrap();
        let app = router(AppState::new(Arc::new(bus), WebhookSecret::new(SECRET)));
        Harness { dir, app }
    }

    fn published(&self) -> Vec<Envelope> {
        embedded::list(self.dir.path()).unwrap()
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, String) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    async fn deliver(&self, event: &str, delivery: &str, body: Vec<u8>) -> (StatusCode, String) {
        self.send(signed(event, delivery, body)).await
    }
}

/// A request as GitHub sends it: JSON body, event, delivery and signature.
fn signed(event: &str, delivery: &str, body: Vec<u8>) -> Request<Body> {
    let signature = WebhookSecret::new(SECRET).sign(&body);
    Request::post("/webhook")
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-github-delivery", delivery)
        .header("x-hub-signature-256", signature)
        .body(Body::from(body))
        .unwrap()
}

const HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

/// (fixture, event, action, repo, prs, sha, label)
type KeptCase = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static [u64],
    Option<&'static str>,
    Option<&'static str>,
);

#[tokio::test]
async fn every_kept_event_is_published_as_an_envelope() {
    let cases: &[KeptCase] = &[
        (
            "pull_request.labeled.json",
            "pull_request",
            Some("labeled"),
            "Codertocat/Hello-World",
            &[2],
            Some(HEAD),
            Some("bug"),
        ),
        (
            "pull_request.unlabeled.json",
            "pull_request",
            Some("unlabeled"),
            "Codertocat/Hello-World",
            &[2],
            Some(HEAD),
            Some("bug"),
        ),
        (
            "pull_request.opened.json",
            "pull_request",
            Some("opened"),
            "Codertocat/Hello-World",
            &[2],
            Some(HEAD),
            None,
        ),
        (
            "pull_request.closed.json",
            "pull_request",
            Some("closed"),
            "Codertocat/Hello-World",
            &[2],
            Some(HEAD),
            None,
        ),
        (
            "pull_request.ready_for_review.json",
            "pull_request",
            Some("ready_for_review"),
            "Codertocat/Hello-World",
            &[2],
            Some(HEAD),
            None,
        ),
        (
            "pull_request_review.submitted.json",
            "pull_request_review",
            Some("submitted"),
            "Codertocat/Hello-World",
            &[2],
            Some(HEAD),
            None,
        ),
        (
            "pull_request_review.dismissed.json",
            "pull_request_review",
            Some("dismissed"),
            "Codertocat/Hello-World",
            &[2],
            Some(HEAD),
            None,
        ),
        (
            "installation.created.json",
            "installation",
            Some("created"),
            "Codertocat/*",
            &[],
            None,
            None,
        ),
        (
            "installation_repositories.added.json",
            "installation_repositories",
            Some("added"),
            "Codertocat/c",
            &[],
            None,
            None,
        ),
    ];
    let h = Harness::new();
    for (i, (file, event, action, repo, prs, sha, label)) in cases.iter().enumerate() {
        let (status, body) = h.deliver(event, &format!("kept-{i}"), fixture(file)).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::ACCEPTED, "accepted\n"),
            "{file}"
        );
        let envelope = h.published().pop().unwrap();
        assert_eq!(envelope.delivery, format!("kept-{i}"), "{file}");
        assert_eq!(envelope.event, *event, "{file}");
        assert_eq!(envelope.action.as_deref(), *action, "{file}");
        assert_eq!(envelope.repo, *repo, "{file}");
        assert_eq!(envelope.prs, *prs, "{file}");
        assert_eq!(envelope.sha.as_deref(), *sha, "{file}");
        assert_eq!(envelope.label.as_deref(), *label, "{file}");
        assert_eq!(envelope.sender.as_deref(), Some("Codertocat"), "{file}");
    }
    assert_eq!(h.published().len(), cases.len());
}

#[tokio::test]
async fn synchronize_check_and_status_events_carry_their_sha() {
    let h = Harness::new();
    for (file, event) in [
        ("pull_request.synchronize.json", "pull_request"),
        ("check_suite.completed.json", "check_suite"),
        ("check_run.completed.json", "check_run"),
        ("status.json", "status"),
        ("workflow_run.completed.json", "workflow_run"),
    ] {
        let (status, _) = h.deliver(event, file, fixture(file)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{file}");
    }
    let published = h.published();
    let synchronize = &published[0];
    assert_eq!(synchronize.action.as_deref(), Some("synchronize"));
    assert!(synchronize.sha.as_deref().is_some_and(|s| s.len() == 40));
    for envelope in &published[1..] {
        assert_eq!(
            envelope.sha.as_deref(),
            Some("ec26c3e57ca3a959ca5aad62de7213c562f8c821"),
            "{envelope:?}"
        );
    }
    assert_eq!(published[3].installation, Some(2311213));
    assert!(
        published[4].prs.is_empty(),
        "a run on landq/stack/** names no pull request"
    );
}

#[tokio::test]
async fn ignored_events_and_actions_are_ok_and_publish_nothing() {
    let h = Harness::new();
    let cases = [
        (
            "push",
            "push.json",
            "ignored: event `push` is not used by landq\n",
        ),
        (
            "issue_comment",
            "issue_comment.created.json",
            "ignored: event `issue_comment` is not used by landq\n",
        ),
        (
            "pull_request",
            "pull_request.assigned.json",
            "ignored: `pull_request` action `assigned` is not used by landq\n",
        ),
        (
            "pull_request",
            "pull_request.auto_merge_enabled.json",
            "ignored: `pull_request` action `auto_merge_enabled` is not used by landq\n",
        ),
        (
            "check_suite",
            "check_suite.requested.json",
            "ignored: `check_suite` action `requested` is not used by landq\n",
        ),
    ];
    for (event, file, answer) in cases {
        let (status, body) = h.deliver(event, file, fixture(file)).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, answer), "{file}");
    }
    let (status, body) = h.deliver("ping", "p", fixture("ping.json")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "pong\n"));
    assert!(h.published().is_empty());
}

#[tokio::test]
async fn unknown_events_and_actions_are_valid_deliveries() {
    let h = Harness::new();
    let mut future =
        serde_json::from_slice::<serde_json::Value>(&fixture("pull_request.labeled.json")).unwrap();
    future["action"] = "reticulated_splines".into();
    let (status, _) = h
        .deliver("pull_request", "u-1", serde_json::to_vec(&future).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h
        .deliver(
            "sponsorship_v2",
            "u-2",
            br#"{"action":"new","x":[1,2]}"#.to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(h.published().is_empty());
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_publishes_nothing() {
    let h = Harness::new();
    let body = fixture("pull_request.labeled.json");

    let mut unsigned = signed("pull_request", "b-1", body.clone());
    unsigned.headers_mut().remove("x-hub-signature-256");
    let mut wrong = signed("pull_request", "b-2", body.clone());
    wrong.headers_mut().insert(
        "x-hub-signature-256",
        WebhookSecret::new("other").sign(&body).parse().unwrap(),
    );
    let mut no_event = signed("pull_request", "b-3", body.clone());
    no_event.headers_mut().remove("x-github-event");
    let mut no_delivery = signed("pull_request", "b-4", body.clone());
    no_delivery.headers_mut().remove("x-github-delivery");
    let mut tampered = signed("pull_request", "b-5", body.clone());
    *tampered.body_mut() = Body::from(
        String::from_utf8(body.clone())
            .unwrap()
            .replace("\"bug\"", "\"land requested\""),
    );

    let huge = vec![b' '; 25 * 1024 * 1024 + 1];
    let cases = [
        (
            unsigned,
            StatusCode::UNAUTHORIZED,
            "missing X-Hub-Signature-256: configure a webhook secret in GitHub\n",
        ),
        (
            wrong,
            StatusCode::UNAUTHORIZED,
            "X-Hub-Signature-256 does not match the body: check the webhook secret\n",
        ),
        (
            tampered,
            StatusCode::UNAUTHORIZED,
            "X-Hub-Signature-256 does not match the body: check the webhook secret\n",
        ),
        (
            no_event,
            StatusCode::BAD_REQUEST,
            "missing or invalid X-GitHub-Event header\n",
        ),
        (
            no_delivery,
            StatusCode::BAD_REQUEST,
            "missing or invalid X-GitHub-Delivery header\n",
        ),
        (
            signed("pull_request", "b-6", huge),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload larger than 25 MiB\n",
        ),
    ];
    for (request, status, answer) in cases {
        assert_eq!(h.send(request).await, (status, answer.to_owned()));
    }

    let (status, answer) = h
        .deliver("pull_request", "b-7", b"{\"action\": \"labeled\",".to_vec())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer.starts_with("malformed body: invalid pull_request payload: EOF"),
        "{answer}"
    );
    let (status, answer) = h.deliver("push", "b-8", b"{not json".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer.starts_with("malformed body: invalid JSON"),
        "{answer}"
    );
    // serde would read a struct from an array, field by field.
    let positional = br#"["labeled", {"full_name": "o/r"}, null, null, {"number": 1}]"#;
    for (event, body) in [
        ("pull_request", &b"[]"[..]),
        ("push", b" []"),
        ("pull_request", positional),
        ("push", b"not json"),
    ] {
        let (status, answer) = h.deliver(event, "b-arr", body.to_vec()).await;
        assert_eq!(
            (status, answer.as_str()),
            (
                StatusCode::BAD_REQUEST,
                "malformed body: the payload is not a JSON object\n"
            ),
            "{event} {}",
            String::from_utf8_lossy(body)
        );
    }
    // A repository name GitHub could never give never reaches the worker.
    let text = String::from_utf8(body.clone()).unwrap();
    let full_name =
        serde_json::from_slice::<serde_json::Value>(&body).unwrap()["repository"]["full_name"]
            .as_str()
            .unwrap()
            .to_owned();
    for hostile in ["../../x", "a/..", "a/b/c", "a/b?x=1"] {
        let renamed = text.replace(&format!("\"{full_name}\""), &format!("\"{hostile}\""));
        let (status, answer) = h
            .deliver(
                "pull_request",
                &format!("b-{hostile}"),
                renamed.into_bytes(),
            )
            .await;
        assert_eq!(
            (status, answer),
            (
                StatusCode::BAD_REQUEST,
                format!(
                    "malformed body: `{hostile}` is not a GitHub repository name (owner/name)\n"
                )
            )
        );
    }
    let (status, answer) = h
        .deliver("pull_request", "b-9", br#"{"action":"labeled"}"#.to_vec())
        .await;
    assert_eq!(
        (status, answer.as_str()),
        (
            StatusCode::BAD_REQUEST,
            "malformed body: pull_request payload has no repository\n"
        )
    );

    assert!(h.published().is_empty());
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_reading() {
    let h = Harness::new();
    let mut request = signed("pull_request", "big", b"{}".to_vec());
    request.headers_mut().insert(
        "content-length",
        (26 * 1024 * 1024).to_string().parse().unwrap(),
    );
    assert_eq!(h.send(request).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(h.published().is_empty());
}

#[tokio::test]
async fn a_redelivery_is_acknowledged_once_and_not_published_again() {
    let h = Harness::new();
    let body = fixture("pull_request.labeled.json");
    assert_eq!(
        h.deliver("pull_request", "same", body.clone()).await.0,
        StatusCode::ACCEPTED
    );
    for _ in 0..2 {
        let (status, answer) = h.deliver("pull_request", "same", body.clone()).await;
        assert_eq!(
            (status, answer.as_str()),
            (StatusCode::OK, "duplicate delivery: already accepted\n")
        );
    }
    assert_eq!(h.published().len(), 1);
}

#[tokio::test]
async fn form_encoded_deliveries_are_accepted() {
    let h = Harness::new();
    let json = fixture("pull_request.labeled.json");
    let form: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", std::str::from_utf8(&json).unwrap())
        .finish();
    let mut request = signed("pull_request", "form-1", form.into_bytes());
    request.headers_mut().insert(
        "content-type",
        "application/x-www-form-urlencoded".parse().unwrap(),
    );
    assert_eq!(h.send(request).await.0, StatusCode::ACCEPTED);
    assert_eq!(h.published()[0].prs, [2]);
}

/// A bus that refuses every publish, as Pub/Sub does when it is unreachable.
struct RefusingBus;

#[async_trait::async_trait]
impl Bus for RefusingBus {
    async fn publish(&self, _: &Envelope) -> Result<Published, BusError> {
        Err(BusError::PubSub("unavailable".into()))
    }
    async fn receive(&self) -> Result<Received, BusError> {
        Err(BusError::Closed)
    }
    async fn check(&self) -> Result<(), BusError> {
        Err(BusError::PubSub("unavailable".into()))
    }
}

#[tokio::test]
async fn a_refusing_bus_answers_503_so_github_shows_the_failure() {
    let state = AppState::new(Arc::new(RefusingBus), WebhookSecret::new(SECRET));
    let app = router(state);
    let response = app
        .clone()
        .oneshot(signed(
            "pull_request",
            "r-1",
            fixture("pull_request.labeled.json"),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let ready = app
        .oneshot(Request::get("/readyz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let h = Harness::new();
    h.deliver("pull_request", "m-1", fixture("pull_request.labeled.json"))
        .await;
    h.deliver("pull_request", "m-1", fixture("pull_request.labeled.json"))
        .await;
    h.deliver("push", "m-2", fixture("push.json")).await;
    h.send(Request::post("/webhook").body(Body::from("x")).unwrap())
        .await;

    let get = |path: &str| Request::get(path).body(Body::empty()).unwrap();
    assert_eq!(
        h.send(get("/healthz")).await,
        (StatusCode::OK, "ok\n".into())
    );
    assert_eq!(
        h.send(get("/readyz")).await,
        (StatusCode::OK, "ready\n".into())
    );
    let (status, text) = h.send(get("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    for line in [
        r#"landq_webhook_deliveries_total{event="pull_request",outcome="accepted"} 1"#,
        r#"landq_webhook_deliveries_total{event="pull_request",outcome="duplicate"} 1"#,
        r#"landq_webhook_deliveries_total{event="other",outcome="ignored"} 1"#,
        r#"landq_webhook_deliveries_total{event="unverified",outcome="unauthorized"} 1"#,
        "landq_webhook_publish_seconds_count 2",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in:\n{text}"
        );
    }
}

// ---- clients that stall, on a real socket; time is paused and jumps ----

/// A bus whose publish never returns.
struct HangingBus;

#[async_trait::async_trait]
impl Bus for HangingBus {
    async fn publish(&self, _: &Envelope) -> Result<Published, BusError> {
        std::future::pending().await
    }
    async fn receive(&self) -> Result<Received, BusError> {
        std::future::pending().await
    }
    async fn check(&self) -> Result<(), BusError> {
        Ok(())
    }
}

/// `landq_webhook::run` on loopback with `bus`; send on the channel to stop.
async fn listening(
    bus: Arc<dyn Bus>,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(bus, WebhookSecret::new(SECRET));
    let server = tokio::spawn(landq_webhook::run(listener, state, async {
        let _ = stopped.await;
    }));
    (addr, stop, server)
}

/// Headers of a signed delivery announcing `length` body bytes.
fn head(length: usize) -> String {
    format!(
        "POST /webhook HTTP/1.1\r\nhost: landq\r\ncontent-type: application/json\r\n\
         x-github-event: pull_request\r\nx-github-delivery: stall\r\n\
         x-hub-signature-256: sha256=00\r\ncontent-length: {length}\r\n\r\n"
    )
}

async fn answer_of(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(start_paused = true)]
async fn stalled_headers_and_bodies_are_cut_off() {
    use tokio::io::AsyncWriteExt;
    let dir = TempDir::new().unwrap();
    let bus = Arc::new(EmbeddedBus::open(dir.path(), embedded::DEFAULT_LEASE).unwrap());
    let (addr, stop, server) = listening(bus).await;

    // Headers that never end: the connection is closed.
    let mut headers = tokio::net::TcpStream::connect(addr).await.unwrap();
    headers
        .write_all(b"POST /webhook HTTP/1.1\r\nhost: landq\r\n")
        .await
        .unwrap();
    let answer = answer_of(&mut headers).await;
    assert!(!answer.contains("202"), "{answer}");

    // A body that never ends: 408, and nothing published.
    let mut body = tokio::net::TcpStream::connect(addr).await.unwrap();
    body.write_all(head(1000).as_bytes()).await.unwrap();
    body.write_all(b"{\"action\":").await.unwrap();
    let answer = answer_of(&mut body).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("the body did not arrive within 10 s"),
        "{answer}"
    );
    assert!(embedded::list(dir.path()).unwrap().is_empty());

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn unauthenticated_bodies_in_flight_are_capped() {
    use tokio::io::AsyncWriteExt;
    let dir = TempDir::new().unwrap();
    let bus = Arc::new(EmbeddedBus::open(dir.path(), embedded::DEFAULT_LEASE).unwrap());
    let (addr, _stop, _server) = listening(bus).await;
    let mut stalled = Vec::new();
    for _ in 0..landq_webhook::extract::MAX_UNVERIFIED_BODIES {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(head(1000).as_bytes()).await.unwrap();
        stream.write_all(b"{").await.unwrap();
        stalled.push(stream);
    }
    // Let the server take them all in before the next one arrives.
    tokio::task::yield_now().await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut one_more = tokio::net::TcpStream::connect(addr).await.unwrap();
    one_more.write_all(head(1).as_bytes()).await.unwrap();
    one_more.write_all(b"{").await.unwrap();
    let answer = answer_of(&mut one_more).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("too many deliveries in flight"), "{answer}");
}

#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_in_flight_deliveries_only_so_long() {
    use tokio::io::AsyncWriteExt;
    let (addr, stop, server) = listening(Arc::new(HangingBus)).await;
    let body = fixture("pull_request.labeled.json");
    let signature = WebhookSecret::new(SECRET).sign(&body);
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = head(body.len()).replace("sha256=00", &signature);
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // The publish never returns; SIGTERM still ends the server.
    stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(600), server)
        .await
        .expect("the drain is bounded")
        .unwrap()
        .unwrap();
}
