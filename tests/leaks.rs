//! Every credential issued during a run is captured, then searched for in every response that
//! is not a reveal path, in every log line of the real binary (at debug level), in the audit
//! export and in the data directory's raw bytes.

mod common;

use common::{command, s, start_with, Client, PASSWORD};
use serde_json::{json, Value};

/// A client that keeps every response body, marked as a reveal path or not.
struct Recorder {
    api: Client,
    ordinary: Vec<String>,
}

impl Recorder {
    async fn call(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        reveals: bool,
    ) -> Value {
        let (status, text) = self.api.call_text(method, path, token, body).await.unwrap();
        assert!(status < 500, "{path}: {text}");
        if !reveals {
            self.ordinary.push(text.clone());
        }
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

#[actix_web::test]
async fn no_issued_credential_appears_outside_its_reveal_paths() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command(common::binary(), dir.path());
    cmd.env("RUST_LOG", "debug");
    let mut server = start_with(cmd);
    let mut r = Recorder {
        api: Client::new(&server.url),
        ordinary: Vec::new(),
    };
    let mut secrets: Vec<String> = vec![PASSWORD.to_owned()];

    let login = r
        .call(
            "POST",
            "/v1/auth",
            None,
            Some(json!({ "email": "admin@example.com", "password": PASSWORD })),
            false,
        )
        .await;
    let admin = s(&login["accessToken"]);
    let env = r
        .call(
            "POST",
            "/v1/environments",
            Some(&admin),
            Some(json!({ "name": "leaky", "isProd": false })),
            false,
        )
        .await;
    let env = s(&env["data"]["id"]);
    let keys = r
        .call(
            "GET",
            &format!("/v1/auth/api-keys?environmentId={env}"),
            Some(&admin),
            None,
            true,
        )
        .await;
    let sk = s(&keys["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["type"] == "SECRET")
        .unwrap()["rawKey"]);
    let pk = s(&keys["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["type"] == "PUBLISHABLE")
        .unwrap()["rawKey"]);
    secrets.extend([sk.clone(), pk.clone()]);
    let created = r
        .call(
            "POST",
            &format!("/v1/auth/api-key?environmentId={env}&type=SECRET"),
            Some(&admin),
            None,
            true,
        )
        .await;
    let extra = s(&created["data"][0]["rawKey"]);
    let extra_id = s(&created["data"][0]["id"]);
    secrets.push(extra.clone());
    let rotated = r
        .call(
            "POST",
            &format!("/v1/latchkey/api-keys/{extra_id}/rotate"),
            Some(&admin),
            Some(json!({ "expiresInSeconds": 60 })),
            true,
        )
        .await;
    secrets.push(s(&rotated["data"]["key"]["rawKey"]));
    r.call(
        "DELETE",
        &format!("/v1/auth/api-key?environmentId={env}&key={extra}"),
        Some(&admin),
        None,
        false,
    )
    .await;
    let pat = r
        .call(
            "POST",
            "/v1/auth/personal-access-tokens",
            Some(&admin),
            Some(json!({ "name": "leak" })),
            true,
        )
        .await;
    let pat = s(&pat["data"]["token"]);
    secrets.push(pat.clone());
    let me = r
        .call("GET", "/v1/latchkey/whoami", Some(&pat), None, false)
        .await;
    let me = s(&me["data"]["id"]);
    let client = r
        .call(
            "POST",
            &format!("/v1/users/{me}/api-token?tenantId=t"),
            Some(&pat),
            None,
            true,
        )
        .await;
    let (client_id, client_secret) = (s(&client["data"]["clientId"]), s(&client["data"]["secret"]));
    secrets.push(client_secret.clone());
    r.call(
        "POST",
        "/v1/auth",
        None,
        Some(json!({ "clientId": client_id, "secret": client_secret })),
        false,
    )
    .await;
    r.call(
        "POST",
        "/v1/auth",
        None,
        Some(json!({ "clientId": client_id, "secret": "cs_wrongwrongwrong" })),
        false,
    )
    .await;
    let key_token = r
        .call(
            "POST",
            "/v1/auth",
            None,
            Some(json!({ "publishableKey": pk })),
            false,
        )
        .await;
    r.call(
        "POST",
        "/v1/auth/refresh-token",
        None,
        Some(json!(s(&key_token["accessToken"]))),
        false,
    )
    .await;
    r.call(
        "POST",
        "/v1/users/invite",
        Some(&admin),
        Some(json!({ "email": "new@example.com", "name": "New", "actorRoles": [] })),
        false,
    )
    .await;
    let outbox = r
        .call("GET", "/v1/latchkey/outbox", Some(&admin), None, true)
        .await;
    let mail = s(&outbox["data"][0]["body"]);
    let link: String = mail[mail.find("lt_").unwrap()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let user_password = "new-user-password-55aa";
    secrets.extend([link.clone(), user_password.to_owned()]);
    r.call(
        "POST",
        "/v1/latchkey/password",
        None,
        Some(json!({ "token": link, "password": user_password })),
        false,
    )
    .await;
    r.call(
        "POST",
        "/v1/auth",
        None,
        Some(json!({ "email": "new@example.com", "password": user_password })),
        false,
    )
    .await;
    r.call(
        "POST",
        "/v1/auth",
        None,
        Some(json!({ "email": "new@example.com", "password": "wrong-new-password" })),
        false,
    )
    .await;
    let space = r
        .call(
            "POST",
            "/v1/spaces",
            Some(&sk),
            Some(json!({ "name": "s" })),
            false,
        )
        .await;
    let space = s(&space["data"]["id"]);
    let value = "listener-secret-value-9c9c";
    secrets.push(value.to_owned());
    r.call(
        "POST",
        "/v1/secrets",
        Some(&sk),
        Some(json!({ "name": "TOKEN", "value": value, "spaceId": space })),
        true,
    )
    .await;
    let guest = r.call("POST", "/v1/guests", Some(&sk), Some(json!([{ "environmentId": env, "email": "g@example.com", "name": "G", "spaces": [{ "id": space }] }])), false).await;
    let guest = s(&guest["data"][0]["id"]);
    r.call(
        "GET",
        &format!("/v1/guests/{guest}/token"),
        Some(&sk),
        None,
        false,
    )
    .await;
    r.call(
        "POST",
        "/v1/invitations",
        Some(&sk),
        Some(json!([{ "guestId": guest, "spaceId": space }])),
        false,
    )
    .await;
    let outbox = r
        .call("GET", "/v1/latchkey/outbox", Some(&admin), None, true)
        .await;
    let mail = s(&outbox["data"][0]["body"]);
    let magic: String = mail[mail.find("lt_").unwrap()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    secrets.push(magic.clone());
    r.call(
        "POST",
        "/v1/invitations/exchange",
        None,
        Some(json!({ "token": magic })),
        false,
    )
    .await;
    for path in [
        "/v1/environments".to_owned(),
        "/v1/users".to_owned(),
        "/v1/auth/personal-access-tokens".to_owned(),
        format!("/v1/users/{me}/api-token?tenantId=t"),
        format!("/v1/guests?spaceId={space}"),
        "/v1/spaces".to_owned(),
        "/v1/events?pageSize=100&includeAcknowledged=true".to_owned(),
        "/v1/latchkey/whoami".to_owned(),
    ] {
        r.call("GET", &path, Some(&admin), None, false).await;
    }
    let export = r.api.export(&admin).await;
    assert!(
        export.lines().count() > 20,
        "the export holds the run's events"
    );

    assert_eq!(server.terminate(), Some(0));
    let logs = server.logs.lock().unwrap().clone();
    assert!(
        logs.contains("/v1/auth/api-key"),
        "request lines are logged at all"
    );
    let mut disk = Vec::new();
    for file in walk(&dir.path().join("data")) {
        disk.extend(std::fs::read(file).unwrap());
    }
    assert!(
        disk.windows(5).any(|w| w == b"leaky"),
        "the scan reads the stored records (an environment name is there)"
    );
    let mut checked = 0;
    for secret in &secrets {
        if let Some(hit) = r.ordinary.iter().find(|o| o.contains(secret.as_str())) {
            panic!(
                "a response that is not a reveal path holds {}…: {}",
                &secret[..4],
                hit.replace(secret.as_str(), "<SECRET>")
            );
        }
        assert!(
            !logs.contains(secret.as_str()),
            "a log line holds {}…",
            &secret[..4]
        );
        assert!(
            !export.contains(secret.as_str()),
            "the audit export holds {}…",
            &secret[..4]
        );
        assert!(
            !disk.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the data directory holds {}… in the clear",
            &secret[..4]
        );
        checked += 1;
    }
    println!(
        "searched {} responses, {} bytes of logs and {} bytes on disk for {checked} credentials",
        r.ordinary.len(),
        logs.len(),
        disk.len()
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
