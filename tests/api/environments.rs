use crate::helpers::*;
use actix_web::http::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn first_start_creates_development_and_production_each_with_two_keys() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (status, body) = app.environments(&admin).await;
    assert_eq!(status, StatusCode::OK);
    let envs = body["data"].as_array().unwrap();
    assert_eq!(envs.len(), 2);
    assert_eq!(envs[0]["name"], "development");
    assert_eq!(envs[0]["isProd"], false);
    assert_eq!(envs[1]["name"], "production");
    assert_eq!(envs[1]["isProd"], true);
    assert_eq!(
        body["pagination"],
        json!({ "currentPage": 1, "pageCount": 1, "totalCount": 2 })
    );
    for env in envs {
        let keys = app.keys(&admin, env["id"].as_str().unwrap()).await;
        let mut types: Vec<&str> = keys.iter().map(|k| k["type"].as_str().unwrap()).collect();
        types.sort_unstable();
        assert_eq!(types, ["PUBLISHABLE", "SECRET"]);
    }
    assert!(app.dev_secret.starts_with("sk_") && app.dev_publishable.starts_with("pk_"));
}

#[actix_web::test]
async fn created_environment_has_its_own_working_keys() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, secret, publishable) = app.create_environment(&admin, "staging").await;
    let (status, body) = app.current_environment(&secret).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["id"], id.as_str());
    assert_eq!(body["data"]["name"], "staging");
    assert_eq!(
        body["data"]["guestAuthentication"],
        json!(["magic_link", "shared_link"])
    );
    assert!(publishable.starts_with("pk_"));
}

#[actix_web::test]
async fn environments_page_with_page_size_and_number() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_environment(&admin, "third").await;
    let (status, body) = app
        .get("/v1/environments?pageSize=2&pageNumber=2", &admin)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(body["data"][0]["name"], "third");
    assert_eq!(
        body["pagination"],
        json!({ "currentPage": 2, "pageCount": 2, "totalCount": 3 })
    );
    let (status, body) = app.get("/v1/environments?pageSize=0", &admin).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["key"], "pageSize");
}

#[actix_web::test]
async fn update_returns_a_bare_environment_and_persists() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, _, _) = app.create_environment(&admin, "before").await;
    let (status, body) = app
        .patch(&format!("/v1/environments/{id}"), &admin, json!({ "name": "after", "guestAuthentication": ["magic_link"], "metadata": {"team": "x"} }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.get("data").is_none(),
        "PATCH answers a bare Environment: {body}"
    );
    assert_eq!(body["name"], "after");
    let (_, fetched) = app.get(&format!("/v1/environments/{id}"), &admin).await;
    assert_eq!(fetched["data"]["name"], "after");
    assert_eq!(
        fetched["data"]["guestAuthentication"],
        json!(["magic_link"])
    );
    assert_eq!(fetched["data"]["metadata"], json!({"team": "x"}));
}

#[actix_web::test]
async fn deleting_an_environment_kills_its_keys_on_the_next_request() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, secret, publishable) = app.create_environment(&admin, "doomed").await;
    assert_eq!(current_status(&app, &secret).await, StatusCode::OK);
    let (status, body) = app.delete(&format!("/v1/environments/{id}"), &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({ "data": { "success": true } }));
    assert_eq!(
        current_status(&app, &secret).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.whoami(&publishable).await.1["data"]["reason"],
        "revoked"
    );
    assert_eq!(
        app.get(&format!("/v1/environments/{id}"), &admin).await.0,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn a_secret_key_sees_only_its_own_environment() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let production = app.environment_id(&admin, "production").await;
    let (status, body) = app.environments(&app.dev_secret).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(body["data"][0]["name"], "development");
    let (status, other) = app
        .get(&format!("/v1/environments/{production}"), &app.dev_secret)
        .await;
    let (_, missing) = app
        .get("/v1/environments/us_env_doesnotexist", &app.dev_secret)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(other["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("not found"));
    assert_eq!(
        missing["errors"][0]["message"]
            .as_str()
            .unwrap()
            .replace("us_env_doesnotexist", "X"),
        other["errors"][0]["message"]
            .as_str()
            .unwrap()
            .replace(&production, "X"),
        "another environment's resource is indistinguishable from a missing one"
    );
    let (status, _) = app
        .get(
            &format!("/v1/auth/api-keys?environmentId={production}"),
            &app.dev_secret,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .delete(&format!("/v1/environments/{production}"), &app.dev_secret)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn environment_keys_cannot_create_or_delete_environments() {
    let app = spawn_app().await;
    let (status, body) = app
        .post(
            "/v1/environments",
            &app.dev_secret,
            json!({ "name": "x", "isProd": false }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Administrator"));
    let (status, _) = app
        .delete("/v1/environments/current", &app.dev_secret)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            "/v1/environments",
            &app.dev_publishable,
            json!({ "name": "x", "isProd": false }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn current_needs_an_environment_bound_caller() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (status, body) = app.current_environment(&admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["key"], "environmentId");
}

#[actix_web::test]
async fn invalid_environment_input_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let cases = [
        (json!({ "isProd": false }), "name", StatusCode::BAD_REQUEST),
        (json!({ "name": "x" }), "isProd", StatusCode::BAD_REQUEST),
        (
            json!({ "name": 7, "isProd": false }),
            "name",
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({ "name": "x", "isProd": "yes" }),
            "isProd",
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({ "name": "  ", "isProd": false }),
            "name",
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({ "name": "x".repeat(257), "isProd": false }),
            "name",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "name": "x", "isProd": false, "guestAuthentication": ["password"] }),
            "guestAuthentication",
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({ "name": "x", "isProd": false, "metadata": [1] }),
            "metadata",
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (body, key, expected) in cases {
        let (status, answer) = app.post("/v1/environments", &admin, body.clone()).await;
        assert_eq!(status, expected, "{body} → {answer}");
        assert_eq!(answer["errors"][0]["key"], key, "{body} → {answer}");
    }
    let (status, body) = app.get("/v1/environments/not-an-id", &admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["key"], "environmentId");
}

#[actix_web::test]
async fn environment_count_is_limited() {
    let app = spawn_app_with(|c| c.limits.environments = 3).await;
    let admin = app.admin_token().await;
    app.create_environment(&admin, "third").await;
    let (status, body) = app
        .post(
            "/v1/environments",
            &admin,
            json!({ "name": "fourth", "isProd": false }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("limits.environments"));
}
