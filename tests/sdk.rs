//! Client compatibility: drives the official `@flatfile/api` npm package (pinned in
//! tests/sdk/package.json) against the real `latchkey` binary with node's built-in test runner.
//!
//! Needs `node` (20+) and `npm` on PATH; installs tests/sdk/node_modules with `npm ci` when it is
//! missing. Run alone with `cargo test --test sdk -- --nocapture` to watch the node output live.

mod node;

use node::{assert_passed, ensure_node_modules, run, suite_dir, Server};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "sdk-compat-password-0123456789";
const NODE_TEST_TIMEOUT: Duration = Duration::from_secs(300);

/// The test files in name order; 99-clock.test.mjs (which moves the server clock) sorts last.
fn test_files(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("cannot read tests/sdk")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".test.mjs"))
        .collect();
    files.sort();
    files
}

#[test]
fn official_flatfile_sdk_works_against_latchkey() {
    let dir = suite_dir("sdk");
    ensure_node_modules(&dir, &["@flatfile", "api"], &[]);
    let files = test_files(&dir);
    assert!(
        !files.is_empty(),
        "no *.test.mjs files in {}",
        dir.display()
    );

    let server = Server::start(
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        &[
            // The suite makes many failed logins on purpose (all from 127.0.0.1); keep the per-address
            // throttle out of the way. Throttling itself is covered by the Rust tests.
            ("LATCHKEY_SECURITY__LOGIN_FAILURES_PER_ADDRESS", "1000"),
            ("LATCHKEY_DEV__CLOCK_CONTROL", "true"),
        ],
    );
    let started = Instant::now();
    let mut node = Command::new("node");
    node.arg("--test")
        // One file at a time: 99-clock.test.mjs moves the shared server clock.
        .arg("--test-concurrency=1")
        .arg("--test-reporter=spec")
        .args(&files)
        .current_dir(&dir)
        .env("LATCHKEY_URL", &server.url)
        .env("LATCHKEY_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("LATCHKEY_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("NO_COLOR", "1")
        .env_remove("NODE_OPTIONS")
        .env_remove("FLATFILE_API_URL")
        .env_remove("AGENT_INTERNAL_URL")
        .env_remove("FLATFILE_BEARER_TOKEN")
        .env_remove("FLATFILE_API_KEY");
    let (status, output) = run(node, "node", NODE_TEST_TIMEOUT);
    println!("{output}");
    println!(
        "node --test finished in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    assert_passed(status, &output, &server, NODE_TEST_TIMEOUT);
}
