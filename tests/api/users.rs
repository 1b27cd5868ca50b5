use crate::helpers::*;
use actix_web::http::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn an_invitation_link_in_the_outbox_sets_a_password_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app.invite(&admin, "new@example.com", "us_rol_member").await;
    let (_, user) = app.get(&format!("/v1/users/{id}"), &admin).await;
    assert_eq!(user["data"]["hasPassword"], false);
    assert_eq!(user["data"]["role"], "Member");
    assert_eq!(
        app.login("new@example.com", "a fine password").await.0,
        StatusCode::UNAUTHORIZED
    );
    let token = app.link_token_for(&admin, "new@example.com").await;
    let (_, outbox) = app.outbox(&admin).await;
    assert_eq!(outbox["data"][0]["subject"], "You are invited to Latchkey");
    let set = json!({ "token": token, "password": "a fine password" });
    let body = app.set_password(set.clone()).await.assert_ok();
    assert_eq!(body["data"]["email"], "new@example.com");
    let (status, body) = app.set_password(set).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a link works once");
    assert_eq!(body["errors"][0]["key"], "token");
    assert_eq!(
        app.login("new@example.com", "a fine password").await.0,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn an_invitation_link_expires() {
    let app = spawn_app_with(|c| c.security.link_ttl_seconds = 600).await;
    let admin = app.admin_token().await;
    app.invite(&admin, "late@example.com", "us_rol_member")
        .await;
    let token = app.link_token_for(&admin, "late@example.com").await;
    app.advance_clock(&admin, 601).await;
    let set = json!({ "token": token, "password": "a fine password" });
    let (status, _) = app.set_password(set).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn resend_invite_mails_a_fresh_link_until_the_password_is_set() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app
        .invite(&admin, "slow@example.com", "us_rol_member")
        .await;
    let (status, _) = app
        .post_empty(&format!("/v1/users/{id}/resend-invite"), &admin)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, outbox) = app.outbox(&admin).await;
    let mails = outbox["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["to"] == "slow@example.com")
        .count();
    assert_eq!(mails, 2);
    let admin_id = app.admin_id(&admin).await;
    let (status, _) = app
        .post_empty(&format!("/v1/users/{admin_id}/resend-invite"), &admin)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[actix_web::test]
async fn the_last_administrator_can_be_neither_removed_nor_demoted() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let admin_id = app.admin_id(&admin).await;
    let account = app.account_id(&admin).await;
    let demote = json!({ "roleId": "us_rol_member", "resourceId": account });
    let (status, body) = app
        .post(
            &format!("/v1/users/{admin_id}/roles"),
            &admin,
            demote.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("last Administrator"));
    assert_eq!(
        app.delete_user(&admin, &admin_id).await.0,
        StatusCode::CONFLICT
    );
    let (_, roles) = app
        .get(&format!("/v1/users/{admin_id}/roles"), &admin)
        .await;
    let assignment = roles["data"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.delete(&format!("/v1/users/{admin_id}/roles/{assignment}"), &admin)
            .await
            .0,
        StatusCode::CONFLICT
    );

    let (second_id, second) = app
        .onboard(&admin, "deputy@example.com", "us_rol_admin")
        .await;
    assert_eq!(
        app.post(&format!("/v1/users/{admin_id}/roles"), &second, demote)
            .await
            .0,
        StatusCode::OK
    );
    let (status, body) = app.delete_user(&second, &second_id).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "the deputy is now the last Administrator: {body}"
    );
    assert_eq!(
        app.delete_user(&second, &admin_id).await.0,
        StatusCode::OK,
        "a Member can be removed"
    );
}

#[actix_web::test]
async fn role_assignments_are_listed_replaced_and_removed() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let account = app.account_id(&admin).await;
    let (id, member) = app
        .onboard(&admin, "grow@example.com", "us_rol_member")
        .await;
    let (status, body) = app.get(&format!("/v1/users/{id}/roles"), &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"][0]["roleId"], "us_rol_member");
    assert_eq!(body["data"][0]["actorId"], id.as_str());
    assert_eq!(body["data"][0]["resourceId"], account.as_str());
    let (status, promoted) = app
        .post(
            &format!("/v1/users/{id}/roles"),
            &admin,
            json!({ "roleId": "us_rol_admin", "resourceId": account }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(promoted["data"]["id"]
        .as_str()
        .unwrap()
        .starts_with("us_acr_"));
    assert_eq!(
        app.users(&member).await.0,
        StatusCode::OK,
        "promoted at once"
    );
    let assignment = promoted["data"]["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/v1/users/{id}/roles/{assignment}"), &admin)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        app.users(&member).await.0,
        StatusCode::FORBIDDEN,
        "back to Member"
    );
    for (body, key) in [
        (
            json!({ "roleId": "us_rol_guest", "resourceId": account }),
            "roleId",
        ),
        (
            json!({ "roleId": "us_rol_admin", "resourceId": "us_env_x" }),
            "resourceId",
        ),
        (
            json!({ "roleId": "admin", "resourceId": account }),
            "roleId",
        ),
    ] {
        let (status, answer) = app
            .post(&format!("/v1/users/{id}/roles"), &admin, body)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["errors"][0]["key"], key);
    }
}

#[actix_web::test]
async fn users_are_listed_with_pagination_search_and_sort() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.invite(&admin, "zed@example.com", "us_rol_member").await;
    app.invite(&admin, "amy@example.com", "us_rol_member").await;
    let (status, body) = app
        .get(
            "/v1/users?sortField=email&sortDirection=asc&pageSize=2",
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let emails: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["admin@example.com", "amy@example.com"]);
    assert_eq!(
        body["pagination"],
        json!({ "currentPage": 1, "pageCount": 2, "totalCount": 3 })
    );
    let (_, found) = app.get("/v1/users?search=ZED", &admin).await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    let (_, exact) = app.get("/v1/users?email=amy@example.com", &admin).await;
    assert_eq!(exact["data"][0]["email"], "amy@example.com");
    assert_eq!(exact["data"][0]["idp"], "latchkey");
    let (status, body) = app.get("/v1/users?sortField=shoe_size", &admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["key"], "sortField");
    let text = app.users(&admin).await.1.to_string();
    for field in ["password", "hash", "salt", "digest"] {
        assert!(
            !text.to_lowercase().contains(&format!("\"{field}")),
            "users listing shows {field}"
        );
    }
}

#[actix_web::test]
async fn members_read_and_change_only_themselves() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let admin_id = app.admin_id(&admin).await;
    let (id, member) = app
        .onboard(&admin, "self@example.com", "us_rol_member")
        .await;
    assert_eq!(
        app.get(&format!("/v1/users/{id}"), &member).await.0,
        StatusCode::OK
    );
    let (status, body) = app
        .patch(
            &format!("/v1/users/{id}"),
            &member,
            json!({ "name": "Renamed", "dashboard": 2 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["name"], "Renamed");
    assert_eq!(body["data"]["dashboard"], 2);
    assert_eq!(
        app.get(&format!("/v1/users/{admin_id}"), &member).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.patch(
            &format!("/v1/users/{admin_id}"),
            &member,
            json!({ "name": "x" })
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete_user(&member, &admin_id).await.0,
        StatusCode::FORBIDDEN
    );
    let invite = json!({ "email": "x@example.com", "name": "X", "actorRoles": [] });
    assert_eq!(
        app.post("/v1/users/invite", &member, invite).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("/v1/users/{id}"), &app.dev_secret).await.0,
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn inviting_an_existing_email_is_a_conflict() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let account = app.account_id(&admin).await;
    let body = json!({ "email": "ADMIN@example.com", "name": "Again", "actorRoles": [{ "roleId": "us_rol_member", "resourceId": account }] });
    let (status, answer) = app.post("/v1/users/invite", &admin, body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
}

#[actix_web::test]
async fn roles_and_the_account_are_readable_and_only_administrators_change_the_account() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, member) = app
        .onboard(&admin, "reader@example.com", "us_rol_member")
        .await;
    let (status, roles) = app.get("/v1/roles", &member).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = roles["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Administrator", "Member", "Guest"]);
    assert!(roles["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["id"].as_str().unwrap().starts_with("us_rol_")));
    let (status, account) = app.current_account(&app.dev_secret).await;
    assert_eq!(status, StatusCode::OK);
    assert!(account["data"]["id"]
        .as_str()
        .unwrap()
        .starts_with("us_acc_"));
    assert_eq!(
        app.patch("/v1/accounts/current", &member, json!({ "name": "Mine" }))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = app
        .patch("/v1/accounts/current", &admin, json!({ "name": "Acme" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["name"], "Acme");
    assert_eq!(app.current_account(&member).await.1["data"]["name"], "Acme");
}

#[actix_web::test]
async fn an_older_invitation_link_cannot_overwrite_an_accepted_password() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app
        .invite(&admin, "twice@example.com", "us_rol_member")
        .await;
    let first = app.link_token_for(&admin, "twice@example.com").await;
    app.post_empty(&format!("/v1/users/{id}/resend-invite"), &admin)
        .await;
    let second = app.link_token_for(&admin, "twice@example.com").await;
    assert_ne!(first, second);
    let set = |token: &str, password: &str| json!({ "token": token, "password": password });
    let (status, _) = app.set_password(set(&second, "the accepted one")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.set_password(set(&first, "an attacker's one")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["key"], "token");
    assert_eq!(
        app.login("twice@example.com", "the accepted one").await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.login("twice@example.com", "an attacker's one").await.0,
        StatusCode::UNAUTHORIZED
    );
}
