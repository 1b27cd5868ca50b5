//! Webhooks against the real binary: the official Standard Webhooks library (npm
//! `standardwebhooks`, pinned in tests/webhooks/package.json) verifies what Latchkey signs and
//! refuses tampering, an old timestamp and a wrong secret; both keys verify during a secret-key
//! rotation; and after SIGKILL with deliveries pending, a restart delivers every event.
//!
//! Needs `node` and `npm`; installs tests/webhooks/node_modules with `npm ci` when missing.

mod common;
mod node;
mod receiver;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::{binary, command, start_with, Client, Server};
use receiver::{Hit, Receiver};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn server(dir: &Path) -> Server {
    let mut cmd = command(binary(), dir);
    cmd.env("LATCHKEY_WEBHOOKS__ALLOW_HTTP", "true")
        .env("LATCHKEY_WEBHOOKS__ALLOW_PRIVATE", "true")
        .env("LATCHKEY_WEBHOOKS__POLL_MS", "20")
        .env("LATCHKEY_WEBHOOKS__RETRY_BASE_SECONDS", "1");
    start_with(cmd)
}

/// What the library says of each (secret, headers, body): "ok" or its error.
fn verify(cases: &[(String, Value, String)]) -> Vec<String> {
    let dir = node::suite_dir("webhooks");
    node::ensure_node_modules(&dir, &["standardwebhooks"], &[]);
    let input: Vec<Value> = cases
        .iter()
        .map(
            |(secret, headers, body)| json!({ "secret": secret, "headers": headers, "body": body }),
        )
        .collect();
    let mut child = Command::new("node")
        .arg("verify.mjs")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Value::from(input).to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).expect("verify.mjs answers JSON")
}

fn headers(hit: &Hit) -> Value {
    json!({
        "webhook-id": hit.headers["webhook-id"],
        "webhook-timestamp": hit.headers["webhook-timestamp"],
        "webhook-signature": hit.headers["webhook-signature"],
    })
}

/// Headers for `hit` signed correctly with `secret`, but at `timestamp`.
fn resigned_at(hit: &Hit, secret: &str, timestamp: i64) -> Value {
    let raw = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &raw);
    let id = &hit.headers["webhook-id"];
    let signed = format!("{id}.{timestamp}.{}", hit.body);
    let sig = STANDARD.encode(ring::hmac::sign(&key, signed.as_bytes()));
    json!({ "webhook-id": id, "webhook-timestamp": timestamp.to_string(), "webhook-signature": format!("v1,{sig}") })
}

async fn signing_secrets(c: &Client, admin: &str, env: &str) -> Vec<String> {
    let path = format!("/v1/latchkey/webhooks/signing-secrets?environmentId={env}");
    let body = c.ok("GET", &path, Some(admin), None).await;
    let list = body["data"].as_array().unwrap();
    list.iter()
        .map(|s| s["secret"].as_str().unwrap().to_owned())
        .collect()
}

async fn secret_event(c: &Client, sk: &str, name: &str) {
    let body = json!({ "name": name, "value": "v" });
    c.ok("POST", "/v1/secrets", Some(sk), Some(body)).await;
}

#[actix_web::test]
async fn the_standardwebhooks_library_verifies_deliveries_and_refuses_forgeries() {
    let dir = tempfile::tempdir().unwrap();
    let _server_guard = server(dir.path());
    let c = Client::new(&_server_guard.url);
    let admin = c.admin_token().await;
    let dev = c.environment_id(&admin, "development").await;
    let sk = c.key(&admin, &dev, "SECRET").await["rawKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let rx = Receiver::start(0);
    let hook = json!({ "url": rx.url("/hook"), "topics": ["secret:*"] });
    c.ok("POST", "/v1/latchkey/webhooks", Some(&sk), Some(hook))
        .await;
    secret_event(&c, &sk, "ONE").await;
    let hits = rx.wait_for(1, WAIT).await;
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    let secret = signing_secrets(&c, &admin, &dev).await.remove(0);
    let old = time::OffsetDateTime::now_utc().unix_timestamp() - 600;
    let wrong = latchkey::webhooks::signer::derived_secret("sk_not_the_key");
    let results = verify(&[
        (secret.clone(), headers(hit), hit.body.clone()),
        (secret.clone(), headers(hit), hit.body.replace("ONE", "TWO")),
        (
            secret.clone(),
            resigned_at(hit, &secret, old),
            hit.body.clone(),
        ),
        (wrong, headers(hit), hit.body.clone()),
    ]);
    assert_eq!(results[0], "ok", "{results:?}");
    for (what, result) in ["tampered body", "old timestamp", "wrong secret"]
        .iter()
        .zip(&results[1..])
    {
        assert_ne!(result, "ok", "{what} verified");
    }
    // During a secret-key rotation's overlap both keys' secrets verify every delivery.
    let old_key = c.key(&admin, &dev, "SECRET").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/latchkey/api-keys/{old_key}/rotate");
    let rotated = c
        .ok(
            "POST",
            &path,
            Some(&admin),
            Some(json!({ "expiresInSeconds": 3600 })),
        )
        .await;
    let new_raw = rotated["data"]["key"]["rawKey"].as_str().unwrap();
    secret_event(&c, new_raw, "TWO").await;
    let hits = rx.wait_for(2, WAIT).await;
    let both = signing_secrets(&c, &admin, &dev).await;
    assert_eq!(both.len(), 2);
    let cases: Vec<_> = both
        .iter()
        .map(|s| (s.clone(), headers(&hits[1]), hits[1].body.clone()))
        .collect();
    assert_eq!(verify(&cases), ["ok", "ok"]);
}

#[actix_web::test]
async fn after_sigkill_with_deliveries_pending_a_restart_delivers_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = server(dir.path());
    let c = Client::new(&first.url);
    let admin = c.admin_token().await;
    let dev = c.environment_id(&admin, "development").await;
    let sk = c.key(&admin, &dev, "SECRET").await["rawKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let rx = Receiver::start(usize::MAX);
    let hook = json!({ "url": rx.url("/"), "topics": ["secret:created"] });
    c.ok("POST", "/v1/latchkey/webhooks", Some(&sk), Some(hook))
        .await;
    for i in 0..20 {
        secret_event(&c, &sk, &format!("S{i}")).await;
    }
    first.kill();
    rx.fail_until(0);
    let second = server(dir.path());
    let c = Client::new(&second.url);
    let admin = c.admin_token().await;
    let events = c
        .ok(
            "GET",
            &format!("/v1/events?environmentId={dev}&topic=secret:created&pageSize=100"),
            Some(&admin),
            None,
        )
        .await;
    let wanted: BTreeSet<String> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(wanted.len(), 20);
    let until = std::time::Instant::now() + WAIT;
    let delivered = loop {
        let ok: BTreeSet<String> = rx
            .hits()
            .iter()
            .map(|h| h.headers["webhook-id"].clone())
            .collect();
        if ok.is_superset(&wanted) || std::time::Instant::now() > until {
            break ok;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(delivered, wanted, "every event delivered, none invented");
}
