//! The scripted stub: each `METHOD /path?query` gets a queue of answers (the
//! last one repeats); anything unscripted is `404 Not Found`. Every request is
//! recorded, so tests can assert what was sent and how often.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Status, headers, JSON body.
pub type Reply = (u16, Vec<(&'static str, String)>, Value);

/// A request seen: route, authorization header, JSON body.
pub type Seen = (String, Option<String>, Value);

/// Scripted answers per `METHOD path`, and every request seen.
#[derive(Clone, Default)]
pub struct Stub {
    /// Answers still to give, per route.
    pub script: Arc<Mutex<HashMap<String, VecDeque<Reply>>>>,
    /// Every request: route, authorization header, JSON body.
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Stub {
    /// Scripts one more answer for `route` (`"GET /repos/o/r/pulls/1"`).
    pub fn on(&self, route: &str, status: u16, body: Value) -> &Self {
        self.on_with(route, status, vec![], body)
    }

    /// [`Stub::on`] with response headers.
    pub fn on_with(
        &self,
        route: &str,
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Value,
    ) -> &Self {
        self.script
            .lock()
            .unwrap()
            .entry(route.to_owned())
            .or_default()
            .push_back((status, headers, body));
        self
    }

    /// How many requests `route` received.
    pub fn count(&self, route: &str) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(r, _, _)| r == route)
            .count()
    }

    /// The JSON body of the first request to `route`.
    pub fn body_of(&self, route: &str) -> Value {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .find(|(r, _, _)| r == route)
            .map(|(_, _, b)| b.clone())
            .unwrap()
    }

    /// Serves the stub on a free loopback port; returns its base URL.
    pub async fn start(&self) -> String {
        let app = Router::new().fallback(handle).with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }
}

async fn handle(State(stub): State<Stub>, request: Request) -> Response {
    let route = format!(
        "{} {}",
        request.method(),
        request.uri().path_and_query().unwrap()
    );
    let auth = request
        .headers()
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Bytes = axum::body::to_bytes(request.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    stub.seen.lock().unwrap().push((route.clone(), auth, body));
    let reply = {
        let mut script = stub.script.lock().unwrap();
        let queue = script.get_mut(&route);
        match queue {
            // The last scripted answer repeats.
            Some(q) if q.len() > 1 => q.pop_front(),
            Some(q) => q.front().cloned(),
            None => None,
        }
    };
    let Some((status, headers, body)) = reply else {
        return (
            StatusCode::NOT_FOUND,
            format!("{{\"message\":\"Not Found: {route}\"}}"),
        )
            .into_response();
    };
    respond(status, &headers, &body)
}

/// An HTTP answer with `status`, `headers` and the JSON `body`.
pub(crate) fn respond(status: u16, headers: &[(&'static str, String)], body: &Value) -> Response {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.insert(*k, v.parse().unwrap());
    }
    (StatusCode::from_u16(status).unwrap(), map, body.to_string()).into_response()
}
