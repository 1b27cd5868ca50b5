use crate::helpers::*;
use actix_web::http::StatusCode;
use serde_json::{json, Value};

/// Environment A: space S1 with workbook W1 (sheets us_sh_orders and us_sh_customers) and W2,
/// space S2; a clip of two order records referencing one customer, and a guest of that clip
/// who holds no space grant.
struct World {
    env: String,
    s1: String,
    s2: String,
    w1: String,
    w2: String,
    clip: String,
    guest: String,
    token: String,
}

const ORDERS: &str = "us_sh_orders";
const CUSTOMERS: &str = "us_sh_customers";

async fn world(app: &TestApp) -> World {
    let sk = &app.dev_secret;
    let (_, env) = app.current_environment(sk).await;
    let env = env["data"]["id"].as_str().unwrap().to_owned();
    let mut spaces = Vec::new();
    for name in ["S1", "S2"] {
        let (_, body) = app.create_space(sk, name).await;
        spaces.push(body["data"]["id"].as_str().unwrap().to_owned());
    }
    let sheets = json!([
        { "id": ORDERS, "name": "Orders", "fields": [] },
        { "id": CUSTOMERS, "name": "Customers", "fields": [] },
    ]);
    let (_, w1) = app
        .create_workbook(
            sk,
            json!({ "name": "W1", "spaceId": spaces[0], "sheets": sheets }),
        )
        .await;
    let (_, w2) = app
        .create_workbook(sk, json!({ "name": "W2", "spaceId": spaces[0] }))
        .await;
    let body = json!([{ "environmentId": env, "email": "clip@example.com", "name": "Clip guest", "spaces": [] }]);
    let guest = app.add_guests(sk, body).await.assert_ok().first_id();
    let clip = app
        .create_data_clip(
            sk,
            json!({
                "name": "Late orders", "sourceSheetId": ORDERS, "collaborators": [guest],
                "recordIds": ["us_rc_o1", "us_rc_o2"],
                "references": [{ "sheetId": CUSTOMERS, "recordIds": ["us_rc_c1"] }],
            }),
        )
        .await
        .assert_ok();
    let (_, token) = app.guest_token(sk, &guest).await;
    World {
        env,
        s1: spaces[0].clone(),
        s2: spaces[1].clone(),
        w1: w1["data"]["id"].as_str().unwrap().to_owned(),
        w2: w2["data"]["id"].as_str().unwrap().to_owned(),
        clip: clip["id"].as_str().unwrap().to_owned(),
        guest,
        token: token["data"]["token"].as_str().unwrap().to_owned(),
    }
}

async fn record(
    app: &TestApp,
    w: &World,
    token: &str,
    sheet: &str,
    record: &str,
) -> (StatusCode, Value) {
    let path = format!(
        "/v1/latchkey/data-clips/{}/records/{record}?sheetId={sheet}",
        w.clip
    );
    app.get(&path, token).await
}

#[actix_web::test]
async fn a_clip_is_created_from_a_sheet_found_by_its_id_in_a_workbook() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (status, body) = app
        .get(&format!("/v1/data-clips/{}", w.clip), &app.dev_secret)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let clip = &body["data"];
    assert_eq!(clip["workbookId"], w.w1.as_str());
    assert_eq!(clip["spaceId"], w.s1.as_str());
    assert_eq!(clip["sourceSheetId"], ORDERS);
    assert!(clip["clipSheetId"].as_str().unwrap().starts_with("us_sh_"));
    assert_eq!(clip["status"], "open");
    assert_eq!(clip["recordIds"], json!(["us_rc_o1", "us_rc_o2"]));
    assert_eq!(
        clip["references"],
        json!([{ "sheetId": CUSTOMERS, "recordIds": ["us_rc_c1"] }])
    );
    assert_eq!(clip["collaborators"], json!([w.guest]));
    let (status, body) = app
        .create_data_clip(
            &app.dev_secret,
            json!({ "name": "x", "sourceSheetId": "us_sh_nowhere" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("workbookId"));
    let body = app
        .create_data_clip(
            &app.dev_secret,
            json!({ "name": "x", "sourceSheetId": "us_sh_given", "workbookId": w.w2 }),
        )
        .await
        .assert_ok();
    assert_eq!(body["workbookId"], w.w2.as_str());
}

#[actix_web::test]
async fn a_clip_guest_reaches_the_clip_and_its_references_and_nothing_else() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let t = &w.token;
    assert_eq!(
        app.get(&format!("/v1/data-clips/{}", w.clip), t).await.0,
        StatusCode::OK
    );
    let (status, body) = record(&app, &w, t, ORDERS, "us_rc_o1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["access"], "write");
    let (status, body) = record(&app, &w, t, CUSTOMERS, "us_rc_c1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["access"], "read");
    let (_, listed) = app.get("/v1/data-clips", t).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["data"]["id"], w.clip.as_str());
    // The rest of the sheet, the referenced sheet, the workbook, the space and the others: 403.
    for (sheet, rec) in [
        (ORDERS, "us_rc_o3"),
        (CUSTOMERS, "us_rc_c2"),
        ("us_sh_other", "us_rc_o1"),
    ] {
        let (status, body) = record(&app, &w, t, sheet, rec).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{sheet} {rec}: {body}");
    }
    for path in [
        format!("/v1/workbooks/{}", w.w1),
        format!("/v1/workbooks/{}", w.w2),
        format!("/v1/spaces/{}", w.s1),
        format!("/v1/spaces/{}", w.s2),
        format!("/v1/guests?spaceId={}", w.s1),
    ] {
        let (status, body) = app.get(&path, t).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
    }
    let (_, workbooks) = app.get("/v1/workbooks", t).await;
    assert_eq!(workbooks["data"], json!([]));
    // A referenced record is read only; a clipped one may be resolved.
    let resolve = |id: &str| json!({ "resolvedRecords": [{ "recordId": id, "resolves": [{ "field": "total", "type": "conflict", "resolveTo": "clip" }] }] });
    let path = format!("/v1/data-clips/{}/resolutions", w.clip);
    let (status, body) = app.patch(&path, t, resolve("us_rc_c1")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app.patch(&path, t, resolve("us_rc_o2")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = app.get(&format!("{path}?filterConflicts=true"), t).await;
    assert_eq!(body["data"][0]["id"], "us_rc_o2");
    // Managing the clip is not for guests.
    let clip_path = format!("/v1/data-clips/{}", w.clip);
    assert_eq!(
        app.patch(&clip_path, t, json!({ "name": "mine" })).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.delete(&clip_path, t).await.0, StatusCode::FORBIDDEN);
    let add = app
        .post(
            &format!("{clip_path}/add-records"),
            t,
            json!({ "recordIds": ["us_rc_o9"] }),
        )
        .await;
    assert_eq!(add.0, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn a_guest_of_another_clip_or_of_the_whole_space_does_not_reach_this_clip() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let sk = &app.dev_secret;
    let body = json!([{ "environmentId": w.env, "email": "space@example.com", "name": "Space guest", "spaces": [{ "id": w.s1 }] }]);
    let g = app.add_guests(sk, body).await.first_id();
    let (_, t) = app.guest_token(sk, &g).await;
    let t = t["data"]["token"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/v1/workbooks/{}", w.w1), t).await.0,
        StatusCode::OK
    );
    let (status, body) = app.get(&format!("/v1/data-clips/{}", w.clip), t).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        record(&app, &w, t, ORDERS, "us_rc_o1").await.0,
        StatusCode::FORBIDDEN
    );
    let (_, listed) = app.get("/v1/data-clips", t).await;
    assert_eq!(listed["data"], json!([]));
}

#[actix_web::test]
async fn removing_the_guest_from_the_clip_ends_its_access_on_the_next_request() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let sk = &app.dev_secret;
    let clip_path = format!("/v1/data-clips/{}", w.clip);
    assert_eq!(app.get(&clip_path, &w.token).await.0, StatusCode::OK);
    let guests = format!("/v1/latchkey/data-clips/{}/guests", w.clip);
    let (_, listed) = app.get(&guests, sk).await;
    assert_eq!(listed["data"][0]["id"], w.guest.as_str());
    let (status, body) = app.delete(&format!("{guests}/{}", w.guest), sk).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.get(&clip_path, &w.token).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        record(&app, &w, &w.token, CUSTOMERS, "us_rc_c1").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&format!("{guests}/{}", w.guest), sk).await.0,
        StatusCode::NOT_FOUND
    );
    // Added back through the official client's `collaborators`, then through Latchkey's endpoint.
    let (status, _) = app
        .patch(
            &clip_path,
            sk,
            json!({ "name": "n", "collaborators": [w.guest] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.get(&clip_path, &w.token).await.0, StatusCode::OK);
    app.patch(&clip_path, sk, json!({ "name": "n", "collaborators": [] }))
        .await;
    assert_eq!(app.get(&clip_path, &w.token).await.0, StatusCode::FORBIDDEN);
    let (status, body) = app.post(&guests, sk, json!({ "guestId": w.guest })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.get(&clip_path, &w.token).await.0, StatusCode::OK);
    // Deleting the clip ends it too.
    assert_eq!(app.delete(&clip_path, sk).await.0, StatusCode::OK);
    assert_eq!(app.get(&clip_path, &w.token).await.0, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn deleting_the_workbook_or_the_guest_removes_the_clip_or_the_membership() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let sk = &app.dev_secret;
    assert_eq!(
        app.delete(&format!("/v1/guests/{}", w.guest), sk).await.0,
        StatusCode::OK
    );
    let (_, clip) = app.get(&format!("/v1/data-clips/{}", w.clip), sk).await;
    assert_eq!(clip["data"]["collaborators"], json!([]));
    assert_eq!(
        app.delete(&format!("/v1/workbooks/{}", w.w1), sk).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/v1/data-clips/{}", w.clip), sk).await.0,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn another_environments_clip_is_not_found_and_publishable_keys_are_refused() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = app.admin_token().await;
    let prod = app.environment_id(&admin, "production").await;
    let keys = app.keys(&admin, &prod).await;
    let secret = keys
        .iter()
        .find(|k| k["type"] == "SECRET")
        .expect("a secret key");
    let prod_secret = secret["rawKey"].as_str().unwrap().to_owned();
    let clip_path = format!("/v1/data-clips/{}", w.clip);
    for (method, path, body) in [
        ("GET", clip_path.clone(), None),
        ("PATCH", clip_path.clone(), Some(json!({ "name": "x" }))),
        ("DELETE", clip_path.clone(), None),
        (
            "GET",
            format!("/v1/latchkey/data-clips/{}/guests", w.clip),
            None,
        ),
        (
            "GET",
            format!("/v1/latchkey/data-clips/{}/records/us_rc_o1", w.clip),
            None,
        ),
    ] {
        let (status, answer) = app.request(method, &path, Some(&prod_secret), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
    }
    let (_, listed) = app.get("/v1/data-clips", &prod_secret).await;
    assert_eq!(listed["data"], json!([]));
    let (status, _) = app
        .create_data_clip(
            &prod_secret,
            json!({ "name": "x", "sourceSheetId": ORDERS, "workbookId": w.w1 }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app.get(&clip_path, &app.dev_publishable).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(app.get(&clip_path, &admin).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn clips_records_and_guests_are_limited_at_limit_plus_one() {
    let app = spawn_app_with(|c| {
        c.limits.data_clips_per_space = 2;
        c.limits.records_per_data_clip = 3;
        c.limits.guests_per_data_clip = 1;
    })
    .await;
    let w = world(&app).await;
    let sk = &app.dev_secret;
    let new_clip = json!({ "name": "second", "sourceSheetId": ORDERS });
    assert_eq!(
        app.create_data_clip(sk, new_clip.clone()).await.0,
        StatusCode::OK
    );
    let (status, body) = app.create_data_clip(sk, new_clip).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("limits.data_clips_per_space"));
    // The clip names three ids already (two clipped, one referenced).
    let add = format!("/v1/data-clips/{}/add-records", w.clip);
    let (status, body) = app
        .post(&add, sk, json!({ "recordIds": ["us_rc_o9"] }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("limits.records_per_data_clip"));
    let (status, body) = app
        .post(&add, sk, json!({ "recordIds": ["us_rc_o1"] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let body = json!([{ "environmentId": w.env, "email": "second@example.com", "name": "G", "spaces": [] }]);
    let (_, g) = app.add_guests(sk, body).await;
    let g = g["data"][0]["id"].as_str().unwrap();
    let (status, body) = app
        .post(
            &format!("/v1/latchkey/data-clips/{}/guests", w.clip),
            sk,
            json!({ "guestId": g }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("limits.guests_per_data_clip"));
    let (status, body) = app
        .patch(
            &format!("/v1/data-clips/{}", w.clip),
            sk,
            json!({ "name": "n", "collaborators": [g, w.guest] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[actix_web::test]
async fn every_clip_change_is_in_the_audit_log() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let sk = &app.dev_secret;
    let clip_path = format!("/v1/data-clips/{}", w.clip);
    app.patch(
        &clip_path,
        sk,
        json!({ "name": "renamed", "status": "merged" }),
    )
    .await;
    app.post(
        &format!("{clip_path}/add-records"),
        sk,
        json!({ "recordIds": ["us_rc_o3"] }),
    )
    .await;
    let resolve = json!({ "resolvedRecords": [{ "recordId": "us_rc_o3", "resolves": [] }] });
    app.patch(&format!("{clip_path}/resolutions"), sk, resolve)
        .await;
    app.request(
        "PATCH",
        &format!("{clip_path}/refresh-resolutions"),
        Some(sk),
        None,
    )
    .await;
    app.delete(
        &format!("/v1/latchkey/data-clips/{}/guests/{}", w.clip, w.guest),
        sk,
    )
    .await;
    app.delete(&clip_path, sk).await;
    let (_, events) = app.events(sk, "domain=data-clip&pageSize=100").await;
    let topics: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["topic"].as_str().unwrap())
        .collect();
    for topic in [
        "data-clip:created",
        "data-clip:collaborator-updated",
        "data-clip:updated",
        "data-clip:resolutions-updated",
        "data-clip:resolutions-refreshed",
        "data-clip:deleted",
    ] {
        assert!(topics.contains(&topic), "{topic} missing from {topics:?}");
    }
    assert_eq!(
        topics
            .iter()
            .filter(|t| **t == "data-clip:collaborator-updated")
            .count(),
        1
    );
    assert_eq!(
        topics.iter().filter(|t| **t == "data-clip:updated").count(),
        2
    );
}
