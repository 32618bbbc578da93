//! The squash commit message landq writes.
//!
//! Title: `<PR title> (#<number>)`. Body: the pull request body, then a blank
//! line and one `Approved-by: <login>` trailer per approving reviewer, so
//! `git log` alone tells who approved every landed change.

use std::fmt;

/// Title and body of a squash commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitMessage {
    /// The first line.
    pub title: String,
    /// Everything after the blank line.
    pub body: String,
}

impl CommitMessage {
    /// The message for squashing pull request `number`.
    pub fn squash(title: &str, number: u64, body: &str, approvers: &[String]) -> Self {
        let body = body.replace("\r\n", "\n");
        let body = body.trim();
        let trailers: String = approvers
            .iter()
            .map(|login| format!("Approved-by: {login}\n"))
            .collect();
        CommitMessage {
            title: format!("{} (#{number})", title.trim()),
            body: if body.is_empty() {
                trailers
            } else {
                format!("{body}\n\n{trailers}")
            },
        }
    }
}

impl fmt::Display for CommitMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n\n{}", self.title, self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_number_body_and_trailers() {
        let msg = CommitMessage::squash(
            " Add retries ",
            42,
            "Retries 502s.\r\n\r\nFixes #7.\r\n",
            &["alice".into(), "bob".into()],
        );
        assert_eq!(msg.title, "Add retries (#42)");
        assert_eq!(
            msg.body,
            "Retries 502s.\n\nFixes #7.\n\nApproved-by: alice\nApproved-by: bob\n"
        );
        assert_eq!(
            msg.to_string(),
            "Add retries (#42)\n\nRetries 502s.\n\nFixes #7.\n\nApproved-by: alice\nApproved-by: bob\n"
        );
    }

    #[test]
    fn empty_body_leaves_only_trailers() {
        let msg = CommitMessage::squash("Fix", 1, "  \n", &["carol".into()]);
        assert_eq!(msg.body, "Approved-by: carol\n");
    }
}
