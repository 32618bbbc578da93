//! The owner index: which rule is the last to match a path, without testing
//! rules one by one.
//!
//! Rules are sorted by shape when the index is built:
//!
//! | shape | example | stored in | probed |
//! |---|---|---|---|
//! | anchored literal | `/services/billing/` | hash map by full path | once per ancestor of the path |
//! | floating name | `BUILD`, `**/logs` | hash map by name | once per path segment |
//! | floating suffix | `*.proto` | hash map by suffix | once per segment and suffix length |
//! | catch-all | `*` | one rule id | always |
//! | anchored wildcard | `/docs/**/*.md` | buckets by literal directory prefix | once per ancestor |
//! | floating wildcard | `**/gen/*.go`, `f*` | buckets by first literal name, or one list | once per segment |
//!
//! Hash probes give a best candidate first; wildcard buckets are sorted by line,
//! highest first, and a bucket scan stops at the first rule that matches or
//! that comes before the best candidate, since it can no longer win. Every
//! answer equals the reference definition, [`Pattern::matches`] applied to each
//! rule from the last line up (checked by property tests).

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::pattern::{GlobToken, Pattern, Segment};

/// Position of a rule in file order; a larger id is a later line and wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleId(pub usize);

/// The best literal rules for one key.
#[derive(Clone, Copy, Debug, Default)]
struct Literal {
    /// Latest rule of any kind: wins when the key is a directory above the path.
    below: Option<RuleId>,
    /// Latest rule that may also match the path itself (no trailing `/`).
    itself: Option<RuleId>,
}

impl Literal {
    fn add(&mut self, id: RuleId, dir_only: bool) {
        self.below = self.below.max(Some(id));
        if !dir_only {
            self.itself = self.itself.max(Some(id));
        }
    }

    fn get(&self, is_last: bool) -> Option<RuleId> {
        if is_last { self.itself } else { self.below }
    }
}

/// An index over compiled patterns answering "which rule owns this path".
#[derive(Debug, Default)]
pub struct OwnerIndex {
    anchored: FxHashMap<Box<str>, Literal>,
    names: FxHashMap<Box<str>, Literal>,
    suffixes: FxHashMap<Box<[u8]>, Literal>,
    suffix_lengths: Vec<usize>,
    catch_all: Option<RuleId>,
    anchored_wild: FxHashMap<Box<str>, Bucket>,
    floating_wild: FxHashMap<Box<str>, Bucket>,
    floating_other: Bucket,
}

/// Wildcard rules with their patterns, latest line first once built.
type Bucket = Vec<(RuleId, Pattern)>;

type Segments<'p> = SmallVec<[&'p str; 16]>;

impl OwnerIndex {
    /// Indexes patterns given in file order.
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a Pattern>) -> OwnerIndex {
        let mut index = OwnerIndex::default();
        for (i, pattern) in patterns.into_iter().enumerate() {
            index.insert(RuleId(i), pattern);
        }
        for bucket in index
            .anchored_wild
            .values_mut()
            .chain(index.floating_wild.values_mut())
        {
            bucket.reverse();
        }
        index.floating_other.reverse();
        index.suffix_lengths.sort_unstable();
        index.suffix_lengths.dedup();
        index
    }

    fn insert(&mut self, id: RuleId, pattern: &Pattern) {
        let segments = pattern.segments();
        let dir_only = pattern.dir_only();
        if pattern.is_floating() {
            let rest = &segments[1..];
            match rest {
                [Segment::Literal(name)] => literal(&mut self.names, name).add(id, dir_only),
                [Segment::Glob(tokens)] if **tokens == [GlobToken::Star] && !dir_only => {
                    self.catch_all = self.catch_all.max(Some(id));
                }
                [Segment::Glob(tokens)] if star_then_literal(tokens).is_some() => {
                    let suffix = star_then_literal(tokens).expect("checked");
                    self.suffix_lengths.push(suffix.len());
                    let key: Box<[u8]> = suffix.as_bytes().into();
                    self.suffixes.entry(key).or_default().add(id, dir_only);
                }
                [Segment::Literal(first), ..] => {
                    let wild = (id, pattern.clone());
                    self.floating_wild
                        .entry(first.clone())
                        .or_default()
                        .push(wild);
                }
                _ => self.floating_other.push((id, pattern.clone())),
            }
        } else {
            let literal_len = segments
                .iter()
                .take_while(|s| matches!(s, Segment::Literal(_)))
                .count();
            let prefix = join_literals(&segments[..literal_len]);
            if literal_len == segments.len() {
                literal(&mut self.anchored, &prefix).add(id, dir_only);
            } else {
                let wild = (id, pattern.clone());
                self.anchored_wild
                    .entry(prefix.into())
                    .or_default()
                    .push(wild);
            }
        }
    }

    /// The last rule whose pattern matches `path`, if any.
    pub fn lookup(&self, path: &str) -> Option<RuleId> {
        let path = path.trim_matches('/');
        if path.is_empty() {
            return None;
        }
        let segments: Segments = path.split('/').collect();
        let last = segments.len() - 1;
        let mut best = self.catch_all;

        // Literal probes: one hash lookup per ancestor and per segment.
        let mut end = 0;
        for (i, segment) in segments.iter().enumerate() {
            end += segment.len() + usize::from(i > 0);
            let is_last = i == last;
            if let Some(lit) = self.anchored.get(&path[..end]) {
                best = best.max(lit.get(is_last));
            }
            if let Some(lit) = self.names.get(*segment) {
                best = best.max(lit.get(is_last));
            }
            for &len in &self.suffix_lengths {
                let Some(suffix) = segment.as_bytes().get(segment.len().wrapping_sub(len)..) else {
                    break;
                };
                if let Some(lit) = self.suffixes.get(suffix) {
                    best = best.max(lit.get(is_last));
                }
            }
        }

        // Wildcard buckets, scanned only down to the best line found so far.
        if !self.anchored_wild.is_empty() {
            let mut end = 0;
            for (i, segment) in segments[..last].iter().enumerate() {
                self.scan(self.anchored_wild.get(&path[..end]), &segments, &mut best);
                end += segment.len() + usize::from(i > 0);
            }
            self.scan(self.anchored_wild.get(&path[..end]), &segments, &mut best);
        }
        if !self.floating_wild.is_empty() {
            for (i, segment) in segments.iter().enumerate() {
                if !segments[..i].contains(segment) {
                    self.scan(self.floating_wild.get(*segment), &segments, &mut best);
                }
            }
        }
        self.scan(Some(&self.floating_other), &segments, &mut best);
        best
    }

    fn scan(&self, bucket: Option<&Bucket>, segments: &[&str], best: &mut Option<RuleId>) {
        for (id, pattern) in bucket.into_iter().flatten() {
            let id = *id;
            if Some(id) <= *best {
                return;
            }
            if pattern.matches_segments(segments) {
                *best = Some(id);
                return;
            }
        }
    }
}

/// The entry for `key`, allocating the key only when it is new.
fn literal<'m>(map: &'m mut FxHashMap<Box<str>, Literal>, key: &str) -> &'m mut Literal {
    if !map.contains_key(key) {
        map.insert(key.into(), Literal::default());
    }
    map.get_mut(key).expect("just inserted")
}

/// `*` followed only by literal text (`*.proto`): the literal suffix.
fn star_then_literal(tokens: &[GlobToken]) -> Option<&str> {
    match tokens {
        [GlobToken::Star, GlobToken::Literal(suffix)] => Some(suffix),
        _ => None,
    }
}

fn join_literals(segments: &[Segment]) -> String {
    let mut joined = String::with_capacity(64);
    for segment in segments {
        if let Segment::Literal(name) = segment {
            if !joined.is_empty() {
                joined.push('/');
            }
            joined.push_str(name);
        }
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition: test every rule from the last line up.
    fn naive(patterns: &[Pattern], path: &str) -> Option<RuleId> {
        patterns.iter().rposition(|p| p.matches(path)).map(RuleId)
    }

    fn pattern_strategy() -> impl Strategy<Value = String> {
        let name = prop::sample::select(vec!["a", "b", "src", "*", "**", "*.rs", "a*", "?", "b?d"]);
        (
            prop::sample::select(vec!["", "/", "**/"]),
            prop::collection::vec(name, 1..4),
            any::<bool>(),
        )
            .prop_map(|(lead, names, trailing)| {
                format!(
                    "{lead}{}{}",
                    names.join("/"),
                    if trailing { "/" } else { "" }
                )
            })
    }

    fn path_strategy() -> impl Strategy<Value = String> {
        let name = prop::sample::select(vec!["a", "b", "src", "x.rs", "a.rs", "bcd", "aa", "c"]);
        prop::collection::vec(name, 1..6).prop_map(|names| names.join("/"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn index_agrees_with_the_definition(
            texts in prop::collection::vec(pattern_strategy(), 1..12),
            paths in prop::collection::vec(path_strategy(), 1..20),
        ) {
            let patterns: Vec<Pattern> = texts.iter().filter_map(|t| Pattern::new(t).ok()).collect();
            let index = OwnerIndex::new(&patterns);
            for path in &paths {
                prop_assert_eq!(index.lookup(path), naive(&patterns, path), "path {}", path);
            }
        }
    }

    #[test]
    fn later_line_wins_across_shapes() {
        let patterns: Vec<Pattern> = ["*", "*.rs", "/src/", "src/**/*.rs", "gen", "/src/gen/x.rs/"]
            .iter()
            .map(|t| Pattern::new(t).unwrap())
            .collect();
        let index = OwnerIndex::new(&patterns);
        assert_eq!(index.lookup("README.md"), Some(RuleId(0)));
        assert_eq!(index.lookup("lib/a.rs"), Some(RuleId(1)));
        assert_eq!(index.lookup("src/a.py"), Some(RuleId(2)));
        assert_eq!(index.lookup("src/a/b.rs"), Some(RuleId(3)));
        assert_eq!(index.lookup("src/gen/x.rs"), Some(RuleId(4)));
        assert_eq!(index.lookup("src/gen/x.rs/inner"), Some(RuleId(5)));
    }

    #[test]
    fn empty_index_owns_nothing() {
        assert_eq!(OwnerIndex::new([]).lookup("a/b"), None);
        assert_eq!(OwnerIndex::new([]).lookup(""), None);
    }
}
