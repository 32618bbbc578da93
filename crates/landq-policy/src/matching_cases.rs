//! Matching cases written from GitHub's "About code owners" documentation and
//! the gitignore rules it builds on, checked against both the reference
//! matcher ([`Pattern::matches`]) and the index ([`Rules::rule_for`]).

use crate::pattern::Pattern;
use crate::rules::{Owner, Rules};

/// (pattern, paths it owns, paths it does not own)
const CASES: &[(&str, &[&str], &[&str])] = &[
    // A name without a slash matches at any depth, as file or directory.
    (
        "foo",
        &["foo", "foo/bar", "bar/foo", "bar/foo/baz"],
        &["foo.txt", "bar/foo.txt", "bar/baz", "xfoo"],
    ),
    // A leading slash anchors to the root.
    (
        "/foo",
        &["foo", "foo/bar", "foo/bar/baz"],
        &["fool.txt", "bar/foo", "bar/baz", "bar/foo/baz"],
    ),
    // A trailing slash matches directories only, at any depth.
    (
        "foo/",
        &["foo/bar", "foo/bar/baz", "bar/foo/baz", "bar/foo/baz/qux"],
        &["foo", "bar/foo", "bar/baz"],
    ),
    (
        "/foo/",
        &["foo/bar", "foo/bar/baz"],
        &[
            "foo",
            "bar/foo",
            "bar/baz",
            "bar/foo/baz",
            "bar/foo/baz/qux",
        ],
    ),
    // A slash in the middle anchors too.
    (
        "foo/bar",
        &["foo/bar", "foo/bar/baz"],
        &["foo/bart", "baz/foo/bar", "baz/foo/bar/qux"],
    ),
    (
        "/foo/bar",
        &["foo/bar", "foo/bar/baz"],
        &["foo/bart", "baz/foo/bar", "baz/foo/bar/qux"],
    ),
    (
        "foo/bar/",
        &["foo/bar/baz"],
        &["foo/bar", "foo/bart", "baz/foo/bar", "baz/foo/bar/qux"],
    ),
    (
        "/foo/bar/",
        &["foo/bar/baz", "foo/bar/baz/qux"],
        &["foo/bar", "foo/bart", "baz/foo/bar", "baz/foo/bar/qux"],
    ),
    // `*` alone owns everything.
    (
        "*",
        &[
            "foo",
            "foo/bar",
            "bar/foo",
            "bar/foo/baz",
            "bar/baz",
            "xfoo",
        ],
        &[],
    ),
    (
        "f*",
        &["foo", "foo/bar", "foo/bar/baz", "bar/foo", "bar/foo/baz"],
        &["bar/baz", "xfoo"],
    ),
    // A final lone `*` matches direct children only.
    ("/*", &["foo", "bar"], &["foo/bar", "foo/bar/baz"]),
    (
        "/f*",
        &["foo", "foo/bar", "foo/bar/baz"],
        &["bar/foo", "bar/foo/baz", "bar/baz", "xfoo"],
    ),
    (
        "f*/",
        &["foo/bar", "bar/foo/baz"],
        &["foo", "bar/foo", "bar/baz", "xfoo"],
    ),
    ("/*/", &["foo/bar", "bar/foo", "bar/foo/baz"], &["foo"]),
    (
        "/f*/",
        &["foo/bar"],
        &["foo", "bar/foo", "bar/foo/baz", "bar/baz", "xfoo"],
    ),
    (
        "foo/*",
        &["foo/bar"],
        &[
            "foo",
            "foo/bar/baz",
            "bar/foo",
            "bar/foo/baz",
            "bar/baz",
            "xfoo",
        ],
    ),
    (
        "docs/*",
        &["docs/getting-started.md"],
        &["docs/build-app/troubleshooting.md", "a/docs/x.md"],
    ),
    // `*` does not cross a slash.
    (
        "foo/*.txt",
        &["foo/bar.txt"],
        &[
            "foo",
            "foo/bar/baz.txt",
            "qux/foo/bar.txt",
            "qux/foo/bar/baz.txt",
        ],
    ),
    (
        "foo/*/baz",
        &["foo/bar/baz", "foo/bar/baz/qux"],
        &["foo", "foo/bar", "foo/baz"],
    ),
    // `?` is exactly one character; escapes make wildcards literal.
    ("f?o", &["foo"], &["fo", "fooo"]),
    (r"f\?o", &["f?o"], &["foo"]),
    (r"f\*o", &["f*o"], &["foo"]),
    (
        r"my\ file.txt",
        &["my file.txt", "a/my file.txt"],
        &["my", "file.txt"],
    ),
    // `**` crosses slashes.
    (
        "**/foo/bar",
        &["foo/bar", "qux/foo/bar", "qux/foo/bar/baz"],
        &["foo/baz/bar", "qux/foo/baz/bar"],
    ),
    (
        "**/*bar*",
        &["bar", "foo/bar", "foo/rebar", "foo/barrio", "foo/qux/bar"],
        &["foo/baz"],
    ),
    (
        "foo/bar/**",
        &["foo/bar/baz", "foo/bar/baz/qux"],
        &["foo/bar", "qux/foo/bar", "qux/foo/bar/baz"],
    ),
    (
        "foo/**/bar",
        &[
            "foo/bar",
            "foo/bar/baz",
            "foo/qux/bar/baz",
            "foo/qux/quux/bar/baz",
            "foo/bar/baz/qux",
        ],
        &["qux/foo/bar", "qux/foo/bar/baz"],
    ),
    ("foo/**/", &["foo/bar", "foo/bar/", "foo/bar/baz"], &["foo"]),
    (
        "foo/**/bar/b*",
        &["foo/bar/baz", "foo/qux/bar/baz"],
        &["foo/bar", "foo/bar/qux", "foo/qux/bar", "foo/qux/bar/qux"],
    ),
    (
        "**/logs",
        &[
            "logs",
            "build/logs/a.txt",
            "scripts/logs/b",
            "deeply/nested/logs/c",
        ],
        &["logsx/a"],
    ),
    (
        "docs/**/*.md",
        &["docs/a.md", "docs/x/y/b.md"],
        &["docs/a.txt", "x/docs/a.md"],
    ),
    // Extensions at any depth.
    (
        "*.js",
        &["a.js", "src/app/b.js"],
        &["a.jsx", "js", "a.js.map"],
    ),
    // Paths are case-sensitive.
    ("/Docs/", &["Docs/a.md"], &["docs/a.md", "DOCS/a.md"]),
    ("*.MD", &["README.MD"], &["README.md"]),
];

#[test]
fn reference_matcher_follows_the_documented_cases() {
    for (pattern, owned, not_owned) in CASES {
        let compiled = Pattern::new(pattern).unwrap();
        for path in *owned {
            assert!(compiled.matches(path), "`{pattern}` should own `{path}`");
        }
        for path in *not_owned {
            assert!(
                !compiled.matches(path),
                "`{pattern}` should not own `{path}`"
            );
        }
    }
}

#[test]
fn index_follows_the_documented_cases() {
    for (pattern, owned, not_owned) in CASES {
        let rules = Rules::parse(&format!("{pattern} @owner")).unwrap();
        for path in *owned {
            assert!(
                rules.rule_for(path).is_some(),
                "`{pattern}` should own `{path}`"
            );
        }
        for path in *not_owned {
            assert!(
                rules.rule_for(path).is_none(),
                "`{pattern}` should not own `{path}`"
            );
        }
    }
}

/// The example file on GitHub's "About code owners" page, with what the page
/// says about each rule.
const GITHUB_EXAMPLE: &str = "\
# This is a comment.
*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/* docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
";

#[test]
fn github_documentation_example() {
    let rules = Rules::parse(GITHUB_EXAMPLE).unwrap();
    let owners = |path: &str| -> Vec<String> {
        rules.owners_of(path).iter().map(Owner::to_string).collect()
    };
    assert_eq!(owners("README.md"), ["@global-owner1", "@global-owner2"]);
    assert_eq!(owners("src/index.js"), ["@js-owner"]);
    assert_eq!(owners("main.go"), ["docs@example.com"]);
    assert_eq!(owners("notes/todo.txt"), ["@octo-org/octocats"]);
    // `/docs/` (line 9) is later than `docs/*` (line 7).
    assert_eq!(owners("docs/getting-started.md"), ["@doctocat"]);
    assert_eq!(rules.rule_for("docs/getting-started.md").unwrap().line, 9);
    assert_eq!(owners("docs/build-app/troubleshooting.md"), ["@doctocat"]);
    assert_eq!(owners("scripts/deploy.sh"), ["@doctocat", "@octocat"]);
    // `**/logs` (line 11) overrides `/build/logs/` (line 6).
    assert_eq!(owners("build/logs/out.log"), ["@octocat"]);
    assert_eq!(owners("deeply/nested/logs/x"), ["@octocat"]);
    assert_eq!(owners("lib/apps/x.rb"), ["@octocat"]);
    assert_eq!(owners("apps/web/index.html"), ["@octocat"]);
    // An un-owning line leaves `apps/github` to any approver.
    assert!(owners("apps/github/main.rb").is_empty());
    assert_eq!(rules.rule_for("apps/github/main.rb").unwrap().line, 13);
}

#[test]
fn the_last_matching_line_wins() {
    let rules = Rules::parse("/apps/ @octocat\n/apps/github @doctocat\n").unwrap();
    assert_eq!(
        rules.owners_of("apps/github/x"),
        &[Owner::User("doctocat".into())]
    );
    let reversed = Rules::parse("/apps/github @doctocat\n/apps/ @octocat\n").unwrap();
    assert_eq!(
        reversed.owners_of("apps/github/x"),
        &[Owner::User("octocat".into())]
    );
}
