//! Client compatibility: drives the official `@flatfile/api` npm package (pinned in
//! tests/sdk/package.json) against the real `latchkey` binary with node's built-in test runner.
//!
//! Needs `node` (20+) and `npm` on PATH; installs tests/sdk/node_modules with `npm ci` when it is
//! missing. Run alone with `cargo test --test sdk -- --nocapture` to watch the node output live.

mod common;
mod node;

use node::{assert_passed, ensure_node_modules, run, suite_dir, Server};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "sdk-compat-password-0123456789";
const NODE_TEST_TIMEOUT: Duration = Duration::from_secs(600);

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
fn official_flatfile_sdk_1_23_0_works_against_latchkey() {
    run_suite("@flatfile/api");
}

/// 1.23.1 through the npm alias `@flatfile/api-1.23.1`, with its `Keep-Alive` request header
/// stripped in helpers.mjs as Node users must.
#[test]
fn official_flatfile_sdk_1_23_1_works_against_latchkey() {
    run_suite("@flatfile/api-1.23.1");
}

/// Every `*.test.mjs` here through the client `package`, against a fresh server.
fn run_suite(package: &str) {
    let dir = suite_dir("sdk");
    {
        // The two suites run at once; one `npm ci` at a time.
        static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _installing = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
        ensure_node_modules(&dir, &["@flatfile", "listener"], &[]);
    }
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
        .env("LATCHKEY_SDK_PACKAGE", package)
        .env("LATCHKEY_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("LATCHKEY_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("NO_COLOR", "1")
        .env_remove("NODE_OPTIONS")
        .env_remove("FLATFILE_API_URL")
        .env_remove("AGENT_INTERNAL_URL")
        .env_remove("FLATFILE_BEARER_TOKEN")
        .env_remove("FLATFILE_API_KEY");
    let (status, output) = run(node, "node", NODE_TEST_TIMEOUT);
    println!("{package}:\n{output}");
    println!(
        "node --test finished in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    assert_passed(status, &output, &server, NODE_TEST_TIMEOUT);
}
