//! `GET /v1/latchkey/overview`: the admin page's figures, scriptable.

use crate::helpers::*;
use actix_web::http::StatusCode;
use serde_json::{json, Value};

async fn overview(app: &TestApp, admin: &str, env: &str) -> Value {
    let (status, body) = app
        .get(&format!("/v1/latchkey/overview?environmentId={env}"), admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].clone()
}

fn total(series: &Value, window: &str, what: &str) -> u64 {
    series["totals"][window][what].as_u64().expect("a count")
}

/// The sum of `kind`'s counts of `what` over a window's buckets.
fn by_kind(series: &Value, window: &str, what: &str, kind: &str) -> u64 {
    let buckets = series[window].as_array().expect("buckets");
    buckets.iter().filter_map(|b| b[what][kind].as_u64()).sum()
}

#[actix_web::test]
async fn requests_are_counted_by_credential_kind_and_survive_a_restart() {
    let mut app = spawn_app().await;
    let admin = app.admin_token().await;
    let (env, secret, publishable) = app.create_environment(&admin, "staging").await;
    for _ in 0..3 {
        assert_eq!(current_status(&app, &secret).await, StatusCode::OK);
    }
    for _ in 0..2 {
        // Refused by the policy, but the key itself authenticated.
        assert_eq!(
            current_status(&app, &publishable).await,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        current_status(&app, "sk_not_a_key").await,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = app.request("GET", "/v1/environments", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let first = overview(&app, &admin, &env).await;
    assert_eq!(first["environmentId"], env.as_str());
    let staging = &first["environment"];
    assert_eq!(staging["last24Hours"].as_array().unwrap().len(), 24);
    assert_eq!(staging["last30Days"].as_array().unwrap().len(), 30);
    assert_eq!(total(staging, "last24Hours", "requests"), 5);
    assert_eq!(total(staging, "last30Days", "requests"), 5);
    assert_eq!(by_kind(staging, "last24Hours", "requests", "secret-key"), 3);
    assert_eq!(
        by_kind(staging, "last24Hours", "requests", "publishable-key"),
        2
    );
    let account = &first["account"];
    assert_eq!(total(account, "last24Hours", "failures"), 2);
    assert_eq!(by_kind(account, "last24Hours", "failures", "secret-key"), 1);
    assert_eq!(by_kind(account, "last24Hours", "failures", "none"), 1);
    assert!(by_kind(account, "last24Hours", "requests", "login-token") >= 1);
    assert_eq!(
        first["contents"],
        json!({ "apiKeys": 2, "spaces": 0, "guests": 0, "secrets": 0, "agents": 0, "guides": 0 })
    );
    let dev = app.environment_id(&admin, "development").await;
    let other = overview(&app, &admin, &dev).await;
    assert_eq!(total(&other["environment"], "last30Days", "requests"), 0);

    app.restart().await;
    let admin = app.admin_token().await;
    let after = overview(&app, &admin, &env).await;
    assert_eq!(after["environment"]["totals"], staging["totals"]);
    assert_eq!(total(&after["account"], "last30Days", "failures"), 2);

    app.advance_clock(&admin, 2 * 86_400).await;
    let admin = app.admin_token().await;
    let later = overview(&app, &admin, &env).await;
    assert_eq!(total(&later["environment"], "last24Hours", "requests"), 0);
    assert_eq!(total(&later["environment"], "last30Days", "requests"), 5);
}

#[actix_web::test]
async fn credentials_expiring_or_unused_recent_events_and_the_last_backup_are_listed() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    let start = overview(&app, &admin, &dev).await;
    assert_eq!(start["lastBackupAt"], Value::Null);
    assert_eq!(start["credentials"]["expiringSoon"], json!([]));
    assert!(!start["credentials"]["notes"].as_array().unwrap().is_empty());

    let old = app.keys(&admin, &dev).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = app
        .post(
            &format!("/v1/latchkey/api-keys/{old}/rotate"),
            &admin,
            json!({ "expiresInSeconds": 3600 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_idle, idle_id) = app.create_pat(&admin, "idle").await;
    let (used, used_id) = app.create_pat(&admin, "used").await;
    assert_eq!(app.get("/v1/environments", &used).await.0, StatusCode::OK);
    let backup = awc::Client::new()
        .get(format!("{}/v1/latchkey/backup", app.address))
        .insert_header(("Authorization", format!("Bearer {admin}")))
        .send()
        .await
        .expect("backup sent");
    assert_eq!(backup.status(), StatusCode::OK);

    let now = overview(&app, &admin, &dev).await;
    let ids = |list: &Value| -> Vec<String> {
        let items = list.as_array().expect("a list");
        items
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let credentials = &now["credentials"];
    assert_eq!(ids(&credentials["expiringSoon"]), [old]);
    assert!(credentials["expiringSoon"][0]["expiresAt"].is_string());
    assert!(ids(&credentials["neverUsed"]).contains(&idle_id));
    assert!(!ids(&credentials["neverUsed"]).contains(&used_id));
    assert_eq!(credentials["unusedFor30Days"], json!([]));
    assert!(now["lastBackupAt"].is_string());
    let topics: Vec<&str> = now["recentEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["topic"].as_str().unwrap())
        .collect();
    assert!(topics.contains(&"api-key:rotated"), "{topics:?}");
    assert!(topics.len() <= 10);

    app.advance_clock(&admin, 31 * 86_400).await;
    let admin = app.admin_token().await;
    let month = overview(&app, &admin, &dev).await;
    assert!(ids(&month["credentials"]["unusedFor30Days"]).contains(&used_id));
    assert!(ids(&month["credentials"]["neverUsed"]).contains(&idle_id));
    assert_eq!(month["credentials"]["expiringSoon"], json!([]));
}

#[actix_web::test]
async fn the_overview_needs_an_environment_an_administrator_may_see() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (status, body) = app.get("/v1/latchkey/overview", &admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["key"], "environmentId");
    let bad = app
        .get("/v1/latchkey/overview?environmentId=nope", &admin)
        .await;
    assert_eq!(bad.0, StatusCode::BAD_REQUEST, "{}", bad.1);
    let missing = "/v1/latchkey/overview?environmentId=us_env_doesnotexist";
    assert_eq!(app.get(missing, &admin).await.0, StatusCode::NOT_FOUND);
    let dev = app.environment_id(&admin, "development").await;
    let path = format!("/v1/latchkey/overview?environmentId={dev}");
    assert_eq!(
        app.get(&path, &app.dev_secret).await.0,
        StatusCode::FORBIDDEN
    );
}
