//! `landq serve` start-up; its landing flow is tested in `land.rs`.

use tempfile::TempDir;

#[test]
fn serve_refuses_to_start_without_github_credentials() {
    let dir = TempDir::new().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_landq"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("LANDQ_WEBHOOK_SECRET", "s")
        .env_remove("LANDQ_GITHUB_TOKEN")
        .env_remove("LANDQ_GITHUB_APP_ID")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "landq: error: no GitHub credentials: set LANDQ_GITHUB_APP_ID with LANDQ_GITHUB_APP_KEY_FILE (a \
         GitHub App), or LANDQ_GITHUB_TOKEN (a token, for trials)\n"
    );
    assert!(!dir.path().join(".landq").exists());
}
