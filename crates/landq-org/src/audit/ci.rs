//! The CI jobs a repository defines, read from GitHub Actions workflows
//! (`.github/workflows/*.yml`) and CircleCI's `.circleci/config.yml`: each
//! job's names and the steps it runs, and whether a workflow runs on pushes
//! to the land queue's `landq/stack/**` branches.

use serde_yaml_ng::Value;

/// A CI job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The file that defines it.
    pub file: String,
    /// Its id and, if different, its display name.
    pub names: Vec<String>,
    /// Its steps.
    pub steps: Vec<Step>,
}

/// One step of a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A shell command (`run:`).
    Run(String),
    /// An action (`uses: actions/checkout@v4`) or a CircleCI command or orb
    /// command (`checkout`, `node/install-packages`), without its version.
    Uses(String),
}

/// A CI file that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    /// The file.
    pub file: String,
    /// Why.
    pub message: String,
}

/// What a repository's CI files define.
#[derive(Clone, Debug, Default)]
pub struct Ci {
    /// Every job.
    pub jobs: Vec<Job>,
    /// Workflows that run on pushes to `landq/stack/**`.
    pub stack_workflows: Vec<String>,
    /// Files that are not valid CI configuration.
    pub broken: Vec<Broken>,
}

impl Ci {
    /// Reads a GitHub Actions workflow.
    pub fn add_workflow(&mut self, file: &str, text: &str) {
        let doc: Value = match serde_yaml_ng::from_str(text) {
            Ok(doc) => doc,
            Err(e) => return self.broken(file, e.to_string()),
        };
        let Some(jobs) = doc.get("jobs").and_then(Value::as_mapping) else {
            return self.broken(file, "no `jobs:` mapping".into());
        };
        // YAML 1.1 reads a bare `on` key as the boolean true.
        let on = doc.get("on").or_else(|| doc.get(Value::Bool(true)));
        if on.is_some_and(runs_on_stack_pushes) {
            self.stack_workflows.push(file.to_owned());
        }
        for (id, job) in jobs {
            let mut names: Vec<String> = id.as_str().into_iter().map(str::to_owned).collect();
            if let Some(name) = job.get("name").and_then(Value::as_str)
                && !names.iter().any(|n| n == name)
            {
                names.push(name.to_owned());
            }
            let steps = job
                .get("steps")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .filter_map(|step| {
                    if let Some(run) = step.get("run").and_then(Value::as_str) {
                        return Some(Step::Run(run.to_owned()));
                    }
                    step.get("uses").and_then(Value::as_str).map(uses)
                })
                .collect();
            self.jobs.push(Job {
                file: file.to_owned(),
                names,
                steps,
            });
        }
    }

    /// Reads CircleCI's configuration.
    pub fn add_circleci(&mut self, file: &str, text: &str) {
        let doc: Value = match serde_yaml_ng::from_str(text) {
            Ok(doc) => doc,
            Err(e) => return self.broken(file, e.to_string()),
        };
        let Some(jobs) = doc.get("jobs").and_then(Value::as_mapping) else {
            return self.broken(file, "no `jobs:` mapping".into());
        };
        for (name, job) in jobs {
            let steps = job
                .get("steps")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .filter_map(circleci_step)
                .collect();
            self.jobs.push(Job {
                file: file.to_owned(),
                names: name.as_str().into_iter().map(str::to_owned).collect(),
                steps,
            });
        }
    }

    fn broken(&mut self, file: &str, message: String) {
        self.broken.push(Broken {
            file: file.to_owned(),
            message,
        });
    }
}

/// `actions/checkout@v4` → `actions/checkout`.
fn uses(reference: &str) -> Step {
    Step::Uses(reference.split('@').next().unwrap_or(reference).to_owned())
}

/// `checkout`, `{run: cmd}`, `{run: {command: cmd}}`, `{orb/command: {...}}`.
fn circleci_step(step: &Value) -> Option<Step> {
    if let Some(name) = step.as_str() {
        return Some(Step::Uses(name.to_owned()));
    }
    let (key, value) = step.as_mapping()?.iter().next()?;
    let key = key.as_str()?;
    if key != "run" {
        return Some(Step::Uses(key.to_owned()));
    }
    value
        .as_str()
        .or_else(|| value.get("command").and_then(Value::as_str))
        .map(|command| Step::Run(command.to_owned()))
}

/// Whether `on:` includes a push to a `landq/stack/...` branch.
fn runs_on_stack_pushes(on: &Value) -> bool {
    let Some(push) = on.get("push") else {
        // `on: push` or `on: [push, ...]`: every branch.
        return on.as_str() == Some("push")
            || on
                .as_sequence()
                .is_some_and(|events| events.iter().any(|e| e.as_str() == Some("push")));
    };
    let Some(branches) = push.get("branches") else {
        // A push trigger without a branch filter runs on every branch,
        // unless branches-ignore or a tags-only filter says otherwise.
        return push.get("branches-ignore").is_none() && push.get("tags").is_none();
    };
    let listed: Vec<&str> = match branches {
        Value::String(one) => vec![one.as_str()],
        Value::Sequence(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    listed.iter().any(|pattern| {
        matches!(
            *pattern,
            "**" | "landq/**" | "landq/stack/**" | "landq/stack/*"
        )
    })
}

/// Whether `job` runs `step` (a command anywhere in a `run:`, whitespace
/// aside, or the same action).
pub fn runs(job: &Job, step: &Step) -> bool {
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    job.steps.iter().any(|have| match (have, step) {
        (Step::Run(have), Step::Run(want)) => squash(have).contains(&squash(want)),
        (Step::Uses(have), Step::Uses(want)) => have == want,
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_jobs_steps_and_the_stack_trigger() {
        let mut ci = Ci::default();
        ci.add_workflow(
            "ci.yml",
            "on:\n  push:\n    branches: [main, \"landq/stack/**\"]\njobs:\n  test:\n    name: Tests\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: |\n          cargo   test --workspace\n",
        );
        assert_eq!(ci.stack_workflows, ["ci.yml"]);
        let job = &ci.jobs[0];
        assert_eq!(job.names, ["test", "Tests"]);
        assert!(runs(job, &Step::Uses("actions/checkout".into())));
        assert!(runs(job, &Step::Run("cargo test".into())));
        assert!(!runs(job, &Step::Run("cargo deny check".into())));
    }

    #[test]
    fn pushes_to_other_branches_only_do_not_test_the_stack() {
        for on in [
            "on:\n  push:\n    branches: [main]\n",
            "on: pull_request\n",
            "on:\n  push:\n    tags: [\"v*\"]\n",
        ] {
            let mut ci = Ci::default();
            ci.add_workflow("ci.yml", &format!("{on}jobs:\n  t:\n    steps: []\n"));
            assert!(ci.stack_workflows.is_empty(), "{on}");
        }
        let mut ci = Ci::default();
        ci.add_workflow("ci.yml", "on: [push]\njobs:\n  t:\n    steps: []\n");
        assert_eq!(ci.stack_workflows, ["ci.yml"]);
    }

    #[test]
    fn circleci_steps_in_each_form() {
        let mut ci = Ci::default();
        ci.add_circleci(
            ".circleci/config.yml",
            "version: 2.1\njobs:\n  build:\n    steps:\n      - checkout\n      - run: make lint\n      - run:\n          name: Test\n          command: make test\n      - node/install-packages\n",
        );
        let job = &ci.jobs[0];
        for step in [
            Step::Uses("checkout".into()),
            Step::Run("make lint".into()),
            Step::Run("make test".into()),
            Step::Uses("node/install-packages".into()),
        ] {
            assert!(runs(job, &step), "{step:?}");
        }
    }

    #[test]
    fn malformed_yaml_is_reported_not_a_crash() {
        let mut ci = Ci::default();
        ci.add_workflow("bad.yml", "jobs:\n  test: [unclosed\n");
        ci.add_workflow("empty.yml", "name: nothing\n");
        let files: Vec<&str> = ci.broken.iter().map(|b| b.file.as_str()).collect();
        assert_eq!(files, ["bad.yml", "empty.yml"]);
        assert!(ci.jobs.is_empty());
    }
}
