use crate::helpers::*;
use actix_web::http::StatusCode;
use serde_json::{json, Value};

/// An environment-A world: spaces S1 (workbooks W1, W2, W3) and S2, as the secret key made them.
struct Spaces {
    env: String,
    s1: String,
    s2: String,
    w: Vec<String>,
}

async fn spaces(app: &TestApp) -> Spaces {
    let sk = &app.dev_secret;
    let (_, env) = app.current_environment(sk).await;
    let mut ids = Vec::new();
    for name in ["S1", "S2"] {
        let body = app.create_space(sk, name).await.assert_ok();
        ids.push(body["data"]["id"].as_str().unwrap().to_owned());
    }
    let mut w = Vec::new();
    for name in ["W1", "W2", "W3"] {
        let (_, body) = app
            .create_workbook(sk, json!({ "name": name, "spaceId": ids[0] }))
            .await;
        w.push(body["data"]["id"].as_str().unwrap().to_owned());
    }
    Spaces {
        env: env["data"]["id"].as_str().unwrap().to_owned(),
        s1: ids[0].clone(),
        s2: ids[1].clone(),
        w,
    }
}

async fn add_guest(app: &TestApp, env: &str, email: &str, spaces: Value) -> Value {
    let body = json!([{ "environmentId": env, "email": email, "name": "Guest", "spaces": spaces }]);
    let answer = app.add_guests(&app.dev_secret, body).await.assert_ok();
    answer["data"][0].clone()
}

async fn token_for(app: &TestApp, guest: &str, space: Option<&str>) -> String {
    let path = match space {
        Some(s) => format!("/v1/guests/{guest}/token?spaceId={s}"),
        None => format!("/v1/guests/{guest}/token"),
    };
    let (status, body) = app.get(&path, &app.dev_secret).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["valid"], true);
    body["data"]["token"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn single_and_multi_space_guests_reach_exactly_their_spaces() {
    let app = spawn_app().await;
    let w = spaces(&app).await;
    let single = add_guest(&app, &w.env, "one@example.com", json!([{ "id": w.s1 }])).await;
    let multi = add_guest(
        &app,
        &w.env,
        "two@example.com",
        json!([{ "id": w.s1 }, { "id": w.s2 }]),
    )
    .await;
    let t1 = token_for(&app, single["id"].as_str().unwrap(), None).await;
    let t2 = token_for(&app, multi["id"].as_str().unwrap(), None).await;
    assert_eq!(app.space(&t1, &w.s1).await.0, StatusCode::OK);
    let (status, body) = app.space(&t1, &w.s2).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["errors"][0]["message"],
        format!("the guest lacks space {}", w.s2)
    );
    assert_eq!(app.space(&t2, &w.s2).await.0, StatusCode::OK);
    let (_, listed) = app.list_spaces(&t2).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
    let (_, listed) = app.list_spaces(&t1).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    let scoped = token_for(&app, multi["id"].as_str().unwrap(), Some(&w.s1)).await;
    assert_eq!(
        app.space(&scoped, &w.s2).await.0,
        StatusCode::FORBIDDEN,
        "a token for one space reaches only it"
    );
}

#[actix_web::test]
async fn workbook_guests_reach_only_their_workbooks() {
    let app = spawn_app().await;
    let w = spaces(&app).await;
    let single = add_guest(
        &app,
        &w.env,
        "wb1@example.com",
        json!([{ "id": w.s1, "workbooks": [{ "id": w.w[0] }] }]),
    )
    .await;
    let multi = add_guest(
        &app,
        &w.env,
        "wb2@example.com",
        json!([{ "id": w.s1, "workbooks": [{ "id": w.w[0] }, { "id": w.w[1] }] }]),
    )
    .await;
    assert_eq!(
        multi["spaces"][0]["workbooks"],
        json!([{ "id": w.w[0] }, { "id": w.w[1] }])
    );
    let t1 = token_for(&app, single["id"].as_str().unwrap(), None).await;
    let t2 = token_for(&app, multi["id"].as_str().unwrap(), None).await;
    // Which workbooks each guest reaches; W1 and W2 may share a creation millisecond, so their
    // listed order is not part of this check.
    let names = |v: Value| {
        let mut names = v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>();
        names.sort();
        names
    };
    assert_eq!(
        names(
            app.get(&format!("/v1/workbooks?spaceId={}", w.s1), &t1)
                .await
                .1
        ),
        ["W1"]
    );
    assert_eq!(
        names(
            app.get(&format!("/v1/workbooks?spaceId={}", w.s1), &t2)
                .await
                .1
        ),
        ["W1", "W2"]
    );
    let (status, body) = app.get(&format!("/v1/workbooks/{}", w.w[2]), &t2).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["errors"][0]["message"],
        format!("the guest lacks workbook {} in space {}", w.w[2], w.s1)
    );
    assert_eq!(
        app.patch(
            &format!("/v1/workbooks/{}", w.w[1]),
            &t2,
            json!({ "name": "edited" })
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        app.patch(
            &format!("/v1/workbooks/{}", w.w[1]),
            &t1,
            json!({ "name": "x" })
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn a_grant_removed_after_issue_is_gone_on_the_next_request() {
    let app = spawn_app().await;
    let w = spaces(&app).await;
    let guest = add_guest(
        &app,
        &w.env,
        "fleeting@example.com",
        json!([{ "id": w.s1 }, { "id": w.s2 }]),
    )
    .await;
    let id = guest["id"].as_str().unwrap();
    let token = token_for(&app, id, None).await;
    assert_eq!(app.space(&token, &w.s1).await.0, StatusCode::OK);
    let (status, _) = app
        .delete(
            &format!("/v1/guests/{id}?spaceId={}", w.s1),
            &app.dev_secret,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.space(&token, &w.s1).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        app.space(&token, &w.s2).await.0,
        StatusCode::OK,
        "only that space's access went"
    );
}

#[actix_web::test]
async fn an_existing_email_gains_spaces_instead_of_a_duplicate_guest() {
    let app = spawn_app().await;
    let w = spaces(&app).await;
    let first = add_guest(
        &app,
        &w.env,
        "same@example.com",
        json!([{ "id": w.s1, "workbooks": [{ "id": w.w[0] }] }]),
    )
    .await;
    let again = add_guest(&app, &w.env, "SAME@example.com", json!([{ "id": w.s2 }])).await;
    assert_eq!(first["id"], again["id"]);
    let spaces: Vec<&str> = again["spaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(spaces.len(), 2);
    assert!(spaces.contains(&w.s1.as_str()) && spaces.contains(&w.s2.as_str()));
    let (_, listed) = app
        .get(&format!("/v1/guests?spaceId={}", w.s1), &app.dev_secret)
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn a_deleted_guest_loses_everything_and_a_recreated_one_starts_empty() {
    let app = spawn_app().await;
    let w = spaces(&app).await;
    let guest = add_guest(
        &app,
        &w.env,
        "gone@example.com",
        json!([{ "id": w.s1 }, { "id": w.s2 }]),
    )
    .await;
    let id = guest["id"].as_str().unwrap().to_owned();
    let token = token_for(&app, &id, None).await;
    app.send_invitations(&app.dev_secret, json!([{ "guestId": id, "spaceId": w.s1 }]))
        .await;
    let admin = app.admin_token().await;
    let link = app.link_token_for(&admin, "gone@example.com").await;
    assert_eq!(
        app.delete(&format!("/v1/guests/{id}"), &app.dev_secret)
            .await
            .0,
        StatusCode::OK
    );
    let (status, body) = app.space(&token, &w.s1).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the guest's token dies at once"
    );
    assert_eq!(body["errors"][0]["key"], "revoked");
    let (_, redeemed) = app.exchange_invitation(json!({ "token": link })).await;
    assert_eq!(redeemed["data"]["valid"], false, "its magic link dies too");
    for space in [&w.s1, &w.s2] {
        let (_, listed) = app
            .get(&format!("/v1/guests?spaceId={space}"), &app.dev_secret)
            .await;
        assert_eq!(
            listed["data"].as_array().unwrap().len(),
            0,
            "no space keeps a connection"
        );
    }
    let again = add_guest(&app, &w.env, "gone@example.com", json!([])).await;
    assert_ne!(again["id"], id.as_str());
    assert_eq!(again["spaces"], json!([]));
    let fresh = token_for(&app, again["id"].as_str().unwrap(), None).await;
    assert_eq!(app.space(&fresh, &w.s1).await.0, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn a_magic_link_goes_to_the_outbox_works_once_and_its_token_lasts_an_hour() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let w = spaces(&app).await;
    let guest = add_guest(&app, &w.env, "magic@example.com", json!([{ "id": w.s1 }])).await;
    let invite = json!([{ "guestId": guest["id"], "spaceId": w.s1, "fromName": "Ann", "message": "Welcome!" }]);
    let (status, body) = app.send_invitations(&app.dev_secret, invite).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({ "data": { "success": true } }))
    );
    let (_, outbox) = app.outbox(&admin).await;
    let mail = &outbox["data"][0];
    assert_eq!(mail["to"], "magic@example.com");
    assert!(!mail["subject"].as_str().unwrap().contains("Ann"));
    assert!(!mail["body"].as_str().unwrap().contains("Welcome!"));
    let link = app.link_token_for(&admin, "magic@example.com").await;
    let exchange = json!({ "token": link });
    let (status, body) = app.exchange_invitation(exchange.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["valid"], true);
    assert_eq!(body["data"]["sentTo"], "magic@example.com");
    let token = body["data"]["token"].as_str().unwrap().to_owned();
    assert_eq!(app.space(&token, &w.s1).await.0, StatusCode::OK);
    let (_, again) = app.exchange_invitation(exchange).await;
    assert_eq!(again["data"]["valid"], false, "a magic link works once");
    // Ten seconds short of the hour (room for a loaded machine's real seconds), then past it.
    app.advance_clock(&admin, 3590).await;
    assert_eq!(app.space(&token, &w.s1).await.0, StatusCode::OK);
    app.advance_clock(&admin, 20).await;
    let (status, body) = app.space(&token, &w.s1).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["key"], "expired");
}

#[actix_web::test]
async fn magic_links_expire_and_follow_the_space_setting() {
    let app = spawn_app_with(|c| c.security.link_ttl_seconds = 600).await;
    let admin = app.admin_token().await;
    let w = spaces(&app).await;
    let guest = add_guest(&app, &w.env, "late@example.com", json!([{ "id": w.s1 }])).await;
    app.send_invitations(
        &app.dev_secret,
        json!([{ "guestId": guest["id"], "spaceId": w.s1 }]),
    )
    .await;
    let link = app.link_token_for(&admin, "late@example.com").await;
    app.advance_clock(&admin, 601).await;
    let (_, body) = app.exchange_invitation(json!({ "token": link })).await;
    assert_eq!(body["data"]["valid"], false);
    app.patch(
        &format!("/v1/spaces/{}", w.s1),
        &app.dev_secret,
        json!({ "guestAuthentication": ["shared_link"] }),
    )
    .await;
    let (status, body) = app
        .send_invitations(
            &app.dev_secret,
            json!([{ "guestId": guest["id"], "spaceId": w.s1 }]),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("magic links are turned off"));
}

#[actix_web::test]
async fn a_shared_link_lets_anyone_join_until_it_is_turned_off() {
    let app = spawn_app().await;
    let w = spaces(&app).await;
    let (_, space) = app.space(&app.dev_secret, &w.s1).await;
    let guest_link = space["data"]["guestLink"].as_str().unwrap().to_owned();
    assert!(guest_link.ends_with(&format!("/join/{}", w.s1)));
    let (status, page) = app
        .request("GET", &format!("/join/{}", w.s1), None, None)
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "reading the link joins nobody: {page}"
    );
    let (_, listed) = app
        .get(&format!("/v1/guests?spaceId={}", w.s1), &app.dev_secret)
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 0);
    let join = json!({ "email": "walkin@example.com", "spaceId": w.s1 });
    let body = app.exchange_invitation(join.clone()).await.assert_ok();
    let token = body["data"]["token"].as_str().unwrap().to_owned();
    assert_eq!(app.space(&token, &w.s1).await.0, StatusCode::OK);
    assert_eq!(app.space(&token, &w.s2).await.0, StatusCode::FORBIDDEN);
    let (_, listed) = app
        .get(&format!("/v1/guests?spaceId={}", w.s1), &app.dev_secret)
        .await;
    assert_eq!(listed["data"][0]["email"], "walkin@example.com");

    let (status, _) = app
        .patch(
            &format!("/v1/spaces/{}", w.s1),
            &app.dev_secret,
            json!({ "guestAuthentication": ["magic_link"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.exchange_invitation(join).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the link is dead at once");
    assert_eq!(
        app.space(&token, &w.s1).await.1["errors"][0]["key"],
        "revoked",
        "and so are tokens it gave"
    );
    assert_eq!(
        app.request("GET", &format!("/join/{}", w.s1), None, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, space) = app.space(&app.dev_secret, &w.s1).await;
    assert!(space["data"].get("guestLink").is_none());
}

#[actix_web::test]
async fn guests_invite_guests_within_their_own_grant_unless_turned_off() {
    let app = spawn_app().await;
    let w = spaces(&app).await;
    let whole = add_guest(&app, &w.env, "host@example.com", json!([{ "id": w.s1 }])).await;
    let narrow = add_guest(
        &app,
        &w.env,
        "narrow@example.com",
        json!([{ "id": w.s1, "workbooks": [{ "id": w.w[0] }] }]),
    )
    .await;
    let host = token_for(&app, whole["id"].as_str().unwrap(), None).await;
    let small = token_for(&app, narrow["id"].as_str().unwrap(), None).await;
    let invite = |email: &str, spaces: Value| json!([{ "environmentId": w.env, "email": email, "name": "Friend", "spaces": spaces }]);
    assert_eq!(
        app.post(
            "/v1/guests",
            &host,
            invite("f1@example.com", json!([{ "id": w.s1 }]))
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        app.post(
            "/v1/guests",
            &host,
            invite("f2@example.com", json!([{ "id": w.s2 }]))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = app
        .post(
            "/v1/guests",
            &small,
            invite("f3@example.com", json!([{ "id": w.s1 }])),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "never wider than its own grant: {body}"
    );
    let one = json!([{ "id": w.s1, "workbooks": [{ "id": w.w[0] }] }]);
    assert_eq!(
        app.post("/v1/guests", &small, invite("f4@example.com", one.clone()))
            .await
            .0,
        StatusCode::OK
    );
    let other = json!([{ "id": w.s1, "workbooks": [{ "id": w.w[1] }] }]);
    assert_eq!(
        app.add_guests(&small, invite("f5@example.com", other))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let own = whole["id"].as_str().unwrap();
    let (status, _) = app
        .patch(
            &format!("/v1/guests/{own}"),
            &host,
            json!({ "spaces": [{ "id": w.s2 }] }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a guest cannot change its own grants"
    );

    app.patch(
        &format!("/v1/spaces/{}", w.s1),
        &app.dev_secret,
        json!({ "guestsCanInvite": false }),
    )
    .await;
    let (status, body) = app
        .post(
            "/v1/guests",
            &host,
            invite("f6@example.com", json!([{ "id": w.s1 }])),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("may not invite"));
    app.patch(
        &format!("/v1/spaces/{}", w.s1),
        &app.dev_secret,
        json!({ "guestsCanInvite": true }),
    )
    .await;
    let admin = app.admin_token().await;
    app.patch(
        &format!("/v1/environments/{}", w.env),
        &admin,
        json!({ "guestsCanInvite": false }),
    )
    .await;
    assert_eq!(
        app.post(
            "/v1/guests",
            &host,
            invite("f7@example.com", json!([{ "id": w.s1 }]))
        )
        .await
        .0,
        StatusCode::FORBIDDEN,
        "the environment can turn it off too"
    );
}

#[actix_web::test]
async fn a_space_created_with_a_publishable_key_returns_a_token_for_that_space_only() {
    let app = spawn_app().await;
    let body = app
        .create_space(&app.dev_publishable, "embedded")
        .await
        .assert_ok();
    let space = body["data"]["id"].as_str().unwrap().to_owned();
    let token = body["data"]["accessToken"]
        .as_str()
        .expect("accessToken")
        .to_owned();
    assert_eq!(app.space(&token, &space).await.0, StatusCode::OK);
    app.create_workbook(&token, json!({ "name": "upload", "spaceId": space }))
        .await
        .assert_ok();
    let w = spaces(&app).await;
    assert_eq!(app.space(&token, &w.s1).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.environments(&token).await.0, StatusCode::FORBIDDEN);
    let (_, who) = app.whoami(&token).await;
    assert_eq!(who["data"]["kind"], "space");
    let (_, plain) = app.create_space(&app.dev_secret, "server").await;
    assert!(
        plain["data"].get("accessToken").is_none(),
        "only publishable-key spaces carry a token"
    );
    app.delete(&format!("/v1/spaces/{space}"), &app.dev_secret)
        .await;
    assert_eq!(app.whoami(&token).await.1["data"]["reason"], "revoked");
}

#[actix_web::test]
async fn spaces_filter_sort_page_archive_and_bulk_delete() {
    let app = spawn_app().await;
    let sk = app.dev_secret.clone();
    let mut ids = Vec::new();
    for name in ["beta", "alpha", "gamma"] {
        let (_, body) = app.create_space(&sk, name).await;
        ids.push(body["data"]["id"].as_str().unwrap().to_owned());
    }
    let names = |v: &Value| {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let (_, sorted) = app
        .get(
            "/v1/spaces?sortField=name&sortDirection=desc&pageSize=2",
            &sk,
        )
        .await;
    assert_eq!(names(&sorted), ["gamma", "beta"]);
    assert_eq!(sorted["pagination"]["totalCount"], 3);
    assert_eq!(
        names(&app.get("/v1/spaces?search=ALP", &sk).await.1),
        ["alpha"]
    );
    assert_eq!(app.archive_space(&sk, &ids[0]).await.0, StatusCode::OK);
    assert_eq!(
        names(&app.get("/v1/spaces?sortField=name", &sk).await.1),
        ["alpha", "gamma"]
    );
    assert_eq!(
        names(&app.get("/v1/spaces?archived=true", &sk).await.1),
        ["beta"]
    );
    app.unarchive_space(&sk, &ids[0]).await;
    let (status, _) = app
        .delete(
            &format!("/v1/spaces?spaceIds={}&spaceIds={}", ids[0], ids[1]),
            &sk,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&app.list_spaces(&sk).await.1), ["gamma"]);
    let (status, body) = app.delete("/v1/spaces", &sk).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["key"], "spaceIds");
}

#[actix_web::test]
async fn deleting_a_space_removes_its_workbooks_and_guest_connections() {
    let app = spawn_app().await;
    let w = spaces(&app).await;
    let guest = add_guest(
        &app,
        &w.env,
        "conn@example.com",
        json!([{ "id": w.s1 }, { "id": w.s2 }]),
    )
    .await;
    assert_eq!(
        app.delete(&format!("/v1/spaces/{}", w.s1), &app.dev_secret)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/v1/workbooks/{}", w.w[0]), &app.dev_secret)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, fetched) = app
        .get(
            &format!("/v1/guests/{}", guest["id"].as_str().unwrap()),
            &app.dev_secret,
        )
        .await;
    assert_eq!(fetched["data"]["spaces"], json!([{ "id": w.s2 }]));
}

#[actix_web::test]
async fn guest_roles_mirror_space_grants() {
    let app = spawn_app().await;
    let w = spaces(&app).await;
    let guest = add_guest(&app, &w.env, "roles@example.com", json!([{ "id": w.s1 }])).await;
    let id = guest["id"].as_str().unwrap();
    let (_, roles) = app
        .get(&format!("/v1/guests/{id}/roles"), &app.dev_secret)
        .await;
    assert_eq!(roles["data"][0]["roleId"], "us_rol_guest");
    assert_eq!(roles["data"][0]["resourceId"], w.s1.as_str());
    let (status, added) = app
        .post(
            &format!("/v1/guests/{id}/roles"),
            &app.dev_secret,
            json!({ "roleId": "us_rol_guest", "resourceId": w.s2 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    let token = token_for(&app, id, None).await;
    assert_eq!(app.space(&token, &w.s2).await.0, StatusCode::OK);
    let assignment = added["data"]["id"].as_str().unwrap();
    assert_eq!(
        app.delete(
            &format!("/v1/guests/{id}/roles/{assignment}"),
            &app.dev_secret
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(app.space(&token, &w.s2).await.0, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            &format!("/v1/guests/{id}/roles"),
            &app.dev_secret,
            json!({ "roleId": "us_rol_admin", "resourceId": w.s2 }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn guests_per_request_are_limited() {
    let app = spawn_app_with(|c| c.limits.guests_per_request = 2).await;
    let w = spaces(&app).await;
    let one = |i: usize| json!({ "environmentId": w.env, "email": format!("n{i}@example.com"), "name": "N", "spaces": [] });
    let (status, body) = app
        .post(
            "/v1/guests",
            &app.dev_secret,
            json!([one(1), one(2), one(3)]),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("limits.guests_per_request"));
    assert_eq!(
        app.post("/v1/guests", &app.dev_secret, json!([one(1), one(2)]))
            .await
            .0,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_deleted_workbook_leaves_every_grant_that_named_it() {
    let app = spawn_app().await;
    let w = spaces(&app).await;
    let guest = add_guest(
        &app,
        &w.env,
        "stale@example.com",
        json!([{ "id": w.s1, "workbooks": [{ "id": w.w[0] }, { "id": w.w[1] }] }]),
    )
    .await;
    assert_eq!(
        app.delete(&format!("/v1/workbooks/{}", w.w[0]), &app.dev_secret)
            .await
            .0,
        StatusCode::OK
    );
    let (_, fetched) = app
        .get(
            &format!("/v1/guests/{}", guest["id"].as_str().unwrap()),
            &app.dev_secret,
        )
        .await;
    assert_eq!(
        fetched["data"]["spaces"],
        json!([{ "id": w.s1, "workbooks": [{ "id": w.w[1] }] }])
    );
}

#[actix_web::test]
async fn an_archived_space_keeps_its_archive_time_and_closes_its_shared_link() {
    let app = spawn_app().await;
    let w = spaces(&app).await;
    app.archive_space(&app.dev_secret, &w.s1).await;
    let (_, first) = app.space(&app.dev_secret, &w.s1).await;
    let admin = app.admin_token().await;
    app.advance_clock(&admin, 60).await;
    app.archive_space(&app.dev_secret, &w.s1).await;
    let (_, second) = app.space(&app.dev_secret, &w.s1).await;
    assert_eq!(first["data"]["archivedAt"], second["data"]["archivedAt"]);
    let join = json!({ "email": "late@example.com", "spaceId": w.s1 });
    let (status, body) = app.exchange_invitation(join).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}
