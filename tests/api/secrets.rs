use crate::helpers::*;
use actix_web::http::StatusCode;
use serde_json::{json, Value};

fn named<'a>(list: &'a Value, name: &str) -> Option<&'a Value> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
}

#[actix_web::test]
async fn space_secrets_override_environment_secrets_of_the_same_name() {
    let app = spawn_app().await;
    let sk = app.dev_secret.clone();
    let space = app.create_space(&sk, "with secrets").await.id();
    for (name, value, space_id) in [
        ("API_TOKEN", "env-token", None),
        ("WEBHOOK_URL", "https://env", None),
        ("API_TOKEN", "space-token", Some(&space)),
    ] {
        let mut body = json!({ "name": name, "value": value });
        if let Some(s) = space_id {
            body["spaceId"] = json!(s);
        }
        let answer = app.write_secret(&sk, body).await.assert_ok();
        assert_eq!(
            answer["data"].as_array().unwrap().len(),
            1,
            "upsert answers a list"
        );
    }
    let (_, env_list) = app.secrets(&sk).await;
    assert_eq!(named(&env_list, "API_TOKEN").unwrap()["value"], "env-token");
    assert_eq!(env_list["data"].as_array().unwrap().len(), 2);
    let (_, space_list) = app.get(&format!("/v1/secrets?spaceId={space}"), &sk).await;
    assert_eq!(
        named(&space_list, "API_TOKEN").unwrap()["value"],
        "space-token"
    );
    assert_eq!(
        named(&space_list, "API_TOKEN").unwrap()["spaceId"],
        space.as_str()
    );
    assert_eq!(
        named(&space_list, "WEBHOOK_URL").unwrap()["value"],
        "https://env",
        "inherited from the environment"
    );
}

#[actix_web::test]
async fn an_upsert_changes_only_the_value_and_keeps_the_id() {
    let app = spawn_app().await;
    let sk = app.dev_secret.clone();
    let (_, first) = app
        .write_secret(
            &sk,
            json!({ "name": "KEY", "value": "one", "actorId": "us_ag_1" }),
        )
        .await;
    let (_, second) = app
        .write_secret(
            &sk,
            json!({ "name": "KEY", "value": "two", "actorId": "us_ag_1" }),
        )
        .await;
    assert_eq!(first["data"][0]["id"], second["data"][0]["id"]);
    assert_eq!(second["data"][0]["value"], "two");
    assert_eq!(second["data"][0]["actorId"], "us_ag_1");
    let (_, list) = app.get("/v1/secrets?actorId=us_ag_1", &sk).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["data"][0]["value"], "two");
}

/// `{name: value}` of a secrets listing.
fn values(list: &Value) -> Vec<(String, String)> {
    let mut out: Vec<_> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

#[actix_web::test]
async fn an_actors_secret_wins_and_others_fall_back_to_the_space_then_the_environment() {
    let app = spawn_app().await;
    let sk = app.dev_secret.clone();
    let space = app.create_space(&sk, "s").await.id();
    for body in [
        json!({ "name": "API_TOKEN", "value": "environment's" }),
        json!({ "name": "OTHER", "value": "other" }),
        json!({ "name": "API_TOKEN", "value": "space's", "spaceId": space }),
        json!({ "name": "API_TOKEN", "value": "agent 1's", "actorId": "us_ag_1" }),
    ] {
        app.write_secret(&sk, body).await.assert_ok();
    }
    let pair = |name: &str, value: &str| (name.to_owned(), value.to_owned());
    let in_space = |actor: &str| format!("/v1/secrets?spaceId={space}&actorId={actor}");
    let (_, list) = app.get(&in_space("us_ag_1"), &sk).await;
    assert_eq!(
        values(&list),
        [pair("API_TOKEN", "agent 1's"), pair("OTHER", "other")]
    );
    let (_, list) = app.get(&in_space("us_ag_2"), &sk).await;
    assert_eq!(
        values(&list),
        [pair("API_TOKEN", "space's"), pair("OTHER", "other")]
    );
    let (_, list) = app.get("/v1/secrets?actorId=us_ag_2", &sk).await;
    assert_eq!(
        values(&list),
        [pair("API_TOKEN", "environment's"), pair("OTHER", "other")]
    );
    // Without an actor, the listing shows the actor's secret beside the scope's own.
    let (_, list) = app.get(&format!("/v1/secrets?spaceId={space}"), &sk).await;
    assert_eq!(
        values(&list),
        [
            pair("API_TOKEN", "agent 1's"),
            pair("API_TOKEN", "space's"),
            pair("OTHER", "other")
        ]
    );
}

#[actix_web::test]
async fn delete_answers_the_secrets_that_remain() {
    let app = spawn_app().await;
    let sk = app.dev_secret.clone();
    let (_, a) = app
        .write_secret(&sk, json!({ "name": "A", "value": "a" }))
        .await;
    app.write_secret(&sk, json!({ "name": "B", "value": "b" }))
        .await;
    let id = a["data"][0]["id"].as_str().unwrap();
    let (status, body) = app.delete(&format!("/v1/secrets/{id}"), &sk).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["B"]);
    assert_eq!(
        app.delete(&format!("/v1/secrets/{id}"), &sk).await.0,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn secrets_stay_in_their_environment_and_away_from_members_and_guests() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let production = app.environment_id(&admin, "production").await;
    let (_, created) = app
        .write_secret(
            &admin,
            json!({ "name": "PROD", "value": "p", "environmentId": production }),
        )
        .await;
    let id = created["data"][0]["id"].as_str().unwrap();
    let (status, _) = app
        .get(
            &format!("/v1/secrets?environmentId={production}"),
            &app.dev_secret,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.delete(&format!("/v1/secrets/{id}"), &app.dev_secret)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, member) = app.onboard(&admin, "m@example.com", "us_rol_member").await;
    let (status, body) = app
        .get(&format!("/v1/secrets?environmentId={production}"), &member)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!body.to_string().contains("\"p\""));
    let (_, admin_view) = app
        .get(&format!("/v1/secrets?environmentId={production}"), &admin)
        .await;
    assert_eq!(named(&admin_view, "PROD").unwrap()["value"], "p");
}

#[actix_web::test]
async fn names_values_and_counts_are_bounded() {
    let app = spawn_app_with(|c| c.limits.secrets_per_scope = 2).await;
    let sk = app.dev_secret.clone();
    for (body, key) in [
        (json!({ "name": "", "value": "v" }), "name"),
        (json!({ "name": "N", "value": "" }), "value"),
        (json!({ "name": "x".repeat(1025), "value": "v" }), "name"),
        (json!({ "name": "N", "value": "v".repeat(1025) }), "value"),
    ] {
        let (status, answer) = app.write_secret(&sk, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["errors"][0]["key"], key);
    }
    assert_eq!(
        app.post(
            "/v1/secrets",
            &sk,
            json!({ "name": "N", "value": "v".repeat(1024) })
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        app.write_secret(&sk, json!({ "name": "M", "value": "v" }))
            .await
            .0,
        StatusCode::OK
    );
    let (status, body) = app
        .write_secret(&sk, json!({ "name": "O", "value": "v" }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("limits.secrets_per_scope"));
    assert_eq!(
        app.write_secret(&sk, json!({ "name": "M", "value": "changed" }))
            .await
            .0,
        StatusCode::OK,
        "an update is not a new secret"
    );
}

#[actix_web::test]
async fn secret_values_are_sealed_on_disk_and_survive_a_restart() {
    let mut app = spawn_app().await;
    let sk = app.dev_secret.clone();
    let value = "very-secret-webhook-value-1234";
    app.write_secret(&sk, json!({ "name": "HOOK", "value": value }))
        .await;
    app.restart().await;
    let (_, list) = app.secrets(&sk).await;
    assert_eq!(named(&list, "HOOK").unwrap()["value"], value);
    app.stop().await;
    let mut bytes = Vec::new();
    for entry in walk(&app.dir().join("data")) {
        bytes.extend(std::fs::read(entry).unwrap());
    }
    assert!(
        !bytes.windows(value.len()).any(|w| w == value.as_bytes()),
        "the value is on disk in the clear"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
