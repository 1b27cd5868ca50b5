//! Running node test suites (tests/sdk, tests/browser, tests/cli) against the real `latchkey`
//! binary, started by the shared harness in tests/common (the test binary declares both).
#![allow(dead_code)]

use crate::common;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub const NPM_CI_TIMEOUT: Duration = Duration::from_secs(300);

/// Text collected from a child's pipe by a draining thread.
pub type Captured = Arc<Mutex<String>>;

/// Reads `pipe` to its end on a thread, appending each line to the returned buffer and sending it
/// on `lines` (if given), so the child never blocks on a full pipe.
pub fn drain(
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

pub fn text(captured: &Captured) -> String {
    captured.lock().unwrap().clone()
}

/// Waits for `child` up to `timeout`; kills it and returns `None` on timeout.
pub fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
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
pub fn run(mut command: Command, what: &str, timeout: Duration) -> (Option<ExitStatus>, String) {
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

pub fn suite_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}

pub fn npm() -> &'static str {
    if cfg!(windows) {
        "npm.cmd"
    } else {
        "npm"
    }
}

/// Installs the pinned SDK from package-lock.json unless node_modules is already there.
pub fn ensure_node_modules(dir: &Path, marker: &[&str], npm_env: &[(&str, &str)]) {
    let installed = marker
        .iter()
        .fold(dir.join("node_modules"), |p, part| p.join(part))
        .join("package.json");
    if installed.is_file() {
        return;
    }
    eprintln!(
        "{}/node_modules is missing; running `npm ci` there",
        dir.display()
    );
    let mut command = Command::new(npm());
    command
        .arg("ci")
        .arg("--no-audit")
        .arg("--no-fund")
        .current_dir(dir);
    for (k, v) in npm_env {
        command.env(k, v);
    }
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
pub struct Server {
    pub url: String,
    pub stdout: Captured,
    pub stderr: Captured,
    // Dropped before `_dir`, so the process is gone before its data directory is removed.
    _process: common::Server,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts the binary (the shared harness, `tests/common`) on 127.0.0.1:0 with a fresh data
    /// directory, fast password hashing, no delay after failed logins, the Administrator
    /// `email` with `password`, and `extra_env` on top.
    pub fn start(email: &str, password: &str, extra_env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("cannot create a temporary directory");
        let mut command = common::command(common::binary(), dir.path());
        command
            .env("LATCHKEY_STORAGE__DATA_DIR", dir.path().join("data"))
            .env(
                "LATCHKEY_SECURITY__MASTER_KEY_FILE",
                dir.path().join("master.key"),
            )
            .env("LATCHKEY_BOOTSTRAP__ADMIN_EMAIL", email)
            .env("LATCHKEY_BOOTSTRAP__ADMIN_PASSWORD", password)
            .env(
                "RUST_LOG",
                std::env::var("SERVER_LOG").unwrap_or_else(|_| "warn".into()),
            );
        for (k, v) in extra_env {
            command.env(k, v);
        }
        let process = common::start_with(command);
        let url = process.url.trim().trim_end_matches('/').to_owned();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "unexpected server URL {url:?}"
        );
        Self {
            url,
            stdout: Arc::clone(&process.stdout),
            stderr: Arc::clone(&process.logs),
            _process: process,
            _dir: dir,
        }
    }
}

/// The number after `ℹ <label> ` in the spec reporter's summary.
pub fn summary_count(output: &str, label: &str) -> Option<u64> {
    let prefix = format!("ℹ {label} ");
    output.lines().rev().find_map(|line| {
        line.trim()
            .strip_prefix(prefix.as_str())?
            .trim()
            .parse()
            .ok()
    })
}

/// Asserts that a `node --test` run finished in time, exited 0, passed at least one test and
/// failed none; on failure the message carries node's output and the server's.
pub fn assert_passed(status: Option<ExitStatus>, output: &str, server: &Server, timeout: Duration) {
    let server_log = || {
        format!(
            "latchkey stdout:\n{}\nlatchkey stderr:\n{}",
            text(&server.stdout),
            text(&server.stderr)
        )
    };
    let status = status.unwrap_or_else(|| {
        panic!(
            "node --test did not finish within {timeout:?}\n{output}\n{}",
            server_log()
        )
    });
    let passed = summary_count(output, "pass");
    let failed = summary_count(output, "fail");
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
