//! Is a guarded branch written only by landq? Either branch protection
//! that restricts pushes to landq (administrators included), or a ruleset
//! that restricts updates and that only landq may bypass; either way with
//! landq's check required and "require branches to be up to date" off.

use landq_github::admin::Me;
use landq_github::admin::{BranchRule, Protection, Ruleset};

use crate::audit::Finding;

/// The check landq reports on every pull request.
pub const CHECK: &str = "landq";

/// What GitHub says about `branch`.
pub struct BranchSetup<'a> {
    /// The branch.
    pub branch: &'a str,
    /// Its protection, if any.
    pub protection: Option<&'a Protection>,
    /// The ruleset rules that apply to it.
    pub rules: &'a [BranchRule],
    /// The rulesets those rules come from.
    pub rulesets: &'a [Ruleset],
}

/// The findings about `setup`, for landq being `me`.
pub fn findings(setup: &BranchSetup<'_>, me: &Me) -> Vec<Finding> {
    let branch = setup.branch;
    let mut found = Vec::new();
    let by_protection = setup.protection.and_then(|p| p.restrictions.as_ref());
    let update_rules: Vec<&BranchRule> =
        setup.rules.iter().filter(|r| r.kind == "update").collect();
    let restricting: Vec<&Ruleset> = setup
        .rulesets
        .iter()
        .filter(|r| update_rules.iter().any(|u| u.ruleset_id == Some(r.id)))
        .collect();
    let is_landq = |a: &&landq_github::admin::BypassActor| {
        a.actor_type == "Integration" && a.actor_id == Some(me.id)
    };
    let hidden: Vec<&str> = restricting
        .iter()
        .filter(|r| r.bypass_actors.is_none())
        .map(|r| r.name.as_str())
        .collect();
    let others_bypass: Vec<String> = restricting
        .iter()
        .flat_map(|r| {
            r.bypass_actors
                .iter()
                .flatten()
                .filter(|a| !is_landq(a))
                .map(|a| format!("{} (ruleset `{}`)", a.actor_type, r.name))
        })
        .collect();
    let landq_bypasses = restricting
        .iter()
        .any(|r| r.bypass_actors.iter().flatten().any(|a| is_landq(&a)));
    let ruleset_guards =
        !update_rules.is_empty() && landq_bypasses && others_bypass.is_empty() && hidden.is_empty();

    match by_protection {
        _ if ruleset_guards => {}
        Some(restrictions) => {
            let others: Vec<String> = restrictions
                .users
                .iter()
                .filter(|u| me.app || u.name() != me.name)
                .map(|u| format!("@{}", u.name()))
                .chain(restrictions.teams.iter().map(|t| format!("team {}", t.name())))
                .chain(
                    restrictions
                        .apps
                        .iter()
                        .filter(|a| !me.app || a.name() != me.name)
                        .map(|a| format!("App {}", a.name())),
                )
                .collect();
            let landq_listed = match me.app {
                true => restrictions.apps.iter().any(|a| a.name() == me.name),
                false => restrictions.users.iter().any(|u| u.name() == me.name),
            };
            if !others.is_empty() {
                found.push(Finding::new(
                    "push_restricted_to_others",
                    format!("`{branch}`: {} can push besides landq", others.join(", ")),
                    format!(
                        "Settings → Branches → `{branch}` → \"Restrict who can push to matching \
                         branches\": remove everyone but `{}`",
                        me.name
                    ),
                ));
            }
            if !landq_listed {
                found.push(Finding::new(
                    "landq_cannot_push",
                    format!("`{branch}`: landq is not allowed to push, so it cannot land"),
                    format!(
                        "Settings → Branches → `{branch}` → \"Restrict who can push to matching \
                         branches\": add `{}`",
                        me.name
                    ),
                ));
            }
            let admins_held = setup
                .protection
                .and_then(|p| p.enforce_admins)
                .is_some_and(|e| e.enabled);
            if !admins_held {
                found.push(Finding::new(
                    "admins_bypass",
                    format!("`{branch}`: administrators can push past the protection"),
                    format!(
                        "Settings → Branches → `{branch}` → turn on \"Do not allow bypassing the \
                         above settings\" (enforce_admins)"
                    ),
                ));
            }
        }
        None if !hidden.is_empty() => found.push(Finding::new(
            "ruleset_unreadable",
            format!(
                "`{branch}`: GitHub does not show landq who may bypass {} (an organisation \
                 ruleset, or one landq cannot administer), so nobody can tell whether only landq \
                 writes to it",
                hidden.iter().map(|n| format!("ruleset `{n}`")).collect::<Vec<_>>().join(", ")
            ),
            format!(
                "give the GitHub App read access to the rulesets (repository *Administration: \
                 read*; for organisation rulesets *Organization administration: read*), or \
                 protect `{branch}` with branch protection restricting pushes to `{}`",
                me.name
            ),
        )),
        None if !update_rules.is_empty() => found.push(Finding::new(
            "ruleset_bypass",
            match others_bypass.is_empty() {
                true => format!("`{branch}`: landq may not bypass the ruleset that restricts updates, so it cannot land"),
                false => format!("`{branch}`: {} may bypass the ruleset that restricts updates", others_bypass.join(", ")),
            },
            format!(
                "Settings → Rules → Rulesets: make `{}` (GitHub App) the only bypass actor of the \
                 ruleset that restricts updates to `{branch}`",
                me.name
            ),
        )),
        None => found.push(Finding::new(
            "anyone_can_push",
            format!("`{branch}`: anyone with write access can push or merge, bypassing landq"),
            format!(
                "Settings → Branches → protect `{branch}` and \"Restrict who can push to matching \
                 branches\" to `{}` only, with \"Do not allow bypassing the above settings\"; or a \
                 ruleset restricting updates whose only bypass actor is `{}`",
                me.name, me.name
            ),
        )),
    }

    let protection_checks = setup
        .protection
        .and_then(|p| p.required_status_checks.as_ref());
    let rule_checks: Vec<&BranchRule> = setup
        .rules
        .iter()
        .filter(|r| r.kind == "required_status_checks")
        .collect();
    let required = protection_checks.is_some_and(|c| c.requires(CHECK))
        || rule_checks.iter().any(|r| {
            r.parameters["required_status_checks"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["context"] == CHECK)
        });
    if !required {
        found.push(Finding::new(
            "landq_check_not_required",
            format!("`{branch}`: the `{CHECK}` check is not required"),
            format!(
                "Settings → Branches → `{branch}` → \"Require status checks to pass\": add `{CHECK}`"
            ),
        ));
    }
    let strict = protection_checks.is_some_and(|c| c.strict)
        || rule_checks
            .iter()
            .any(|r| r.parameters["strict_required_status_checks_policy"] == true);
    if strict {
        found.push(Finding::new(
            "up_to_date_required",
            format!(
                "`{branch}`: \"Require branches to be up to date before merging\" is on, so every \
                 land waits for a rebase (the queue tests pull requests together instead)"
            ),
            format!("Settings → Branches → `{branch}` → turn off \"Require branches to be up to date before merging\""),
        ));
    }
    found
}
