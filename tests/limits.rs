//! The configurable text limits, through the real binary started with small values: each is
//! accepted at the limit and refused at limit + 1 with a 422 that names the setting.

mod common;

use common::{binary, command, start_with, Client};
use serde_json::{json, Value};

async fn refused(client: &Client, token: &str, path: &str, body: Value, key: &str, setting: &str) {
    let (status, answer) = client
        .call("POST", path, Some(token), Some(body))
        .await
        .expect("request");
    assert_eq!(status, 422, "{path}: {answer}");
    assert_eq!(answer["errors"][0]["key"], key, "{answer}");
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(setting), "{message} names {setting}");
}

#[actix_web::test]
async fn name_metadata_and_secret_lengths_are_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command(binary(), dir.path());
    cmd.env("LATCHKEY_LIMITS__MAX_NAME_LENGTH", "12")
        .env("LATCHKEY_LIMITS__MAX_METADATA_BYTES", "64")
        .env("LATCHKEY_LIMITS__MAX_SECRET_LENGTH", "8");
    let server = start_with(cmd);
    let client = Client::new(&server.url);
    let admin = client.admin_token().await;
    let envs = client
        .ok("GET", "/v1/environments", Some(&admin), None)
        .await;
    let env = envs["data"][0]["id"].as_str().unwrap().to_owned();
    let name = |n: usize| "n".repeat(n);

    // Names: environments, tokens, spaces.
    let environment = |n| json!({ "name": name(n), "isProd": false });
    client
        .ok(
            "POST",
            "/v1/environments",
            Some(&admin),
            Some(environment(12)),
        )
        .await;
    refused(
        &client,
        &admin,
        "/v1/environments",
        environment(13),
        "name",
        "limits.max_name_length",
    )
    .await;
    let pat = |n| json!({ "name": name(n) });
    client
        .ok(
            "POST",
            "/v1/auth/personal-access-tokens",
            Some(&admin),
            Some(pat(12)),
        )
        .await;
    refused(
        &client,
        &admin,
        "/v1/auth/personal-access-tokens",
        pat(13),
        "name",
        "limits.max_name_length",
    )
    .await;
    let space = |n| json!({ "name": name(n), "environmentId": env });
    client
        .ok("POST", "/v1/spaces", Some(&admin), Some(space(12)))
        .await;
    refused(
        &client,
        &admin,
        "/v1/spaces",
        space(13),
        "name",
        "limits.max_name_length",
    )
    .await;

    // Metadata: `{"k":"…"}` is 8 bytes of JSON around the text.
    let metadata =
        |n: usize| json!({ "name": "s", "environmentId": env, "metadata": { "k": "x".repeat(n) } });
    client
        .ok("POST", "/v1/spaces", Some(&admin), Some(metadata(56)))
        .await;
    refused(
        &client,
        &admin,
        "/v1/spaces",
        metadata(57),
        "metadata",
        "limits.max_metadata_bytes",
    )
    .await;

    // Secret names and values.
    let secret = |n: usize, v: usize| json!({ "name": name(n), "value": "v".repeat(v), "environmentId": env });
    client
        .ok("POST", "/v1/secrets", Some(&admin), Some(secret(8, 8)))
        .await;
    refused(
        &client,
        &admin,
        "/v1/secrets",
        secret(9, 1),
        "name",
        "limits.max_secret_length",
    )
    .await;
    refused(
        &client,
        &admin,
        "/v1/secrets",
        secret(1, 9),
        "value",
        "limits.max_secret_length",
    )
    .await;
}
