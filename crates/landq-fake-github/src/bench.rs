//! What every load run on loopback shares: it does nothing when cargo only
//! lists or smoke-tests benches, reads its sizes from the environment, and
//! runs on two worker threads (the machine's cores).

/// Whether cargo only lists or smoke-tests the benches (`--list`,
/// `cargo test --benches`): a load run then does nothing.
pub fn only_listing() -> bool {
    std::env::args().any(|a| a == "--list" || a == "--test")
}

/// The number in environment variable `name`, else `default`.
pub fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The runtime a load run uses: two worker threads.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}
