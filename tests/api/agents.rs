use crate::helpers::*;
use actix_web::http::StatusCode;
use serde_json::{json, Value};

fn agent(source: &str, slug: &str) -> Value {
    json!({ "topics": ["space:created", "workbook:updated"], "compiler": "js", "source": source, "sourceMap": "{}", "slug": slug, "options": { "a": 1 } })
}

async fn deploy(app: &TestApp, token: &str, env: &str, body: Value) -> Value {
    let (status, answer) = app
        .post(&format!("/v1/agents?environmentId={env}"), token, body)
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["data"].clone()
}

fn numbers(versions: &Value) -> Vec<u64> {
    versions["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect()
}

#[actix_web::test]
async fn a_deploy_with_a_known_slug_adds_a_version_and_revert_makes_an_old_one_current() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let sk = app.dev_secret.clone();
    let first = deploy(&app, &sk, &env, agent("one", "mine")).await;
    assert_eq!(
        first["running"], false,
        "Latchkey says it never runs agents"
    );
    assert!(first["runtimeNote"]
        .as_str()
        .unwrap()
        .contains("never runs"));
    assert_eq!(first["options"], json!({ "a": 1 }));
    let second = deploy(&app, &sk, &env, agent("two", "mine")).await;
    assert_eq!(second["id"], first["id"], "same slug, same agent");
    assert_eq!(second["currentVersion"], 2);
    let id = first["id"].as_str().unwrap();

    let (_, versions) = app.get(&format!("/v1/agents/{id}/versions"), &sk).await;
    assert_eq!(numbers(&versions), [2, 1], "newest first");
    assert_eq!(versions["data"][0]["agent_id"], id);
    assert!(
        versions["data"][0].get("source").is_none(),
        "listings leave the code out"
    );
    let v1 = first["currentVersionId"].as_str().unwrap();
    let (status, reverted) = app
        .get(&format!("/v1/agents/{id}/versions/{v1}/revert"), &sk)
        .await;
    assert_eq!(status, StatusCode::OK, "{reverted}");
    assert_eq!(reverted["data"]["version"], 3);
    assert_eq!(reverted["data"]["origin"], 1, "a copy of version 1");
    let (_, got) = app
        .get(&format!("/v1/agents/{id}?environmentId={env}"), &sk)
        .await;
    assert_eq!(got["data"]["source"], "one");
    assert_eq!(got["data"]["currentVersion"], 3);

    let (_, listed) = app
        .get(&format!("/v1/agents?environmentId={env}"), &sk)
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["pagination"]["totalCount"], 1);
    assert!(listed["data"][0].get("source").is_none());
    let (status, _) = app
        .get(&format!("/v1/agents/{id}?environmentId=us_env_other1"), &sk)
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another environmentId does not find it"
    );
}

#[actix_web::test]
async fn only_the_configured_number_of_versions_is_kept() {
    let app = spawn_app_with(|c| c.limits.agent_versions_kept = 2).await;
    let sk = app.dev_secret.clone();
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let first = deploy(&app, &sk, &env, agent("one", "kept")).await;
    deploy(&app, &sk, &env, agent("two", "kept")).await;
    deploy(&app, &sk, &env, agent("three", "kept")).await;
    let id = first["id"].as_str().unwrap();
    let (_, versions) = app.get(&format!("/v1/agents/{id}/versions"), &sk).await;
    assert_eq!(numbers(&versions), [3, 2]);
    let v1 = first["currentVersionId"].as_str().unwrap();
    let (status, answer) = app
        .get(&format!("/v1/agents/{id}/versions/{v1}/revert"), &sk)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "version 1 is gone: {answer}");
}

#[actix_web::test]
async fn sources_past_the_limit_are_refused_but_agent_bodies_may_exceed_max_body_bytes() {
    let app = spawn_app_with(|c| c.limits.max_agent_source_bytes = 1_000_000).await;
    let sk = app.dev_secret.clone();
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let path = format!("/v1/agents?environmentId={env}");
    let big = "x".repeat(1_000_001);
    for field in ["source", "sourceMap"] {
        let (status, answer) = app.post(&path, &sk, json!({ field: big })).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{field}: {answer}");
        assert!(answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("limits.max_agent_source_bytes"));
    }
    // 1.9 MB in all: past limits.max_body_bytes (1 MiB), within the agent body limit.
    let fits = "y".repeat(950_000);
    let (status, answer) = app
        .post(&path, &sk, json!({ "source": fits, "sourceMap": fits }))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, _) = app
        .raw(
            "POST",
            &path,
            &[
                ("Authorization", &format!("Bearer {sk}")),
                ("Content-Type", "application/json"),
            ],
            vec![b' '; 4_000_000],
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[actix_web::test]
async fn bad_agent_input_is_refused_with_the_field_named() {
    let app = spawn_app().await;
    let sk = app.dev_secret.clone();
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let path = format!("/v1/agents?environmentId={env}");
    for (body, status, key) in [
        (
            json!({ "compiler": "ts" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "compiler",
        ),
        (
            json!({ "slug": "has space" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "slug",
        ),
        (
            json!({ "topics": "space:created" }),
            StatusCode::BAD_REQUEST,
            "topics",
        ),
        (
            json!({ "topics": [""] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "topics",
        ),
        (
            json!({ "options": { "x": "y".repeat(20_000) } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "options",
        ),
    ] {
        let (got, answer) = app.post(&path, &sk, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["errors"][0]["key"], key, "{answer}");
    }
    let (status, _) = app.post("/v1/agents", &admin, json!({})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a user must name the environment"
    );
    let (status, _) = app.get("/v1/agents/us_env_notanagent", &sk).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app.get("/v1/agents/us_ag_missing", &sk).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let d = deploy(&app, &sk, &env, json!({})).await;
    assert_eq!(d["slug"], "default", "no slug: the default agent");
    let id = d["id"].as_str().unwrap();
    let roles = format!("/v1/agents/{id}/roles");
    let (status, _) = app
        .post(
            &roles,
            &sk,
            json!({ "roleId": "us_rol_guest", "resourceId": env }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "not an agent role");
    let (status, _) = app
        .post(
            &roles,
            &sk,
            json!({ "roleId": "us_rol_admin", "resourceId": "us_env_elsewhere" }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "not the agent's environment or account"
    );
    let (status, _) = app.delete(&format!("{roles}/us_acr_missing"), &sk).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, answer) = app
        .get(
            &format!("/v1/agents/log/us_evt_none?environmentId={env}"),
            &sk,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
}

#[actix_web::test]
async fn agent_roles_are_one_per_resource_and_can_be_removed() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let account = app.account_id(&admin).await;
    let id = deploy(&app, &admin, &env, json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let roles = format!("/v1/agents/{id}/roles");
    for (role, resource) in [
        ("us_rol_member", &env),
        ("us_rol_admin", &env),
        ("us_rol_member", &account),
    ] {
        let (status, answer) = app
            .post(
                &roles,
                &admin,
                json!({ "roleId": role, "resourceId": resource }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["data"]["actorId"], id.as_str());
    }
    let (_, listed) = app.get(&roles, &admin).await;
    let listed = listed["data"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 2, "one assignment per resource: {listed:?}");
    let on_env = listed
        .iter()
        .find(|r| r["resourceId"] == env.as_str())
        .unwrap();
    assert_eq!(
        on_env["roleId"], "us_rol_admin",
        "the later assignment replaced the first"
    );
    let (status, _) = app
        .delete(
            &format!("{roles}/{}", on_env["id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, listed) = app.get(&roles, &admin).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn an_environment_holds_at_most_the_configured_number_of_agents() {
    let app = spawn_app_with(|c| c.limits.agents_per_environment = 2).await;
    let sk = app.dev_secret.clone();
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    deploy(&app, &sk, &env, agent("a", "a")).await;
    deploy(&app, &sk, &env, agent("b", "b")).await;
    let (status, answer) = app
        .post(
            &format!("/v1/agents?environmentId={env}"),
            &sk,
            agent("c", "c"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("limits.agents_per_environment"));
    deploy(&app, &sk, &env, agent("a2", "a")).await;
}

#[actix_web::test]
async fn deploys_reverts_role_changes_and_deletes_are_audited() {
    let app = spawn_app().await;
    let sk = app.dev_secret.clone();
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let first = deploy(&app, &sk, &env, agent("one", "audited")).await;
    deploy(&app, &sk, &env, agent("two", "audited")).await;
    let id = first["id"].as_str().unwrap();
    let (status, _) = app.delete(&format!("/v1/agents/{id}"), &sk).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get(&format!("/v1/agents/{id}"), &sk).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, events) = app
        .events(&admin, &format!("environmentId={env}&pageSize=100"))
        .await;
    let topics: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["payload"]["agentId"] == id || e["payload"].to_string().contains(id))
        .map(|e| e["topic"].as_str().unwrap())
        .collect();
    for topic in ["agent:created", "agent:updated", "agent:deleted"] {
        assert!(topics.contains(&topic), "{topic} in {topics:?}");
    }
}

#[actix_web::test]
async fn a_pat_lists_agents_across_environments_and_environment_deletion_takes_them() {
    let mut app = spawn_app().await;
    let admin = app.admin_token().await;
    let (pat, _) = app.create_pat(&admin, "monitoring").await;
    let dev = app.environment_id(&admin, "development").await;
    let (other, other_sk, _) = app.create_environment(&admin, "other").await;
    deploy(&app, &app.dev_secret.clone(), &dev, agent("d", "dev")).await;
    let gone = deploy(&app, &other_sk, &other, agent("o", "other")).await;
    let (status, all) = app.get("/v1/agents", &pat).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let slugs: Vec<&str> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["dev", "other"], "every environment's agents");
    let (status, _) = app
        .delete(&format!("/v1/environments/{other}"), &admin)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .get(
            &format!("/v1/agents/{}", gone["id"].as_str().unwrap()),
            &pat,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "deleted with its environment"
    );
    app.restart().await;
    let pat_after = pat.clone();
    let (_, all) = app.get("/v1/agents", &pat_after).await;
    assert_eq!(
        all["data"].as_array().unwrap().len(),
        1,
        "the store check passed: {all}"
    );
}
