//! The query parameters of the API, the pages and the CLI: times, windows
//! and cursors, each refused with a message naming the parameter.

use std::time::{Duration, UNIX_EPOCH};

/// A refused parameter: its name and why.
#[derive(Debug, PartialEq, Eq)]
pub struct BadParameter {
    /// The parameter's name.
    pub name: &'static str,
    /// Why it is refused.
    pub why: String,
}

impl std::fmt::Display for BadParameter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`: {}", self.name, self.why)
    }
}

/// A day (`2026-12-01`, midnight UTC) or an RFC 3339 time, in ms since the
/// Unix epoch.
pub fn time(text: &str) -> Result<i64, String> {
    let full = match text.len() {
        10 => format!("{text}T00:00:00Z"),
        _ => text.to_owned(),
    };
    let at = humantime::parse_rfc3339_weak(&full)
        .map_err(|err| format!("`{text}` is not a day (2026-12-01) or an RFC 3339 time: {err}"))?;
    Ok(at
        .duration_since(UNIX_EPOCH)
        .map_err(|_| format!("`{text}` is before 1970"))?
        .as_millis() as i64)
}

/// A window such as `7d` or `12h`, at most a year, in ms.
pub fn window(text: &str) -> Result<i64, String> {
    let window = humantime::parse_duration(text)
        .map_err(|err| format!("`{text}` is not a window such as 7d or 12h: {err}"))?;
    if window.is_zero() || window > Duration::from_secs(366 * 86_400) {
        return Err(format!(
            "`{text}` must be longer than zero and at most a year"
        ));
    }
    Ok(window.as_millis() as i64)
}

/// RFC 3339 (seconds) of `ms` since the Unix epoch.
pub fn rfc3339(ms: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_seconds(at).to_string()
}

/// The cursor after the land `(landed_at_ms, pr)`: where the next page
/// starts.
pub fn cursor(landed_at_ms: i64, pr: u64) -> String {
    format!("{landed_at_ms}.{pr}")
}

/// A cursor [`cursor`] made.
pub fn parse_cursor(text: &str) -> Result<(i64, u64), String> {
    let parsed = text
        .split_once('.')
        .and_then(|(ms, pr)| Some((ms.parse().ok()?, pr.parse().ok()?)));
    parsed.ok_or_else(|| format!("`{text}` is not a cursor this API gave"))
}

/// Reads parameter `name` with `parse`, if present.
pub fn optional<T>(
    value: Option<&String>,
    name: &'static str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, BadParameter> {
    value
        .map(|v| parse(v).map_err(|why| BadParameter { name, why }))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_times_windows_and_cursors() {
        assert_eq!(time("1970-01-02"), Ok(86_400_000));
        assert_eq!(time("1970-01-01T00:00:01Z"), Ok(1_000));
        assert!(time("yesterday").unwrap_err().contains("not a day"));
        assert_eq!(window("7d"), Ok(7 * 86_400_000));
        assert!(window("0s").is_err());
        assert!(window("400d").is_err());
        assert_eq!(
            parse_cursor(&cursor(1_700_000_000_000, 42)),
            Ok((1_700_000_000_000, 42))
        );
        assert!(parse_cursor("abc").is_err());
    }

    #[test]
    fn a_bad_parameter_is_named() {
        let value = "soon".to_owned();
        let err = optional(Some(&value), "since", time).unwrap_err();
        assert_eq!(err.name, "since");
        assert!(
            err.to_string().starts_with("`since`: `soon` is not a day"),
            "{err}"
        );
        assert_eq!(optional(None, "since", time), Ok(None));
    }
}
