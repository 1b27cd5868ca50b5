//! The admin page and the browser embed end to end: drives /admin, and `@flatfile/javascript`'s
//! `startFlatfile` on a page of another origin, in Debian's headless Chromium (through the
//! playwright-core npm package pinned in tests/browser/package.json) against the real `latchkey`
//! binary, with node's built-in test runner. Screenshots of every screen land in
//! tests/browser/output/.
//!
//! Needs `/usr/bin/chromium` (`.ci/run` installs it; or `apt-get install chromium`), `node` (20+)
//! and `npm`; installs tests/browser/node_modules with `npm ci` when it is missing (playwright
//! never downloads a browser of its own). Run alone with
//! `cargo test --test browser -- --nocapture` to watch the node output live.

mod common;
mod node;

use node::{assert_passed, ensure_node_modules, run, suite_dir, Server};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "browser-test-password-0123456789";
const CHROMIUM: &str = "/usr/bin/chromium";
const NODE_TEST_TIMEOUT: Duration = Duration::from_secs(150);

#[test]
fn admin_page_works_in_headless_chromium() {
    run_suite("admin.test.mjs");
}

/// `@flatfile/javascript`'s `startFlatfile` on a page of another origin (a second loopback port)
/// against the binary: the space is created, the iframe shows Latchkey's space page, a secret
/// key used from that page is refused, no console errors, no external requests.
#[test]
fn the_browser_embed_works_from_another_origin() {
    run_suite("embed.test.mjs");
}

fn run_suite(file: &str) {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: the browser tests need Debian's Chromium. Run .ci/run, or \
         `apt-get update && apt-get install -y --no-install-recommends chromium`."
    );
    let dir = suite_dir("browser");
    {
        // The two tests run in parallel; one `npm ci` at a time.
        static NPM: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = NPM.lock().unwrap_or_else(|p| p.into_inner());
        ensure_node_modules(
            &dir,
            &["axe-core"],
            &[("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")],
        );
    }
    let output_dir = dir.join("output");

    // The admin suite's webhook endpoint is a plain-http receiver on loopback.
    let webhooks_to_loopback = [
        ("LATCHKEY_WEBHOOKS__ALLOW_HTTP", "true"),
        ("LATCHKEY_WEBHOOKS__ALLOW_PRIVATE", "true"),
        ("LATCHKEY_WEBHOOKS__POLL_MS", "50"),
    ];
    let server = Server::start(ADMIN_EMAIL, ADMIN_PASSWORD, &webhooks_to_loopback);
    let started = Instant::now();
    let mut node = Command::new("node");
    node.arg("--test")
        .arg("--test-concurrency=1")
        .arg("--test-reporter=spec")
        .arg(file)
        .current_dir(&dir)
        .env("LATCHKEY_URL", &server.url)
        .env("LATCHKEY_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("LATCHKEY_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("LATCHKEY_BROWSER_OUTPUT", &output_dir)
        .env("LATCHKEY_CHROMIUM", CHROMIUM)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .env("NO_COLOR", "1")
        .env_remove("NODE_OPTIONS")
        .env_remove("PLAYWRIGHT_BROWSERS_PATH");
    let (status, output) = run(node, "node", NODE_TEST_TIMEOUT);
    println!("{output}");
    println!(
        "node --test {file} finished in {:.1} s; screenshots in {}",
        started.elapsed().as_secs_f64(),
        output_dir.display()
    );

    assert_passed(status, &output, &server, NODE_TEST_TIMEOUT);
}
