//! Regression tests for the outside security review (issue 15), one block per finding.

use crate::helpers::*;
use actix_web::http::StatusCode;
use serde_json::json;

// Finding 19: the API-key header carries only secret keys.
#[actix_web::test]
async fn api_key_header_refuses_everything_but_secret_keys() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (pat, _) = app.create_pat(&admin, "header test").await;
    let get = |value: String| {
        let app = &app;
        async move {
            app.raw(
                "GET",
                "/v1/environments/current",
                &[("x-api-key", &value)],
                vec![],
            )
            .await
        }
    };
    for other in [pat, admin.clone(), app.dev_publishable.clone()] {
        let (status, body) = get(other).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("Authorization: Bearer"),
            "the refusal says where the credential belongs: {message}"
        );
    }
    let (status, body) = get(app.dev_secret.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

// Finding 14: Latchkey's own topics are reserved, client events are marked, and acknowledging
// hides nothing from Administrators.
#[actix_web::test]
async fn clients_cannot_write_latchkeys_own_topics_and_their_events_are_marked() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let account = app.account_id(&admin).await;
    let event = |topic: &str| json!({ "topic": topic, "domain": "job", "payload": {}, "context": { "environmentId": env, "accountId": account } });
    for topic in [
        "api-key:deleted",
        "auth:login-succeeded",
        "Space:created",
        "latchkey:x",
    ] {
        for caller in [&app.dev_secret, &admin] {
            let (status, body) = app.post("/v1/events", caller, event(topic)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{topic}: {body}");
            assert_eq!(body["errors"][0]["key"], "topic");
        }
    }
    let (status, created) = app
        .post("/v1/events", &app.dev_secret, event("job:done"))
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["data"]["writtenBy"], "client");
    let (_, own) = app.get("/v1/events?topic=account:created", &admin).await;
    assert_eq!(own["data"][0]["writtenBy"], "latchkey");
}

#[actix_web::test]
async fn a_secret_keys_acknowledgement_hides_nothing_from_administrators() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let (status, space) = app
        .post(
            "/v1/spaces",
            &admin,
            json!({ "name": "audited", "environmentId": env }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{space}");
    let path = format!("/v1/events?environmentId={env}&topic=space:created");
    let (_, listed) = app.get(&path, &admin).await;
    let id = listed["data"][0]["id"].as_str().unwrap().to_owned();
    let ack = format!("/v1/events/{id}/ack");
    assert_eq!(
        app.post_empty(&ack, &app.dev_secret).await.0,
        StatusCode::OK
    );
    let (_, by_key) = app.get(&path, &app.dev_secret).await;
    assert_eq!(by_key["data"].as_array().unwrap().len(), 0);
    for filter in ["", "&includeAcknowledged=false"] {
        let (_, by_admin) = app.get(&format!("{path}{filter}"), &admin).await;
        assert_eq!(by_admin["data"][0]["id"], id.as_str(), "{filter}");
        assert!(by_admin["data"][0]["acknowledgedAt"].is_string());
    }
}
