//! A generated monorepo: a realistic rules file and the paths to look up.
//!
//! Deterministic (fixed seed), so every run and every implementation sees
//! the same input.

/// splitmix64: small, fast, good enough to shuffle a benchmark's input.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const EXTENSIONS: &[&str] = &[
    "rs", "go", "py", "ts", "proto", "md", "yaml", "json", "sql", "sh",
];

/// A rules file of `count` rules in the mix a large monorepo has: a default
/// owner, anchored service directories, nested overrides, extension rules,
/// `docs/**/*.md`, `**/BUILD`, wildcard directories and un-owning lines.
pub fn rules(count: usize) -> String {
    let mut rng = Rng::new(7);
    let services = (count / 2).max(1);
    let mut out = String::from("* @org/eng\n*.proto @org/api\n**/BUILD @org/build\n");
    out.push_str("/.github/.landqueue @org/sec\ndocs/**/*.md @org/docs\n");
    for i in 5..count {
        let svc = rng.below(services);
        let team = rng.below(400);
        let line = match rng.below(100) {
            0..=49 => format!("/services/svc{svc}/ @acme/team{team}\n"),
            50..=64 => format!("/services/svc{svc}/api/ @user{team}\n"),
            65..=72 => format!("/services/svc{svc}/docs/**/*.md @acme/docs{team}\n"),
            73..=79 => format!("/services/svc{svc}/gen/\n"),
            80..=86 => format!(
                "/services/svc{svc}/*.{} @acme/team{team}\n",
                EXTENSIONS[rng.below(EXTENSIONS.len())]
            ),
            87..=92 => format!("/libraries/lib{svc}/**/BUILD @user{team}\n"),
            93..=96 => format!("/services/svc{svc}/*/cfg/ @acme/ops{team}\n"),
            _ => format!(
                "*.{}{} @user{team}\n",
                EXTENSIONS[rng.below(EXTENSIONS.len())],
                i % 7
            ),
        };
        out.push_str(&line);
    }
    out
}

/// `count` repository paths spread over the same services and libraries.
pub fn paths(count: usize, services: usize) -> Vec<String> {
    let mut rng = Rng::new(11);
    (0..count)
        .map(|i| {
            let svc = rng.below(services.max(1));
            let ext = EXTENSIONS[rng.below(EXTENSIONS.len())];
            match rng.below(10) {
                0..=3 => format!("services/svc{svc}/src/m{}/f{i}.{ext}", rng.below(20)),
                4 => format!("services/svc{svc}/api/v{}/api{i}.proto", rng.below(3)),
                5 => format!("services/svc{svc}/docs/guide/p{i}.md"),
                6 => format!("services/svc{svc}/gen/pb/g{i}.{ext}"),
                7 => format!("libraries/lib{svc}/pkg{}/BUILD", rng.below(9)),
                8 => format!("services/svc{svc}/deploy/cfg/c{i}.yaml"),
                _ => format!("tools/t{}/f{i}.{ext}", rng.below(50)),
            }
        })
        .collect()
}
