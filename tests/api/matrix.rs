//! The authorization matrix: every endpoint against every kind of caller, each cell's expected
//! status read from `authorization_matrix.txt`. Mutating rows get fresh targets per cell.
//! `LATCHKEY_MATRIX_PRINT=1` prints the observed table (to review a change), and still asserts.

use crate::helpers::*;
use actix_web::http::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;

const TABLE: &str = include_str!("authorization_matrix.txt");

const CALLERS: [&str; 12] = [
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
struct World {
    ids: HashMap<&'static str, String>,
    tokens: HashMap<&'static str, Option<String>>,
    admin: String,
}

async fn post_data(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, answer) = app.post(path, token, body).await;
    assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    answer["data"].clone()
}

async fn world(app: &TestApp) -> World {
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
    let guest_token = |g: String| {
        let admin = admin.clone();
        async move {
            let (status, body) = app.get(&format!("/v1/guests/{g}/token"), &admin).await;
            assert_eq!(status, StatusCode::OK, "{body}");
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
    app.delete(
        &format!("/v1/auth/personal-access-tokens/{revoked_id}"),
        &admin,
    )
    .await;

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
async fn resolve(
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
            let (_, d) = app
                .post_empty(
                    &format!("/v1/auth/api-key?environmentId={env_a}&type=PUBLISHABLE"),
                    a,
                )
                .await;
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
        "freshClient" => {
            let admin_user = &w.ids["adminUser"];
            let (_, d) = app
                .post_empty(&format!("/v1/users/{admin_user}/api-token?tenantId=t"), a)
                .await;
            fresh.insert(name.into(), d["data"]["clientId"].as_str().unwrap().into());
        }
        _ => {}
    }
}

struct Row<'a> {
    method: &'a str,
    path: &'a str,
    body: Option<&'a str>,
    expected: Vec<u16>,
}

fn rows() -> Vec<Row<'static>> {
    TABLE
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let cols: Vec<&str> = line.split('|').map(str::trim).collect();
            assert_eq!(cols.len(), 4, "a matrix row has 4 columns: {line}");
            let expected: Vec<u16> = cols[3]
                .split_whitespace()
                .map(|s| s.parse().expect("a status"))
                .collect();
            assert_eq!(
                expected.len(),
                CALLERS.len(),
                "a matrix row has a status per caller: {line}"
            );
            Row {
                method: cols[0],
                path: cols[1],
                body: (cols[2] != "-").then_some(cols[2]),
                expected,
            }
        })
        .collect()
}

#[actix_web::test]
async fn every_endpoint_answers_every_kind_of_caller_as_the_table_says() {
    let app = spawn_app_with(|c| {
        c.limits.keys_per_environment = 1000;
        c.limits.environments = 1000;
        c.limits.pats_per_user = 1000;
    })
    .await;
    let w = world(&app).await;
    let mut mismatches = Vec::new();
    let mut printed = Vec::new();
    let mut cells = 0;
    for (r, row) in rows().iter().enumerate() {
        let mut observed = Vec::new();
        for (c, caller) in CALLERS.iter().enumerate() {
            let mut fresh = HashMap::new();
            let n = r * 100 + c;
            let path = resolve(&app, &w, row.path, &mut fresh, n).await;
            let body = match row.body {
                Some(b) => Some(
                    serde_json::from_str::<Value>(&resolve(&app, &w, b, &mut fresh, n).await)
                        .expect("row body is JSON"),
                ),
                None => None,
            };
            let token = w.tokens[caller].as_deref();
            let (status, answer) = app.request(row.method, &path, token, body).await;
            assert!(
                answer.is_object(),
                "{} {path} as {caller}: body {answer}",
                row.method
            );
            if status.as_u16() >= 400 {
                assert!(
                    answer["errors"][0]["message"].is_string(),
                    "{} {path} as {caller}: {answer}",
                    row.method
                );
            }
            if status.as_u16() != row.expected[c] {
                mismatches.push(format!(
                    "{} {} as {caller}: expected {}, got {status} {answer}",
                    row.method, row.path, row.expected[c]
                ));
            }
            observed.push(status.as_u16().to_string());
            cells += 1;
        }
        printed.push(format!(
            "{} | {} | {} | {}",
            row.method,
            row.path,
            row.body.unwrap_or("-"),
            observed.join(" ")
        ));
    }
    if std::env::var_os("LATCHKEY_MATRIX_PRINT").is_some() {
        println!("{}", printed.join("\n"));
    }
    println!("authorization matrix: {cells} cells checked");
    assert!(
        mismatches.is_empty(),
        "{} cells differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
