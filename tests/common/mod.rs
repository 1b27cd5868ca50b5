//! Running the real `latchkey` binary from tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const PASSWORD: &str = "bootstrap-admin-password-7f3a";

/// A running binary; killed when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub logs: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary under test, or another one (the release build) named by `binary`.
pub fn command(binary: &Path, dir: &Path) -> Command {
    let mut cmd = Command::new(binary);
    cmd.current_dir(dir)
        .env("LATCHKEY_SERVER__BIND", "127.0.0.1:0")
        .env("LATCHKEY_SECURITY__PBKDF2_ITERATIONS", "1000")
        .env("LATCHKEY_BOOTSTRAP__ADMIN_PASSWORD", PASSWORD)
        .env("LATCHKEY_SECURITY__LOGIN_DELAY_MS", "0")
        .env("RUST_LOG", "warn");
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

/// Starts the server in `dir` and waits for its banner's first line.
pub fn start_with(mut cmd: Command) -> Server {
    let mut child = cmd
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
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = match lines.next() {
        Some(Ok(line)) => line,
        _ => {
            std::thread::sleep(Duration::from_millis(200));
            panic!(
                "latchkey exited before its banner: {}",
                logs.lock().unwrap()
            );
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let url = first
        .trim_start_matches("Latchkey is listening on ")
        .to_owned();
    assert!(url.starts_with("http://"), "unexpected banner: {first}");
    Server { child, url, logs }
}

pub fn start(dir: &Path) -> Server {
    start_with(command(binary(), dir))
}

impl Server {
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

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Result<(u16, serde_json::Value), String> {
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
        Ok((
            res.status().as_u16(),
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
}
