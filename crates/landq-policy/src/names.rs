//! GitHub's names, as GitHub defines them: user and organisation logins,
//! team slugs and repositories. What can never be a GitHub name is refused
//! before it reaches a rule or a URL.

/// Longest login GitHub issues, Enterprise Managed Users' `_SHORTCODE` included.
const MAX_LOGIN_LEN: usize = 39;

/// Whether `name` is a login GitHub has issued or could issue.
///
/// Today GitHub allows ASCII letters, digits and single inner hyphens, but
/// older accounts keep what was allowed when they signed up: a trailing
/// hyphen (`tobias-`) or a double one (`an--old-name`). Enterprise Managed
/// Users are `handle_SHORTCODE`: the handle normalised the same way, one
/// underscore, then the enterprise's alphanumeric short code. No login starts
/// with a hyphen or an underscore, has anything outside ASCII letters, digits,
/// `-` and that one `_`, or is longer than 39 characters.
pub fn is_login(name: &str) -> bool {
    let (handle, shortcode) = match name.split_once('_') {
        Some((handle, code)) => (handle, Some(code)),
        None => (name, None),
    };
    let handle_ok = !handle.is_empty()
        && !handle.starts_with('-')
        && handle
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let shortcode_ok = shortcode
        .is_none_or(|code| !code.is_empty() && code.bytes().all(|b| b.is_ascii_alphanumeric()));
    name.len() <= MAX_LOGIN_LEN && handle_ok && shortcode_ok
}

/// Organisations are logins without the managed-user `_SHORTCODE`.
pub fn is_org(name: &str) -> bool {
    is_login(name) && !name.contains('_')
}

/// Whether `slug` is a team slug: ASCII letters, digits, `-`, `_` and `.`.
pub fn is_team_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Longest repository name GitHub allows.
const MAX_REPO_NAME_LEN: usize = 100;

/// Whether `full` is `owner/name` as GitHub names repositories: an
/// account login, then ASCII letters, digits, `-`, `_` and `.` (not `.` or
/// `..` alone), at most 100 characters.
pub fn is_repo(full: &str) -> bool {
    let Some((owner, name)) = full.split_once('/') else {
        return false;
    };
    is_login(owner)
        && !name.is_empty()
        && name.len() <= MAX_REPO_NAME_LEN
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_owner_slash_name() {
        for good in [
            "octo-org/hello-world",
            "Codertocat/Hello-World",
            "a/.github",
            "tobias-/x_y.z",
        ] {
            assert!(is_repo(good), "{good}");
        }
        for bad in [
            "../../x", "a/..", "a/.", "a", "a/b/c", "/b", "a/", "a/b c", "a/b%2f", "-a/b",
            "a/b?x=1",
        ] {
            assert!(!is_repo(bad), "{bad}");
        }
        assert!(!is_repo(&format!("a/{}", "x".repeat(101))));
    }
}
