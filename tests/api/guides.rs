use crate::helpers::*;
use actix_web::http::StatusCode;
use serde_json::{json, Value};

fn guide(slug: &str) -> Value {
    json!({
        "title": "Importing your data", "description": "Getting started guide", "slug": slug,
        "blocks": [{ "type": "markdown", "content": "# Welcome" }],
        "metadata": { "category": "onboarding" },
    })
}

async fn create(app: &TestApp, token: &str, env: &str, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/v1/environments/{env}/guides"), token, body)
        .await
}

#[actix_web::test]
async fn guides_are_created_listed_read_changed_versioned_and_deleted() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let sk = app.dev_secret.clone();
    let (status, created) = create(&app, &sk, &env, guide("getting-started")).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let g = &created["data"];
    let id = g["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("us_gu_"), "{g}");
    assert_eq!(g["slug"], "getting-started");
    assert_eq!(g["metadata"]["category"], "onboarding");
    assert_eq!(g["blocks"][0]["content"], "# Welcome");
    assert_eq!(g["versions"][0]["version"], 1);
    assert!(g["createdAt"].as_str().unwrap().ends_with('Z'));

    let base = format!("/v1/environments/{env}/guides");
    let (_, list) = app.get(&base, &admin).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    let (status, one) = app.get(&format!("{base}/{id}"), &admin).await;
    assert_eq!(
        (status, &one["data"]["title"]),
        (StatusCode::OK, &json!("Importing your data"))
    );

    let new_blocks = json!({ "blocks": [{ "type": "markdown", "content": "# Welcome back" }] });
    let (status, changed) = app.patch(&format!("{base}/{id}"), &sk, new_blocks).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["data"]["versions"].as_array().unwrap().len(), 2);
    let (_, renamed) = app
        .patch(
            &format!("{base}/{id}"),
            &admin,
            json!({ "title": "Renamed" }),
        )
        .await;
    assert_eq!(renamed["data"]["title"], "Renamed");
    assert_eq!(
        renamed["data"]["versions"].as_array().unwrap().len(),
        2,
        "a change that leaves the blocks alone makes no version"
    );
    let (status, v1) = app.get(&format!("{base}/{id}/versions/1"), &sk).await;
    assert_eq!(status, StatusCode::OK, "{v1}");
    assert!(v1["data"]["content"]
        .as_str()
        .unwrap()
        .contains("# Welcome\""));
    let (_, v2) = app.get(&format!("{base}/{id}/versions/2"), &sk).await;
    assert!(v2["data"]["content"]
        .as_str()
        .unwrap()
        .contains("Welcome back"));
    assert_eq!(
        app.get(&format!("{base}/{id}/versions/9"), &sk).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("{base}/{id}/versions/x"), &sk).await.0,
        StatusCode::BAD_REQUEST
    );

    let (status, gone) = app.delete(&format!("{base}/{id}"), &sk).await;
    assert_eq!(
        (status, &gone["data"]["success"]),
        (StatusCode::OK, &json!(true))
    );
    assert_eq!(
        app.get(&format!("{base}/{id}"), &sk).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("{base}/{id}"), &sk).await.0,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn guides_are_bounded_in_count_size_versions_and_checked_field_by_field() {
    let app = spawn_app_with(|c| {
        c.limits.guides_per_environment = 2;
        c.limits.max_guide_bytes = 2048;
        c.limits.guide_versions = 2;
    })
    .await;
    let sk = app.dev_secret.clone();
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let (_, first) = create(&app, &sk, &env, guide("one")).await;
    let id = first["data"]["id"].as_str().unwrap().to_owned();
    let (status, dup) = create(&app, &sk, &env, guide("one")).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a slug is unique in its environment: {dup}"
    );
    assert_eq!(
        create(&app, &sk, &env, guide("two")).await.0,
        StatusCode::OK
    );
    let (status, full) = create(&app, &sk, &env, guide("three")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{full}");
    assert!(full["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("guides_per_environment"));

    let path = format!("/v1/environments/{env}/guides/{id}");
    let big = json!({ "blocks": [{ "content": "x".repeat(4096) }] });
    let (status, too_big) = app.patch(&path, &sk, big).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{too_big}");
    assert!(too_big["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("max_guide_bytes"));
    for n in 2..=4 {
        let (status, _) = app
            .patch(&path, &sk, json!({ "blocks": [{ "n": n }] }))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (_, now) = app.get(&path, &sk).await;
    let versions: Vec<u64> = now["data"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect();
    assert_eq!(
        versions,
        [3, 4],
        "only the latest limits.guide_versions are kept"
    );
    assert_eq!(
        app.get(&format!("{path}/versions/1"), &sk).await.0,
        StatusCode::NOT_FOUND
    );

    let base = format!("/v1/environments/{env}/guides");
    let (_, two) = app.get(&base, &sk).await;
    let other = two["data"][1]["id"].as_str().unwrap().to_owned();
    let (status, taken) = app
        .patch(&format!("{base}/{other}"), &sk, json!({ "slug": "one" }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{taken}");
    for (body, status) in [
        (
            json!({ "slug": "bad slug" }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({ "title": "" }), StatusCode::BAD_REQUEST),
        (
            json!({ "environmentId": "us_env_other" }),
            StatusCode::BAD_REQUEST,
        ),
        (json!({ "blocks": "not a list" }), StatusCode::BAD_REQUEST),
    ] {
        let (got, answer) = app.patch(&path, &sk, body.clone()).await;
        assert_eq!(got, status, "{body} → {answer}");
    }
    let missing = json!({ "slug": "s", "description": "d", "blocks": [] });
    let (status, answer) = create(&app, &admin, &env, missing).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["errors"][0]["key"], "title");
}

#[actix_web::test]
async fn members_read_guides_only_administrators_and_the_secret_key_write_them() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let (_, member) = app
        .onboard(&admin, "member@example.com", "us_rol_member")
        .await;
    let (other_env, other_sk, _) = app.create_environment(&admin, "other").await;
    let (status, _) = create(&app, &admin, &env, guide("g")).await;
    assert_eq!(status, StatusCode::OK);
    let base = format!("/v1/environments/{env}/guides");
    assert_eq!(app.get(&base, &member).await.0, StatusCode::OK);
    let (status, refused) = create(&app, &member, &env, guide("m")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (status, hidden) = app.get(&base, &other_sk).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another environment's key: {hidden}"
    );
    assert_eq!(
        create(&app, &other_sk, &env, guide("x")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&base, &app.dev_publishable).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        create(&app, &other_sk, &other_env, guide("own")).await.0,
        StatusCode::OK
    );
    let (status, _) = app.request("GET", &base, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn guide_changes_are_audited_and_leave_with_their_environment() {
    let mut app = spawn_app().await;
    let admin = app.admin_token().await;
    let (env, sk, _) = app.create_environment(&admin, "guided").await;
    let (_, created) = create(&app, &sk, &env, guide("g")).await;
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/environments/{env}/guides/{id}");
    app.patch(&path, &sk, json!({ "blocks": [] })).await;
    app.delete(&path, &sk).await;
    let (_, events) = app
        .events(
            &admin,
            &format!("environmentId={env}&domain=guide&pageSize=10"),
        )
        .await;
    let topics: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["topic"].as_str().unwrap())
        .collect();
    assert_eq!(topics, ["guide:deleted", "guide:updated", "guide:created"]);
    assert_eq!(events["data"][2]["payload"]["guideId"], id.as_str());

    create(&app, &sk, &env, guide("stays")).await;
    let (status, _) = app.delete(&format!("/v1/environments/{env}"), &admin).await;
    assert_eq!(status, StatusCode::OK);
    app.restart().await;
    let admin = app.admin_token().await;
    let (status, _) = app
        .get(&format!("/v1/environments/{env}/guides"), &admin)
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the startup check passed and the guides left"
    );
}
