//! Anonymous callers cannot grow the audit log without bound: repeated refusals are
//! aggregated, the text they supply is cut short, and the log has a cap.

use crate::helpers::{spawn_app_with, AssertOk, ADMIN_EMAIL, ADMIN_PASSWORD};
use actix_web::http::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

async fn auth_events(app: &crate::helpers::TestApp, admin: &str) -> Vec<Value> {
    let body = app
        .events(admin, "domain=auth&pageSize=100&includeAcknowledged=true")
        .await
        .assert_ok();
    body["data"].as_array().unwrap().clone()
}

fn refusals(events: &[Value]) -> Vec<&Value> {
    events
        .iter()
        .filter(|e| e["topic"] == "auth:login-failed" || e["topic"] == "auth:login-throttled")
        .collect()
}

#[actix_web::test]
async fn many_failed_logins_from_one_client_write_one_event_per_window_with_a_count() {
    let app = spawn_app_with(|c| c.security.login_delay_ms = 0).await;
    let admin = app.admin_token().await;
    let attempts = 60;
    for i in 0..attempts {
        let (status, _) = app
            .login(&format!("guess{i}@example.com"), "wrong password")
            .await;
        assert!(status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS);
    }
    let events = auth_events(&app, &admin).await;
    let written = refusals(&events);
    assert!(
        written.len() <= 2,
        "{attempts} refusals from one client wrote {} events: {written:?}",
        written.len()
    );

    app.post(
        "/v1/latchkey/clock",
        &admin,
        json!({ "advanceSeconds": 61 }),
    )
    .await;
    let mut summaries = Vec::new();
    for _ in 0..50 {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        let events = auth_events(&app, &admin).await;
        summaries = refusals(&events)
            .into_iter()
            .filter(|e| e["payload"]["aggregated"] == true)
            .cloned()
            .collect();
        if summaries.len() == written.len() {
            break;
        }
    }
    let counted: u64 = summaries
        .iter()
        .map(|e| e["payload"]["count"].as_u64().unwrap())
        .sum();
    assert_eq!(
        counted as usize + written.len(),
        attempts,
        "the window's summary counts every repeat: {summaries:?}"
    );
    assert_eq!(summaries[0]["payload"]["clientAddress"], "127.0.0.1");
    assert_eq!(summaries[0]["payload"]["windowSeconds"], 60);
}

#[actix_web::test]
async fn text_a_caller_supplies_is_cut_short_in_the_log() {
    let app = spawn_app_with(|_| {}).await;
    let admin = app.admin_token().await;
    let email = format!("{}@example.com", "a".repeat(60));
    let agent = "x".repeat(256);
    let body = json!({ "email": email, "password": "wrong password" });
    let (status, _) = awc::Client::new()
        .post(format!("{}/v1/auth", app.address))
        .insert_header(("User-Agent", agent.as_str()))
        .send_json(&body)
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let events = auth_events(&app, &admin).await;
    let failed = refusals(&events)[0];
    assert_eq!(
        failed["payload"]["email"].as_str().unwrap().chars().count(),
        64
    );
    assert_eq!(failed["payload"]["userAgent"].as_str().unwrap().len(), 64);
}

#[actix_web::test]
async fn past_the_cap_the_oldest_authentication_events_are_evicted_first() {
    let app = spawn_app_with(|c| c.audit.max_events = 40).await;
    let admin = app.admin_token().await;
    for _ in 0..60 {
        let (status, _) = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(status, StatusCode::OK);
    }
    let mut count = app.event_count();
    for _ in 0..50 {
        if count <= 40 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        count = app.event_count();
    }
    assert!(
        count <= 40,
        "the log holds {count} events, over its cap of 40"
    );
    let (_, kept) = app
        .events(&admin, "topic=account:created&includeAcknowledged=true")
        .await;
    assert_eq!(
        kept["data"].as_array().unwrap().len(),
        1,
        "records of changes are not evicted: {kept}"
    );
    let events = auth_events(&app, &admin).await;
    assert!(
        events.len() >= 20,
        "the newest logins are kept: {}",
        events.len()
    );
}
