pub use crate::endpoints::{AssertOk, Record};
use actix_web::http::StatusCode;
use latchkey::config::Config;
use latchkey::startup::{Application, StartupError};
use latchkey::store::{Store, WeakStore};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use tempfile::TempDir;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// A running server and what tests need to talk to it.
pub struct TestApp {
    pub address: String,
    pub config: Config,
    pub dev_secret: String,
    pub dev_publishable: String,
    pub generated_password: Option<String>,
    client: awc::Client,
    running: Option<Running>,
    _dir: TempDir,
}

struct Running {
    handle: actix_web::dev::ServerHandle,
    task: actix_web::rt::task::JoinHandle<std::io::Result<()>>,
    store: Store,
    weak: WeakStore,
}

/// Test configuration: fast password hashing, dev clock on, files in `dir`.
pub fn test_config(dir: &TempDir) -> Config {
    let mut config = Config::default();
    config.server.bind = "127.0.0.1:0".into();
    config.server.workers = 2;
    config.storage.data_dir = dir.path().join("data").display().to_string();
    config.security.master_key_file = dir.path().join("master.key").display().to_string();
    config.security.pbkdf2_iterations = 1000;
    config.bootstrap.admin_email = ADMIN_EMAIL.into();
    config.bootstrap.admin_password = ADMIN_PASSWORD.into();
    config.dev.clock_control = true;
    config
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(change: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut config = test_config(&dir);
    change(&mut config);
    let mut app = TestApp {
        address: String::new(),
        config,
        dev_secret: String::new(),
        dev_publishable: String::new(),
        generated_password: None,
        client: awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .add_default_header(("User-Agent", "latchkey-tests"))
            .finish(),
        running: None,
        _dir: dir,
    };
    app.start().await.expect("the server starts");
    app
}

impl TestApp {
    pub fn dir(&self) -> PathBuf {
        self._dir.path().to_path_buf()
    }

    /// Builds and starts the server on the current configuration.
    pub async fn start(&mut self) -> Result<(), StartupError> {
        let mut attempts = 0;
        let app = loop {
            // sled's own background thread may hold the directory lock for a moment after the
            // previous store in this process closed; only that error is retried, for up to 10 s.
            match Application::build(self.config.clone()).await {
                Err(StartupError::Locked { .. }) if attempts < 200 => {
                    attempts += 1;
                    actix_web::rt::time::sleep(Duration::from_millis(50)).await;
                }
                other => break other?,
            }
        };
        self.address = format!("http://127.0.0.1:{}", app.port());
        let banner = app.banner().clone();
        self.generated_password = banner.generated_password.clone();
        for (kind, raw) in &banner.development_keys {
            match *kind {
                "secret" => self.dev_secret = raw.clone(),
                _ => self.dev_publishable = raw.clone(),
            }
        }
        let handle = app.handle();
        let store = app.store().clone();
        let weak = app.store_weak();
        let task = actix_web::rt::spawn(app.run_until_stopped());
        self.running = Some(Running {
            handle,
            task,
            store,
            weak,
        });
        Ok(())
    }

    /// Stops the server gracefully and waits until the store is closed.
    pub async fn stop(&mut self) {
        let Some(running) = self.running.take() else {
            return;
        };
        running.handle.stop(true).await;
        running
            .task
            .await
            .expect("server task")
            .expect("server ran cleanly");
        drop(running.store);
        for _ in 0..500 {
            if !running.weak.is_open() {
                return;
            }
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the store stayed open after the server stopped");
    }

    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await.expect("the server restarts");
    }

    pub fn credential_lookups(&self) -> u64 {
        self.running
            .as_ref()
            .expect("running")
            .store
            .credential_lookups()
    }

    /// A request for `path` on this server, with the tests' client.
    fn build(&self, method: &str, path: &str) -> awc::ClientRequest {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        self.client
            .request(method, format!("{}{}", self.address, path))
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.build(method, path);
        if let Some(token) = token {
            req = req.insert_header(("Authorization", format!("Bearer {token}")));
        }
        let mut res = match body {
            Some(body) => req.send_json(&body).await,
            None => req.send().await,
        }
        .expect("request sent");
        let bytes = res.body().limit(16 * 1024 * 1024).await.expect("body read");
        (res.status(), json_of(path, &bytes))
    }

    /// Sends raw bytes with optional extra headers.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut req = self.build(method, path);
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        let mut res = req.send_body(body).await.expect("request sent");
        let bytes = res.body().limit(16 * 1024 * 1024).await.expect("body read");
        (res.status(), json_of(path, &bytes))
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.request("GET", path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.request("POST", path, Some(token), Some(body)).await
    }

    pub async fn post_empty(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.request("POST", path, Some(token), None).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.request("PATCH", path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.request("DELETE", path, Some(token), None).await
    }

    pub async fn login(&self, email: &str, password: &str) -> (StatusCode, Value) {
        let body =
            serde_json::json!({ "type": "userCredentials", "email": email, "password": password });
        self.request("POST", "/v1/auth", None, Some(body)).await
    }

    pub async fn admin_token(&self) -> String {
        let (status, body) = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["accessToken"]
            .as_str()
            .expect("accessToken")
            .to_owned()
    }

    /// The environment named `name`, as the Administrator sees it.
    pub async fn environment_id(&self, admin: &str, name: &str) -> String {
        let (_, body) = self.environments(admin).await;
        body["data"]
            .as_array()
            .expect("list")
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("no environment {name}"))["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    /// Creates an environment and returns (id, secret raw key, publishable raw key).
    pub async fn create_environment(&self, admin: &str, name: &str) -> (String, String, String) {
        let (status, body) = self
            .post(
                "/v1/environments",
                admin,
                serde_json::json!({ "name": name, "isProd": false }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = body["data"]["id"].as_str().expect("id").to_owned();
        let keys = self.keys(admin, &id).await;
        let raw = |t: &str| {
            keys.iter()
                .find(|k| k["type"] == t)
                .and_then(|k| k["rawKey"].as_str())
                .expect("raw key")
                .to_owned()
        };
        (id.clone(), raw("SECRET"), raw("PUBLISHABLE"))
    }

    pub async fn keys(&self, admin: &str, env: &str) -> Vec<Value> {
        let (status, body) = self
            .get(&format!("/v1/auth/api-keys?environmentId={env}"), admin)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"].as_array().expect("list").clone()
    }

    pub async fn advance_clock(&self, admin: &str, seconds: i64) {
        let (status, body) = self
            .post(
                "/v1/latchkey/clock",
                admin,
                serde_json::json!({ "advanceSeconds": seconds }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

/// An answer's body, which must be JSON.
fn json_of(path: &str, bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|_| {
        panic!(
            "{path} answered non-JSON: {}",
            String::from_utf8_lossy(bytes)
        )
    })
}

/// The status of `GET /v1/environments/current` with `key` as Bearer.
pub async fn current_status(app: &TestApp, key: &str) -> StatusCode {
    app.current_environment(key).await.0
}

impl TestApp {
    /// Creates a PAT with `token` and returns (raw token, PAT id).
    pub async fn create_pat(&self, token: &str, name: &str) -> (String, String) {
        let (status, body) = self
            .post(
                "/v1/auth/personal-access-tokens",
                token,
                serde_json::json!({ "name": name }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (
            body["data"]["token"].as_str().expect("token").to_owned(),
            body["data"]["personalAccessToken"]["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        )
    }

    /// The account id, from the Administrator's view.
    pub async fn account_id(&self, admin: &str) -> String {
        let (_, body) = self.current_account(admin).await;
        body["data"]["id"].as_str().expect("account id").to_owned()
    }

    /// Invites a user with `role_id` and returns the user id.
    pub async fn invite(&self, admin: &str, email: &str, role_id: &str) -> String {
        let account = self.account_id(admin).await;
        let body = serde_json::json!({
            "email": email, "name": "Invited Person",
            "actorRoles": [{ "roleId": role_id, "resourceId": account }],
        });
        let (status, body) = self.post("/v1/users/invite", admin, body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"]["id"].as_str().expect("user id").to_owned()
    }

    /// The link token in the newest mail to `email`.
    pub async fn link_token_for(&self, admin: &str, email: &str) -> String {
        let body = self.outbox(admin).await.assert_ok();
        let mail = body["data"]
            .as_array()
            .expect("mails")
            .iter()
            .find(|m| m["to"] == email)
            .unwrap_or_else(|| panic!("no mail to {email}"));
        let text = mail["body"].as_str().expect("body");
        let start = text.find("lt_").expect("a link token in the mail");
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    }

    /// Invites `email` with `role_id`, sets a password through the mailed link, and returns
    /// (user id, login token).
    pub async fn onboard(&self, admin: &str, email: &str, role_id: &str) -> (String, String) {
        let id = self.invite(admin, email, role_id).await;
        let token = self.link_token_for(admin, email).await;
        let body = serde_json::json!({ "token": token, "password": "a fine password" });
        self.set_password(body).await.assert_ok();
        let (status, login) = self.login(email, "a fine password").await;
        assert_eq!(status, StatusCode::OK, "{login}");
        (id, login["accessToken"].as_str().expect("token").to_owned())
    }

    /// The Administrator's user id.
    pub async fn admin_id(&self, admin: &str) -> String {
        let (_, who) = self.whoami(admin).await;
        who["data"]["id"].as_str().expect("id").to_owned()
    }
}

impl TestApp {
    /// Events in the log, read from the store.
    pub fn event_count(&self) -> usize {
        self.running.as_ref().expect("running").store.event_count()
    }

    /// Spaces that listings have read in full.
    pub fn listed_space_reads(&self) -> u64 {
        self.running
            .as_ref()
            .expect("running")
            .store
            .listed_space_reads()
    }

    /// Space records that listings have read a summary of (filtering space by space).
    pub fn space_summary_reads(&self) -> u64 {
        self.running
            .as_ref()
            .expect("running")
            .store
            .space_summary_reads()
    }

    /// A GET whose body is not JSON: (status, content type, text).
    pub async fn get_text(&self, path: &str, token: &str) -> (StatusCode, String, String) {
        let mut res = self
            .client
            .get(format!("{}{}", self.address, path))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .send()
            .await
            .expect("request sent");
        let bytes = res.body().limit(64 * 1024 * 1024).await.expect("body read");
        let kind = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (
            res.status(),
            kind,
            String::from_utf8(bytes.to_vec()).expect("UTF-8"),
        )
    }
}
