//! Owner lookup and rules loading at monorepo scale, side by side with
//! `codeowners-rs` (the fastest existing Rust CODEOWNERS matcher) on the same
//! generated input.
//!
//! `cargo bench -p landq-policy`

mod monorepo;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use landq_policy::{Owner, Rules};

const LOOKUP_RULES: usize = 5_000;
const LOOKUP_PATHS: usize = 200_000;
const LOAD_RULES: usize = 85_000;

fn lookup(c: &mut Criterion) {
    let text = monorepo::rules(LOOKUP_RULES);
    let paths = monorepo::paths(LOOKUP_PATHS, LOOKUP_RULES / 2);
    let ours = Rules::parse(&text).expect("generated rules are valid");
    let theirs = codeowners_rs::parse(&text).into_ruleset();
    report_disagreements(&ours, &theirs, &paths);

    let mut group = c.benchmark_group(format!("lookup_{LOOKUP_RULES}_rules"));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(paths.len() as u64));
    group.bench_function(BenchmarkId::new("landq", LOOKUP_PATHS), |b| {
        b.iter(|| {
            paths
                .iter()
                .filter(|p| !ours.owners_of(black_box(p)).is_empty())
                .count()
        })
    });
    group.bench_function(BenchmarkId::new("codeowners-rs", LOOKUP_PATHS), |b| {
        b.iter(|| {
            paths
                .iter()
                .filter(|p| theirs.owners(black_box(p)).is_some())
                .count()
        })
    });
    group.finish();
}

fn load(c: &mut Criterion) {
    let text = monorepo::rules(LOAD_RULES);
    assert!(text.len() < landq_policy::rules::MAX_RULES_FILE_BYTES);
    eprintln!("load: {LOAD_RULES} rules, {} bytes", text.len());

    let mut group = c.benchmark_group(format!("load_{LOAD_RULES}_rules"));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("landq", |b| {
        b.iter(|| Rules::parse(black_box(&text)).unwrap())
    });
    group.bench_function("codeowners-rs", |b| {
        b.iter(|| codeowners_rs::parse(black_box(&text)).into_ruleset())
    });
    group.finish();
}

/// Prints how many paths the two implementations disagree on, with examples.
fn report_disagreements(ours: &Rules, theirs: &codeowners_rs::RuleSet, paths: &[String]) {
    let differ: Vec<&String> = paths
        .iter()
        .filter(|path| {
            let a: Vec<String> = ours.owners_of(path).iter().map(Owner::to_string).collect();
            let b: Vec<String> = theirs
                .owners(path)
                .unwrap_or_default()
                .iter()
                .map(|o| o.value.clone())
                .collect();
            a != b
        })
        .collect();
    eprintln!(
        "lookup: {LOOKUP_RULES} rules, {} paths, implementations disagree on {} paths{}",
        paths.len(),
        differ.len(),
        differ
            .first()
            .map_or(String::new(), |p| format!(" (e.g. {p})"))
    );
}

criterion_group!(benches, lookup, load);
criterion_main!(benches);
