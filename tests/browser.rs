//! The admin page end to end: drives /admin in Debian's headless Chromium (through the
//! playwright-core npm package pinned in tests/browser/package.json) against the real `latchkey`
//! binary, with node's built-in test runner. Screenshots of every screen land in
//! tests/browser/output/.
//!
//! Needs `/usr/bin/chromium` (`.ci/run` installs it; or `apt-get install chromium`), `node` (20+)
//! and `npm`; installs tests/browser/node_modules with `npm ci` when it is missing (playwright
//! never downloads a browser of its own). Run alone with
//! `cargo test --test browser -- --nocapture` to watch the node output live.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "browser-test-password-0123456789";
const CHROMIUM: &str = "/usr/bin/chromium";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
const NPM_CI_TIMEOUT: Duration = Duration::from_secs(300);
const NODE_TEST_TIMEOUT: Duration = Duration::from_secs(150);

/// Kills the child (and reaps it) when dropped, so no process outlives a failed assertion.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Text collected from a child's pipe by a draining thread.
type Captured = Arc<Mutex<String>>;

/// Reads `pipe` to its end on a thread, appending each line to the returned buffer and sending it
/// on `lines` (if given), so the child never blocks on a full pipe.
fn drain(
    pipe: impl Read + Send + 'static,
    lines: Option<mpsc::Sender<String>>,
) -> (Captured, thread::JoinHandle<()>) {
    let captured = Captured::default();
    let sink = Arc::clone(&captured);
    let handle = thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            sink.lock().unwrap().push_str(&format!("{line}\n"));
            if let Some(tx) = &lines {
                let _ = tx.send(line);
            }
        }
    });
    (captured, handle)
}

fn text(captured: &Captured) -> String {
    captured.lock().unwrap().clone()
}

/// Waits for `child` up to `timeout`; kills it and returns `None` on timeout.
fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait().expect("cannot poll the child process") {
            Some(status) => return Some(status),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            None => thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Runs a command to completion with a timeout, returning its status and combined output.
fn run(mut command: Command, what: &str, timeout: Duration) -> (Option<ExitStatus>, String) {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap_or_else(|e| {
        panic!("cannot run {what}: {e}. Is it installed and on PATH? (node 20+ and npm are needed)")
    });
    let (out, out_thread) = drain(child.stdout.take().unwrap(), None);
    let (err, err_thread) = drain(child.stderr.take().unwrap(), None);
    let status = wait_with_timeout(&mut child, timeout);
    let _ = out_thread.join();
    let _ = err_thread.join();
    (status, format!("{}{}", text(&out), text(&err)))
}

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("browser")
}

fn npm() -> &'static str {
    if cfg!(windows) {
        "npm.cmd"
    } else {
        "npm"
    }
}

/// Installs playwright-core from package-lock.json unless node_modules is already there.
fn ensure_node_modules(dir: &Path) {
    if dir
        .join("node_modules")
        .join("playwright-core")
        .join("package.json")
        .is_file()
    {
        return;
    }
    eprintln!(
        "tests/browser/node_modules is missing; running `npm ci` in {}",
        dir.display()
    );
    let mut command = Command::new(npm());
    command
        .arg("ci")
        .arg("--no-audit")
        .arg("--no-fund")
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .current_dir(dir);
    let (status, output) = run(command, "npm", NPM_CI_TIMEOUT);
    match status {
        Some(s) if s.success() => {}
        Some(s) => panic!("`npm ci` in {} failed ({s}):\n{output}", dir.display()),
        None => panic!(
            "`npm ci` in {} did not finish in {NPM_CI_TIMEOUT:?}:\n{output}",
            dir.display()
        ),
    }
}

/// A running latchkey on a free port with a fresh data directory.
struct Server {
    url: String,
    stdout: Captured,
    stderr: Captured,
    // Dropped before `_dir`, so the process is gone before its data directory is removed.
    _process: KillOnDrop,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("cannot create a temporary directory");
        let mut child = Command::new(env!("CARGO_BIN_EXE_latchkey"))
            .env("LATCHKEY_SERVER__BIND", "127.0.0.1:0")
            .env("LATCHKEY_STORAGE__DATA_DIR", dir.path().join("data"))
            .env(
                "LATCHKEY_SECURITY__MASTER_KEY_FILE",
                dir.path().join("master.key"),
            )
            .env("LATCHKEY_BOOTSTRAP__ADMIN_EMAIL", ADMIN_EMAIL)
            .env("LATCHKEY_BOOTSTRAP__ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("LATCHKEY_SECURITY__PBKDF2_ITERATIONS", "1000")
            // The page test signs in with a wrong password once on purpose; keep the growing
            // delay after failed logins out of the way.
            .env("LATCHKEY_SECURITY__LOGIN_DELAY_MS", "0")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start the latchkey binary");
        let (tx, rx) = mpsc::channel();
        let (stdout, _) = drain(child.stdout.take().unwrap(), Some(tx));
        let (stderr, stderr_thread) = drain(child.stderr.take().unwrap(), None);
        let mut process = KillOnDrop(child);
        let first = match rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // stdout closed: the server is exiting. Collect its status and all of stderr.
                let status = process.0.wait();
                let _ = stderr_thread.join();
                panic!(
                    "latchkey exited before printing its banner ({status:?}).\nstdout:\n{}\nstderr:\n{}",
                    text(&stdout),
                    text(&stderr)
                )
            }
            Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                "latchkey printed no first line within {STARTUP_TIMEOUT:?}.\nstdout:\n{}\nstderr:\n{}",
                text(&stdout),
                text(&stderr)
            ),
        };
        let url = first
            .strip_prefix("Latchkey is listening on ")
            .unwrap_or_else(|| {
                panic!(
                    "unexpected first line from latchkey: {first:?}\nstderr:\n{}",
                    text(&stderr)
                )
            })
            .trim()
            .trim_end_matches('/')
            .to_owned();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "unexpected server URL {url:?}"
        );
        Self {
            url,
            stdout,
            stderr,
            _process: process,
            _dir: dir,
        }
    }
}

/// The number after `ℹ <label> ` in the spec reporter's summary.
fn summary_count(output: &str, label: &str) -> Option<u64> {
    let prefix = format!("ℹ {label} ");
    output.lines().rev().find_map(|line| {
        line.trim()
            .strip_prefix(prefix.as_str())?
            .trim()
            .parse()
            .ok()
    })
}

#[test]
fn admin_page_works_in_headless_chromium() {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: the admin page tests need Debian's Chromium. Run .ci/run, or \
         `apt-get update && apt-get install -y --no-install-recommends chromium`."
    );
    let dir = browser_dir();
    ensure_node_modules(&dir);
    let output_dir = dir.join("output");

    let server = Server::start();
    let started = Instant::now();
    let mut node = Command::new("node");
    node.arg("--test")
        .arg("--test-concurrency=1")
        .arg("--test-reporter=spec")
        .arg("admin.test.mjs")
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
        "node --test finished in {:.1} s; screenshots in {}",
        started.elapsed().as_secs_f64(),
        output_dir.display()
    );

    let server_log = || {
        format!(
            "latchkey stdout:\n{}\nlatchkey stderr:\n{}",
            text(&server.stdout),
            text(&server.stderr)
        )
    };
    let status = status.unwrap_or_else(|| {
        panic!(
            "node --test did not finish within {NODE_TEST_TIMEOUT:?}\n{output}\n{}",
            server_log()
        )
    });
    let passed = summary_count(&output, "pass");
    let failed = summary_count(&output, "fail");
    assert!(
        status.success(),
        "node --test exited with {status}\n{output}\n{}",
        server_log()
    );
    assert!(
        passed.is_some_and(|n| n > 0),
        "node reported no passing tests (pass = {passed:?})"
    );
    assert_eq!(failed, Some(0), "node reported failing tests");
}
