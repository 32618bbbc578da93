//! The reconcile finds labeled pull requests a lost delivery would strand.

use landq_bus::embedded::{self, EmbeddedBus};
use landq_fake_github::Stub;
use landq_worker::reconcile::{Repositories, once};
use serde_json::json;
use tempfile::TempDir;

use crate::common::github;

#[tokio::test]
async fn nudges_each_open_labeled_pull_request_once_per_minute() {
    let stub = Stub::default();
    stub.on(
        "GET /repos/acme/app/issues?state=open&labels=land%20requested&per_page=100&page=1",
        200,
        json!([
            {"number": 7, "pull_request": {"url": "…"}},
            {"number": 8, "title": "an issue, not a pull request"}
        ]),
    );
    let github = github(&stub).await;
    let dir = TempDir::new().unwrap();
    let bus = EmbeddedBus::open(dir.path(), embedded::DEFAULT_LEASE).unwrap();
    let repos = Repositories::Listed(vec!["acme/app".into()]);

    let minute = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            / 60
    };
    let first_minute = minute();
    assert_eq!(once(&github, &bus, &repos).await.unwrap(), 1);
    let nudges = embedded::list(dir.path()).unwrap();
    assert_eq!(nudges.len(), 1);
    assert_eq!(
        (
            nudges[0].repo.as_str(),
            nudges[0].prs.clone(),
            nudges[0].event.as_str()
        ),
        ("acme/app", vec![7], "reconcile")
    );
    // A second pass within the same minute publishes nothing new.
    let again = once(&github, &bus, &repos).await.unwrap();
    if minute() == first_minute {
        assert_eq!(again, 0);
        assert_eq!(embedded::list(dir.path()).unwrap().len(), 1);
    }
}
