//! Running node test suites (tests/sdk, tests/browser) against the real `latchkey` binary.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
pub const NPM_CI_TIMEOUT: Duration = Duration::from_secs(300);

/// Kills the child (and reaps it) when dropped, so no process outlives a failed assertion.
pub struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

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
    _process: KillOnDrop,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts the binary on 127.0.0.1:0 with a fresh data directory, fast password hashing, no
    /// delay after failed logins, and `extra_env` on top.
    pub fn start(email: &str, password: &str, extra_env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("cannot create a temporary directory");
        let mut command = Command::new(env!("CARGO_BIN_EXE_latchkey"));
        for (k, v) in extra_env {
            command.env(k, v);
        }
        let mut child = command
            .env("LATCHKEY_SERVER__BIND", "127.0.0.1:0")
            .env("LATCHKEY_STORAGE__DATA_DIR", dir.path().join("data"))
            .env(
                "LATCHKEY_SECURITY__MASTER_KEY_FILE",
                dir.path().join("master.key"),
            )
            .env("LATCHKEY_BOOTSTRAP__ADMIN_EMAIL", email)
            .env("LATCHKEY_BOOTSTRAP__ADMIN_PASSWORD", password)
            .env("LATCHKEY_SECURITY__PBKDF2_ITERATIONS", "1000")
            .env("LATCHKEY_SECURITY__LOGIN_DELAY_MS", "0")
            .env(
                "RUST_LOG",
                std::env::var("SERVER_LOG").unwrap_or_else(|_| "warn".into()),
            )
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
