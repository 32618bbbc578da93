//! `landq webhook` as a process: start-up validation, durability of accepted
//! deliveries across `kill -9`, and a clean exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use landq_webhook::WebhookSecret;
use tempfile::TempDir;

pub const SECRET: &str = "e2e-secret";

pub fn fixture() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/webhooks/pull_request.labeled.json");
    std::fs::read(path).unwrap()
}

/// A running `landq webhook` (or `serve`) on a free loopback port.
pub struct Webhook {
    pub child: Child,
    addr: SocketAddr,
}

impl Webhook {
    fn start(data_dir: &Path) -> Webhook {
        Webhook::start_command("webhook", data_dir, &[])
    }

    /// Starts `landq COMMAND --listen 127.0.0.1:0 --data-dir DIR` with `envs`.
    pub fn start_command(command: &str, data_dir: &Path, envs: &[(&str, &str)]) -> Webhook {
        let mut child = Command::new(env!("CARGO_BIN_EXE_landq"))
            .args([command, "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("LANDQ_WEBHOOK_SECRET", SECRET)
            .env_remove("LANDQ_WEBHOOK_SECRET_FILE")
            .envs(envs.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("landq webhook logs its address")
                .unwrap();
            let log: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if let Some(addr) = log["address"].as_str() {
                break addr.parse().unwrap();
            }
        };
        // Keep draining the log so the child never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Webhook { child, addr }
    }

    /// `http://ADDRESS`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The text at `path` (`/metrics`, `/healthz`).
    pub async fn get(&self, client: &reqwest::Client, path: &str) -> String {
        client
            .get(format!("http://{}{path}", self.addr))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Sends a signed `pull_request` delivery; returns the status code.
    pub async fn deliver(&self, client: &reqwest::Client, delivery: &str, body: Vec<u8>) -> u16 {
        self.deliver_event(client, "pull_request", delivery, body)
            .await
    }

    /// Sends a signed delivery of `event`; returns the status code.
    pub async fn deliver_event(
        &self,
        client: &reqwest::Client,
        event: &str,
        delivery: &str,
        body: Vec<u8>,
    ) -> u16 {
        self.post_signed(client, event, delivery, body, &[]).await.0
    }

    /// Sends a signed delivery of `event` with `extra` headers; returns the
    /// status code and the answer's text.
    pub async fn post_signed(
        &self,
        client: &reqwest::Client,
        event: &str,
        delivery: &str,
        body: Vec<u8>,
        extra: &[(&str, &str)],
    ) -> (u16, String) {
        post_signed_to(client, &self.base_url(), event, delivery, body, extra).await
    }
}

/// GitHub's `X-Hub-Signature-256` of `body` with the tests' secret.
pub fn sign(body: &[u8]) -> String {
    WebhookSecret::new(SECRET).sign(body)
}

/// Sends a signed delivery of `event` to the landq at `base_url`; returns
/// the status code and the answer's text.
pub async fn post_signed_to(
    client: &reqwest::Client,
    base_url: &str,
    event: &str,
    delivery: &str,
    body: Vec<u8>,
    extra: &[(&str, &str)],
) -> (u16, String) {
    let mut request = client
        .post(format!("{base_url}/webhook"))
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-github-delivery", delivery)
        .header("x-hub-signature-256", sign(&body));
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let answer = request.body(body).send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

impl Drop for Webhook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `landq bus ARGS --data-dir DATA_DIR`'s stdout; it must succeed.
pub fn bus(data_dir: &Path, args: &[&str]) -> String {
    landq(data_dir, &[&["bus"], args].concat())
}

/// `landq ARGS --data-dir DATA_DIR`'s stdout; it must succeed.
pub fn landq(data_dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_landq"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The delivery ids `landq bus list` prints, oldest first.
pub fn listed(data_dir: &Path) -> Vec<String> {
    bus(data_dir, &["list"])
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["delivery"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_deliveries_survive_kill_9() {
    let dir = TempDir::new().unwrap();
    let mut webhook = Webhook::start(dir.path());
    let client = reqwest::Client::new();
    let body = fixture();
    let sends = (0..64).map(|i| {
        let (client, body, webhook) = (&client, body.clone(), &webhook);
        async move {
            (
                format!("k9-{i}"),
                webhook.deliver(client, &format!("k9-{i}"), body).await,
            )
        }
    });
    let answers = futures::future::join_all(sends).await;
    webhook.child.kill().unwrap(); // SIGKILL: no chance to flush anything
    webhook.child.wait().unwrap();

    let accepted: Vec<String> = answers
        .into_iter()
        .filter(|(_, s)| *s == 202)
        .map(|(d, _)| d)
        .collect();
    assert_eq!(accepted.len(), 64, "every delivery was answered 202");
    let mut stored = listed(dir.path());
    stored.sort();
    let mut expected = accepted.clone();
    expected.sort();
    assert_eq!(stored, expected);

    // After a restart, a redelivery of an accepted id is not published again.
    let webhook = Webhook::start(dir.path());
    assert_eq!(webhook.deliver(&client, "k9-0", fixture()).await, 200);
    assert_eq!(listed(dir.path()).len(), 64);
}

#[tokio::test]
async fn sigterm_stops_the_webhook_cleanly() {
    let dir = TempDir::new().unwrap();
    let mut webhook = Webhook::start(dir.path());
    assert_eq!(
        webhook
            .deliver(&reqwest::Client::new(), "t-1", fixture())
            .await,
        202
    );
    let status = Command::new("kill")
        .args(["-TERM", &webhook.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = webhook.child.wait().unwrap();
    assert_eq!(exit.code(), Some(0));
    assert_eq!(listed(dir.path()), ["t-1"]);
}

#[test]
fn the_webhook_refuses_to_start_without_a_secret() {
    let dir = TempDir::new().unwrap();
    let run = |envs: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_landq"));
        command
            .args(["webhook", "--listen", "127.0.0.1:0"])
            .current_dir(dir.path());
        command
            .env_remove("LANDQ_WEBHOOK_SECRET")
            .env_remove("LANDQ_WEBHOOK_SECRET_FILE");
        command.envs(envs.iter().copied());
        let out = command.output().unwrap();
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    assert_eq!(
        run(&[]),
        (
            Some(1),
            "landq: error: no webhook secret: set LANDQ_WEBHOOK_SECRET or LANDQ_WEBHOOK_SECRET_FILE to \
             the secret configured on the GitHub App's webhook\n"
                .into()
        )
    );
    let (code, err) = run(&[("LANDQ_WEBHOOK_SECRET_FILE", "/nonexistent/secret")]);
    assert_eq!(code, Some(1));
    assert!(
        err.starts_with("landq: error: cannot read the webhook secret file /nonexistent/secret"),
        "{err}"
    );
    let (code, err) = run(&[("LANDQ_WEBHOOK_SECRET", "x"), ("LANDQ_BUS", "pubsub")]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--bus pubsub needs --pubsub-topic"), "{err}");
    let (code, err) = run(&[
        ("LANDQ_WEBHOOK_SECRET", "x"),
        ("LANDQ_BUS", "pubsub"),
        ("LANDQ_PUBSUB_TOPIC", "landq"),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("must look like projects/PROJECT/topics/NAME"),
        "{err}"
    );
    assert!(
        !dir.path().join(".landq").exists(),
        "nothing was created before validation passed"
    );
}
