//! Reading the process environment.

/// The value of environment variable `name`, unless it is unset or empty.
pub fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}
