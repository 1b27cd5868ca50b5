use crate::api_keys::assert_no_digest_of;
use crate::helpers::*;
use actix_web::http::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn a_pat_is_shown_once_and_works_as_a_bearer_token() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (raw, id) = app.create_pat(&admin, "ci script").await;
    assert!(raw.starts_with("pat_") && id.starts_with("us_pat_"));
    let (status, body) = app.environments(&raw).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["pagination"]["totalCount"], 2);
    let (_, list) = app.pats(&admin).await;
    let text = list.to_string();
    assert!(!text.contains(&raw), "a listing shows the raw token");
    assert_no_digest_of(&text, &raw);
    assert_eq!(list["data"][0]["name"], "ci script");
    assert!(list["data"][0].get("token").is_none());
    let (_, who) = app.whoami(&raw).await;
    assert_eq!(who["data"]["via"], "personal-access-token");
    assert_eq!(who["data"]["credentialId"], id.as_str());
    assert_eq!(who["data"]["role"], "Administrator");
}

#[actix_web::test]
async fn a_deleted_pat_is_rejected_on_the_next_request() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (raw, id) = app.create_pat(&admin, "short lived").await;
    assert_eq!(app.environments(&raw).await.0, StatusCode::OK);
    let (status, body) = app.delete_pat(&admin, &id).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({ "data": { "success": true } }))
    );
    let (status, body) = app.environments(&raw).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["key"], "revoked");
    assert_eq!(app.delete_pat(&admin, &id).await.0, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn last_use_is_listed_at_once_and_survives_a_restart() {
    let mut app = spawn_app().await;
    let admin = app.admin_token().await;
    let (raw, _) = app.create_pat(&admin, "used").await;
    let (_, before) = app.pats(&admin).await;
    assert!(before["data"][0].get("lastUsedAt").is_none());
    app.environments(&raw).await;
    let (_, after) = app.pats(&admin).await;
    let used = after["data"][0]["lastUsedAt"]
        .as_str()
        .expect("lastUsedAt")
        .to_owned();
    app.restart().await;
    let (_, kept) = app.pats(&admin).await;
    assert_eq!(kept["data"][0]["lastUsedAt"], used.as_str());
}

#[actix_web::test]
async fn last_use_is_kept_to_the_minute() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (raw, _) = app.create_pat(&admin, "used").await;
    let last_used = || async {
        let (_, listed) = app.pats(&admin).await;
        listed["data"][0]["lastUsedAt"].as_str().map(str::to_owned)
    };
    app.environments(&raw).await;
    let first = last_used().await.expect("lastUsedAt after the first use");
    app.advance_clock(&admin, 30).await;
    app.environments(&raw).await;
    assert_eq!(
        last_used().await.as_deref(),
        Some(first.as_str()),
        "same minute"
    );
    app.advance_clock(&admin, 31).await;
    app.environments(&raw).await;
    let later = last_used().await.expect("lastUsedAt");
    assert!(later > first, "{later} is after {first}");
}

#[actix_web::test]
async fn a_pat_rotates_environment_keys_without_downtime() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (pat, _) = app.create_pat(&admin, "rotation").await;
    let dev = app.environment_id(&admin, "development").await;
    let (status, body) = app
        .post_empty(
            &format!("/v1/auth/api-key?type=SECRET&environmentId={dev}"),
            &pat,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new_key = body["data"][0]["rawKey"].as_str().unwrap().to_owned();
    let old_id = app
        .keys(&pat, &dev)
        .await
        .into_iter()
        .find(|k| k["rawKey"] == app.dev_secret.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(current_status(&app, &app.dev_secret).await, StatusCode::OK);
    let (status, _) = app
        .delete(
            &format!("/v1/auth/api-key?key={old_id}&environmentId={dev}"),
            &pat,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        current_status(&app, &app.dev_secret).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(current_status(&app, &new_key).await, StatusCode::OK);
}

#[actix_web::test]
async fn a_members_pat_cannot_list_keys_users_or_the_outbox() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, member) = app
        .onboard(&admin, "member@example.com", "us_rol_member")
        .await;
    let (pat, _) = app.create_pat(&member, "member script").await;
    let dev = app.environment_id(&admin, "development").await;
    for path in [
        format!("/v1/auth/api-keys?environmentId={dev}"),
        "/v1/users".into(),
        "/v1/latchkey/outbox".into(),
    ] {
        let (status, body) = app.get(&path, &pat).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("Administrator"),
            "{body}"
        );
    }
    assert_eq!(app.environments(&pat).await.0, StatusCode::OK);
    assert_eq!(
        app.get(
            &format!("/v1/auth/publishable-key?environmentId={dev}"),
            &pat
        )
        .await
        .0,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_demoted_users_pat_loses_administrator_rights_on_the_next_request() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (second_id, second) = app
        .onboard(&admin, "second@example.com", "us_rol_admin")
        .await;
    let (pat, _) = app.create_pat(&second, "admin script").await;
    let dev = app.environment_id(&admin, "development").await;
    let keys_path = format!("/v1/auth/api-keys?environmentId={dev}");
    assert_eq!(app.get(&keys_path, &pat).await.0, StatusCode::OK);
    let account = app.account_id(&admin).await;
    let (status, body) = app
        .post(
            &format!("/v1/users/{second_id}/roles"),
            &admin,
            json!({ "roleId": "us_rol_member", "resourceId": account }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.get(&keys_path, &pat).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&keys_path, &second).await.0,
        StatusCode::FORBIDDEN,
        "the login token follows the new role too"
    );
}

#[actix_web::test]
async fn deleting_a_user_kills_their_pats_and_tokens_on_the_next_request() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, token) = app
        .onboard(&admin, "leaver@example.com", "us_rol_member")
        .await;
    let (pat, _) = app.create_pat(&token, "leaver script").await;
    assert_eq!(app.environments(&pat).await.0, StatusCode::OK);
    assert_eq!(app.delete_user(&admin, &id).await.0, StatusCode::OK);
    for credential in [&pat, &token] {
        let (status, body) = app.environments(credential).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["errors"][0]["key"], "revoked");
    }
    assert_eq!(
        app.login("leaver@example.com", "a fine password").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn environment_keys_cannot_hold_pats() {
    let app = spawn_app().await;
    let (status, _) = app
        .post(
            "/v1/auth/personal-access-tokens",
            &app.dev_secret,
            json!({ "name": "x" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.pats(&app.dev_secret).await.0, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn pats_per_user_are_limited_and_names_are_checked() {
    let app = spawn_app_with(|c| c.limits.pats_per_user = 2).await;
    let admin = app.admin_token().await;
    let (_, first) = app.create_pat(&admin, "one").await;
    app.create_pat(&admin, "two").await;
    let three = json!({ "name": "three" });
    let (status, body) = app
        .post("/v1/auth/personal-access-tokens", &admin, three.clone())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("limits.pats_per_user"));
    // A deleted token frees its place at once, and only one place.
    let (status, _) = app.delete_pat(&admin, &first).await;
    assert_eq!(status, StatusCode::OK);
    app.create_pat(&admin, "three").await;
    let (status, _) = app
        .post("/v1/auth/personal-access-tokens", &admin, three)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = app
        .post(
            "/v1/auth/personal-access-tokens",
            &admin,
            json!({ "name": "" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["key"], "name");
}

#[actix_web::test]
async fn concurrent_pat_creations_stop_exactly_at_the_limit_and_all_work() {
    let app = spawn_app_with(|c| c.limits.pats_per_user = 5).await;
    let admin = app.admin_token().await;
    let events_before = app.event_count();
    // Twenty creations at once: they are committed in shared batches, and the limit still
    // holds exactly.
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let url = format!("{}/v1/auth/personal-access-tokens", app.address);
            let bearer = format!("Bearer {admin}");
            actix_web::rt::spawn(async move {
                let mut res = awc::Client::new()
                    .post(url)
                    .insert_header(("Authorization", bearer))
                    .send_json(&json!({ "name": format!("parallel {i}") }))
                    .await
                    .expect("request sent");
                let body: serde_json::Value = res.json().await.expect("a JSON body");
                (res.status(), body)
            })
        })
        .collect();
    let mut created = Vec::new();
    for task in tasks {
        let (status, body) = task.await.expect("the request task");
        match status {
            StatusCode::OK => created.push(body["data"]["token"].as_str().unwrap().to_owned()),
            StatusCode::UNPROCESSABLE_ENTITY => assert!(body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("limits.pats_per_user")),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(created.len(), 5);
    for raw in &created {
        assert_eq!(app.environments(raw).await.0, StatusCode::OK);
    }
    let (_, list) = app.pats(&admin).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 5);
    // One audit event per created token, none for the refused ones.
    assert_eq!(app.event_count() - events_before, 5);
}
