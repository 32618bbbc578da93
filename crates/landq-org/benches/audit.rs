//! Time to audit 200 repositories on the git-backed fake GitHub (loopback,
//! one App installation, each repository with rules, settings, one
//! workflow and branch protection), 8 at a time against 1 at a time in the
//! same run, and GitHub requests per repository.
//!
//! `cargo bench -p landq-org --bench audit`

use std::time::Instant;

use landq_fake_github::bench;
use landq_fake_github::hub::{App, Hub, TEST_KEY};
use landq_github::retry::RetryPolicy;
use landq_github::{Auth, GitHub};
use landq_org::audit::{CONCURRENCY, Policy, Status, audit_each};
use serde_json::json;

const REPOS: usize = 200;

fn main() {
    if bench::only_listing() {
        return;
    }
    let runtime = bench::runtime();
    runtime.block_on(async {
        let hub = Hub::start().await;
        hub.install_app(App::test(42));
        let files = [
            (".github/.landqueue", "* @acme/eng\n/.github/ @acme/security\n"),
            (".github/landq.toml", "stack_checks = [\"ci / test\"]\n"),
            (
                ".github/workflows/ci.yml",
                "on:\n  push:\n    branches: [\"landq/stack/**\"]\njobs:\n  test:\n    steps:\n      - uses: actions/checkout@v4\n      - run: cargo test\n",
            ),
        ];
        let names: Vec<String> = (0..REPOS).map(|i| format!("acme/r{i:03}")).collect();
        for name in &names {
            hub.create_repo(name, Some(7), &files);
            hub.protect(
                name,
                "main",
                json!({
                    "required_status_checks": {"strict": false, "contexts": ["landq"]},
                    "enforce_admins": {"enabled": true},
                    "restrictions": {"users": [], "teams": [], "apps": [{"slug": "landq-test"}]},
                }),
            );
        }
        let github = GitHub::new(
            hub.url(),
            Auth::App {
                app_id: 42,
                private_key: TEST_KEY.to_owned().into(),
            },
            RetryPolicy::default(),
        )
        .unwrap();
        let me = github.me().await.unwrap();
        let targets: Vec<(Option<u64>, String)> =
            names.iter().map(|n| (Some(7), n.clone())).collect();
        let policy = Policy::parse("[[required_steps]]\njob = \"test\"\nrun = \"cargo test\"\n").unwrap();
        // Warm-up: installation token, connections.
        audit_each(&github, &me, targets[..8].to_vec(), &policy, CONCURRENCY, None).await;

        println!("audit: {REPOS} repositories, git-backed fake GitHub on loopback, 2 worker threads");
        let dir = tempfile::TempDir::new().unwrap();
        let store = landq_store::sqlite::SqliteStore::open(dir.path()).unwrap();
        let runs: [(&str, usize, Option<&dyn landq_store::Store>); 4] = [
            ("1 at a time", 1, None),
            ("8 at a time", CONCURRENCY, None),
            ("8 at a time, answers kept, cold", CONCURRENCY, Some(&store)),
            ("8 at a time, answers kept, warm", CONCURRENCY, Some(&store)),
        ];
        let mut times = Vec::new();
        for (name, concurrency, kept) in runs {
            let before = hub.seen().len();
            let started = Instant::now();
            let audit = audit_each(&github, &me, targets.clone(), &policy, concurrency, kept).await;
            let took = started.elapsed();
            let seen = hub.seen();
            let requests = seen.len() - before;
            let not_modified = seen[before..].iter().filter(|s| s.status == 304).count();
            assert!(audit.values().all(|r| r.status == Status::Compliant), "{audit:?}");
            println!(
                "  {name:<34} {:>7.1} ms in all, {:>5.2} ms per repository, {:.1} GitHub requests per repository ({:.1} answered 304)",
                took.as_secs_f64() * 1e3,
                took.as_secs_f64() * 1e3 / REPOS as f64,
                requests as f64 / REPOS as f64,
                not_modified as f64 / REPOS as f64,
            );
            times.push(took.as_secs_f64());
        }
        println!("  8 at a time is {:.1}x as fast as 1 at a time", times[0] / times[1]);
    });
}
