//! Each condition of the landing policy and each security invariant.

use super::*;
use crate::facts::*;
use std::sync::Arc;

use crate::rules::Rules;

const BASE_RULES: &str = "\
* @org/eng
/services/billing/ @carol
/.github/.landqueue @org/security
";

fn approve(reviewer: &str, sha: &str) -> Review {
    review(reviewer, ReviewState::Approved, sha)
}

fn review(reviewer: &str, state: ReviewState, sha: &str) -> Review {
    Review {
        reviewer: reviewer.into(),
        state,
        commit_sha: sha.into(),
    }
}

/// A pull request by alice that may land: bob (org/eng) and carol approved.
fn landable() -> Facts {
    let mut teams = Teams::default();
    teams.add("org", "eng", "bob");
    teams.add("org", "security", "sam");
    Facts {
        pull: PullRequest {
            number: 42,
            author: "alice".into(),
            head_sha: "h2".into(),
            base: "main".into(),
            title: "Charge in cents".into(),
            body: "Avoids float rounding.".into(),
            state: PullState::Open,
            draft: false,
            mergeable: Some(true),
            labels: vec!["land requested".into()],
        },
        default_branch: "main".into(),
        files: vec![
            ChangedFile::new("services/billing/pay.rs"),
            ChangedFile::new("README.md"),
        ],
        reviews: vec![approve("bob", "h2"), approve("carol", "h2")],
        teams,
        rules: Rules::parse(BASE_RULES).map(Arc::new),
        settings: Ok(Settings::default()),
        checks: Vec::new(),
        labeler: Some(Labeler {
            login: "bob".into(),
            permission: Permission::Write,
        }),
        head_config: None,
        admins: Vec::new(),
    }
}

fn reasons(facts: &Facts) -> Vec<Reason> {
    match decide(facts) {
        Decision::Wait(reasons) => reasons,
        Decision::Land(landing) => panic!("expected to wait, would land: {landing:?}"),
    }
}

fn landing(facts: &Facts) -> Landing {
    match decide(facts) {
        Decision::Land(landing) => landing,
        Decision::Wait(reasons) => panic!("expected to land, waits: {reasons:#?}"),
    }
}

fn owner_missing(path: &str, line: usize, owners: &[&str]) -> Reason {
    Reason::OwnerApprovalMissing {
        path: path.into(),
        file: ".github/.landqueue".into(),
        line,
        owners: owners.iter().map(|o| Owner::parse(o).unwrap()).collect(),
    }
}

#[test]
fn lands_with_message_approvers_and_evidence() {
    let landing = landing(&landable());
    assert_eq!(landing.head_sha, "h2");
    assert_eq!(landing.approvers, ["bob", "carol"]);
    assert_eq!(landing.message.title, "Charge in cents (#42)");
    assert_eq!(
        landing.message.body,
        "Avoids float rounding.\n\nApproved-by: bob\nApproved-by: carol\n"
    );
    assert_eq!(
        landing.ownership,
        vec![
            OwnerApproval {
                path: "services/billing/pay.rs".into(),
                line: 2,
                approver: "carol".into(),
                owner: Owner::User("carol".into()),
            },
            OwnerApproval {
                path: "README.md".into(),
                line: 1,
                approver: "bob".into(),
                owner: Owner::Team {
                    org: "org".into(),
                    slug: "eng".into()
                },
            },
        ]
    );
}

#[test]
fn closed_merged_and_draft_pull_requests_wait() {
    let mut facts = landable();
    facts.pull.state = PullState::Closed;
    assert_eq!(reasons(&facts), [Reason::NotOpen(PullState::Closed)]);
    facts.pull.state = PullState::Merged;
    facts.pull.mergeable = None;
    assert_eq!(reasons(&facts), [Reason::NotOpen(PullState::Merged)]);

    let mut facts = landable();
    facts.pull.draft = true;
    assert_eq!(reasons(&facts), [Reason::Draft]);
}

#[test]
fn only_guarded_branches_land() {
    let mut facts = landable();
    facts.pull.base = "experiment".into();
    assert_eq!(
        reasons(&facts),
        [Reason::BranchNotGuarded {
            base: "experiment".into(),
            guarded: vec!["main".into()]
        }]
    );
    facts.settings = Ok(Settings::parse("branches = [\"experiment\"]").unwrap());
    landing(&facts);
}

#[test]
fn the_label_must_be_present_under_its_configured_name() {
    let mut facts = landable();
    facts.pull.labels = vec!["ready".into()];
    assert_eq!(
        reasons(&facts),
        [Reason::LabelMissing("land requested".into())]
    );
    facts.settings = Ok(Settings::parse("label = \"ready\"").unwrap());
    landing(&facts);
}

#[test]
fn the_labeler_needs_write_access() {
    let mut facts = landable();
    facts.labeler = Some(Labeler {
        login: "mallory".into(),
        permission: Permission::Triage,
    });
    let reasons_now = reasons(&facts);
    assert_eq!(
        reasons_now,
        [Reason::LabelerLacksWrite {
            login: "mallory".into(),
            permission: Permission::Triage,
            label: "land requested".into()
        }]
    );
    assert_eq!(
        reasons_now[0].to_string(),
        "@mallory applied `land requested` but has triage access: someone with write access \
         to the repository must apply it"
    );
    facts.labeler = None;
    assert_eq!(
        reasons(&facts),
        [Reason::LabelerUnknown("land requested".into())]
    );
    for permission in [Permission::Write, Permission::Maintain, Permission::Admin] {
        facts.labeler = Some(Labeler {
            login: "x".into(),
            permission,
        });
        landing(&facts);
    }
}

#[test]
fn the_authors_own_approval_never_counts() {
    let mut facts = landable();
    facts.files = vec![ChangedFile::new("services/billing/pay.rs")];
    // alice owns billing in these rules and approves her own change.
    facts.rules = Rules::parse("/services/billing/ @alice @carol").map(Arc::new);
    facts.reviews = vec![approve("ALICE", "h2")];
    assert_eq!(
        reasons(&facts),
        [
            Reason::NeedsApprovals {
                have: 0,
                need: 1,
                author: "alice".into(),
                stale: vec![]
            },
            owner_missing("services/billing/pay.rs", 1, &["@alice", "@carol"]),
        ]
    );
    // bob's approval satisfies the count but not ownership.
    facts.reviews.push(approve("bob", "h2"));
    assert_eq!(
        reasons(&facts),
        [owner_missing(
            "services/billing/pay.rs",
            1,
            &["@alice", "@carol"]
        )]
    );
}

#[test]
fn approvals_are_pinned_to_the_head_commit() {
    let mut facts = landable();
    facts.reviews = vec![approve("bob", "h1"), approve("carol", "h2")];
    facts.files = vec![ChangedFile::new("services/billing/pay.rs")];
    facts.settings = Ok(Settings::parse("min_approvals = 2").unwrap());
    let reasons_now = reasons(&facts);
    assert_eq!(
        reasons_now,
        [Reason::NeedsApprovals {
            have: 1,
            need: 2,
            author: "alice".into(),
            stale: vec!["bob".into()]
        }]
    );
    assert_eq!(
        reasons_now[0].to_string(),
        "needs 2 approval(s) from reviewers other than the author @alice, has 1; @bob approved \
         an earlier commit and must approve the current one"
    );
    facts.settings =
        Ok(Settings::parse("min_approvals = 2\nallow_stale_approvals = true").unwrap());
    assert_eq!(landing(&facts).approvers, ["bob", "carol"]);
}

#[test]
fn a_stale_owner_approval_does_not_satisfy_ownership() {
    let mut facts = landable();
    facts.reviews = vec![approve("bob", "h2"), approve("carol", "h1")];
    let all = reasons(&facts);
    assert!(
        all.contains(&owner_missing("services/billing/pay.rs", 2, &["@carol"])),
        "{all:?}"
    );
}

#[test]
fn changes_requested_blocks_until_the_reviewer_approves() {
    let mut facts = landable();
    facts
        .reviews
        .push(review("dave", ReviewState::ChangesRequested, "h1"));
    assert_eq!(
        reasons(&facts),
        [Reason::ChangesRequested(vec!["dave".into()])]
    );
    // A later comment does not lift the block; a later approval does.
    facts
        .reviews
        .push(review("dave", ReviewState::Commented, "h2"));
    assert_eq!(
        reasons(&facts),
        [Reason::ChangesRequested(vec!["dave".into()])]
    );
    facts.reviews.push(approve("dave", "h2"));
    assert_eq!(landing(&facts).approvers, ["bob", "carol", "dave"]);
}

#[test]
fn comments_keep_and_dismissals_remove_an_approval() {
    let mut facts = landable();
    facts
        .reviews
        .push(review("carol", ReviewState::Commented, "h2"));
    landing(&facts);
    facts
        .reviews
        .push(review("carol", ReviewState::Dismissed, "h2"));
    assert_eq!(
        reasons(&facts),
        [owner_missing("services/billing/pay.rs", 2, &["@carol"])]
    );
}

#[test]
fn a_rename_needs_the_owners_of_both_paths() {
    let mut facts = landable();
    facts.files = vec![ChangedFile::renamed(
        "services/billing/pay.rs",
        "lib/pay.rs",
    )];
    facts.reviews = vec![approve("bob", "h2")];
    assert_eq!(
        reasons(&facts),
        [owner_missing("services/billing/pay.rs", 2, &["@carol"])]
    );
    facts.reviews.push(approve("carol", "h2"));
    let landed = landing(&facts);
    let paths: Vec<&str> = landed.ownership.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(paths, ["lib/pay.rs", "services/billing/pay.rs"]);
}

#[test]
fn a_change_to_the_rules_needs_the_base_rules_owners() {
    // The pull request rewrites the rules to give alice everything; the
    // worker passes the base branch's rules, so security must still approve.
    let mut facts = landable();
    facts.files = vec![ChangedFile::new(".github/.landqueue")];
    facts.reviews = vec![approve("bob", "h2")];
    assert_eq!(
        reasons(&facts),
        [owner_missing(".github/.landqueue", 3, &["@org/security"])]
    );
    facts.reviews.push(approve("sam", "h2"));
    assert_eq!(landing(&facts).ownership[0].approver, "sam");
}

#[test]
fn team_ownership_needs_active_membership() {
    let mut facts = landable();
    facts.files = vec![ChangedFile::new("README.md")];
    facts.reviews = vec![approve("erin", "h2")];
    assert_eq!(
        reasons(&facts),
        [owner_missing("README.md", 1, &["@org/eng"])]
    );
    facts.teams.add("ORG", "Eng", "Erin");
    assert_eq!(landing(&facts).approvers, ["erin"]);
}

#[test]
fn owner_logins_match_case_insensitively() {
    let mut facts = landable();
    facts.rules = Rules::parse("* @Carol").map(Arc::new);
    facts.reviews = vec![approve("carol", "h2")];
    landing(&facts);
}

#[test]
fn unowned_paths_need_only_the_approval_count() {
    let mut facts = landable();
    facts.rules = Rules::parse("/services/ @carol\n/services/docs/\n").map(Arc::new);
    facts.files = vec![
        ChangedFile::new("services/docs/a.md"),
        ChangedFile::new("top.txt"),
    ];
    facts.reviews = vec![approve("zed", "h2")];
    assert!(landing(&facts).ownership.is_empty());
}

#[test]
fn invalid_rules_block_every_pull_request() {
    let mut facts = landable();
    facts.rules = Rules::parse("* @org/eng\n!secret @a\n").map(Arc::new);
    let reasons_now = reasons(&facts);
    assert!(
        matches!(&reasons_now[..], [Reason::RulesInvalid { errors, .. }] if errors[0].line == 2)
    );
    assert_eq!(
        reasons_now[0].to_string(),
        ".github/.landqueue on the base branch has 1 error(s), so nothing lands until a fix lands \
         (a pull request that changes only .github/.landqueue and .github/landq.toml, makes them \
         valid and is approved by a repository admin):\n  \
         .github/.landqueue:2: negated patterns (`!`) are not supported in CODEOWNERS files"
    );
}

#[test]
fn invalid_settings_block_every_pull_request() {
    let mut facts = landable();
    facts.settings = Settings::parse("min_aprovals = 0");
    assert!(matches!(&reasons(&facts)[..], [Reason::SettingsInvalid(e)] if e.line == 1));
}

#[test]
fn required_checks_must_pass_on_the_head() {
    let mut facts = landable();
    facts.settings =
        Ok(Settings::parse("required_checks = [\"test\", \"lint\", \"docs\"]").unwrap());
    facts.checks = vec![
        Check {
            name: "lint".into(),
            outcome: CheckOutcome::Pending,
            url: None,
        },
        Check {
            name: "docs".into(),
            outcome: CheckOutcome::Failed("timed_out".into()),
            url: None,
        },
    ];
    assert_eq!(
        reasons(&facts),
        [
            Reason::CheckMissing("test".into()),
            Reason::CheckPending("lint".into()),
            Reason::CheckFailed {
                name: "docs".into(),
                conclusion: "timed_out".into()
            },
        ]
    );
    facts.checks = ["test", "lint", "docs"]
        .into_iter()
        .map(|name| Check {
            name: name.into(),
            outcome: CheckOutcome::Passed,
            url: None,
        })
        .collect();
    landing(&facts);
}

#[test]
fn github_must_report_it_mergeable() {
    let mut facts = landable();
    facts.pull.mergeable = Some(false);
    let reasons_now = reasons(&facts);
    assert_eq!(reasons_now, [Reason::NotMergeable("main".into())]);
    assert_eq!(
        reasons_now[0].to_string(),
        "GitHub reports conflicts with `main`: merge `main` into the branch or rebase it"
    );
    facts.pull.mergeable = None;
    assert_eq!(reasons(&facts), [Reason::MergeabilityUnknown]);
}

#[test]
fn every_missing_owner_is_listed_with_its_rule() {
    let mut facts = landable();
    facts.reviews = vec![approve("zed", "h2")];
    let text: Vec<String> = reasons(&facts).iter().map(Reason::to_string).collect();
    assert_eq!(
        text,
        [
            "`services/billing/pay.rs` needs an approval from @carol (.github/.landqueue line 2)",
            "`README.md` needs an approval from @org/eng (.github/.landqueue line 1)",
        ]
    );
}

#[test]
fn email_only_owners_are_explained() {
    let mut facts = landable();
    facts.rules = Rules::parse("* docs@example.com").map(Arc::new);
    let text = reasons(&facts)[0].to_string();
    assert!(text.contains("name them by @login"), "{text}");
}

/// The pull request as it changes only `file`, its head holding
/// `head_settings` and, at `rules_path`, `head_rules`; bob (of org/eng and
/// org/security) and carol approved.
fn editing(file: &str, head_settings: &str, rules_path: &str, head_rules: &str) -> Facts {
    let mut facts = landable();
    facts.files = vec![ChangedFile::new(file)];
    facts.teams.add("org", "security", "bob");
    facts.head_config = Some(HeadConfig {
        settings: Settings::parse(head_settings),
        rules_path: rules_path.into(),
        rules: Rules::parse(head_rules).map(Arc::new),
    });
    facts
}

/// The pull request as it changes the rules file to `head_rules`.
fn editing_rules(head_rules: &str) -> Facts {
    editing(RULES_FILE, "", RULES_FILE, head_rules)
}

/// The pull request as it changes the settings file to `head_settings`.
fn editing_settings(head_settings: &str, rules_path: &str, head_rules: &str) -> Facts {
    editing(SETTINGS_FILE, head_settings, rules_path, head_rules)
}

const RULES_FILE: &str = ".github/.landqueue";
const SETTINGS_FILE: &str = ".github/landq.toml";

#[test]
fn a_pull_request_that_breaks_the_rules_never_lands() {
    let facts = editing_rules("* @org/eng\n/docs/ @-not-a-login\n");
    let reasons_now = reasons(&facts);
    assert_eq!(reasons_now.len(), 1, "{reasons_now:#?}");
    assert_eq!(
        reasons_now[0].to_string(),
        "this pull request leaves .github/.landqueue invalid (landq would then land nothing):\n  \
         .github/.landqueue:2: invalid owner `@-not-a-login`: expected @user, @org/team or an \
         email address"
    );
    landing(&editing_rules("* @org/eng\n/docs/ @docs-team-lead\n"));
}

#[test]
fn a_pull_request_that_breaks_the_settings_never_lands() {
    let facts = editing_settings(
        "label = \"ship\"\nmin_approvals = 0\n",
        RULES_FILE,
        BASE_RULES,
    );
    let text: Vec<String> = reasons(&facts).iter().map(Reason::to_string).collect();
    assert_eq!(
        text,
        [
            "this pull request leaves .github/landq.toml invalid (landq would then land \
             nothing):\n  .github/landq.toml:2: `min_approvals` must be at least 1: landq never \
             lands unreviewed code"
        ]
    );
}

#[test]
fn moving_the_rules_to_an_invalid_codeowners_never_lands() {
    let facts = editing_settings(
        "rules = \".github/CODEOWNERS\"",
        ".github/CODEOWNERS",
        "* @org/eng\n*.[ch] @c\n",
    );
    assert!(matches!(
        &reasons(&facts)[..],
        [Reason::RulesWouldBreak { file, errors }] if file == ".github/CODEOWNERS" && errors[0].line == 2
    ));
}

#[test]
fn broken_base_rules_are_repaired_with_an_admin_approval() {
    let mut facts = editing_rules(BASE_RULES);
    facts.rules = Rules::parse("* @org/eng\n!secret @a\n").map(Arc::new);
    // bob (write) and carol approved: not enough for a repair.
    assert_eq!(
        reasons(&facts),
        [Reason::RepairNeedsAdmin {
            files: vec![".github/.landqueue".into()]
        }]
    );
    assert_eq!(
        reasons(&facts)[0].to_string(),
        ".github/.landqueue on the base branch is broken; a repair needs an approval from a \
         repository admin other than the author"
    );
    facts.admins = vec!["Carol".into()];
    let landing = landing(&facts);
    assert_eq!(
        landing.ownership,
        [OwnerApproval {
            path: ".github/.landqueue".into(),
            line: 0,
            approver: "carol".into(),
            owner: Owner::User("carol".into()),
        }]
    );
    // The author's own admin rights never count.
    facts.admins = vec!["alice".into()];
    facts.reviews.push(approve("alice", "h2"));
    assert!(matches!(
        &reasons(&facts)[..],
        [Reason::RepairNeedsAdmin { .. }]
    ));
}

#[test]
fn a_repair_that_touches_other_files_or_stays_broken_is_no_repair() {
    let mut facts = editing_rules(BASE_RULES);
    facts.rules = Rules::parse("!secret @a\n").map(Arc::new);
    facts.admins = vec!["carol".into()];
    facts.files.push(ChangedFile::new("src/main.rs"));
    assert!(matches!(
        &reasons(&facts)[..],
        [Reason::RulesInvalid { .. }]
    ));

    let mut facts = editing_rules("*.[ch] @c\n");
    facts.rules = Rules::parse("!secret @a\n").map(Arc::new);
    facts.admins = vec!["carol".into()];
    assert!(matches!(
        &reasons(&facts)[..],
        [Reason::RulesInvalid { .. }, Reason::RulesWouldBreak { .. }]
    ));
}

#[test]
fn broken_base_settings_are_repaired_with_an_admin_approval() {
    let mut facts = editing_settings("min_approvals = 2", RULES_FILE, BASE_RULES);
    facts.settings = Settings::parse("min_aprovals = 2");
    assert!(
        matches!(&reasons(&facts)[..], [Reason::RepairNeedsAdmin { files }] if files == &[".github/landq.toml"])
    );
    facts.admins = vec!["bob".into()];
    landing(&facts);
}

#[test]
fn the_rules_file_named_by_the_settings_is_the_one_quoted() {
    let mut facts = landable();
    facts.settings = Settings::parse("rules = \".github/CODEOWNERS\"");
    facts.reviews = vec![approve("zed", "h2")];
    assert_eq!(
        reasons(&facts)[0].to_string(),
        "`services/billing/pay.rs` needs an approval from @carol (.github/CODEOWNERS line 2)"
    );
}
