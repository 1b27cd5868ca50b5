//! Outbound webhooks through HTTP: endpoints, signed deliveries to a receiver on loopback,
//! retries on the movable clock, disabling, the delivery log, test events, redelivery and the
//! SSRF guard. (The `standardwebhooks` library itself verifies in tests/webhooks.rs.)

#[path = "../receiver/mod.rs"]
mod receiver;

use crate::helpers::*;
use actix_web::http::StatusCode;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use receiver::{Hit, Receiver};
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

async fn webhooks_app(change: impl FnOnce(&mut latchkey::config::Config)) -> TestApp {
    spawn_app_with(|c| {
        c.webhooks.allow_http = true;
        c.webhooks.allow_private = true;
        c.webhooks.poll_ms = 20;
        change(c);
    })
    .await
}

async fn subscribe(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, answer) = app.post("/v1/latchkey/webhooks", token, body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["data"].clone()
}

/// Writes a secret with the development secret key: one `secret:created` event.
async fn secret_event(app: &TestApp, name: &str) {
    let body = json!({ "name": name, "value": "v" });
    let (status, answer) = app.post("/v1/secrets", &app.dev_secret, body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

/// The signatures of a delivery, each checked against every `whsec_…` secret: which verify.
fn verified_by(hit: &Hit, secrets: &[&str]) -> Vec<bool> {
    let id = &hit.headers["webhook-id"];
    let ts = &hit.headers["webhook-timestamp"];
    let signed = format!("{id}.{ts}.{}", hit.body);
    let sigs: Vec<&str> = hit.headers["webhook-signature"].split(' ').collect();
    secrets
        .iter()
        .map(|secret| {
            let raw = STANDARD
                .decode(secret.strip_prefix("whsec_").unwrap())
                .unwrap();
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &raw);
            let want = format!(
                "v1,{}",
                STANDARD.encode(ring::hmac::sign(&key, signed.as_bytes()))
            );
            sigs.contains(&want.as_str())
        })
        .collect()
}

async fn signing_secrets(app: &TestApp, admin: &str, env: &str) -> Vec<String> {
    let path = format!("/v1/latchkey/webhooks/signing-secrets?environmentId={env}");
    let (status, body) = app.get(&path, admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["secret"].as_str().unwrap().to_owned())
        .collect()
}

async fn deliveries(app: &TestApp, token: &str, hook: &str) -> Vec<Value> {
    let path = format!("/v1/latchkey/webhooks/{hook}/deliveries");
    let (status, body) = app.get(&path, token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].as_array().unwrap().clone()
}

/// Waits until the newest delivery of `hook` has made `attempts` attempts.
async fn wait_attempts(app: &TestApp, token: &str, hook: &str, attempts: u64) -> Value {
    let until = std::time::Instant::now() + WAIT;
    loop {
        let list = deliveries(app, token, hook).await;
        if list.first().is_some_and(|d| d["attempts"] == attempts)
            || std::time::Instant::now() > until
        {
            return list.first().cloned().unwrap_or(Value::Null);
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn deliveries_are_signed_with_the_secret_derived_from_the_secret_key() {
    let app = webhooks_app(|_| {}).await;
    let rx = Receiver::start(0);
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    let hook = subscribe(
        &app,
        &app.dev_secret,
        json!({ "url": rx.url("/in"), "topics": ["secret:*"] }),
    )
    .await;
    assert_eq!(hook["signing"], "environment");
    assert!(hook.get("secret").is_none());
    secret_event(&app, "A").await;
    let hits = rx.wait_for(1, WAIT).await;
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!(hit.path, "/in");
    let body: Value = serde_json::from_str(&hit.body).unwrap();
    assert_eq!(body["type"], "secret:created");
    assert_eq!(body["data"]["id"], hit.headers["webhook-id"].as_str());
    let secrets = signing_secrets(&app, &admin, &dev).await;
    let derived = latchkey::webhooks::signer::derived_secret(&app.dev_secret);
    assert_eq!(secrets, vec![derived.clone()]);
    assert_eq!(
        verified_by(hit, &[&derived, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]),
        [true, false]
    );
    let log = wait_attempts(&app, &admin, hook["id"].as_str().unwrap(), 1).await;
    assert_eq!(log["status"], "delivered", "{log}");
    assert_eq!(log["log"][0]["status"], 204);
    assert!(log["log"][0]["latencyMs"].is_u64());
    // A member may not reveal the signing secrets; the secret key may not either (it has it).
    let path = format!("/v1/latchkey/webhooks/signing-secrets?environmentId={dev}");
    assert_eq!(
        app.get(&path, &app.dev_secret).await.0,
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn a_failing_receiver_gets_the_event_again_after_backoff_with_the_same_id_once_more() {
    let app = webhooks_app(|_| {}).await;
    let rx = Receiver::start(2);
    let admin = app.admin_token().await;
    let hook = subscribe(&app, &admin, json!({ "url": rx.url("/"), "topics": ["secret:created"], "environmentId": app.environment_id(&admin, "development").await })).await;
    let id = hook["id"].as_str().unwrap();
    secret_event(&app, "B").await;
    let first = wait_attempts(&app, &admin, id, 1).await;
    assert_eq!(first["status"], "pending", "{first}");
    assert!(first["nextAttemptAt"].is_string());
    assert!(first["log"][0]["error"].as_str().unwrap().contains("500"));
    // No retry before its time, whatever the wall clock does.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.hits().len(), 1);
    for attempts in [2, 3] {
        app.advance_clock(&admin, 3600).await;
        wait_attempts(&app, &admin, id, attempts).await;
    }
    let done = wait_attempts(&app, &admin, id, 3).await;
    assert_eq!(done["status"], "delivered", "{done}");
    app.advance_clock(&admin, 86_400).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let hits = rx.hits();
    assert_eq!(
        hits.len(),
        3,
        "delivered exactly once after the two failures"
    );
    assert!(hits
        .iter()
        .all(|h| h.headers["webhook-id"] == hits[0].headers["webhook-id"]));
    assert!(hits.iter().all(|h| h.body == hits[0].body));
}

#[actix_web::test]
async fn an_endpoint_failing_past_the_horizon_is_disabled_with_an_event_and_a_mail() {
    let app = webhooks_app(|c| {
        c.webhooks.horizon_hours = 1;
        c.webhooks.retry_max_seconds = 600;
    })
    .await;
    let rx = Receiver::start(usize::MAX);
    let admin = app.admin_token().await;
    let hook = subscribe(
        &app,
        &app.dev_secret,
        json!({ "url": rx.url("/"), "topics": ["secret:*"] }),
    )
    .await;
    let id = hook["id"].as_str().unwrap();
    secret_event(&app, "C").await;
    let mut n = 1;
    loop {
        let d = wait_attempts(&app, &admin, id, n).await;
        if d["status"] == "failed" {
            break;
        }
        assert!(n < 30, "{d}");
        app.advance_clock(&admin, 600).await;
        n += 1;
    }
    let (_, got) = app
        .get(&format!("/v1/latchkey/webhooks/{id}"), &admin)
        .await;
    assert_eq!(got["data"]["enabled"], false, "{got}");
    assert!(got["data"]["disabledReason"]
        .as_str()
        .unwrap()
        .contains("1 h"));
    let (_, outbox) = app.get("/v1/latchkey/outbox", &admin).await;
    assert!(
        outbox["data"]
            .to_string()
            .contains("A Latchkey webhook was disabled"),
        "{outbox}"
    );
    let (_, events) = app
        .get("/v1/events?topic=webhook:disabled", &app.dev_secret)
        .await;
    assert!(events.to_string().contains(id), "{events}");
    // A disabled endpoint gets nothing.
    let before = rx.hits().len();
    secret_event(&app, "D").await;
    app.advance_clock(&admin, 3600).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.hits().len(), before);
}

#[actix_web::test]
async fn a_disabled_endpoint_gets_nothing_and_other_topics_are_not_sent() {
    let app = webhooks_app(|_| {}).await;
    let rx = Receiver::start(0);
    let off = subscribe(
        &app,
        &app.dev_secret,
        json!({ "url": rx.url("/off"), "topics": ["*"], "enabled": false }),
    )
    .await;
    subscribe(
        &app,
        &app.dev_secret,
        json!({ "url": rx.url("/spaces"), "topics": ["space:*"] }),
    )
    .await;
    secret_event(&app, "E").await;
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    assert!(rx.hits().is_empty(), "{:?}", rx.hits());
    assert!(
        deliveries(&app, &app.dev_secret, off["id"].as_str().unwrap())
            .await
            .is_empty()
    );
}

#[actix_web::test]
async fn test_events_and_redeliveries_keep_the_message_id() {
    let app = webhooks_app(|_| {}).await;
    let rx = Receiver::start(0);
    let hook = subscribe(
        &app,
        &app.dev_secret,
        json!({ "url": rx.url("/"), "topics": ["space:created"] }),
    )
    .await;
    let id = hook["id"].as_str().unwrap();
    let (status, test) = app
        .post_empty(&format!("/v1/latchkey/webhooks/{id}/test"), &app.dev_secret)
        .await;
    assert_eq!(status, StatusCode::OK, "{test}");
    let hits = rx.wait_for(1, WAIT).await;
    assert!(hits[0].body.contains("webhook:test"));
    let delivery = test["data"]["id"].as_str().unwrap();
    let path = format!("/v1/latchkey/webhooks/{id}/deliveries/{delivery}/redeliver");
    let (status, again) = app.post_empty(&path, &app.dev_secret).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_ne!(again["data"]["id"], test["data"]["id"]);
    let hits = rx.wait_for(2, WAIT).await;
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].headers["webhook-id"], hits[1].headers["webhook-id"]);
    let path = format!("/v1/latchkey/webhooks/{id}/deliveries/us_whd_00000000000000ff/redeliver");
    assert_eq!(
        app.post_empty(&path, &app.dev_secret).await.0,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn an_own_secret_is_shown_once_and_signs_with_both_during_its_rotation() {
    let app = webhooks_app(|_| {}).await;
    let rx = Receiver::start(0);
    let hook = subscribe(
        &app,
        &app.dev_secret,
        json!({ "url": rx.url("/"), "topics": ["secret:*"], "ownSecret": true }),
    )
    .await;
    let id = hook["id"].as_str().unwrap();
    let first = hook["secret"].as_str().unwrap().to_owned();
    let (_, got) = app
        .get(&format!("/v1/latchkey/webhooks/{id}"), &app.dev_secret)
        .await;
    assert!(got["data"].get("secret").is_none() && got["data"]["signing"] == "endpoint");
    secret_event(&app, "F").await;
    let hits = rx.wait_for(1, WAIT).await;
    let derived = latchkey::webhooks::signer::derived_secret(&app.dev_secret);
    assert_eq!(verified_by(&hits[0], &[&first, &derived]), [true, false]);
    let path = format!("/v1/latchkey/webhooks/{id}/rotate-secret");
    let (status, rotated) = app
        .post(&path, &app.dev_secret, json!({ "graceSeconds": 3600 }))
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let second = rotated["data"]["secret"].as_str().unwrap().to_owned();
    secret_event(&app, "G").await;
    let hits = rx.wait_for(2, WAIT).await;
    assert_eq!(verified_by(&hits[1], &[&first, &second]), [true, true]);
    let admin = app.admin_token().await;
    app.advance_clock(&admin, 3601).await;
    secret_event(&app, "H").await;
    let hits = rx.wait_for(3, WAIT).await;
    assert_eq!(verified_by(&hits[2], &[&first, &second]), [false, true]);
}

#[actix_web::test]
async fn during_a_secret_key_rotation_every_delivery_carries_both_keys_signatures() {
    let app = webhooks_app(|_| {}).await;
    let rx = Receiver::start(0);
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    subscribe(
        &app,
        &admin,
        json!({ "url": rx.url("/"), "topics": ["secret:*"], "environmentId": dev }),
    )
    .await;
    let keys = app.keys(&admin, &dev).await;
    let old = keys
        .iter()
        .find(|k| k["rawKey"] == app.dev_secret.as_str())
        .unwrap();
    let path = format!(
        "/v1/latchkey/api-keys/{}/rotate",
        old["id"].as_str().unwrap()
    );
    let (status, body) = app
        .post(&path, &admin, json!({ "expiresInSeconds": 3600 }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new_raw = body["data"]["key"]["rawKey"].as_str().unwrap().to_owned();
    let old_secret = latchkey::webhooks::signer::derived_secret(&app.dev_secret);
    let new_secret = latchkey::webhooks::signer::derived_secret(&new_raw);
    assert_eq!(signing_secrets(&app, &admin, &dev).await.len(), 2);
    secret_event(&app, "I").await;
    let hits = rx.wait_for(1, WAIT).await;
    assert_eq!(
        verified_by(&hits[0], &[&old_secret, &new_secret]),
        [true, true]
    );
}

#[actix_web::test]
async fn private_destinations_are_refused_unless_allowed() {
    let app = spawn_app_with(|c| {
        c.webhooks.allow_http = true;
        c.webhooks.poll_ms = 20;
    })
    .await;
    let rx = Receiver::start(0);
    let sk = app.dev_secret.clone();
    for url in [
        rx.url("/"),
        "http://169.254.169.254/latest/meta-data".into(),
        "http://10.0.0.1/".into(),
        "http://[::1]:9/".into(),
        "http://[::ffff:127.0.0.1]/".into(),
        "http://localhost:9/".into(),
    ] {
        let (status, body) = app
            .post(
                "/v1/latchkey/webhooks",
                &sk,
                json!({ "url": url, "topics": ["*"] }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert_eq!(body["errors"][0]["key"], "url");
    }
    // A name that resolves to loopback passes the form check and is refused on delivery, on
    // the address it resolves to.
    let hook = subscribe(
        &app,
        &sk,
        json!({ "url": format!("http://127.1:{}/", rx.port), "topics": ["space:*"] }),
    )
    .await;
    let id = hook["id"].as_str().unwrap();
    let (status, _) = app
        .post_empty(&format!("/v1/latchkey/webhooks/{id}/test"), &sk)
        .await;
    assert_eq!(status, StatusCode::OK);
    let d = wait_attempts(&app, &sk, id, 1).await;
    assert!(
        d["log"][0]["error"]
            .as_str()
            .unwrap()
            .contains("not a public address"),
        "{d}"
    );
    assert!(rx.hits().is_empty());
    // https only, unless allowed.
    let strict = spawn_app().await;
    let (status, _) = strict
        .post(
            "/v1/latchkey/webhooks",
            &strict.dev_secret,
            json!({ "url": "http://example.com/", "topics": ["*"] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = strict
        .post(
            "/v1/latchkey/webhooks",
            &strict.dev_secret,
            json!({ "url": "https://example.com/", "topics": ["*"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn webhook_changes_are_checked_limited_audited_and_scoped() {
    let app = webhooks_app(|c| c.webhooks.per_environment = 2).await;
    let sk = app.dev_secret.clone();
    let admin = app.admin_token().await;
    for (body, status) in [
        (
            json!({ "url": "https://x.example/", "topics": [] }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "url": "https://x.example/", "topics": ["a b"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "url": "ftp://x.example/", "topics": ["*"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "url": "https://x.example/", "topics": ["*"], "nope": 1 }),
            StatusCode::BAD_REQUEST,
        ),
        (json!({ "topics": ["*"] }), StatusCode::BAD_REQUEST),
    ] {
        let (got, answer) = app.post("/v1/latchkey/webhooks", &sk, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert!(answer["errors"][0]["message"].is_string());
    }
    let a = subscribe(
        &app,
        &sk,
        json!({ "url": "https://a.example/", "topics": ["*"], "description": "first" }),
    )
    .await;
    subscribe(
        &app,
        &sk,
        json!({ "url": "https://b.example/", "topics": ["*"] }),
    )
    .await;
    let (status, _) = app
        .post(
            "/v1/latchkey/webhooks",
            &sk,
            json!({ "url": "https://c.example/", "topics": ["*"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let id = a["id"].as_str().unwrap();
    let path = format!("/v1/latchkey/webhooks/{id}");
    let (status, changed) = app
        .patch(
            &path,
            &sk,
            json!({ "topics": ["auth:*"], "enabled": false }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (
            changed["data"]["topics"].clone(),
            changed["data"]["enabled"].clone()
        ),
        (json!(["auth:*"]), json!(false))
    );
    // The production environment's key sees none of it.
    let prod = app.environment_id(&admin, "production").await;
    let prod_sk = app
        .keys(&admin, &prod)
        .await
        .into_iter()
        .find(|k| k["rawKey"].as_str().unwrap().starts_with("sk_"))
        .unwrap();
    let prod_sk = prod_sk["rawKey"].as_str().unwrap();
    assert_eq!(app.get(&path, prod_sk).await.0, StatusCode::NOT_FOUND);
    let (_, listed) = app.get("/v1/latchkey/webhooks", prod_sk).await;
    assert_eq!(listed["data"], json!([]));
    let (_, listed) = app.get("/v1/latchkey/webhooks", &sk).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
    assert_eq!(app.delete(&path, &sk).await.0, StatusCode::OK);
    assert_eq!(app.get(&path, &sk).await.0, StatusCode::NOT_FOUND);
    let (_, events) = app.get("/v1/events", &sk).await;
    for topic in ["webhook:created", "webhook:updated", "webhook:deleted"] {
        assert!(events.to_string().contains(topic), "{topic}");
    }
    // Clients cannot forge Latchkey's own webhook events.
    let forged = json!({ "topic": "webhook:disabled", "payload": {} });
    assert_ne!(app.post("/v1/events", &sk, forged).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn deleting_an_environment_removes_its_webhooks() {
    let app = webhooks_app(|_| {}).await;
    let admin = app.admin_token().await;
    let (env, _, _) = app.create_environment(&admin, "doomed").await;
    let hook = subscribe(
        &app,
        &admin,
        json!({ "url": "https://hooks.example/", "topics": ["*"], "environmentId": env }),
    )
    .await;
    let path = format!("/v1/latchkey/webhooks/{}", hook["id"].as_str().unwrap());
    assert_eq!(app.get(&path, &admin).await.0, StatusCode::OK);
    let (status, body) = app.delete(&format!("/v1/environments/{env}"), &admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.get(&path, &admin).await.0, StatusCode::NOT_FOUND);
}
