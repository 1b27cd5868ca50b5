//! Running the real `latchkey` binary from tests: the one harness every test binary that starts
//! it shares (the command, a free port, the banner, the logs, stopping it, a JSON client).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

pub const PASSWORD: &str = "bootstrap-admin-password-7f3a";

/// How long a starting binary may take to print its banner's first line.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// A running binary; killed when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
    /// The banner's first line (`Latchkey is listening on …`).
    pub first_line: String,
    /// Everything the server wrote to stderr so far.
    pub logs: Arc<Mutex<String>>,
    /// Everything the server wrote to stdout so far, a line each.
    pub stdout: Arc<Mutex<String>>,
    lines: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary on 127.0.0.1:0 in `dir` with fast password hashing, and nothing else set: the
/// first start generates the Administrator's password.
pub fn bare_command(binary: &Path, dir: &Path) -> Command {
    let mut cmd = Command::new(binary);
    cmd.current_dir(dir)
        .env("LATCHKEY_SERVER__BIND", "127.0.0.1:0")
        .env("LATCHKEY_SECURITY__PBKDF2_ITERATIONS", "1000")
        .env("RUST_LOG", "warn");
    cmd
}

/// [`bare_command`] with the Administrator's password set to [`PASSWORD`] and no delay after a
/// failed login.
pub fn command(binary: &Path, dir: &Path) -> Command {
    let mut cmd = bare_command(binary, dir);
    cmd.env("LATCHKEY_BOOTSTRAP__ADMIN_PASSWORD", PASSWORD)
        .env("LATCHKEY_SECURITY__LOGIN_DELAY_MS", "0");
    cmd
}

pub fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_latchkey"))
}

/// The release build (built now, a no-op when it is up to date), or the binary named by the
/// environment variable `override_var`. Harnesses that measure (crash timing, soak memory) run
/// what a deployment runs.
pub fn release_binary(override_var: &str) -> std::path::PathBuf {
    if let Ok(path) = std::env::var(override_var) {
        return std::path::PathBuf::from(path);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--bin", "latchkey"])
        .current_dir(root)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the release build failed");
    root.join("target/release/latchkey")
}

/// Starts `cmd` (stdout and stderr are collected) and waits for its banner's first line.
pub fn start_with(mut cmd: Command) -> Server {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let logs = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&logs);
    let mut stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let stdout = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&stdout);
    let (tx, lines) = mpsc::channel();
    let pipe = child.stdout.take().unwrap();
    // Reads stdout to its end, so that the server never writes into a full or closed pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            sink.lock().unwrap().push_str(&format!("{line}\n"));
            let _ = tx.send(line);
        }
    });
    let first = match lines.recv_timeout(STARTUP_TIMEOUT) {
        Ok(line) => line,
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            std::thread::sleep(Duration::from_millis(200));
            panic!(
                "latchkey exited before its banner: {}",
                logs.lock().unwrap()
            );
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!(
            "latchkey printed no banner within {STARTUP_TIMEOUT:?}: {}",
            logs.lock().unwrap()
        ),
    };
    let url = first
        .trim_start_matches("Latchkey is listening on ")
        .to_owned();
    assert!(url.starts_with("http://"), "unexpected banner: {first}");
    Server {
        child,
        url,
        first_line: first,
        logs,
        stdout,
        lines,
    }
}

pub fn start(dir: &Path) -> Server {
    start_with(command(binary(), dir))
}

impl Server {
    /// The whole banner: the first line and the lines after it up to the one that starts
    /// with `Next:`. Read it once, right after the start.
    pub fn banner(&self) -> Vec<String> {
        let mut banner = vec![self.first_line.clone()];
        while !banner.last().is_some_and(|l| l.starts_with("Next:")) {
            let line = self
                .lines
                .recv_timeout(STARTUP_TIMEOUT)
                .expect("the banner is printed");
            banner.push(line);
        }
        banner
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .unwrap_or_else(|| panic!("no port in {}", self.url))
    }

    /// SIGTERM, then wait (bounded) for the exit status.
    pub fn terminate(&mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.wait(Duration::from_secs(20))
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn wait(&mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(start.elapsed() < limit, "the server did not stop in time");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A JSON client for tests that run inside an actix runtime.
pub struct Client {
    pub url: String,
    pub http: awc::Client,
}

impl Client {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            http: awc::Client::builder()
                .timeout(Duration::from_secs(30))
                .finish(),
        }
    }

    /// One request: (status, the body's bytes), or what kept it from being answered.
    pub async fn call_bytes(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Result<(u16, Vec<u8>), String> {
        let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, format!("{}{}", self.url, path));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        let mut res = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        }
        .map_err(|e| e.to_string())?;
        let bytes = res
            .body()
            .limit(64 << 20)
            .await
            .map_err(|e| e.to_string())?;
        Ok((res.status().as_u16(), bytes.to_vec()))
    }

    /// One request: (status, the body as text, which must be UTF-8).
    pub async fn call_text(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Result<(u16, String), String> {
        let (status, bytes) = self.call_bytes(method, path, token, body).await?;
        Ok((status, String::from_utf8(bytes).expect("a UTF-8 body")))
    }

    /// One request: (status, the JSON body, or `null` where the body is not JSON).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Result<(u16, serde_json::Value), String> {
        let (status, bytes) = self.call_bytes(method, path, token, body).await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        ))
    }

    pub async fn ok(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        let (status, body) = self.call(method, path, token, body).await.expect("request");
        assert_eq!(status, 200, "{method} {path}: {body}");
        body
    }

    pub async fn admin_token(&self) -> String {
        let body = self
            .ok(
                "POST",
                "/v1/auth",
                None,
                Some(serde_json::json!({ "email": "admin@example.com", "password": PASSWORD })),
            )
            .await;
        body["accessToken"].as_str().unwrap().to_owned()
    }

    /// The id of the environment named `name`.
    pub async fn environment_id(&self, admin: &str, name: &str) -> String {
        let envs = self.ok("GET", "/v1/environments", Some(admin), None).await;
        let env = envs["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name);
        env.unwrap_or_else(|| panic!("no environment {name}: {envs}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// An environment's active key of `kind` (`SECRET` or `PUBLISHABLE`) as an Administrator
    /// sees it (`id`, `rawKey`, …).
    pub async fn key(&self, admin: &str, env: &str, kind: &str) -> serde_json::Value {
        let path = format!("/v1/auth/api-keys?environmentId={env}");
        let keys = self.ok("GET", &path, Some(admin), None).await;
        let key = keys["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["type"] == kind);
        key.unwrap_or_else(|| panic!("no {kind} key: {keys}"))
            .clone()
    }

    /// The audit log's export (`GET /v1/latchkey/events/export`), one event a line.
    pub async fn export(&self, admin: &str) -> String {
        let (status, text) = self
            .call_text("GET", "/v1/latchkey/events/export", Some(admin), None)
            .await
            .expect("the export is answered");
        assert_eq!(status, 200, "export: {text}");
        text
    }
}

/// `v` as a string; panics naming what it was otherwise.
pub fn s(v: &serde_json::Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
        .to_owned()
}
