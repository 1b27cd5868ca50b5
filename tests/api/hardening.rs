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
            let (status, body) = app.create_event(caller, event(topic)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{topic}: {body}");
            assert_eq!(body["errors"][0]["key"], "topic");
        }
    }
    let created = app
        .create_event(&app.dev_secret, event("job:done"))
        .await
        .assert_ok();
    assert_eq!(created["data"]["writtenBy"], "client");
    let (_, own) = app.events(&admin, "topic=account:created").await;
    assert_eq!(own["data"][0]["writtenBy"], "latchkey");
}

#[actix_web::test]
async fn a_secret_keys_acknowledgement_hides_nothing_from_administrators() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    app.create_space_in(&admin, &env, "audited")
        .await
        .assert_ok();
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

// Finding 15: control, bidi and invisible characters are refused wherever a name is accepted.
const UNSAFE_NAMES: [&str; 7] = [
    "two\r\nlines",
    "nul\u{0}",
    "c1\u{85}",
    "\u{202E}gnp.exe",
    "isolate\u{2066}",
    "zero\u{200B}width",
    "\u{FEFF}bom",
];

#[actix_web::test]
async fn unsafe_characters_in_names_are_refused_with_422_naming_the_field() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let space = app.create_space_in(&admin, &env, "fine").await.id();
    let account = app.account_id(&admin).await;
    for bad in UNSAFE_NAMES {
        let cases = [
            (
                "POST",
                "/v1/spaces".to_owned(),
                json!({ "name": bad, "environmentId": env }),
                "name",
            ),
            (
                "POST",
                "/v1/spaces".to_owned(),
                json!({ "name": "ok", "environmentId": env, "labels": [bad] }),
                "labels",
            ),
            (
                "PATCH",
                format!("/v1/spaces/{space}"),
                json!({ "name": bad }),
                "name",
            ),
            (
                "POST",
                "/v1/workbooks".to_owned(),
                json!({ "name": bad, "spaceId": space }),
                "name",
            ),
            (
                "POST",
                "/v1/environments".to_owned(),
                json!({ "name": bad, "isProd": false }),
                "name",
            ),
            (
                "PATCH",
                format!("/v1/environments/{env}"),
                json!({ "name": bad }),
                "name",
            ),
            (
                "POST",
                "/v1/users/invite".to_owned(),
                json!({ "email": "new@example.com", "name": bad, "actorRoles": [{ "roleId": "us_rol_member", "resourceId": account }] }),
                "name",
            ),
            (
                "POST",
                "/v1/guests".to_owned(),
                json!([{ "environmentId": env, "email": "g@example.com", "name": bad, "spaces": [{ "id": space }] }]),
                "name",
            ),
            (
                "POST",
                "/v1/auth/personal-access-tokens".to_owned(),
                json!({ "name": bad }),
                "name",
            ),
            (
                "POST",
                "/v1/secrets".to_owned(),
                json!({ "name": bad, "value": "v", "environmentId": env }),
                "name",
            ),
            (
                "PATCH",
                "/v1/accounts/current".to_owned(),
                json!({ "name": bad }),
                "name",
            ),
        ];
        for (method, path, body, key) in cases {
            let (status, answer) = app.request(method, &path, Some(&admin), Some(body)).await;
            assert_eq!(
                (status, answer["errors"][0]["key"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(key)),
                "{method} {path} with {bad:?}: {answer}"
            );
        }
    }
}

#[actix_web::test]
async fn an_invitation_subject_is_one_line_whatever_the_sender_name() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let space = app.create_space_in(&admin, &env, "plain").await.id();
    let guest = json!([{ "environmentId": env, "email": "s@example.com", "name": "S", "spaces": [{ "id": space }] }]);
    let guests = app.add_guests(&admin, guest).await.assert_ok();
    let id = guests["data"][0]["id"].as_str().unwrap();
    let invite = json!([{ "guestId": id, "spaceId": space, "fromName": "Eve\u{2028}Bcc: all@example.com\r\nX: y" }]);
    app.send_invitations(&admin, invite).await.assert_ok();
    let (_, outbox) = app.outbox(&admin).await;
    let subject = outbox["data"][0]["subject"].as_str().unwrap();
    assert!(
        !subject.contains(['\r', '\n', '\u{2028}', '\u{2029}', '\u{85}']),
        "{subject:?}"
    );
}

// Finding 16: look-alike emails are refused, and internationalised domains compare in ASCII.
#[actix_web::test]
async fn look_alike_emails_are_refused_for_users_and_guests() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let account = app.account_id(&admin).await;
    let space = app.create_space_in(&admin, &env, "s").await.id();
    for email in [
        "\u{0430}dmin@example.com",
        "adm\u{0131}n@example.com",
        "admin\u{200B}@example.com",
        "admin@ex\u{0430}mple.com",
        "\u{03BF}scar@example.com",
    ] {
        let invite = json!({ "email": email, "name": "Look Alike", "actorRoles": [{ "roleId": "us_rol_admin", "resourceId": account }] });
        let (status, body) = app.post("/v1/users/invite", &admin, invite).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{email:?}: {body}"
        );
        assert_eq!(body["errors"][0]["key"], "email");
        let guest = json!([{ "environmentId": env, "email": email, "name": "G", "spaces": [{ "id": space }] }]);
        let (status, body) = app.add_guests(&admin, guest).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{email:?}: {body}"
        );
    }
    let guest = |email: &str| json!([{ "environmentId": env, "email": email, "name": "G", "spaces": [{ "id": space }] }]);
    let unicode = app
        .add_guests(&admin, guest("jörg@bücher.example"))
        .await
        .assert_ok();
    let ascii = app
        .add_guests(&admin, guest("JÖRG@xn--bcher-kva.example"))
        .await
        .assert_ok();
    assert_eq!(
        unicode["data"][0]["id"], ascii["data"][0]["id"],
        "one guest, whichever form the domain is written in"
    );
    assert_eq!(ascii["data"][0]["email"], "jörg@xn--bcher-kva.example");
}

/// A space, a workbook in it, and a shared-link guest token for `email`: (space, workbook, token).
async fn shared_link_guest(app: &TestApp, admin: &str, email: &str) -> (String, String, String) {
    let env = app.environment_id(admin, "development").await;
    let space = app.create_space_in(admin, &env, "shared").await.id();
    let (_, wb) = app
        .create_workbook(admin, json!({ "name": "W", "spaceId": space }))
        .await;
    let wb = wb["data"]["id"].as_str().unwrap().to_owned();
    let token = join(app, email, &space).await;
    (space, wb, token)
}

/// Joins `space` through its shared link as `email` and returns the guest token.
async fn join(app: &TestApp, email: &str, space: &str) -> String {
    let body = json!({ "email": email, "spaceId": space });
    let joined = app.exchange_invitation(body).await.assert_ok();
    joined["data"]["token"].as_str().unwrap().to_owned()
}

// Finding 13: archiving a space stops its guests' writes on the next request.
#[actix_web::test]
async fn archiving_a_space_stops_its_shared_link_guests_writes_at_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (space, wb, guest) = shared_link_guest(&app, &admin, "visitor@example.com").await;
    let rename = |name: &str| json!({ "name": name });
    let path = format!("/v1/workbooks/{wb}");
    let (status, body) = app.patch(&path, &guest, rename("before")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.archive_space(&admin, &space).await.assert_ok();
    let (status, body) = app.patch(&path, &guest, rename("after")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("archived"));
    let (status, body) = app
        .create_workbook(&guest, json!({ "name": "new", "spaceId": space }))
        .await;
    assert!(status == StatusCode::FORBIDDEN, "{status} {body}");
    assert_eq!(
        app.get(&path, &guest).await.0,
        StatusCode::OK,
        "reading goes on"
    );
    let (_, unarchived) = app.unarchive_space(&admin, &space).await;
    assert!(unarchived["data"].is_object(), "{unarchived}");
    let (status, body) = app.patch(&path, &guest, rename("again")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Creates a guest with `spaces` as the Administrator and returns its id.
async fn add_guest(
    app: &TestApp,
    admin: &str,
    env: &str,
    email: &str,
    spaces: serde_json::Value,
) -> String {
    let body = json!([{ "environmentId": env, "email": email, "name": "Original Name", "spaces": spaces }]);
    app.add_guests(admin, body).await.assert_ok().first_id()
}

async fn new_space(app: &TestApp, admin: &str, env: &str, name: &str) -> String {
    app.create_space_in(admin, env, name).await.assert_ok().id()
}

// Finding 4: a guest's upsert of another guest adds grants within its own and changes nothing
// else, and answers only what the caller may see.
#[actix_web::test]
async fn a_guest_upserting_another_guest_cannot_rename_it_or_see_its_other_grants() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let mine = new_space(&app, &admin, &env, "mine").await;
    let theirs = new_space(&app, &admin, &env, "theirs").await;
    let caller = add_guest(
        &app,
        &admin,
        &env,
        "caller@example.com",
        json!([{ "id": mine }]),
    )
    .await;
    let other = add_guest(
        &app,
        &admin,
        &env,
        "other@example.com",
        json!([{ "id": theirs }]),
    )
    .await;
    let (_, token) = app.guest_token(&admin, &caller).await;
    let guest = token["data"]["token"].as_str().unwrap().to_owned();

    let upsert = json!([{ "environmentId": env, "email": "other@example.com", "name": "Renamed", "spaces": [{ "id": mine }] }]);
    let answer = app.add_guests(&guest, upsert).await.assert_ok();
    let spaces: Vec<&str> = answer["data"][0]["spaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        spaces,
        [mine.as_str()],
        "only the caller's own space is shown: {answer}"
    );

    let (_, stored) = app.guest(&admin, &other).await;
    assert_eq!(stored["data"]["name"], "Original Name", "not renamed");
    assert_eq!(
        stored["data"]["spaces"].as_array().unwrap().len(),
        2,
        "{stored}"
    );

    let wider = json!([{ "environmentId": env, "email": "other@example.com", "name": "x", "spaces": [{ "id": theirs }] }]);
    let (status, body) = app.add_guests(&guest, wider).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no grant beyond its own: {body}"
    );
}

// Finding 12: a shared-link join with an existing guest's address mails that address a link
// instead of handing out the guest's identity.
#[actix_web::test]
async fn a_shared_link_join_with_an_existing_guests_email_mails_a_link_instead_of_a_token() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let private = new_space(&app, &admin, &env, "private").await;
    let open = new_space(&app, &admin, &env, "open").await;
    let victim = add_guest(
        &app,
        &admin,
        &env,
        "victim@example.com",
        json!([{ "id": private }]),
    )
    .await;
    let body = json!({ "email": "Victim@Example.com", "spaceId": open });
    let joined = app.exchange_invitation(body).await.assert_ok();
    assert_eq!(
        joined["data"],
        json!({ "valid": true, "sentTo": "victim@example.com" })
    );
    let (_, stored) = app.guest(&admin, &victim).await;
    assert_eq!(
        stored["data"]["spaces"].as_array().unwrap().len(),
        1,
        "no grant before the address is proven: {stored}"
    );
    let link = app.link_token_for(&admin, "victim@example.com").await;
    let redeemed = app
        .exchange_invitation(json!({ "token": link }))
        .await
        .assert_ok();
    let token = redeemed["data"]["token"].as_str().unwrap();
    assert_eq!(app.space(token, &open).await.0, StatusCode::OK);
    let (_, again) = app.exchange_invitation(json!({ "token": link })).await;
    assert_eq!(again["data"]["valid"], false, "the link works once");
}

// Finding 5: shared links are rate-limited per address and capped per space; invitation mails
// carry only the server's text; guests invite only when allowed and at a bounded rate.
#[actix_web::test]
async fn shared_link_joins_are_limited_per_address_and_capped_per_space() {
    let app = spawn_app_with(|c| {
        c.guests.shared_link_joins_per_address_per_hour = 4;
        c.guests.shared_link_guests_per_space = 2;
    })
    .await;
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let space = new_space(&app, &admin, &env, "open").await;
    let join = |n: usize| json!({ "email": format!("walk{n}@example.com"), "spaceId": space });
    let mut statuses = Vec::new();
    for n in 0..5 {
        let (status, body) = app.exchange_invitation(join(n)).await;
        statuses.push(status.as_u16());
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(body["errors"][0]["key"], "throttled", "{body}");
        }
    }
    assert_eq!(
        statuses,
        [200, 200, 422, 422, 429],
        "two guests fit; the fifth join is over the address budget"
    );
    let (_, guests) = app
        .get(&format!("/v1/guests?spaceId={space}"), &admin)
        .await;
    assert_eq!(guests["data"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn invitation_mails_carry_only_server_text_and_guests_invite_within_bounds() {
    let app = spawn_app_with(|c| c.guests.invitations_per_guest_per_hour = 2).await;
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let space = new_space(&app, &admin, &env, "team").await;
    let body = json!([{ "environmentId": env, "email": "eve@example.com", "name": "Eve <visit http://evil.example>", "spaces": [{ "id": space }] }]);
    let eve_id = app.add_guests(&admin, body).await.assert_ok().first_id();
    let (_, token) = app.guest_token(&admin, &eve_id).await;
    let eve_token = token["data"]["token"].as_str().unwrap().to_owned();

    let target = add_guest(
        &app,
        &admin,
        &env,
        "target@outside.example",
        json!([{ "id": space }]),
    )
    .await;
    let invite = json!([{ "guestId": target, "spaceId": space, "fromName": "Your Bank", "message": "Log in at http://phish.example" }]);
    app.send_invitations(&eve_token, invite.clone())
        .await
        .assert_ok();
    let (_, outbox) = app.outbox(&admin).await;
    let mail = &outbox["data"][0];
    let text = format!("{} {}", mail["subject"], mail["body"]);
    assert!(
        !text.contains("Your Bank") && !text.contains("phish"),
        "{text}"
    );
    assert!(
        !text.contains("http://evil"),
        "the inviter's name is escaped: {text}"
    );
    assert!(text.contains("Eve _visit http___evil.example_"), "{text}");

    assert_eq!(
        app.send_invitations(&eve_token, invite.clone()).await.0,
        StatusCode::OK
    );
    let (status, body) = app.send_invitations(&eve_token, invite).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");

    let walk_in = join(&app, "walkin@example.com", &space).await;
    let invite = json!([{ "guestId": target, "spaceId": space }]);
    let (status, body) = app.send_invitations(&walk_in, invite).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a shared-link guest may not invite: {body}"
    );
    let add = json!([{ "environmentId": env, "email": "friend@outside.example", "name": "F", "spaces": [{ "id": space }] }]);
    assert_eq!(app.add_guests(&walk_in, add).await.0, StatusCode::FORBIDDEN);
}

/// A password login sent through a proxy that says the client is `from`.
async fn login_from(app: &TestApp, from: &str, email: &str, password: &str) -> StatusCode {
    let body = json!({ "type": "userCredentials", "email": email, "password": password });
    let headers = [
        ("content-type", "application/json"),
        ("x-forwarded-for", from),
    ];
    app.raw("POST", "/v1/auth", &headers, body.to_string().into_bytes())
        .await
        .0
}

// Finding 10: the account soft lock never refuses the right password from an address that has
// not been failing; IPv6 counts per /64; X-Forwarded-For counts only from trusted proxies.
#[actix_web::test]
async fn an_attacked_account_still_signs_in_from_an_address_that_has_not_failed() {
    let app = spawn_app_with(|c| {
        c.server.trusted_proxies = vec!["127.0.0.1/32".into()];
        c.security.login_failures_per_account = 5;
        c.security.login_failures_per_address = 1000;
        c.security.login_delay_ms = 0;
    })
    .await;
    for _ in 0..5 {
        let status = login_from(&app, "203.0.113.9", ADMIN_EMAIL, "wrong password!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let attacker = login_from(&app, "203.0.113.9", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        attacker,
        StatusCode::TOO_MANY_REQUESTS,
        "the failing address is refused"
    );
    let owner = login_from(&app, "198.51.100.7", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        owner,
        StatusCode::OK,
        "the owner's address has not been failing"
    );
}

#[actix_web::test]
async fn ipv6_clients_count_per_64_and_forwarded_addresses_only_from_trusted_proxies() {
    let app = spawn_app_with(|c| {
        c.server.trusted_proxies = vec!["127.0.0.1".into()];
        c.security.login_failures_per_address = 3;
        c.security.login_delay_ms = 0;
    })
    .await;
    for n in 1..=3 {
        let from = format!("2001:db8:7:7::{n}");
        let status = login_from(&app, &from, &format!("u{n}@example.com"), "wrong password!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let same_64 = login_from(&app, "2001:db8:7:7:ffff::1", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(same_64, StatusCode::TOO_MANY_REQUESTS);
    let other_64 = login_from(&app, "2001:db8:7:8::1", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(other_64, StatusCode::OK);

    let untrusted = spawn_app_with(|c| {
        c.security.login_failures_per_address = 3;
        c.security.login_delay_ms = 0;
    })
    .await;
    for n in 1..=3 {
        let from = format!("198.51.100.{n}");
        login_from(
            &untrusted,
            &from,
            &format!("u{n}@example.com"),
            "wrong password!",
        )
        .await;
    }
    let spoofed = login_from(&untrusted, "192.0.2.200", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        spoofed,
        StatusCode::TOO_MANY_REQUESTS,
        "without trusted proxies X-Forwarded-For is ignored: every attempt came from 127.0.0.1"
    );
}

async fn refresh(app: &TestApp, token: &str) -> (StatusCode, serde_json::Value) {
    app.request("POST", "/v1/auth/refresh-token", None, Some(json!(token)))
        .await
}

// Finding 7: sessions end, rotate on refresh, can be revoked, and a password change ends the
// others.
#[actix_web::test]
async fn refresh_rotates_and_never_extends_a_session_past_its_lifetime() {
    let app = spawn_app_with(|c| c.security.session_lifetime_seconds = 7200).await;
    let first = app.admin_token().await;
    let (status, body) = refresh(&app, &first).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = body["accessToken"].as_str().unwrap().to_owned();
    let (status, old) = app.current_account(&first).await;
    assert_eq!(
        (status, old["errors"][0]["key"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("revoked"))
    );
    assert_eq!(
        refresh(&app, &first).await.0,
        StatusCode::UNAUTHORIZED,
        "the old token is spent"
    );
    assert_eq!(app.current_account(&second).await.0, StatusCode::OK);

    let (pat, _) = app.create_pat(&second, "clock").await;
    app.advance_clock(&pat, 3600).await;
    let (status, body) = refresh(&app, &second).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let expires_in: i64 = body["expiresIn"].as_str().unwrap().parse().unwrap();
    assert!(
        expires_in <= 3600,
        "the session's end bounds the token: {expires_in}"
    );
    let third = body["accessToken"].as_str().unwrap().to_owned();
    app.advance_clock(&pat, 3601).await;
    assert_eq!(
        app.current_account(&third).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&app, &third).await.0,
        StatusCode::UNAUTHORIZED,
        "seven days (here two hours) at most"
    );
}

#[actix_web::test]
async fn logout_ends_the_session_and_everywhere_ends_them_all() {
    let app = spawn_app().await;
    let one = app.admin_token().await;
    let two = app.admin_token().await;
    let (status, body) = app.post_empty("/v1/latchkey/logout", &one).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.current_account(&one).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.current_account(&two).await.0, StatusCode::OK);
    let three = app.admin_token().await;
    let (status, body) = app
        .post_empty("/v1/latchkey/logout?everywhere=true", &three)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["sessionsEnded"], 2);
    for token in [&two, &three] {
        assert_eq!(app.current_account(token).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.post_empty("/v1/latchkey/logout", &app.dev_secret)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn a_password_change_needs_the_current_password_and_ends_every_other_session() {
    let app = spawn_app().await;
    let mine = app.admin_token().await;
    let other = app.admin_token().await;
    let change =
        |current: &str| json!({ "currentPassword": current, "password": "a brand new passphrase" });
    let (status, body) = app
        .post("/v1/latchkey/password", &mine, change("not the password"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["key"], "currentPassword");
    let (status, body) = app
        .post("/v1/latchkey/password", &mine, change(ADMIN_PASSWORD))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.current_account(&mine).await.0,
        StatusCode::OK,
        "the caller stays"
    );
    assert_eq!(
        app.current_account(&other).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(ADMIN_EMAIL, "a brand new passphrase").await.0,
        StatusCode::OK
    );
    let (status, _) = app.set_password(change("a brand new passphrase")).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a change needs a credential"
    );
}

#[actix_web::test]
async fn deleting_a_user_ends_their_sessions() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, member) = app
        .onboard(&admin, "leaving@example.com", "us_rol_member")
        .await;
    assert_eq!(app.current_account(&member).await.0, StatusCode::OK);
    app.delete_user(&admin, &id).await.assert_ok();
    let (status, body) = refresh(&app, &member).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}
