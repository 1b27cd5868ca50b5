use crate::fixtures::{resolve, world};
use crate::helpers::*;
use actix_web::http::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Mutating (and auditable) requests: caller, method, path, body, the one topic expected.
const MUTATIONS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "admin",
        "POST",
        "/v1/environments",
        r#"{"name":"e","isProd":false}"#,
        "environment:created",
    ),
    (
        "admin",
        "PATCH",
        "/v1/environments/<envA>",
        r#"{"name":"development"}"#,
        "environment:updated",
    ),
    (
        "admin",
        "DELETE",
        "/v1/environments/<freshEnv>",
        "-",
        "environment:deleted",
    ),
    (
        "adminPat",
        "POST",
        "/v1/auth/api-key?environmentId=<envA>&type=SECRET",
        "-",
        "api-key:created",
    ),
    (
        "admin",
        "DELETE",
        "/v1/auth/api-key?environmentId=<envA>&key=<freshKeyA>",
        "-",
        "api-key:deleted",
    ),
    (
        "admin",
        "POST",
        "/v1/latchkey/api-keys/<freshKeyA>/rotate",
        r#"{"expiresInSeconds":60}"#,
        "api-key:rotated",
    ),
    (
        "memberPat",
        "POST",
        "/v1/auth/personal-access-tokens",
        r#"{"name":"p"}"#,
        "pat:created",
    ),
    (
        "admin",
        "DELETE",
        "/v1/auth/personal-access-tokens/<freshAdminPat>",
        "-",
        "pat:deleted",
    ),
    (
        "admin",
        "POST",
        "/v1/users/invite",
        r#"{"email":"<uniqueEmail>","name":"u","actorRoles":[]}"#,
        "user:invited",
    ),
    (
        "admin",
        "PATCH",
        "/v1/users/<adminUser>",
        r#"{"name":"Administrator"}"#,
        "user:updated",
    ),
    (
        "admin",
        "DELETE",
        "/v1/users/<freshUser>",
        "-",
        "user:deleted",
    ),
    (
        "admin",
        "POST",
        "/v1/users/<freshUser>/resend-invite",
        "-",
        "user:invite-resent",
    ),
    (
        "admin",
        "POST",
        "/v1/users/<freshUser>/roles",
        r#"{"roleId":"us_rol_admin","resourceId":"<account>"}"#,
        "user:role-changed",
    ),
    (
        "admin",
        "DELETE",
        "/v1/users/<freshUser>/roles/<freshUserRole>",
        "-",
        "user:role-changed",
    ),
    (
        "admin",
        "POST",
        "/v1/users/<adminUser>/api-token?tenantId=t",
        "-",
        "client-credentials:created",
    ),
    (
        "admin",
        "DELETE",
        "/v1/users/<adminUser>/api-token/<freshClient>",
        "-",
        "client-credentials:deleted",
    ),
    (
        "admin",
        "PATCH",
        "/v1/accounts/current",
        r#"{"name":"Latchkey"}"#,
        "account:updated",
    ),
    (
        "admin",
        "POST",
        "/v1/latchkey/clock",
        r#"{"advanceSeconds":0}"#,
        "latchkey:clock-advanced",
    ),
    (
        "skA",
        "POST",
        "/v1/spaces",
        r#"{"name":"s"}"#,
        "space:created",
    ),
    (
        "pk",
        "POST",
        "/v1/spaces",
        r#"{"name":"s"}"#,
        "space:created",
    ),
    (
        "memberPat",
        "PATCH",
        "/v1/spaces/<S1>",
        r#"{"name":"S1"}"#,
        "space:updated",
    ),
    (
        "skA",
        "DELETE",
        "/v1/spaces/<freshSpace>",
        "-",
        "space:deleted",
    ),
    (
        "skA",
        "DELETE",
        "/v1/spaces?spaceIds=<freshSpace>",
        "-",
        "space:deleted",
    ),
    (
        "skA",
        "POST",
        "/v1/spaces/<freshSpace>/archive",
        "-",
        "space:archived",
    ),
    (
        "skA",
        "POST",
        "/v1/spaces/<archivedSpace>/unarchive",
        "-",
        "space:unarchived",
    ),
    (
        "skA",
        "POST",
        "/v1/workbooks",
        r#"{"name":"w","spaceId":"<S1>"}"#,
        "workbook:created",
    ),
    (
        "guestSpace",
        "PATCH",
        "/v1/workbooks/<W1>",
        r#"{"name":"W1"}"#,
        "workbook:updated",
    ),
    (
        "skA",
        "DELETE",
        "/v1/workbooks/<freshWorkbook>",
        "-",
        "workbook:deleted",
    ),
    (
        "skA",
        "POST",
        "/v1/guests",
        r#"[{"environmentId":"<envA>","email":"<uniqueEmail>","name":"g","spaces":[{"id":"<S1>"}]}]"#,
        "space:guestAdded",
    ),
    (
        "guestSpace",
        "POST",
        "/v1/guests",
        r#"[{"environmentId":"<envA>","email":"<uniqueEmail>","name":"g","spaces":[{"id":"<S1>"}]}]"#,
        "space:guestAdded",
    ),
    (
        "skA",
        "PATCH",
        "/v1/guests/<freshGuest>",
        r#"{"name":"g"}"#,
        "guest:updated",
    ),
    (
        "skA",
        "DELETE",
        "/v1/guests/<freshGuest>?spaceId=<S1>",
        "-",
        "space:guestRemoved",
    ),
    (
        "skA",
        "DELETE",
        "/v1/guests/<freshGuest>",
        "-",
        "guest:deleted",
    ),
    (
        "skA",
        "GET",
        "/v1/guests/<G1>/token",
        "-",
        "guest:token-issued",
    ),
    (
        "skA",
        "POST",
        "/v1/guests/<freshGuest>/roles",
        r#"{"roleId":"us_rol_guest","resourceId":"<S2>"}"#,
        "space:guestAdded",
    ),
    (
        "skA",
        "DELETE",
        "/v1/guests/<freshGuest>/roles/<freshGuestRole>",
        "-",
        "space:guestRemoved",
    ),
    (
        "skA",
        "POST",
        "/v1/invitations",
        r#"[{"guestId":"<G1>","spaceId":"<S1>"}]"#,
        "guest:invited",
    ),
    (
        "skA",
        "POST",
        "/v1/secrets",
        r#"{"name":"<uniqueEmail>","value":"v"}"#,
        "secret:created",
    ),
    (
        "skA",
        "POST",
        "/v1/secrets",
        r#"{"name":"API_TOKEN","value":"v2"}"#,
        "secret:updated",
    ),
    (
        "admin",
        "DELETE",
        "/v1/secrets/<freshSecret>",
        "-",
        "secret:deleted",
    ),
    (
        "skA",
        "POST",
        "/v1/latchkey/webhooks",
        r#"{"url":"https://hooks.example/a","topics":["space:*"]}"#,
        "webhook:created",
    ),
    (
        "admin",
        "DELETE",
        "/v1/latchkey/webhooks/<freshWebhook>",
        "-",
        "webhook:deleted",
    ),
    (
        "skA",
        "POST",
        "/v1/events",
        r#"{"topic":"job:custom","domain":"job","payload":{},"context":{"environmentId":"<envA>","accountId":"<account>"}}"#,
        "job:custom",
    ),
    (
        "skA",
        "POST",
        "/v1/agents?environmentId=<envA>",
        r#"{"topics":["space:created"],"source":"module.exports = {}"}"#,
        "agent:created",
    ),
    (
        "admin",
        "POST",
        "/v1/agents?environmentId=<envA>",
        r#"{"topics":["space:created"]}"#,
        "agent:updated",
    ),
    (
        "skA",
        "GET",
        "/v1/agents/<freshAgent>/versions/<freshAgentVersion>/revert",
        "-",
        "agent:updated",
    ),
    (
        "skA",
        "POST",
        "/v1/agents/<freshAgent>/roles",
        r#"{"roleId":"us_rol_member","resourceId":"<account>"}"#,
        "agent:updated",
    ),
    (
        "adminPat",
        "DELETE",
        "/v1/agents/<freshAgent>/roles/<freshAgentRole>",
        "-",
        "agent:updated",
    ),
    (
        "skA",
        "DELETE",
        "/v1/agents/<freshAgent>",
        "-",
        "agent:deleted",
    ),
    // Data clips.
    (
        "admin",
        "POST",
        "/v1/data-clips",
        r#"{"name":"m","sourceSheetId":"us_sh_m","workbookId":"<W1>"}"#,
        "data-clip:created",
    ),
    (
        "skA",
        "PATCH",
        "/v1/data-clips/<freshClip>",
        r#"{"name":"m"}"#,
        "data-clip:updated",
    ),
    (
        "skA",
        "POST",
        "/v1/data-clips/<freshClip>/add-records",
        r#"{"recordIds":["us_rc_2"]}"#,
        "data-clip:updated",
    ),
    (
        "adminPat",
        "PATCH",
        "/v1/data-clips/<freshClip>/resolutions",
        r#"{"resolvedRecords":[{"recordId":"us_rc_1","resolves":[]}]}"#,
        "data-clip:resolutions-updated",
    ),
    (
        "guestWorkbooks",
        "PATCH",
        "/v1/data-clips/<C1>/resolutions",
        r#"{"resolvedRecords":[{"recordId":"us_rc_1","resolves":[]}]}"#,
        "data-clip:resolutions-updated",
    ),
    (
        "skA",
        "PATCH",
        "/v1/data-clips/<freshClip>/refresh-resolutions",
        "-",
        "data-clip:resolutions-refreshed",
    ),
    (
        "memberPat",
        "POST",
        "/v1/latchkey/data-clips/<freshClip>/guests",
        r#"{"guestId":"<G1>"}"#,
        "data-clip:collaborator-updated",
    ),
    (
        "skA",
        "DELETE",
        "/v1/latchkey/data-clips/<freshClip>/guests/<G2>",
        "-",
        "data-clip:collaborator-updated",
    ),
    (
        "admin",
        "DELETE",
        "/v1/data-clips/<freshClip>",
        "-",
        "data-clip:deleted",
    ),
];

#[actix_web::test]
async fn every_mutating_request_adds_exactly_one_event_with_its_topic_and_actor() {
    let app = spawn_app_with(|c| c.limits.pats_per_user = 1000).await;
    let w = world(&app).await;
    let sk = w.tokens["skA"].clone().unwrap();
    app.write_secret(&sk, json!({ "name": "API_TOKEN", "value": "v1" }))
        .await;
    for (n, (caller, method, path, body, topic)) in MUTATIONS.iter().enumerate() {
        let token = w.tokens[caller].clone().unwrap();
        let mut fresh = HashMap::new();
        let path = resolve(&app, &w, path, &mut fresh, 5000 + n).await;
        let body = match *body {
            "-" => None,
            b => Some(
                serde_json::from_str::<Value>(&resolve(&app, &w, b, &mut fresh, 5000 + n).await)
                    .unwrap(),
            ),
        };
        let actor = app.whoami(&token).await.1["data"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let before = app.event_count();
        let (status, answer) = app.request(method, &path, Some(&token), body).await;
        assert_eq!(status, StatusCode::OK, "{method} {path}: {answer}");
        assert_eq!(
            app.event_count(),
            before + 1,
            "{method} {path} as {caller} adds exactly one event"
        );
        let (_, newest) = app
            .events(&w.admin, "pageSize=1&includeAcknowledged=true")
            .await;
        let event = &newest["data"][0];
        assert_eq!(event["topic"], *topic, "{method} {path}: {event}");
        assert_eq!(
            event["context"]["actorId"],
            actor.as_str(),
            "{method} {path}: {event}"
        );
        assert!(event["id"].as_str().unwrap().starts_with("us_evt_"));
    }
}

#[actix_web::test]
async fn authentication_decisions_are_recorded_with_address_and_agent() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.login(ADMIN_EMAIL, "not the password").await;
    app.request(
        "POST",
        "/v1/auth",
        None,
        Some(json!({ "publishableKey": app.dev_publishable })),
    )
    .await;
    let (_, events) = app.events(&admin, "domain=auth&pageSize=10").await;
    let topics: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["topic"].as_str().unwrap())
        .collect();
    assert_eq!(
        topics[..3],
        [
            "auth:token-issued",
            "auth:login-failed",
            "auth:login-succeeded"
        ]
    );
    let failed = &events["data"][1];
    assert_eq!(failed["payload"]["email"], ADMIN_EMAIL);
    assert_eq!(failed["payload"]["clientAddress"], "127.0.0.1");
    assert_eq!(failed["payload"]["userAgent"], "latchkey-tests", "{failed}");
    let admin_id = app.admin_id(&admin).await;
    assert_eq!(failed["context"]["actorId"], admin_id.as_str());
}

#[actix_web::test]
async fn events_filter_by_environment_space_domain_topic_and_time() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let sk = app.dev_secret.clone();
    let space = app.create_space(&sk, "filtered").await.id();
    let production = app.environment_id(&admin, "production").await;
    app.patch(
        &format!("/v1/environments/{production}"),
        &admin,
        json!({ "name": "production" }),
    )
    .await;
    let topics = |v: &Value| {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["topic"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let (_, own) = app.events(&sk, "pageSize=100").await;
    assert!(topics(&own).contains(&"space:created".to_owned()));
    assert!(
        !topics(&own).contains(&"environment:updated".to_owned()),
        "a secret key reads only its environment"
    );
    assert!(
        !topics(&own).iter().any(|t| t.starts_with("auth:login")),
        "account-level events are for Administrators"
    );
    let (_, in_space) = app.events(&admin, &format!("spaceId={space}")).await;
    assert_eq!(topics(&in_space), ["space:created"]);
    let (_, by_topic) = app.events(&admin, "topic=environment:updated").await;
    assert_eq!(
        by_topic["data"][0]["context"]["environmentId"],
        production.as_str()
    );
    let (_, by_env) = app
        .events(
            &admin,
            &format!("environmentId={production}&domain=environment"),
        )
        .await;
    assert_eq!(topics(&by_env), ["environment:updated"]);
    app.advance_clock(&admin, 3600).await;
    let since = time::OffsetDateTime::now_utc() + time::Duration::minutes(30);
    let since = since
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (_, recent) = app
        .events(&admin, &format!("since={}", since.replace('+', "%2B")))
        .await;
    assert_eq!(topics(&recent), ["latchkey:clock-advanced"]);
    let (status, body) = app.events(&admin, "since=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["key"], "since");
}

#[actix_web::test]
async fn pages_are_newest_first_and_stable_while_events_arrive() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let account = app.account_id(&admin).await;
    let create = |n: usize| json!({ "topic": format!("job:n{n:02}"), "domain": "job", "payload": { "n": n }, "context": { "environmentId": env, "accountId": account } });
    for n in 0..10 {
        app.create_event(&admin, create(n)).await;
    }
    let (_, first) = app.events(&admin, "domain=job&pageSize=4").await;
    let newest = first["data"][0]["createdAt"].as_str().unwrap().to_owned();
    assert_eq!(first["data"][0]["topic"], "job:n09");
    let mut seen: Vec<String> = Vec::new();
    for page in 1..=3 {
        app.create_event(&admin, create(90 + page)).await;
        let path = format!(
            "/v1/events?domain=job&pageSize=4&pageNumber={page}&until={}",
            newest.replace(':', "%3A")
        );
        let (status, body) = app.get(&path, &admin).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        seen.extend(
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["topic"].as_str().unwrap().to_owned()),
        );
    }
    let expected: Vec<String> = (0..10).rev().map(|n| format!("job:n{n:02}")).collect();
    assert_eq!(
        seen, expected,
        "pages under a fixed `until` neither repeat nor skip"
    );
}

#[actix_web::test]
async fn acknowledged_events_stay_in_administrators_listings() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, list) = app.events(&admin, "topic=account:created").await;
    let id = list["data"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = app
        .post_empty(&format!("/v1/events/{id}/ack"), &admin)
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({ "data": { "success": true } }))
    );
    for filter in ["", "&includeAcknowledged=false"] {
        let path = format!("/v1/events?topic=account:created{filter}");
        let (_, listed) = app.get(&path, &admin).await;
        assert_eq!(listed["data"][0]["id"], id.as_str(), "{path}");
    }
    let (_, shown) = app
        .events(&admin, "topic=account:created&includeAcknowledged=true")
        .await;
    assert_eq!(shown["data"][0]["id"], id.as_str());
    let (_, one) = app.event(&admin, &id).await;
    assert!(one["data"]["acknowledgedAt"].is_string());
    assert_eq!(
        one["data"]["acknowledgedBy"],
        app.admin_id(&admin).await.as_str()
    );
    assert_eq!(
        app.event(&app.dev_secret, &id).await.0,
        StatusCode::NOT_FOUND,
        "account-level events are not an environment key's"
    );
    assert_eq!(
        app.event(&admin, "us_evt_nothing").await.0,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn events_older_than_the_retention_are_swept() {
    let app = spawn_app_with(|c| {
        c.audit.retention_days = 90;
        c.audit.sweep_interval_seconds = 1;
    })
    .await;
    let token = app.admin_token().await;
    let (admin, _) = app.create_pat(&token, "outlives the clock").await;
    let (_, before) = app
        .events(&admin, "includeAcknowledged=true&pageSize=100")
        .await;
    let old: Vec<String> = before["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(old.len() >= 2);
    app.advance_clock(&admin, 89 * 86_400).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        app.get(&format!("/v1/events/{}", old[0]), &admin).await.0,
        StatusCode::OK,
        "89 days old is kept"
    );
    app.advance_clock(&admin, 2 * 86_400).await;
    let mut gone = false;
    for _ in 0..100 {
        if app.get(&format!("/v1/events/{}", old[0]), &admin).await.0 == StatusCode::NOT_FOUND {
            gone = true;
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "a 91-day-old event is swept");
    let (_, after) = app
        .events(&admin, "includeAcknowledged=true&pageSize=100")
        .await;
    let topics: Vec<&str> = after["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["topic"].as_str().unwrap())
        .collect();
    assert_eq!(
        topics, ["latchkey:clock-advanced"; 2],
        "only the events from the clock moves remain"
    );
}

#[actix_web::test]
async fn the_export_streams_ndjson_oldest_first_for_a_time_range() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let account = app.account_id(&admin).await;
    for n in 0..300 {
        let body = json!({ "topic": format!("job:e{n}"), "domain": "job", "payload": { "pad": "x".repeat(200) }, "context": { "environmentId": env, "accountId": account } });
        app.create_event(&admin, body).await;
    }
    let (status, kind, text) = app.get_text("/v1/latchkey/events/export", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "application/x-ndjson");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), app.event_count());
    assert_eq!(lines[0]["topic"], "account:created");
    let jobs: Vec<&str> = lines
        .iter()
        .filter_map(|e| e["topic"].as_str())
        .filter(|t| t.starts_with("job:"))
        .collect();
    assert_eq!(jobs.len(), 300);
    assert_eq!((jobs[0], jobs[299]), ("job:e0", "job:e299"));
    let (_, _, none) = app
        .get_text(
            "/v1/latchkey/events/export?until=2000-01-01T00%3A00%3A00Z",
            &admin,
        )
        .await;
    assert_eq!(none, "");
    assert_eq!(
        app.get("/v1/latchkey/events/export", &app.dev_secret)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn a_created_event_must_name_a_space_of_its_environment() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    let production = app.environment_id(&admin, "production").await;
    let (_, other) = app.create_space_in(&admin, &production, "prod space").await;
    let other = other["data"]["id"].as_str().unwrap();
    let account = app.account_id(&admin).await;
    for space in [other, "us_sp_nothere"] {
        let body = json!({ "topic": "job:ready", "domain": "job", "payload": {}, "context": { "accountId": account, "environmentId": dev, "spaceId": space } });
        let (status, answer) = app.create_event(&app.dev_secret, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    }
}
