//! The configurable text limits, with small values: each is accepted at the limit and refused
//! at limit + 1 with a 422 that names the setting. A second server in the same process keeps the
//! defaults, since the limits are values of each server, not of the process.

use crate::helpers::{spawn_app, spawn_app_with, TestApp};
use actix_web::http::StatusCode;
use serde_json::{json, Value};

async fn accepted(app: &TestApp, token: &str, path: &str, body: Value) {
    let (status, answer) = app.post(path, token, body).await;
    assert!(status.is_success(), "{path}: {status} {answer}");
}

async fn refused(app: &TestApp, token: &str, path: &str, body: Value, key: &str, setting: &str) {
    let (status, answer) = app.post(path, token, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {answer}");
    assert_eq!(answer["errors"][0]["key"], key, "{answer}");
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(setting), "{message} names {setting}");
}

#[actix_web::test]
async fn name_metadata_and_secret_lengths_are_configurable() {
    let app = spawn_app_with(|c| {
        c.limits.max_name_length = 12;
        c.limits.max_metadata_bytes = 64;
        c.limits.max_secret_length = 8;
    })
    .await;
    let admin = app.admin_token().await;
    let (_, envs) = app.get("/v1/environments", &admin).await;
    let env = envs["data"][0]["id"].as_str().unwrap().to_owned();
    let name = |n: usize| "n".repeat(n);

    // Names: environments, tokens, spaces.
    let environment = |n| json!({ "name": name(n), "isProd": false });
    accepted(&app, &admin, "/v1/environments", environment(12)).await;
    let setting = "limits.max_name_length";
    refused(
        &app,
        &admin,
        "/v1/environments",
        environment(13),
        "name",
        setting,
    )
    .await;
    let pat = |n| json!({ "name": name(n) });
    let pats = "/v1/auth/personal-access-tokens";
    accepted(&app, &admin, pats, pat(12)).await;
    refused(&app, &admin, pats, pat(13), "name", setting).await;
    let space = |n| json!({ "name": name(n), "environmentId": env });
    accepted(&app, &admin, "/v1/spaces", space(12)).await;
    refused(&app, &admin, "/v1/spaces", space(13), "name", setting).await;

    // Metadata: `{"k":"…"}` is 8 bytes of JSON around the text.
    let metadata =
        |n: usize| json!({ "name": "s", "environmentId": env, "metadata": { "k": "x".repeat(n) } });
    accepted(&app, &admin, "/v1/spaces", metadata(56)).await;
    let setting = "limits.max_metadata_bytes";
    refused(
        &app,
        &admin,
        "/v1/spaces",
        metadata(57),
        "metadata",
        setting,
    )
    .await;

    // Secret names and values.
    let secret = |n: usize, v: usize| json!({ "name": name(n), "value": "v".repeat(v), "environmentId": env });
    let setting = "limits.max_secret_length";
    accepted(&app, &admin, "/v1/secrets", secret(8, 8)).await;
    refused(&app, &admin, "/v1/secrets", secret(9, 1), "name", setting).await;
    refused(&app, &admin, "/v1/secrets", secret(1, 9), "value", setting).await;

    // Another server in this process has its own (default) limits.
    let other = spawn_app().await;
    let admin = other.admin_token().await;
    accepted(&other, &admin, "/v1/environments", environment(13)).await;
}
