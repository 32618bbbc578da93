//! The `landq` CLI commands as users and scripts meet it: real files, a real git
//! repository in a temporary directory, exit codes and exact output.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

use crate::git::{git, repository, write};

const RULES: &str = "\
# Everyone in engineering owns everything by default.
* @org/eng
/services/billing/ @carol
docs/* docs@example.com
/services/billing/generated/
/.github/.landqueue @org/security
";

fn landq(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_landq"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("landq runs")
}

fn landq_stdin(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_landq"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("landq runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn with_file(name: &str, text: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join(name), text).unwrap();
    dir
}

#[test]
fn check_accepts_a_valid_file() {
    let dir = with_file("rules", RULES);
    let out = landq(dir.path(), &["check", "rules"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "rules: ok, 5 rules\n");
    assert_eq!(stderr(&out), "");
}

#[test]
fn check_warns_when_the_rules_file_owns_no_rule_for_itself() {
    let dir = with_file("rules", "/services/ @carol\n");
    let out = landq(dir.path(), &["check", "rules"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).starts_with("rules: warning: no rule gives `.github/.landqueue` an owner"),
        "{}",
        stderr(&out)
    );
    // Kept as GitHub's CODEOWNERS (`rules = ".github/CODEOWNERS"`), it must own that path.
    let dir = with_file("CODEOWNERS", "/.github/.landqueue @org/sec\n");
    let out = landq(
        dir.path(),
        &["check", "CODEOWNERS", "--as", ".github/CODEOWNERS"],
    );
    assert!(
        stderr(&out)
            .starts_with("CODEOWNERS: warning: no rule gives `.github/CODEOWNERS` an owner"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn check_accepts_every_login_form_github_issued() {
    // A legacy trailing hyphen (as in a widely used public CODEOWNERS file),
    // a legacy double hyphen, an Enterprise Managed User.
    let dir = with_file(
        "rules",
        "* @org/eng\n/build/ @tobias-\n/old/ @an--old-name\n/emu/ @mona-cat_octo\n",
    );
    let out = landq(dir.path(), &["check", "rules"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out), "rules: ok, 4 rules\n");
}

#[test]
fn check_reports_every_error_with_file_and_line() {
    let dir = with_file(
        "rules",
        "* @org/eng\n!secrets/ @sec\n*.[ch] @c-team\ndocs/ @ok bad owner\n",
    );
    let out = landq(dir.path(), &["check", "rules"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "rules:2: negated patterns (`!`) are not supported in CODEOWNERS files\n\
         rules:3: character ranges (`[ ]`) are not supported in CODEOWNERS files\n\
         rules:4: invalid owner `bad`: expected @user, @org/team or an email address\n"
    );
}

#[test]
fn check_refuses_a_file_of_three_mib() {
    let line = "/a/very/long/path/to/some/service/ @org/team\n";
    let dir = with_file("rules", &line.repeat(3 * 1024 * 1024 / line.len() + 1));
    let out = landq(dir.path(), &["check", "rules"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with("rules: the rules file is 3145"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn check_validates_settings_files() {
    let dir = with_file("landq.toml", "min_approvals = 2\n");
    let ok = landq(dir.path(), &["check", "landq.toml"]);
    assert_eq!(
        (ok.status.code(), stdout(&ok)),
        (Some(0), "landq.toml: ok\n".into())
    );
    fs::write(
        dir.path().join("landq.toml"),
        "min_approvals = 2\nlabell = \"x\"\n",
    )
    .unwrap();
    let bad = landq(dir.path(), &["check", "landq.toml"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stdout(&bad).starts_with("landq.toml:2: unknown field `labell`"),
        "{}",
        stdout(&bad)
    );
}

#[test]
fn check_of_a_missing_file_says_so() {
    let dir = TempDir::new().unwrap();
    let out = landq(dir.path(), &["check", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("landq: error: cannot read nope:"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn owners_prints_path_tab_owners() {
    let dir = with_file("rules", RULES);
    let out = landq(
        dir.path(),
        &[
            "owners",
            "--rules",
            "rules",
            "README.md",
            "services/billing/pay.rs",
            "services/billing/generated/pb.rs",
            "docs/intro.md",
            "docs/guide/setup.md",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "README.md\t@org/eng\n\
         services/billing/pay.rs\t@carol\n\
         services/billing/generated/pb.rs\t\n\
         docs/intro.md\tdocs@example.com\n\
         docs/guide/setup.md\t@org/eng\n"
    );
}

#[test]
fn owners_reads_paths_from_stdin_and_prints_json() {
    let dir = with_file("rules", "/services/ @carol @org/pay\n/services/gen/\n");
    let out = landq_stdin(
        dir.path(),
        &["owners", "--rules", "rules", "--json"],
        "services/a.rs\nservices/gen/b.rs\n\ntop.txt\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "{\"path\":\"services/a.rs\",\"owners\":[\"@carol\",\"@org/pay\"],\"line\":1}\n\
         {\"path\":\"services/gen/b.rs\",\"owners\":[],\"line\":2}\n\
         {\"path\":\"top.txt\",\"owners\":[],\"line\":null}\n"
    );
}

#[test]
fn owners_with_invalid_rules_prints_errors_and_no_owners() {
    let dir = with_file("rules", "* @org/eng\n!x @a\n");
    let out = landq(dir.path(), &["owners", "--rules", "rules", "a"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "rules:2: negated patterns (`!`) are not supported in CODEOWNERS files\n"
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = TempDir::new().unwrap();
    assert_eq!(landq(dir.path(), &["owners"]).status.code(), Some(2));
    assert_eq!(landq(dir.path(), &["frobnicate"]).status.code(), Some(2));
}

/// A repository whose `main` has RULES, and a `feature` branch that edits a
/// billing file, renames a doc, rewrites the rules to hand everything to
/// alice, and has an uncommitted new file.
fn repo() -> TempDir {
    let dir = repository(&[
        (".github/.landqueue", RULES),
        ("services/billing/pay.rs", "fn pay() {}\n"),
        ("docs/old.md", "# Old\n"),
        ("README.md", "hello\n"),
    ]);
    let d = dir.path();
    git(d, &["checkout", "-qb", "feature"]);
    write(
        d,
        &[
            ("services/billing/pay.rs", "fn pay() { todo!() }\n"),
            (".github/.landqueue", "* @alice\n"),
        ],
    );
    git(d, &["mv", "docs/old.md", "docs/new.md"]);
    git(d, &["commit", "-qam", "feature work"]);
    write(d, &[("notes.txt", "wip\n")]);
    git(d, &["add", "notes.txt"]);
    dir
}

#[test]
fn explain_judges_changes_by_the_base_branch_rules() {
    let dir = repo();
    let out = landq(dir.path(), &["explain"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let body: String = text.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert!(text.starts_with("base main (merge base "), "{text}");
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with("rules main:.github/.landqueue (5 rules)")
    );
    assert_eq!(
        body,
        "
4 changed file(s):
  M  .github/.landqueue       @org/security     line 6
  R  docs/new.md              docs@example.com  line 4
       from docs/old.md       docs@example.com  line 4
  A  notes.txt                @org/eng          line 2
  M  services/billing/pay.rs  @carol            line 3

who must approve (an approval from one owner on each line):
  @org/security     .github/.landqueue        line 6
  docs@example.com  docs/new.md, docs/old.md  line 4
  @org/eng          notes.txt                 line 2
  @carol            services/billing/pay.rs   line 3

nobody can approve docs/new.md, docs/old.md (landq cannot match email owners to reviewers: name them by @login): ask the owners of the rules file for another owner

to land, landq needs both:
  - an approval from an owner on each line above (one reviewer may cover several lines)
  - at least 1 approval(s) in all from reviewers other than the author
ask: @carol, a member of @org/eng, a member of @org/security"
    );
    assert!(
        !text.contains("@alice"),
        "the branch's own rules must not count:\n{text}"
    );
}

#[test]
fn explain_with_an_explicit_base_and_no_changes() {
    let dir = repo();
    let out = landq(dir.path(), &["explain", "--base", "HEAD"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // HEAD's own rules (`* @alice`) apply when HEAD is the base; only the
    // uncommitted file differs from it.
    let text = stdout(&out);
    assert!(
        text.contains("\n1 changed file(s):\n  A  notes.txt  @alice  line 1\n"),
        "{text}"
    );
    let missing = landq(dir.path(), &["explain", "--base", "no-such-branch"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        stderr(&missing),
        "landq: error: `no-such-branch` is not a commit in this repository\n"
    );
}

#[test]
fn explain_refuses_when_the_base_rules_are_broken() {
    let dir = repo();
    let d = dir.path();
    let run = |args: &[&str]| {
        Command::new("git")
            .current_dir(d)
            .args(args)
            .output()
            .unwrap()
    };
    run(&["stash", "-q"]);
    run(&["checkout", "-q", "main"]);
    fs::write(d.join(".github/.landqueue"), "* @org/eng\n[abc] @x\n").unwrap();
    run(&["commit", "-qam", "break rules"]);
    let out = landq(d, &["explain", "--base", "main"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "main:.github/.landqueue:2: character ranges (`[ ]`) are not supported in CODEOWNERS files\n\
         landq lands nothing into main until these errors are fixed there (a pull request \
         that changes only the landq files, makes them valid and is approved by a repository \
         admin)\n"
    );
}

#[test]
fn explain_outside_a_checkout_says_so() {
    let dir = TempDir::new().unwrap();
    let out = landq(dir.path(), &["explain"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("landq: error: landq explain runs inside a git checkout"),
        "{}",
        stderr(&out)
    );
}

/// A checkout whose `main` has `rules`, with `changes` written on top.
fn checkout(rules: &str, changes: &[(&str, &str)]) -> TempDir {
    let dir = repository(&[(".github/.landqueue", rules)]);
    write(dir.path(), changes);
    git(dir.path(), &["add", "-A"]);
    dir
}

#[test]
fn explain_groups_by_owner_and_asks_the_fewest_reviewers() {
    let rules = "/api/ @ann @bea\n/web/ @bea @cid\n/web/css/ @bea @cid\n/ops/ @alice\n";
    let dir = checkout(
        rules,
        &[
            ("api/a.rs", "a"),
            ("web/b.ts", "b"),
            ("web/css/c.css", "c"),
            ("web/d.ts", "d"),
        ],
    );
    let out = landq(dir.path(), &["explain", "--base", "HEAD"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let asks = text.split_once("who must approve").unwrap().1;
    assert_eq!(
        asks,
        " (an approval from one owner on each line):
  @ann @bea  api/a.rs             line 1
  @bea @cid  web/b.ts and 2 more  line 2, 3

to land, landq needs both:
  - an approval from an owner on each line above (one reviewer may cover several lines)
  - at least 1 approval(s) in all from reviewers other than the author
ask: @bea
"
    );
}

#[test]
fn explain_says_when_the_author_cannot_cover_their_own_paths() {
    let dir = checkout(
        "* @org/eng\n/ops/ @alice\n",
        &[("ops/run.sh", "x"), ("a.txt", "y")],
    );
    let out = landq(
        dir.path(),
        &["explain", "--base", "HEAD", "--author", "alice"],
    );
    let text = stdout(&out);
    assert!(
        text.contains(
            "nobody can approve ops/run.sh (the author cannot approve their own change): ask the \
             owners of the rules file for another owner\n"
        ),
        "{text}"
    );
    assert!(text.contains("ask: a member of @org/eng\n"), "{text}");
    assert!(
        text.ends_with(
            "(@alice owns some of these paths, but the author's approval never counts)\n"
        ),
        "{text}"
    );
}

#[test]
fn explain_warns_when_the_working_tree_rules_would_be_refused() {
    let dir = checkout(
        "* @org/eng\n",
        &[(".github/.landqueue", "* @org/eng\n/x/ @-bad\n")],
    );
    let out = landq(dir.path(), &["explain", "--base", "HEAD"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "landq: warning: .github/.landqueue:2: invalid owner `@-bad`: expected @user, @org/team \
         or an email address (landq will not land a change that leaves this file invalid)\n"
    );
    // The explanation itself is still printed, judged by the base's rules.
    assert!(
        stdout(&out).contains("@org/eng  .github/.landqueue  line 1"),
        "{}",
        stdout(&out)
    );

    let dir = checkout(
        "* @org/eng\n",
        &[(".github/landq.toml", "min_approvals = 0\n")],
    );
    let out = landq(dir.path(), &["explain", "--base", "HEAD"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("landq: warning: .github/landq.toml:1: `min_approvals`"));
}

#[test]
fn owners_normalises_paths_as_git_prints_them() {
    let dir = with_file("rules", "* @org/eng\n/terraform/ @org/infra\n");
    let out = landq_stdin(
        dir.path(),
        &["owners", "--rules", "rules"],
        "./terraform/main.tf\n.//terraform/./vars.tf\nterraform/x.tf\n",
    );
    assert_eq!(
        stdout(&out),
        "terraform/main.tf\t@org/infra\nterraform/vars.tf\t@org/infra\nterraform/x.tf\t@org/infra\n"
    );
}

/// Runs landq with stdout into a pipe whose reader goes away after one line.
fn landq_into_closed_pipe(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_landq"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("landq runs");
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_pipe_stops_landq_quietly() {
    // Enough output to fill the pipe's buffer many times over.
    let rules = "/x/ @-bad\n".repeat(50_000);
    let dir = with_file("rules", &rules);
    let out = landq_into_closed_pipe(dir.path(), &["check", "rules"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");

    let paths: Vec<String> = (0..50_000).map(|i| format!("a/{i}")).collect();
    let dir = with_file("rules", "* @org/eng\n");
    let mut args = vec!["owners", "--rules", "rules"];
    args.extend(paths.iter().map(String::as_str));
    let out = landq_into_closed_pipe(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

#[test]
fn help_names_every_setting_read_only_from_the_environment() {
    let dir = TempDir::new().unwrap();
    let top = stdout(&landq(dir.path(), &["--help"]));
    assert!(
        top.starts_with("landq, the land queue for GitHub monorepos"),
        "{top}"
    );
    for command in ["serve", "worker", "webhook"] {
        let help = stdout(&landq(dir.path(), &[command, "--help"]));
        for variable in [
            "LANDQ_WEBHOOK_SECRET",
            "LANDQ_GITHUB_TOKEN",
            "LANDQ_GITHUB_APP_KEY",
            "LANDQ_WEBHOOK_SECRET_VERSION",
            "LANDQ_GITHUB_APP_KEY_VERSION",
            "LANDQ_LOG",
        ] {
            assert!(help.contains(variable), "{command} --help lacks {variable}");
        }
    }
    for command in ["serve", "worker"] {
        let help = stdout(&landq(dir.path(), &[command, "--help"]));
        for variable in [
            "LANDQ_OAUTH_CLIENT_ID",
            "LANDQ_OAUTH_CLIENT_SECRET",
            "LANDQ_PUBLIC_URL",
        ] {
            assert!(help.contains(variable), "{command} --help lacks {variable}");
        }
    }
    let webhook = stdout(&landq(dir.path(), &["webhook", "--help"]));
    assert!(
        !webhook.contains("--bus-lease"),
        "the lease is the consumer's"
    );
    let worker = stdout(&landq(dir.path(), &["worker", "--help"]));
    assert!(worker.contains("--bus-lease"));
}

#[test]
fn sign_in_without_its_secret_refuses_to_start_and_says_what_is_missing() {
    let dir = TempDir::new().unwrap();
    for command in ["serve", "worker"] {
        let out = Command::new(env!("CARGO_BIN_EXE_landq"))
            .args([command, "--listen", "127.0.0.1:0"])
            .current_dir(dir.path())
            .env("LANDQ_WEBHOOK_SECRET", "x")
            .env("LANDQ_GITHUB_TOKEN", "t")
            .env("LANDQ_OAUTH_CLIENT_ID", "Iv1.abc")
            .env_remove("LANDQ_OAUTH_CLIENT_SECRET")
            .env_remove("LANDQ_OAUTH_CLIENT_SECRET_VERSION")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{command}");
        assert_eq!(
            stderr(&out),
            "landq: error: LANDQ_OAUTH_CLIENT_ID is set but LANDQ_OAUTH_CLIENT_SECRET is not: set \
             it (or LANDQ_OAUTH_CLIENT_SECRET_VERSION) to a client secret of the GitHub App (its \
             General settings, \"Client secrets\")\n",
            "{command}"
        );
        let out = Command::new(env!("CARGO_BIN_EXE_landq"))
            .args([
                command,
                "--listen",
                "127.0.0.1:0",
                "--public-url",
                "landq.example",
            ])
            .current_dir(dir.path())
            .env("LANDQ_WEBHOOK_SECRET", "x")
            .env("LANDQ_GITHUB_TOKEN", "t")
            .env("LANDQ_OAUTH_CLIENT_ID", "Iv1.abc")
            .env("LANDQ_OAUTH_CLIENT_SECRET", "s")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{command}");
        assert_eq!(
            stderr(&out),
            "landq: error: --public-url `landq.example` is not an http(s) URL\n"
        );
    }
}

#[test]
fn an_interval_that_is_not_a_duration_is_a_usage_error() {
    let dir = TempDir::new().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_landq"))
        .args(["worker", "--audit-interval", "daily"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("invalid value 'daily' for '--audit-interval"),
        "{err}"
    );
}

#[test]
fn reminders_without_slack_or_with_two_slacks_refuse_to_start() {
    let dir = TempDir::new().unwrap();
    let run = |envs: &[(&str, &str)]| {
        let out = Command::new(env!("CARGO_BIN_EXE_landq"))
            .args([
                "worker",
                "--listen",
                "127.0.0.1:0",
                "--remind-interval",
                "1h",
            ])
            .current_dir(dir.path())
            .env("LANDQ_GITHUB_TOKEN", "t")
            .env_remove("LANDQ_SLACK_TOKEN")
            .env_remove("LANDQ_SLACK_WEBHOOK_URL")
            .envs(envs.iter().copied())
            .output()
            .unwrap();
        (out.status.code(), stderr(&out))
    };
    assert_eq!(
        run(&[]),
        (
            Some(1),
            "landq: error: --remind-interval needs Slack: set LANDQ_SLACK_TOKEN or \
             LANDQ_SLACK_WEBHOOK_URL\n"
                .to_owned()
        )
    );
    let (code, err) = run(&[
        ("LANDQ_SLACK_TOKEN", "xoxb-secret-token"),
        (
            "LANDQ_SLACK_WEBHOOK_URL",
            "https://hooks.slack.com/services/T/B/secret",
        ),
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(
        err,
        "landq: error: both LANDQ_SLACK_TOKEN and LANDQ_SLACK_WEBHOOK_URL are set: keep one\n"
    );
}
