use crate::helpers::*;
use actix_web::http::StatusCode;
use serde_json::json;

/// Creates a client-credentials pair for the Administrator: (clientId, secret).
async fn client_pair(app: &TestApp, admin: &str) -> (String, String) {
    let id = app.admin_id(admin).await;
    let (status, body) = app
        .post_empty(&format!("/v1/users/{id}/api-token?tenantId=acme"), admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (
        body["data"]["clientId"].as_str().unwrap().to_owned(),
        body["data"]["secret"].as_str().unwrap().to_owned(),
    )
}

async fn exchange(app: &TestApp, body: serde_json::Value) -> (StatusCode, serde_json::Value) {
    app.request("POST", "/v1/auth", None, Some(body)).await
}

#[actix_web::test]
async fn client_credentials_give_a_24_hour_token_acting_as_their_user() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (client_id, secret) = client_pair(&app, &admin).await;
    assert!(client_id.starts_with("us_cli_") && secret.starts_with("cs_"));
    for body in [
        json!({ "type": "apiCredentials", "clientId": client_id, "secret": secret }),
        json!({ "clientId": client_id, "secret": secret }),
    ] {
        let (status, token) = exchange(&app, body).await;
        assert_eq!(status, StatusCode::OK, "{token}");
        assert_eq!(token["expiresIn"], "86400");
        assert_eq!(token["email"], ADMIN_EMAIL);
        let access = token["accessToken"].as_str().unwrap();
        let (_, who) = app.whoami(access).await;
        assert_eq!(who["data"]["via"], "client-credentials-token");
        assert_eq!(who["data"]["credentialId"], client_id.as_str());
        assert_eq!(app.users(access).await.0, StatusCode::OK);
    }
    let admin_id = app.admin_id(&admin).await;
    let (_, list) = app
        .get(
            &format!("/v1/users/{admin_id}/api-token?tenantId=acme"),
            &admin,
        )
        .await;
    assert_eq!(list["data"][0]["clientId"], client_id.as_str());
    assert!(
        list["data"][0].get("secret").is_none(),
        "the secret is shown only once"
    );
    assert!(!list.to_string().contains(&secret));
    let (_, other_tenant) = app
        .get(
            &format!("/v1/users/{admin_id}/api-token?tenantId=other"),
            &admin,
        )
        .await;
    assert_eq!(other_tenant["data"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn a_wrong_secret_and_an_unknown_client_get_the_same_401() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (client_id, _) = client_pair(&app, &admin).await;
    let (s1, wrong) = exchange(
        &app,
        json!({ "clientId": client_id, "secret": "cs_not_the_secret" }),
    )
    .await;
    let (s2, unknown) = exchange(
        &app,
        json!({ "clientId": "us_cli_nobody0000000", "secret": "cs_x" }),
    )
    .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(wrong, unknown);
}

#[actix_web::test]
async fn deleting_client_credentials_kills_the_tokens_minted_from_them() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let admin_id = app.admin_id(&admin).await;
    let (client_id, secret) = client_pair(&app, &admin).await;
    let (_, token) = exchange(&app, json!({ "clientId": client_id, "secret": secret })).await;
    let access = token["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(app.environments(&access).await.0, StatusCode::OK);
    let (status, _) = app
        .delete(
            &format!("/v1/users/{admin_id}/api-token/{client_id}"),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.environments(&access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["key"], "revoked");
    let (status, _) = exchange(&app, json!({ "clientId": client_id, "secret": secret })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app
        .request("POST", "/v1/auth/refresh-token", None, Some(json!(access)))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a revoked parent refuses refresh"
    );
    assert_eq!(body["errors"][0]["key"], "revoked");
}

#[actix_web::test]
async fn members_manage_only_their_own_client_credentials() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let admin_id = app.admin_id(&admin).await;
    let (member_id, member) = app
        .onboard(&admin, "bot@example.com", "us_rol_member")
        .await;
    let (status, _) = app
        .post_empty(
            &format!("/v1/users/{member_id}/api-token?tenantId=t"),
            &member,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .post_empty(
            &format!("/v1/users/{admin_id}/api-token?tenantId=t"),
            &member,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app
        .post_empty(&format!("/v1/users/{member_id}/api-token"), &member)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["key"], "tenantId");
}

#[actix_web::test]
async fn a_publishable_key_token_keeps_the_keys_limits_and_dies_with_it() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (status, body) = exchange(&app, json!({ "publishableKey": app.dev_publishable })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["expiresIn"], "86400");
    assert!(body["environmentId"]
        .as_str()
        .unwrap()
        .starts_with("us_env_"));
    let token = body["accessToken"].as_str().unwrap().to_owned();
    let (_, who) = app.whoami(&token).await;
    assert_eq!(who["data"]["via"], "publishable-key-token");
    assert_eq!(who["data"]["keyType"], "PUBLISHABLE");
    assert_eq!(
        who["data"]["operations"],
        json!([{ "path": "/v1/spaces", "method": "POST" }])
    );
    assert_eq!(app.environments(&token).await.0, StatusCode::FORBIDDEN);
    let (status, _) = exchange(&app, json!({ "publishableKey": app.dev_secret })).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "secret keys are not exchanged"
    );
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
    let (status, body) = app.whoami(&token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["reason"], "revoked");
    assert_eq!(
        app.environments(&token).await.1["errors"][0]["key"],
        "revoked"
    );
}

#[actix_web::test]
async fn a_key_token_stops_when_its_keys_rotation_grace_ends() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    let (_, body) = exchange(&app, json!({ "publishableKey": app.dev_publishable })).await;
    let token = body["accessToken"].as_str().unwrap().to_owned();
    let key_id = app
        .keys(&admin, &dev)
        .await
        .into_iter()
        .find(|k| k["type"] == "PUBLISHABLE")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.rotate_key(&admin, &key_id, json!({ "expiresInSeconds": 60 }))
        .await;
    assert_eq!(app.whoami(&token).await.1["data"]["valid"], true);
    app.advance_clock(&admin, 61).await;
    assert_eq!(
        app.whoami(&token).await.1["data"]["reason"],
        "rotated-grace-ended"
    );
}

#[actix_web::test]
async fn refresh_exchanges_a_valid_token_for_a_fresh_one() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.advance_clock(&admin, 3600).await;
    let (status, body) = app
        .request("POST", "/v1/auth/refresh-token", None, Some(json!(admin)))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("data").is_none());
    let fresh = body["accessToken"].as_str().unwrap().to_owned();
    assert_ne!(fresh, admin);
    assert_eq!(body["email"], ADMIN_EMAIL);
    app.advance_clock(&fresh, 23 * 3600 + 60).await;
    assert_eq!(
        app.environments(&admin).await.1["errors"][0]["key"],
        "expired"
    );
    assert_eq!(
        app.environments(&fresh).await.0,
        StatusCode::OK,
        "the refreshed token lives 24 h from refresh"
    );
    let (status, body) = app
        .request("POST", "/v1/auth/refresh-token", None, Some(json!(admin)))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "an expired token is not a refresh credential"
    );
    assert_eq!(body["errors"][0]["key"], "expired");
    let (status, body) = app
        .request(
            "POST",
            "/v1/auth/refresh-token",
            None,
            Some(json!("rt_abc")),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["key"], "malformed");
    let (status, body) = app
        .request(
            "POST",
            "/v1/auth/refresh-token",
            None,
            Some(json!({ "token": fresh })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
