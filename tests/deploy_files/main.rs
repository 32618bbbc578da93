//! Offline checks of the deployment files: every Terraform file parses and
//! refers only to what is declared, the App Engine yaml files parse and
//! agree with Terraform, the environment they set is the environment the
//! binary reads, and `terraform fmt -check` passes when terraform exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use hcl::{Block, Body, Expression, ObjectKey};
use regex::Regex;
use serde_yaml_ng::Value as Yaml;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every `.tf` file: (name, text).
fn tf_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(root().join("terraform"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    assert!(files.len() >= 5, "terraform/ holds the deployment");
    files
}

fn parse_all() -> Vec<Body> {
    tf_files()
        .iter()
        .map(|(name, text)| hcl::parse(text).unwrap_or_else(|e| panic!("terraform/{name}: {e}")))
        .collect()
}

fn labels(block: &Block) -> Vec<&str> {
    block.labels.iter().map(|l| l.as_str()).collect()
}

/// What the files declare: `var.X`, `local.X`, `TYPE.NAME`, `data.TYPE.NAME`.
fn declared(bodies: &[Body]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for body in bodies {
        for block in body.blocks() {
            let l = labels(block);
            match (block.identifier.as_str(), &l[..]) {
                ("variable", [name]) => names.insert(format!("var.{name}")),
                ("resource", [kind, name]) => names.insert(format!("{kind}.{name}")),
                ("data", [kind, name]) => names.insert(format!("data.{kind}.{name}")),
                ("locals", []) => {
                    for attr in block.body.attributes() {
                        names.insert(format!("local.{}", attr.key.as_str()));
                    }
                    true
                }
                _ => false,
            };
        }
    }
    names
}

/// What the files refer to, from their text without comments.
fn referenced() -> BTreeSet<(String, String)> {
    let patterns = [
        Regex::new(r"\b(var|local)\.(\w+)").unwrap(),
        Regex::new(r"\bdata\.(\w+)\.(\w+)").unwrap(),
        Regex::new(r"(?:^|[^\w.])(google_\w+)\.(\w+)").unwrap(),
    ];
    let mut refs = BTreeSet::new();
    for (name, text) in tf_files() {
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            for (i, pattern) in patterns.iter().enumerate() {
                for c in pattern.captures_iter(line) {
                    let r = match i {
                        1 => format!("data.{}.{}", &c[1], &c[2]),
                        _ => format!("{}.{}", &c[1], &c[2]),
                    };
                    refs.insert((r, name.clone()));
                }
            }
        }
    }
    refs
}

#[test]
fn every_terraform_reference_is_declared() {
    let declared = declared(&parse_all());
    let refs = referenced();
    assert!(refs.len() > 20, "the scan finds references: {refs:?}");
    let missing: Vec<String> = refs
        .iter()
        .filter(|(r, _)| !declared.contains(r))
        .map(|(r, file)| format!("terraform/{file}: `{r}` is not declared"))
        .collect();
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_variable_is_documented_and_used() {
    let bodies = parse_all();
    let used: BTreeSet<String> = referenced().into_iter().map(|(r, _)| r).collect();
    for block in bodies.iter().flat_map(|b| b.blocks()) {
        if block.identifier.as_str() != "variable" {
            continue;
        }
        let name = labels(block)[0];
        let has = |key: &str| block.body.attributes().any(|a| a.key.as_str() == key);
        assert!(has("description"), "variable {name} has no description");
        assert!(has("type"), "variable {name} has no type");
        assert!(
            used.contains(&format!("var.{name}")),
            "variable {name} is never used"
        );
    }
}

#[test]
fn a_broken_file_is_caught() {
    // The checks above would see these: a syntax error and a dangling name.
    assert!(hcl::parse("resource \"google_pubsub_topic\" \"t\" {\n  name = \n}\n").is_err());
    let body = hcl::parse("variable \"a\" {\n  type = string\n}\n").unwrap();
    assert!(!declared(&[body]).contains("var.b"));
}

/// A block `kind "l1" "l2"` anywhere in the files.
fn find_block<'a>(bodies: &'a [Body], kind: &str, wanted: &[&str]) -> &'a Block {
    bodies
        .iter()
        .flat_map(|b| b.blocks())
        .find(|b| b.identifier.as_str() == kind && labels(b) == wanted)
        .unwrap_or_else(|| panic!("no {kind} {wanted:?}"))
}

fn attr<'a>(body: &'a Body, key: &str) -> &'a Expression {
    body.attributes()
        .find(|a| a.key.as_str() == key)
        .map(|a| &a.expr)
        .unwrap_or_else(|| panic!("no attribute {key}"))
}

fn nested<'a>(body: &'a Body, kind: &str) -> &'a Body {
    &body
        .blocks()
        .find(|b| b.identifier.as_str() == kind)
        .unwrap_or_else(|| panic!("no {kind} block"))
        .body
}

fn string(expr: &Expression) -> String {
    match expr {
        Expression::String(s) => s.clone(),
        Expression::Number(n) => n.to_string(),
        other => panic!("not a literal: {other:?}"),
    }
}

/// The keys of an object expression, following `merge(...)` and `local.X`.
fn keys(expr: &Expression, locals: &BTreeMap<String, Expression>) -> BTreeSet<String> {
    match expr {
        Expression::Object(object) => object
            .keys()
            .map(|k| match k {
                ObjectKey::Identifier(id) => id.as_str().to_owned(),
                ObjectKey::Expression(e) => string(e),
                _ => panic!("unexpected key {k:?}"),
            })
            .collect(),
        Expression::FuncCall(call) if call.name.name.as_str() == "merge" => {
            call.args.iter().flat_map(|a| keys(a, locals)).collect()
        }
        Expression::Traversal(t) => {
            let hcl::expr::TraversalOperator::GetAttr(name) = &t.operators[0] else {
                panic!("unexpected traversal {t:?}")
            };
            keys(&locals[name.as_str()], locals)
        }
        other => panic!("not an object: {other:?}"),
    }
}

fn yaml(path: &str) -> Yaml {
    serde_yaml_ng::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml_keys(value: &Yaml) -> BTreeSet<String> {
    value
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_yaml_files_agree_with_terraform() {
    let bodies = parse_all();
    let locals: BTreeMap<String, Expression> = bodies
        .iter()
        .flat_map(|b| b.blocks())
        .filter(|b| b.identifier.as_str() == "locals")
        .flat_map(|b| b.body.attributes())
        .map(|a| (a.key.as_str().to_owned(), a.expr.clone()))
        .collect();
    for (file, version, service, env) in [
        ("app.yaml", "webhook", "default", "webhook_env"),
        ("worker.yaml", "worker", "worker", "worker_env"),
    ] {
        let y = yaml(file);
        let tf = &find_block(
            &bodies,
            "resource",
            &["google_app_engine_flexible_app_version", version],
        )
        .body;
        assert_eq!(y["service"].as_str(), Some(service), "{file}");
        assert_eq!(string(attr(tf, "service")), service, "{file}");
        assert_eq!(
            (y["runtime"].as_str(), y["env"].as_str()),
            (Some("custom"), Some("flex"))
        );
        assert_eq!(string(attr(tf, "runtime")), "custom");
        for check in ["liveness_check", "readiness_check"] {
            assert_eq!(
                y[check]["path"].as_str().map(str::to_owned),
                Some(string(attr(nested(tf, check), "path"))),
                "{file}: {check}"
            );
        }
        assert_eq!(
            yaml_keys(&y["env_variables"]),
            keys(&locals[env], &locals),
            "{file}: environment variable names"
        );
        let resources = nested(tf, "resources");
        assert_eq!(
            y["resources"]["cpu"].as_u64().unwrap().to_string(),
            string(attr(resources, "cpu"))
        );
        assert_eq!(
            y["resources"]["memory_gb"].as_u64().unwrap().to_string(),
            string(attr(resources, "memory_gb"))
        );
        assert_eq!(
            y["resources"]["disk_size_gb"].as_u64().unwrap().to_string(),
            string(attr(resources, "disk_gb"))
        );
    }

    // Scaling: the worker is exactly one instance; the webhook's bounds are
    // the variable's defaults.
    let worker = yaml("worker.yaml");
    let tf_worker = &find_block(
        &bodies,
        "resource",
        &["google_app_engine_flexible_app_version", "worker"],
    )
    .body;
    assert_eq!(worker["manual_scaling"]["instances"].as_u64(), Some(1));
    assert_eq!(
        string(attr(nested(tf_worker, "manual_scaling"), "instances")),
        "1"
    );
    let app = yaml("app.yaml");
    let bounds = attr(
        &find_block(&bodies, "variable", &["webhook_instances"]).body,
        "default",
    );
    let Expression::Object(bounds) = bounds else {
        panic!("webhook_instances default")
    };
    let bound = |k: &str| {
        bounds
            .iter()
            .find(|(key, _)| matches!(key, ObjectKey::Identifier(id) if id.as_str() == k))
            .map(|(_, v)| string(v))
            .unwrap()
    };
    assert_eq!(
        app["automatic_scaling"]["min_num_instances"]
            .as_u64()
            .unwrap()
            .to_string(),
        bound("min")
    );
    assert_eq!(
        app["automatic_scaling"]["max_num_instances"]
            .as_u64()
            .unwrap()
            .to_string(),
        bound("max")
    );
}

#[test]
fn the_deployed_environment_is_what_the_binary_reads() {
    let help = |command: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_landq"))
            .args([command, "--help"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let sources: String = [
        "crates/landq/src/main.rs",
        "crates/landq/src/config.rs",
        "crates/landq/src/gcp.rs",
        "crates/landq/src/telemetry.rs",
        "Dockerfile",
    ]
    .iter()
    .map(|p| read(p))
    .collect();
    for file in ["app.yaml", "worker.yaml"] {
        let y = yaml(file);
        let command = y["env_variables"]["LANDQ_COMMAND"]
            .as_str()
            .unwrap()
            .to_owned();
        let help = help(&command);
        assert!(
            help.contains("[env: LANDQ_BUS="),
            "`landq {command} --help` lists its variables"
        );
        for name in yaml_keys(&y["env_variables"]) {
            let read_by_flag = help.contains(&format!("[env: {name}="));
            let read_directly =
                sources.contains(&format!("\"{name}\"")) || sources.contains(&format!("${name}"));
            assert!(
                read_by_flag || read_directly,
                "{file}: landq {command} never reads {name}"
            );
        }
    }
}

#[test]
fn the_image_runs_as_a_non_root_user_on_port() {
    let dockerfile = read("Dockerfile");
    let user = dockerfile
        .lines()
        .rfind(|l| l.starts_with("USER "))
        .expect("a USER line");
    assert!(!user.contains("root") && user.trim() != "USER 0", "{user}");
    assert!(dockerfile.contains("PORT="), "listens on $PORT");
    assert!(dockerfile.contains("--locked"), "builds from Cargo.lock");
}

#[test]
#[ignore = "needs terraform on PATH: scripts/test runs it when terraform is installed"]
fn fmt_is_clean_with_terraform() {
    let out = Command::new("terraform")
        .args(["fmt", "-check", "-diff", "-recursive"])
        .current_dir(root().join("terraform"))
        .output()
        .expect("terraform runs");
    assert!(
        out.status.success(),
        "terraform fmt -check:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_workflows_parse_and_ci_runs_the_ci_script() {
    let dir = root().join(".github/workflows");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let y: Yaml = serde_yaml_ng::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            y["jobs"].as_mapping().is_some_and(|j| !j.is_empty()),
            "{name} has jobs"
        );
        names.push(name);
    }
    names.sort();
    assert_eq!(names, ["ci.yml", "deploy.yml"]);
    assert!(read(".github/workflows/ci.yml").contains("run: bash .ci/run"));
    assert!(read(".github/workflows/deploy.yml").contains("terraform apply"));
}
