use crate::helpers::*;
use actix_web::http::StatusCode;
use base64::Engine;
use serde_json::{json, Value};

#[actix_web::test]
async fn administrators_see_raw_keys_and_never_digests() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    let keys = app.keys(&admin, &dev).await;
    let raws: Vec<String> = keys
        .iter()
        .map(|k| k["rawKey"].as_str().unwrap().to_owned())
        .collect();
    assert!(raws.contains(&app.dev_secret) && raws.contains(&app.dev_publishable));
    for key in &keys {
        assert!(key["id"].as_str().unwrap().starts_with("us_key_"));
        assert_eq!(key["state"], "active");
        assert_eq!(key["environmentId"], dev.as_str());
    }
    let publishable = keys.iter().find(|k| k["type"] == "PUBLISHABLE").unwrap();
    assert_eq!(
        publishable["operations"],
        json!([{ "path": "/v1/spaces", "method": "POST" }])
    );
    let text = serde_json::to_string(&keys).unwrap();
    for raw in &raws {
        assert_no_digest_of(&text, raw);
    }
    for field in ["digest", "sealed", "password", "hash", "salt"] {
        assert!(
            !text.to_lowercase().contains(field),
            "a key listing mentions {field}: {text}"
        );
    }
}

/// Fails if `text` holds the SHA-256 of `secret` in hex, base64 or as a JSON byte array.
pub fn assert_no_digest_of(text: &str, secret: &str) {
    let digest = ring::digest::digest(&ring::digest::SHA256, secret.as_bytes());
    let bytes = digest.as_ref();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let array = serde_json::to_string(&bytes.to_vec()).unwrap();
    for form in [
        hex.as_str(),
        &b64[..40],
        &b64url[..40],
        &array[1..array.len() - 1],
    ] {
        assert!(
            !text.contains(form),
            "a response holds a digest of a credential"
        );
    }
}

#[actix_web::test]
async fn a_new_key_works_alongside_the_old_until_the_old_is_deleted() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    let body = app.create_api_key(&admin, &dev, "SECRET").await.assert_ok();
    let created = body["data"].as_array().unwrap();
    assert_eq!(created.len(), 1);
    let new_raw = created[0]["rawKey"].as_str().unwrap().to_owned();
    assert!(new_raw.starts_with("sk_"));
    assert_eq!(current_status(&app, &new_raw).await, StatusCode::OK);
    assert_eq!(current_status(&app, &app.dev_secret).await, StatusCode::OK);
    let old_id = key_id_of(&app, &admin, &dev, &app.dev_secret).await;
    let (status, body) = app.delete_api_key(&admin, &dev, &old_id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({ "data": { "success": true } }));
    let (status, body) = app.current_environment(&app.dev_secret).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["key"], "revoked");
    assert_eq!(current_status(&app, &new_raw).await, StatusCode::OK);
}

#[actix_web::test]
async fn a_key_can_be_deleted_by_its_raw_value() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    let (status, _) = app
        .delete(
            &format!(
                "/v1/auth/api-key?environmentId={dev}&key={}",
                app.dev_publishable
            ),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        current_status(&app, &app.dev_publishable).await,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = app
        .get(
            &format!("/v1/auth/publishable-key?environmentId={dev}"),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_key_is_only_deleted_through_its_own_environment() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    let production = app.environment_id(&admin, "production").await;
    let id = key_id_of(&app, &admin, &dev, &app.dev_secret).await;
    let (status, _) = app.delete_api_key(&admin, &production, &id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(current_status(&app, &app.dev_secret).await, StatusCode::OK);
}

#[actix_web::test]
async fn timed_rotation_keeps_the_old_key_for_its_grace_only() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    let old_id = key_id_of(&app, &admin, &dev, &app.dev_secret).await;
    let body = app
        .rotate_key(&admin, &old_id, json!({ "expiresInSeconds": 3600 }))
        .await
        .assert_ok();
    let new_raw = body["data"]["key"]["rawKey"].as_str().unwrap().to_owned();
    assert_eq!(body["data"]["previous"]["state"], "expiring");
    assert_eq!(
        body["data"]["previous"]["replacedBy"],
        body["data"]["key"]["id"]
    );
    let listed = app.keys(&admin, &dev).await;
    let old = listed.iter().find(|k| k["id"] == old_id.as_str()).unwrap();
    assert_eq!(old["state"], "expiring");
    assert!(old["expiresAt"].is_string());
    app.advance_clock(&admin, 3599).await;
    assert_eq!(current_status(&app, &app.dev_secret).await, StatusCode::OK);
    assert_eq!(current_status(&app, &new_raw).await, StatusCode::OK);
    app.advance_clock(&admin, 2).await;
    let (status, body) = app.current_environment(&app.dev_secret).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["key"], "rotated-grace-ended");
    assert_eq!(
        app.whoami(&app.dev_secret).await.1["data"]["reason"],
        "rotated-grace-ended"
    );
    assert_eq!(current_status(&app, &new_raw).await, StatusCode::OK);
    assert!(app
        .keys(&admin, &dev)
        .await
        .iter()
        .all(|k| k["id"] != old_id.as_str()));
}

#[actix_web::test]
async fn rotation_with_zero_grace_stops_the_old_key_at_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    let old_id = key_id_of(&app, &admin, &dev, &app.dev_publishable).await;
    let (status, body) = app
        .rotate_key(&admin, &old_id, json!({ "expiresInSeconds": 0 }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["key"]["type"], "PUBLISHABLE");
    assert_eq!(
        body["data"]["key"]["operations"],
        json!([{ "path": "/v1/spaces", "method": "POST" }])
    );
    assert_eq!(
        app.whoami(&app.dev_publishable).await.1["data"]["reason"],
        "rotated-grace-ended"
    );
    let (status, _) = app
        .rotate_key(&admin, &old_id, json!({ "expiresInSeconds": 0 }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[actix_web::test]
async fn rotation_grace_is_bounded() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    let id = key_id_of(&app, &admin, &dev, &app.dev_secret).await;
    for bad in [
        json!({ "expiresInSeconds": -1 }),
        json!({ "expiresInSeconds": 999_999_999 }),
    ] {
        let (status, body) = app.rotate_key(&admin, &id, bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["errors"][0]["key"], "expiresInSeconds");
    }
    let (status, body) = app.rotate_key(&admin, &id, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["key"], "expiresInSeconds");
}

#[actix_web::test]
async fn secret_keys_cannot_view_or_manage_keys() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    let id = key_id_of(&app, &admin, &dev, &app.dev_secret).await;
    let sk = app.dev_secret.clone();
    let cases = [
        (
            "GET",
            format!("/v1/auth/api-keys?environmentId={dev}"),
            None,
        ),
        (
            "POST",
            format!("/v1/auth/api-key?environmentId={dev}&type=SECRET"),
            None,
        ),
        (
            "DELETE",
            format!("/v1/auth/api-key?environmentId={dev}&key={id}"),
            None,
        ),
        (
            "POST",
            format!("/v1/latchkey/api-keys/{id}/rotate"),
            Some(json!({ "expiresInSeconds": 0 })),
        ),
    ];
    for (method, path, body) in cases {
        let (status, answer) = app.request(method, &path, Some(&sk), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
    }
    assert_eq!(current_status(&app, &sk).await, StatusCode::OK);
    let (status, body) = app
        .get(
            &format!("/v1/auth/publishable-key?environmentId={dev}"),
            &sk,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["rawKey"], app.dev_publishable.as_str());
}

#[actix_web::test]
async fn a_publishable_key_can_do_nothing_outside_its_operations() {
    let app = spawn_app().await;
    let pk = app.dev_publishable.clone();
    for (method, path) in [
        ("GET", "/v1/environments"),
        ("GET", "/v1/environments/current"),
    ] {
        let (status, body) = app.request(method, path, Some(&pk), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert!(body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("operations"));
    }
}

#[actix_web::test]
async fn malformed_credentials_are_refused_before_any_store_lookup() {
    let app = spawn_app().await;
    let good = app.dev_secret.clone();
    let mut typo = good.clone().into_bytes();
    typo[5] = if typo[5] == b'A' { b'B' } else { b'A' };
    let typo = String::from_utf8(typo).unwrap();
    let before = app.credential_lookups();
    for bad in [
        typo.as_str(),
        "sk_short",
        "xx_0000000000000000000000000000000000",
        "eyJhbGciOiJub25lIn0.e30.",
        &good[..good.len() - 1],
    ] {
        let (status, body) = app.current_environment(bad).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(body["errors"][0]["key"], "malformed", "{bad}");
    }
    assert_eq!(
        app.credential_lookups(),
        before,
        "a malformed credential reached the store"
    );
    assert_eq!(current_status(&app, &good).await, StatusCode::OK);
    assert_eq!(app.credential_lookups(), before + 1);
}

#[actix_web::test]
async fn secret_keys_work_in_the_configured_header() {
    let app = spawn_app_with(|c| c.server.api_key_header = "X-Latchkey-Key".into()).await;
    let (status, body) = app
        .raw(
            "GET",
            "/v1/environments/current",
            &[("x-latchkey-key", &app.dev_secret)],
            vec![],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .raw(
            "GET",
            "/v1/environments/current",
            &[("x-api-key", &app.dev_secret)],
            vec![],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["key"], "missing");
}

#[actix_web::test]
async fn keys_per_environment_are_limited() {
    let app = spawn_app_with(|c| c.limits.keys_per_environment = 3).await;
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    let path = format!("/v1/auth/api-key?environmentId={dev}&type=PUBLISHABLE");
    assert_eq!(app.post_empty(&path, &admin).await.0, StatusCode::OK);
    let (status, body) = app.post_empty(&path, &admin).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("limits.keys_per_environment"));
}

#[actix_web::test]
async fn key_requests_name_missing_and_bad_parameters() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    let cases: [(&str, String, &str); 5] = [
        ("GET", "/v1/auth/api-keys".into(), "environmentId"),
        (
            "POST",
            format!("/v1/auth/api-key?environmentId={dev}"),
            "type",
        ),
        (
            "POST",
            format!("/v1/auth/api-key?environmentId={dev}&type=ROOT"),
            "type",
        ),
        (
            "DELETE",
            format!("/v1/auth/api-key?environmentId={dev}"),
            "key",
        ),
        (
            "GET",
            format!("/v1/auth/api-keys?environmentId={dev}&environmentId={dev}"),
            "environmentId",
        ),
    ];
    for (method, path, key) in cases {
        let (status, body) = app.request(method, &path, Some(&admin), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}: {body}");
        assert_eq!(body["errors"][0]["key"], key, "{method} {path}: {body}");
    }
}

async fn key_id_of(app: &TestApp, admin: &str, env: &str, raw: &str) -> String {
    let keys: Vec<Value> = app.keys(admin, env).await;
    keys.iter()
        .find(|k| k["rawKey"] == raw)
        .expect("key listed")["id"]
        .as_str()
        .unwrap()
        .to_owned()
}
