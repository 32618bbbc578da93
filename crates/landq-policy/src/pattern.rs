//! One CODEOWNERS path pattern, compiled into segments, and the reference
//! matcher for it.
//!
//! The semantics follow GitHub's "About code owners" page:
//!
//! - a pattern with no `/` except a trailing one matches at any depth
//!   (`logs`, `*.js`, `apps/`); any other `/` anchors it to the repository
//!   root, and a leading `/` is dropped after anchoring;
//! - a pattern matches the path itself and everything below it, except that a
//!   final lone `*` (`docs/*`) matches direct children only;
//! - a trailing `/` matches directories only, so the path must lie strictly
//!   below a matching directory;
//! - `*` and `?` never cross `/`; a whole segment `**` matches any number of
//!   segments (at least one when it ends the pattern);
//! - `\` makes the next character literal (`\ `, `\*`, `\?`, `\#`, `\\`);
//! - matching is case-sensitive, as on GitHub.
//!
//! [`Pattern::matches`] is the definition every faster index must agree with.

use std::fmt;

/// A compiled path pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    text: Box<str>,
    segments: Box<[Segment]>,
    dir_only: bool,
    children_only: bool,
}

/// One `/`-separated piece of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Matches exactly this name.
    Literal(Box<str>),
    /// `*` and `?` wildcards within one name.
    Glob(Box<[GlobToken]>),
    /// `**`: any number of whole segments.
    AnyDepth,
}

/// A token of a [`Segment::Glob`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum GlobToken {
    /// Literal bytes.
    Literal(Box<str>),
    /// `*`: any run of characters, `/` excluded.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Why a pattern could not be compiled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// `!pattern`, which GitHub's CODEOWNERS does not support.
    #[error("negated patterns (`!`) are not supported in CODEOWNERS files")]
    Negation,
    /// `[abc]`, which GitHub's CODEOWNERS does not support.
    #[error("character ranges (`[ ]`) are not supported in CODEOWNERS files")]
    CharacterRange,
    /// `a//b`, `/` alone and the like.
    #[error("pattern `{0}` has an empty path segment")]
    EmptySegment(String),
    /// A trailing lone `\`.
    #[error("pattern `{0}` ends with an unfinished escape `\\`")]
    DanglingEscape(String),
}

impl Pattern {
    /// Compiles `text` as written in the rules file (escapes still in place).
    pub fn new(text: &str) -> Result<Self, PatternError> {
        if text.starts_with('!') {
            return Err(PatternError::Negation);
        }
        let mut raw = text;
        let dir_only = raw.ends_with('/') && !raw.ends_with("\\/");
        if dir_only {
            raw = &raw[..raw.len() - 1];
        }
        let leading_slash = raw.starts_with('/');
        if leading_slash {
            raw = &raw[1..];
        }
        if raw.is_empty() {
            return Err(PatternError::EmptySegment(text.to_owned()));
        }
        let anchored = leading_slash || raw.contains('/');

        let mut segments = Vec::with_capacity(raw.matches('/').count() + 2);
        if !anchored {
            segments.push(Segment::AnyDepth);
        }
        for piece in raw.split('/') {
            if piece.is_empty() {
                return Err(PatternError::EmptySegment(text.to_owned()));
            }
            let segment = Segment::parse(piece, text)?;
            // `**/**` is the same as `**`.
            if segment == Segment::AnyDepth && segments.last() == Some(&Segment::AnyDepth) {
                continue;
            }
            segments.push(segment);
        }

        let last = segments.last().expect("at least one segment");
        let ends_any_depth = *last == Segment::AnyDepth;
        let ends_lone_star = matches!(last, Segment::Glob(t) if **t == [GlobToken::Star]);
        Ok(Pattern {
            text: text.into(),
            // `foo/**/` means everything below foo, like `foo/**`.
            dir_only: dir_only && !ends_any_depth,
            children_only: ends_lone_star && !dir_only,
            segments: segments.into_boxed_slice(),
        })
    }

    /// The pattern as written in the rules file.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern owns `path` (relative to the repository root,
    /// `/`-separated, without a leading `/`).
    pub fn matches(&self, path: &str) -> bool {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.matches_segments(&segments)
    }

    /// [`Pattern::matches`] on a path already split at `/`.
    pub(crate) fn matches_segments(&self, path: &[&str]) -> bool {
        self.match_from(0, path, 0)
    }

    fn match_from(&self, at: usize, path: &[&str], consumed: usize) -> bool {
        let Some(segment) = self.segments.get(at) else {
            return self.accepts_end(consumed, path.len());
        };
        match segment {
            Segment::AnyDepth => {
                let min = usize::from(at + 1 == self.segments.len());
                (consumed + min..=path.len()).any(|next| self.match_from(at + 1, path, next))
            }
            single => {
                consumed < path.len()
                    && single.matches_name(path[consumed])
                    && self.match_from(at + 1, path, consumed + 1)
            }
        }
    }

    /// The whole pattern matched the first `consumed` segments of the path:
    /// the path itself, or a directory above it.
    fn accepts_end(&self, consumed: usize, len: usize) -> bool {
        if consumed == len {
            !self.dir_only
        } else {
            consumed > 0 && !self.children_only
        }
    }

    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }

    pub(crate) fn dir_only(&self) -> bool {
        self.dir_only
    }

    /// Floating patterns (`logs`, `*.js`, `**/BUILD`) start with `**`.
    pub(crate) fn is_floating(&self) -> bool {
        self.segments.first() == Some(&Segment::AnyDepth)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Segment {
    fn parse(piece: &str, whole: &str) -> Result<Self, PatternError> {
        if piece == "**" {
            return Ok(Segment::AnyDepth);
        }
        if !piece.contains(['\\', '[', '*', '?']) {
            return Ok(Segment::Literal(piece.into()));
        }
        let mut tokens: Vec<GlobToken> = Vec::new();
        let mut literal = String::new();
        let mut chars = piece.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(escaped) => literal.push(escaped),
                    None => return Err(PatternError::DanglingEscape(whole.to_owned())),
                },
                '[' => return Err(PatternError::CharacterRange),
                '*' | '?' => {
                    if !literal.is_empty() {
                        tokens.push(GlobToken::Literal(std::mem::take(&mut literal).into()));
                    }
                    let token = if c == '*' {
                        GlobToken::Star
                    } else {
                        GlobToken::One
                    };
                    // `a**b` inside a segment is an ordinary `*`.
                    if !(token == GlobToken::Star && tokens.last() == Some(&GlobToken::Star)) {
                        tokens.push(token);
                    }
                }
                other => literal.push(other),
            }
        }
        if tokens.is_empty() {
            return Ok(Segment::Literal(literal.into()));
        }
        if !literal.is_empty() {
            tokens.push(GlobToken::Literal(literal.into()));
        }
        Ok(Segment::Glob(tokens.into()))
    }

    /// Whether this (non-`**`) segment matches one path segment.
    pub(crate) fn matches_name(&self, name: &str) -> bool {
        match self {
            Segment::Literal(lit) => **lit == *name,
            Segment::Glob(tokens) => glob_matches(tokens, name),
            Segment::AnyDepth => true,
        }
    }
}

/// Wildcard matching within one segment, with backtracking limited to the
/// most recent `*` (linear in practice, never exponential).
fn glob_matches(tokens: &[GlobToken], name: &str) -> bool {
    let (mut t, mut n) = (0, 0);
    let mut resume: Option<(usize, usize)> = None;
    loop {
        if t < tokens.len() {
            match &tokens[t] {
                GlobToken::Star => {
                    resume = Some((t, n));
                    t += 1;
                    continue;
                }
                GlobToken::One => {
                    if let Some(c) = name[n..].chars().next() {
                        t += 1;
                        n += c.len_utf8();
                        continue;
                    }
                }
                GlobToken::Literal(lit) => {
                    if name[n..].starts_with(&**lit) {
                        t += 1;
                        n += lit.len();
                        continue;
                    }
                }
            }
        } else if n == name.len() {
            return true;
        }
        // Mismatch: let the last `*` swallow one more character.
        match resume {
            Some((star, from)) if from < name.len() => {
                let next = from + name[from..].chars().next().map_or(1, char::len_utf8);
                resume = Some((star, next));
                t = star + 1;
                n = next;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_segments_stay_literal() {
        let p = Pattern::new("/docs/guide").unwrap();
        assert_eq!(
            p.segments(),
            &[
                Segment::Literal("docs".into()),
                Segment::Literal("guide".into())
            ]
        );
        assert!(!p.is_floating());
    }

    #[test]
    fn unanchored_patterns_float() {
        for text in ["logs", "*.js", "apps/", "**/BUILD"] {
            assert!(Pattern::new(text).unwrap().is_floating(), "{text}");
        }
        for text in ["/logs", "docs/*", "a/b/"] {
            assert!(!Pattern::new(text).unwrap().is_floating(), "{text}");
        }
    }

    #[test]
    fn escapes_make_characters_literal() {
        let p = Pattern::new(r"my\ file\*.txt").unwrap();
        assert!(p.matches("my file*.txt"));
        assert!(!p.matches("my fileX.txt"));
        assert_eq!(
            Pattern::new("trailing\\"),
            Err(PatternError::DanglingEscape("trailing\\".into()))
        );
    }

    #[test]
    fn unsupported_syntax_is_an_error() {
        assert_eq!(Pattern::new("!foo"), Err(PatternError::Negation));
        assert_eq!(Pattern::new("*.[ch]"), Err(PatternError::CharacterRange));
        assert!(matches!(
            Pattern::new("a//b"),
            Err(PatternError::EmptySegment(_))
        ));
        assert!(matches!(
            Pattern::new("/"),
            Err(PatternError::EmptySegment(_))
        ));
    }

    #[test]
    fn glob_backtracks_over_stars() {
        let tokens = |s: &str| match Segment::parse(s, s).unwrap() {
            Segment::Glob(t) => t,
            other => panic!("{other:?}"),
        };
        assert!(glob_matches(&tokens("*bar*"), "rebarrio"));
        assert!(glob_matches(&tokens("a*b*c"), "aXbYbZc"));
        assert!(!glob_matches(&tokens("a*b*c"), "aXbYbZ"));
        assert!(glob_matches(&tokens("?é?"), "xéy"));
        assert!(!glob_matches(&tokens("?"), ""));
        assert!(glob_matches(&tokens("*"), ""));
    }
}
