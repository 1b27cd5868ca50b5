//! A world of environments, spaces, workbooks, guests and every kind of caller, and
//! placeholders (`<S1>`, `<freshSpace>`, …) that request templates name.

use crate::helpers::*;
use actix_web::http::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Every kind of caller, in the order of the matrix columns.
pub const CALLERS: [&str; 12] = [
    "skA",
    "skB",
    "pk",
    "pkToken",
    "admin",
    "adminPat",
    "memberPat",
    "guestSpace",
    "guestWorkbooks",
    "guestOther",
    "none",
    "revoked",
];

/// Fixed fixtures every cell may name.
pub struct World {
    pub ids: HashMap<&'static str, String>,
    pub tokens: HashMap<&'static str, Option<String>>,
    pub admin: String,
}

pub async fn post_data(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, answer) = app.post(path, token, body).await;
    assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    answer["data"].clone()
}

pub async fn world(app: &TestApp) -> World {
    let admin = app.admin_token().await;
    let sk_a = app.dev_secret.clone();
    let env_a = app.environment_id(&admin, "development").await;
    let env_b = app.environment_id(&admin, "production").await;
    let sk_b = app
        .keys(&admin, &env_b)
        .await
        .into_iter()
        .find(|k| k["type"] == "SECRET")
        .unwrap()["rawKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let space = |name: &str, env: &str| json!({ "name": name, "environmentId": env });
    let s1 = post_data(app, &admin, "/v1/spaces", space("S1", &env_a)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let s2 = post_data(app, &admin, "/v1/spaces", space("S2", &env_a)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sb = post_data(app, &admin, "/v1/spaces", space("SB", &env_b)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let wb = |name: &str, s: &str| json!({ "name": name, "spaceId": s });
    let w1 = post_data(app, &admin, "/v1/workbooks", wb("W1", &s1)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let w2 = post_data(app, &admin, "/v1/workbooks", wb("W2", &s1)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let w3 = post_data(app, &admin, "/v1/workbooks", wb("W3", &s1)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let wbb = post_data(app, &admin, "/v1/workbooks", wb("WB", &sb)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let guest = |email: &str, spaces: Value| json!([{ "environmentId": env_a, "email": email, "name": "G", "spaces": spaces }]);
    let g1 = post_data(
        app,
        &admin,
        "/v1/guests",
        guest("g1@example.com", json!([{ "id": s1 }])),
    )
    .await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let workbooks = json!([{ "id": s1, "workbooks": [{ "id": w1 }, { "id": w2 }] }]);
    let g2 = post_data(
        app,
        &admin,
        "/v1/guests",
        guest("g2@example.com", workbooks),
    )
    .await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let g3 = post_data(
        app,
        &admin,
        "/v1/guests",
        guest("g3@example.com", json!([{ "id": s2 }])),
    )
    .await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let clip = json!({
        "name": "C1", "sourceSheetId": "us_sh_c1", "workbookId": w1, "collaborators": [g2],
        "recordIds": ["us_rc_1"], "references": [{ "sheetId": "us_sh_ref", "recordIds": ["us_rc_r"] }],
    });
    let c1 = app.create_data_clip(&admin, clip).await.assert_ok();
    let c1 = c1["id"].as_str().unwrap().to_owned();
    let guest_token = |g: String| {
        let admin = admin.clone();
        async move {
            let body = app.guest_token(&admin, &g).await.assert_ok();
            body["data"]["token"].as_str().unwrap().to_owned()
        }
    };
    let (_, pk_token) = app
        .request(
            "POST",
            "/v1/auth",
            None,
            Some(json!({ "publishableKey": app.dev_publishable })),
        )
        .await;
    let (admin_pat, _) = app.create_pat(&admin, "matrix").await;
    let (_, member) = app
        .onboard(&admin, "member@example.com", "us_rol_member")
        .await;
    let (member_pat, _) = app.create_pat(&member, "matrix").await;
    let (revoked, revoked_id) = app.create_pat(&admin, "revoked").await;
    app.delete_pat(&admin, &revoked_id).await;

    let mut ids = HashMap::new();
    ids.insert("envA", env_a);
    ids.insert("envB", env_b);
    ids.insert("S1", s1);
    ids.insert("S2", s2);
    ids.insert("SB", sb);
    ids.insert("W1", w1);
    ids.insert("W3", w3);
    ids.insert("WB", wbb);
    ids.insert("G1", g1.clone());
    ids.insert("G2", g2.clone());
    ids.insert("C1", c1);
    ids.insert("adminUser", app.admin_id(&admin).await);
    ids.insert("account", app.account_id(&admin).await);
    let mut tokens = HashMap::new();
    tokens.insert("skA", Some(sk_a));
    tokens.insert("skB", Some(sk_b));
    tokens.insert("pk", Some(app.dev_publishable.clone()));
    tokens.insert(
        "pkToken",
        Some(pk_token["accessToken"].as_str().unwrap().to_owned()),
    );
    tokens.insert("admin", Some(admin.clone()));
    tokens.insert("adminPat", Some(admin_pat));
    tokens.insert("memberPat", Some(member_pat));
    tokens.insert("guestSpace", Some(guest_token(g1).await));
    tokens.insert("guestWorkbooks", Some(guest_token(g2).await));
    tokens.insert("guestOther", Some(guest_token(g3).await));
    tokens.insert("none", None);
    tokens.insert("revoked", Some(revoked));
    World { ids, tokens, admin }
}

/// Replaces `<name>` placeholders, creating fresh resources (as the Administrator) for the
/// `fresh*` ones. Resources made for one cell are shared by that cell's placeholders.
pub async fn resolve(
    app: &TestApp,
    w: &World,
    template: &str,
    fresh: &mut HashMap<String, String>,
    n: usize,
) -> String {
    let mut out = template.to_owned();
    while let Some(start) = out.find('<') {
        let Some(len) = out[start..].find('>') else {
            break;
        };
        let name = out[start + 1..start + len].to_owned();
        let value = match w.ids.get(name.as_str()) {
            Some(v) => v.clone(),
            None => match fresh.get(&name) {
                Some(v) => v.clone(),
                None => {
                    make_fresh(app, w, &name, fresh, n).await;
                    fresh
                        .get(&name)
                        .cloned()
                        .unwrap_or_else(|| panic!("unknown placeholder {name}"))
                }
            },
        };
        out.replace_range(start..start + len + 1, &value);
    }
    out
}

async fn make_fresh(
    app: &TestApp,
    w: &World,
    name: &str,
    fresh: &mut HashMap<String, String>,
    n: usize,
) {
    let a = &w.admin;
    let env_a = &w.ids["envA"];
    match name {
        "uniqueEmail" => {
            fresh.insert(name.into(), format!("cell{n}@example.com"));
        }
        "freshSpace" => {
            let d = post_data(
                app,
                a,
                "/v1/spaces",
                json!({ "name": "fresh", "environmentId": env_a }),
            )
            .await;
            fresh.insert(name.into(), d["id"].as_str().unwrap().into());
        }
        "archivedSpace" => {
            let d = post_data(
                app,
                a,
                "/v1/spaces",
                json!({ "name": "archived", "environmentId": env_a }),
            )
            .await;
            let id = d["id"].as_str().unwrap().to_owned();
            let (status, _) = app.archive_space(a, &id).await;
            assert_eq!(status, StatusCode::OK);
            fresh.insert(name.into(), id);
        }
        "freshWorkbook" => {
            let d = post_data(
                app,
                a,
                "/v1/workbooks",
                json!({ "name": "fresh", "spaceId": w.ids["S1"] }),
            )
            .await;
            fresh.insert(name.into(), d["id"].as_str().unwrap().into());
        }
        "freshClip" => {
            let body = json!({ "name": "fresh", "sourceSheetId": "us_sh_fresh", "workbookId": w.ids["W1"], "collaborators": [w.ids["G2"]], "recordIds": ["us_rc_1"] });
            let d = app.create_data_clip(a, body).await.assert_ok();
            fresh.insert(name.into(), d["id"].as_str().unwrap().into());
        }
        "freshGuest" | "freshGuestRole" => {
            let body = json!([{ "environmentId": env_a, "email": format!("fresh{n}@example.com"), "name": "F", "spaces": [{ "id": w.ids["S1"] }] }]);
            let d = post_data(app, a, "/v1/guests", body).await;
            let id = d[0]["id"].as_str().unwrap().to_owned();
            let (_, roles) = app.get(&format!("/v1/guests/{id}/roles"), a).await;
            fresh.insert(
                "freshGuestRole".into(),
                roles["data"][0]["id"].as_str().unwrap().into(),
            );
            fresh.insert("freshGuest".into(), id);
        }
        "freshEnv" => {
            let d = post_data(
                app,
                a,
                "/v1/environments",
                json!({ "name": "fresh", "isProd": false }),
            )
            .await;
            fresh.insert(name.into(), d["id"].as_str().unwrap().into());
        }
        "freshKeyA" => {
            let (_, d) = app.create_api_key(a, env_a, "PUBLISHABLE").await;
            fresh.insert(name.into(), d["data"][0]["id"].as_str().unwrap().into());
        }
        "freshAdminPat" => {
            let (_, id) = app.create_pat(a, "fresh").await;
            fresh.insert(name.into(), id);
        }
        "freshUser" | "freshUserRole" => {
            let id = app
                .invite(a, &format!("user{n}@example.com"), "us_rol_member")
                .await;
            let (_, roles) = app.get(&format!("/v1/users/{id}/roles"), a).await;
            fresh.insert(
                "freshUserRole".into(),
                roles["data"][0]["id"].as_str().unwrap().into(),
            );
            fresh.insert("freshUser".into(), id);
        }
        "freshSecret" => {
            let body = json!({ "name": format!("fresh{n}"), "value": "v", "environmentId": env_a });
            let d = post_data(app, a, "/v1/secrets", body).await;
            fresh.insert(name.into(), d[0]["id"].as_str().unwrap().into());
        }
        "freshWebhook" => {
            let body = json!({ "url": "https://hooks.example/in", "topics": ["space:*"], "environmentId": env_a });
            let d = post_data(app, a, "/v1/latchkey/webhooks", body).await;
            fresh.insert(name.into(), d["id"].as_str().unwrap().into());
        }
        "freshEvent" => {
            let body = json!({ "topic": "custom:fixture", "domain": "job", "payload": {}, "context": { "environmentId": env_a, "accountId": w.ids["account"] } });
            let d = post_data(app, a, "/v1/events", body).await;
            fresh.insert(name.into(), d["id"].as_str().unwrap().into());
        }
        "uniqueSlug" => {
            fresh.insert(name.into(), format!("slug{n}"));
        }
        "freshGuide" => {
            let body = json!({ "title": "t", "description": "d", "slug": format!("fresh{n}"), "blocks": [] });
            let d = post_data(app, a, &format!("/v1/environments/{env_a}/guides"), body).await;
            fresh.insert(name.into(), d["id"].as_str().unwrap().into());
        }
        "freshClient" => {
            let admin_user = &w.ids["adminUser"];
            let (_, d) = app
                .post_empty(&format!("/v1/users/{admin_user}/api-token?tenantId=t"), a)
                .await;
            fresh.insert(name.into(), d["data"]["clientId"].as_str().unwrap().into());
        }
        "freshAgent" | "freshAgentVersion" | "freshAgentRole" => {
            let d = post_data(
                app,
                a,
                &format!("/v1/agents?environmentId={env_a}"),
                json!({ "topics": ["space:created"], "source": "module.exports = {}", "slug": format!("fresh{n}") }),
            )
            .await;
            let id = d["id"].as_str().unwrap().to_owned();
            let role = post_data(
                app,
                a,
                &format!("/v1/agents/{id}/roles"),
                json!({ "roleId": "us_rol_member", "resourceId": env_a }),
            )
            .await;
            fresh.insert("freshAgentRole".into(), role["id"].as_str().unwrap().into());
            fresh.insert(
                "freshAgentVersion".into(),
                d["currentVersionId"].as_str().unwrap().into(),
            );
            fresh.insert("freshAgent".into(), id);
        }
        "freshAgentB" => {
            let env_b = &w.ids["envB"];
            let d = post_data(
                app,
                a,
                &format!("/v1/agents?environmentId={env_b}"),
                json!({ "topics": ["space:created"], "slug": format!("fresh{n}") }),
            )
            .await;
            fresh.insert(name.into(), d["id"].as_str().unwrap().into());
        }
        _ => {}
    }
}
