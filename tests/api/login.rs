use crate::helpers::*;
use actix_web::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde_json::{json, Value};

fn decode_part(part: &str) -> Value {
    serde_json::from_slice(&B64.decode(part).unwrap()).unwrap()
}

#[actix_web::test]
async fn administrator_logs_in_and_gets_a_24_hour_access_token() {
    let app = spawn_app().await;
    let (status, body) = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.get("data").is_none(),
        "AccessToken has no envelope: {body}"
    );
    assert_eq!(body["expiresIn"], "86400");
    assert_eq!(body["email"], ADMIN_EMAIL);
    assert!(body["userId"].as_str().unwrap().starts_with("us_usr_"));
    assert!(body["accountId"].as_str().unwrap().starts_with("us_acc_"));
    let token = body["accessToken"].as_str().unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header = decode_part(parts[0]);
    let claims = decode_part(parts[1]);
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        86_400
    );
    let expires = time::OffsetDateTime::parse(
        body["expires"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(expires.unix_timestamp(), claims["exp"].as_i64().unwrap());
    let (status, _) = app.environments(token).await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn login_without_a_type_field_works() {
    let app = spawn_app().await;
    let (status, body) = app
        .request(
            "POST",
            "/v1/auth",
            None,
            Some(json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["accessToken"].as_str().unwrap().starts_with("eyJ"));
}

#[actix_web::test]
async fn wrong_password_and_unknown_email_give_the_same_401() {
    let app = spawn_app().await;
    let (s1, wrong_password) = app.login(ADMIN_EMAIL, "not the password").await;
    let (s2, unknown_email) = app.login("nobody@example.com", ADMIN_PASSWORD).await;
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!(s2, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password, unknown_email);
    assert_eq!(wrong_password["errors"][0]["key"], "invalid-credentials");
}

#[actix_web::test]
async fn jwks_publishes_the_key_that_verifies_login_tokens() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let (status, jwks) = app
        .request("GET", "/.well-known/jwks.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(decode_part(parts[0])["kid"], key["kid"]);
    let public = B64.decode(key["x"].as_str().unwrap()).unwrap();
    let signature = B64.decode(parts[2]).unwrap();
    let message = format!("{}.{}", parts[0], parts[1]);
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &public)
        .verify(message.as_bytes(), &signature)
        .expect("the published key verifies the token offline");
}

#[actix_web::test]
async fn forged_and_alg_none_tokens_are_refused() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims = decode_part(parts[1]);
    claims["role"] = json!("Administrator");
    claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 1_000_000);
    let forged_payload = B64.encode(claims.to_string());
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    let none = format!(
        "{}.{}.",
        B64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        forged_payload
    );
    let hs256 = format!(
        "{}.{}.{}",
        B64.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        forged_payload,
        parts[2]
    );
    for bad in [forged, none, hs256, format!("{}.{}", parts[0], parts[1])] {
        let (status, body) = app.environments(&bad).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(body["errors"][0]["key"], "malformed");
    }
}

#[actix_web::test]
async fn a_23_hour_old_token_works_and_a_25_hour_old_one_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let old = app.admin_token().await;
    app.advance_clock(&admin, 23 * 3600).await;
    assert_eq!(app.environments(&old).await.0, StatusCode::OK);
    let fresh = app.admin_token().await;
    app.advance_clock(&fresh, 2 * 3600).await;
    let (status, body) = app.environments(&old).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["key"], "expired");
    let (_, who) = app.whoami(&old).await;
    assert_eq!(who["data"]["valid"], false);
    assert_eq!(who["data"]["reason"], "expired");
}

#[actix_web::test]
async fn clock_control_is_off_unless_configured() {
    let app = spawn_app_with(|c| c.dev.clock_control = false).await;
    let admin = app.admin_token().await;
    let (status, body) = app
        .post(
            "/v1/latchkey/clock",
            &admin,
            json!({ "advanceSeconds": 10 }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("dev.clock_control"));
}

#[actix_web::test]
async fn environment_keys_cannot_move_the_clock() {
    let app = spawn_app().await;
    let (status, _) = app
        .post(
            "/v1/latchkey/clock",
            &app.dev_secret,
            json!({ "advanceSeconds": 10 }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
