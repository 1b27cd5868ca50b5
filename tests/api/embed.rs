//! The browser embed: `POST /v1/internal/spaces/init`, CORS (preflights, allowed and refused
//! origins), the JSON content-type rule, and the guest-facing space page.

use crate::helpers::*;
use actix_web::http::StatusCode;
use serde_json::{json, Value};

const EMBED_ORIGIN: &str = "http://embed.example:5173";

/// An answer with its headers.
struct Answer {
    status: StatusCode,
    headers: awc::http::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("non-JSON answer: {}", String::from_utf8_lossy(&self.body)))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Answer {
    let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = awc::Client::default().request(method, format!("{}{}", app.address, path));
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    let mut res = match body {
        Some(b) => req.send_body(b.to_vec()).await,
        None => req.send().await,
    }
    .expect("request sent");
    let body = res.body().limit(1 << 20).await.expect("body").to_vec();
    Answer {
        status: res.status(),
        headers: res.headers().clone(),
        body,
    }
}

/// What `@flatfile/javascript` 1.5.7 sends (`initNewSpace`): a `text/plain` JSON body.
fn embed_body(name: &str) -> Vec<u8> {
    json!({ "space": {
        "name": name, "autoConfigure": true, "labels": ["embedded"], "namespace": "portal",
        "metadata": { "sidebarConfig": { "showSidebar": false } },
    }})
    .to_string()
    .into_bytes()
}

async fn init(app: &TestApp, key: &str, origin: Option<&str>, name: &str) -> Answer {
    let mut headers = vec![("Content-Type", "text/plain"), ("Accept", "text/plain")];
    if let Some(o) = origin {
        headers.push(("Origin", o));
    }
    let path = format!("/v1/internal/spaces/init?publishableKey={key}");
    send(app, "POST", &path, &headers, Some(&embed_body(name))).await
}

async fn allow_origins(app: &TestApp, admin: &str, env: &str, origins: Value) -> Value {
    let (status, body) = app
        .patch(
            &format!("/v1/environments/{env}"),
            admin,
            json!({ "allowedOrigins": origins }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn space_names(app: &TestApp) -> Vec<String> {
    let (_, body) = app.get("/v1/spaces?pageSize=100", &app.dev_secret).await;
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn init_takes_text_plain_json_and_answers_what_the_embed_reads() {
    let app = spawn_app().await;
    let answer = init(&app, &app.dev_publishable, None, "Embedded Space").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let body = answer.json();
    let space = &body["data"]["space"];
    let id = space["id"].as_str().expect("space.id");
    let token = space["accessToken"].as_str().expect("space.accessToken");
    assert!(token.starts_with("eyJ"));
    assert_eq!(space["name"], "Embedded Space");
    assert_eq!(space["labels"], json!(["embedded"]));
    assert_eq!(
        space["guestLink"],
        format!("{}/s/space/{id}?token={token}", app.address)
    );
    let read = app.space(token, id).await.assert_ok();
    assert_eq!(read["data"]["name"], "Embedded Space");
    // The embed archives the space after a submit, with the same token.
    let (status, _) = app.archive_space(token, id).await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn init_creates_the_embed_workbook_with_the_space_or_nothing() {
    let app = spawn_app().await;
    let path = format!(
        "/v1/internal/spaces/init?publishableKey={}",
        app.dev_publishable
    );
    let body = |workbook: Value| {
        json!({ "space": { "name": "with workbook" }, "workbook": workbook }).to_string()
    };
    let sheet = json!({ "name": "Contacts", "slug": "contacts", "fields": [{ "key": "email", "type": "string" }] });
    let plain = [("Content-Type", "text/plain")];
    let refused = send(
        &app,
        "POST",
        &path,
        &plain,
        Some(body(json!({ "sheets": [sheet] })).as_bytes()),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "{}",
        refused.text()
    );
    assert!(
        space_names(&app).await.is_empty(),
        "a refused workbook leaves no space behind"
    );
    let answer = send(
        &app,
        "POST",
        &path,
        &plain,
        Some(body(json!({ "name": "Contacts", "sheets": [sheet], "actions": [] })).as_bytes()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let data = &answer.json()["data"];
    let space = data["space"]["id"].as_str().unwrap();
    assert_eq!(data["space"]["workbooksCount"], 1);
    assert_eq!(data["workbooks"][0]["spaceId"], space);
    assert_eq!(data["workbooks"][0]["sheets"][0]["slug"], "contacts");
    let token = data["space"]["accessToken"].as_str().unwrap();
    let (_, listed) = app
        .get(&format!("/v1/workbooks?spaceId={space}"), token)
        .await;
    assert_eq!(listed["data"][0]["name"], "Contacts");
}

#[actix_web::test]
async fn init_takes_only_a_publishable_key_in_its_query() {
    let app = spawn_app().await;
    for key in [app.dev_secret.as_str(), "pk_nonsense", ""] {
        let answer = init(&app, key, None, "refused").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{key}");
        assert!(answer.json()["errors"][0]["message"].is_string());
    }
    let answer = send(
        &app,
        "POST",
        "/v1/internal/spaces/init",
        &[
            ("Content-Type", "text/plain"),
            ("Authorization", &format!("Bearer {}", app.dev_publishable)),
        ],
        Some(&embed_body("bearer")),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(space_names(&app)
        .await
        .iter()
        .all(|n| n != "refused" && n != "bearer"));
}

#[actix_web::test]
async fn publishable_key_creations_are_rate_limited_per_address() {
    let app = spawn_app_with(|c| {
        c.browser.spaces_per_address = 2;
        c.browser.spaces_window_seconds = 600;
    })
    .await;
    assert_eq!(
        init(&app, &app.dev_publishable, None, "one").await.status,
        StatusCode::OK
    );
    let (status, _) = app.create_space(&app.dev_publishable, "two").await;
    assert_eq!(status, StatusCode::OK);
    let refused = init(&app, &app.dev_publishable, None, "three").await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.text()
    );
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=600).contains(&retry), "{retry}");
    let (status, _) = app.create_space(&app.dev_publishable, "four").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Secret keys are not publishable-key operations: not limited.
    let (status, _) = app.create_space(&app.dev_secret, "server").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(space_names(&app).await.len(), 3);
}

#[actix_web::test]
async fn json_bodies_must_be_application_json_except_on_the_embed_init() {
    let app = spawn_app().await;
    let login = json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }).to_string();
    for kind in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut headers = vec![];
        if let Some(k) = kind {
            headers.push(("Content-Type", k));
        }
        let answer = send(&app, "POST", "/v1/auth", &headers, Some(login.as_bytes())).await;
        assert_eq!(
            answer.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{kind:?}"
        );
        assert_eq!(answer.json()["errors"][0]["key"], "content-type");
        assert!(answer.json().get("accessToken").is_none());
    }
    let answer = send(
        &app,
        "POST",
        "/v1/auth",
        &[("Content-Type", "application/json; charset=utf-8")],
        Some(login.as_bytes()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let sk = format!("Bearer {}", app.dev_secret);
    let answer = send(
        &app,
        "POST",
        "/v1/spaces",
        &[("Authorization", &sk), ("Content-Type", "text/plain")],
        Some(br#"{"name":"plain"}"#),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(space_names(&app).await.is_empty());
    // No body and no Content-Type still works where the client sends none.
    let (_, created) = app.create_space(&app.dev_secret, "s").await;
    let id = created["data"]["id"].as_str().unwrap();
    let answer = send(
        &app,
        "POST",
        &format!("/v1/spaces/{id}/archive"),
        &[("Authorization", &sk)],
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    // The init endpoint takes JSON as application/json too, but not as a form.
    let path = format!(
        "/v1/internal/spaces/init?publishableKey={}",
        app.dev_publishable
    );
    let form = send(
        &app,
        "POST",
        &path,
        &[("Content-Type", "multipart/form-data")],
        Some(&embed_body("f")),
    )
    .await;
    assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let json = send(
        &app,
        "POST",
        &path,
        &[("Content-Type", "application/json")],
        Some(&embed_body("j")),
    )
    .await;
    assert_eq!(json.status, StatusCode::OK);
}

#[actix_web::test]
async fn preflights_are_answered_for_allowed_origins_only() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    let preflight = |origin: &'static str, method: &'static str| {
        let app = &app;
        async move {
            send(
                app,
                "OPTIONS",
                "/v1/spaces/us_sp_abcdefgh",
                &[
                    ("Origin", origin),
                    ("Access-Control-Request-Method", method),
                    (
                        "Access-Control-Request-Headers",
                        "authorization,content-type,x-disable-hooks,x-fern-sdk-name",
                    ),
                ],
                None,
            )
            .await
        }
    };
    let before = preflight(EMBED_ORIGIN, "PATCH").await;
    assert_eq!(before.status, StatusCode::FORBIDDEN);
    assert!(before.header("access-control-allow-origin").is_none());
    let env = allow_origins(&app, &admin, &dev, json!([EMBED_ORIGIN])).await;
    assert_eq!(env["allowedOrigins"], json!([EMBED_ORIGIN]));
    let ok = preflight(EMBED_ORIGIN, "PATCH").await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
    assert_eq!(ok.header("access-control-allow-origin"), Some(EMBED_ORIGIN));
    assert!(ok
        .header("access-control-allow-methods")
        .unwrap()
        .contains("PATCH"));
    let allowed_headers = ok
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    for h in [
        "authorization",
        "content-type",
        "x-disable-hooks",
        "x-fern-sdk-name",
        "x-api-key",
    ] {
        assert!(allowed_headers.contains(h), "{h} in {allowed_headers}");
    }
    assert_eq!(ok.header("access-control-max-age"), Some("600"));
    assert!(ok.header("vary").unwrap().contains("Origin"));
    assert_eq!(
        preflight("https://other.example", "GET").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        preflight(EMBED_ORIGIN, "PUT").await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    // A real OPTIONS request (no preflight headers) is still a 405.
    let real = send(&app, "OPTIONS", "/v1/spaces", &[], None).await;
    assert_eq!(real.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(real.json()["errors"][0]["message"].is_string());
}

#[actix_web::test]
async fn embed_credentials_work_from_allowed_origins_and_others_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    // Not allowed yet: refused before anything is created, and readable by the page.
    let refused = init(&app, &app.dev_publishable, Some(EMBED_ORIGIN), "early").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text());
    assert_eq!(refused.json()["errors"][0]["key"], "origin-not-allowed");
    assert_eq!(
        refused.header("access-control-allow-origin"),
        Some(EMBED_ORIGIN)
    );
    assert!(space_names(&app).await.is_empty());

    allow_origins(&app, &admin, &dev, json!(["HTTP://Embed.example:5173/"])).await;
    let answer = init(&app, &app.dev_publishable, Some(EMBED_ORIGIN), "embedded").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some(EMBED_ORIGIN)
    );
    assert!(answer.header("vary").unwrap().contains("Origin"));
    let token = answer.json()["data"]["space"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = answer.json()["data"]["space"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let with = |credential: &str| format!("Bearer {credential}");
    let space_token = with(&token);
    let read = send(
        &app,
        "GET",
        &format!("/v1/spaces/{id}"),
        &[("Origin", EMBED_ORIGIN), ("Authorization", &space_token)],
        None,
    )
    .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text());
    assert_eq!(
        read.header("access-control-allow-origin"),
        Some(EMBED_ORIGIN)
    );

    let other = send(
        &app,
        "GET",
        &format!("/v1/spaces/{id}"),
        &[
            ("Origin", "https://evil.example"),
            ("Authorization", &space_token),
        ],
        None,
    )
    .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    assert_eq!(other.json()["errors"][0]["key"], "origin-not-allowed");

    // A refused credential (401) is readable by a page of an allowed origin too.
    let expired = send(
        &app,
        "GET",
        "/v1/spaces",
        &[
            ("Origin", EMBED_ORIGIN),
            ("Authorization", "Bearer eyJnot.a.token"),
        ],
        None,
    )
    .await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        expired.header("access-control-allow-origin"),
        Some(EMBED_ORIGIN)
    );
    let unknown = send(
        &app,
        "GET",
        "/v1/spaces",
        &[
            ("Origin", "https://evil.example"),
            ("Authorization", "Bearer eyJnot.a.token"),
        ],
        None,
    )
    .await;
    assert!(unknown.header("access-control-allow-origin").is_none());

    let pat = app.create_pat(&admin, "browser").await.0;
    for credential in [app.dev_secret.clone(), admin.clone(), pat] {
        let answer = send(
            &app,
            "GET",
            "/v1/spaces",
            &[
                ("Origin", EMBED_ORIGIN),
                ("Authorization", &with(&credential)),
            ],
            None,
        )
        .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.text());
        assert_eq!(answer.json()["errors"][0]["key"], "origin-not-allowed");
        assert_eq!(
            answer.header("access-control-allow-origin"),
            Some(EMBED_ORIGIN)
        );
        assert!(answer.json().get("data").is_none());
    }
    let by_header = send(
        &app,
        "GET",
        "/v1/spaces",
        &[("Origin", EMBED_ORIGIN), ("x-api-key", &app.dev_secret)],
        None,
    )
    .await;
    assert_eq!(by_header.status, StatusCode::FORBIDDEN);
    // The same secret key without an Origin (a server), or from Latchkey's own origin, works.
    let server = send(
        &app,
        "GET",
        "/v1/spaces",
        &[("Authorization", &with(&app.dev_secret))],
        None,
    )
    .await;
    assert_eq!(server.status, StatusCode::OK);
    assert!(server.header("access-control-allow-origin").is_none());
    assert!(server.header("vary").unwrap().contains("Origin"));
    let own = send(
        &app,
        "GET",
        "/v1/spaces",
        &[
            ("Origin", &app.address),
            ("Authorization", &with(&app.dev_secret)),
        ],
        None,
    )
    .await;
    assert_eq!(own.status, StatusCode::OK);
}

#[actix_web::test]
async fn dev_any_origin_opens_non_production_environments_only() {
    let app = spawn_app_with(|c| c.dev.any_origin = true).await;
    let admin = app.admin_token().await;
    let answer = init(
        &app,
        &app.dev_publishable,
        Some("http://localhost:3000"),
        "dev",
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let prod = app.environment_id(&admin, "production").await;
    let prod_pk = app
        .keys(&admin, &prod)
        .await
        .iter()
        .find(|k| k["type"] == "PUBLISHABLE")
        .and_then(|k| k["rawKey"].as_str())
        .unwrap()
        .to_owned();
    let refused = init(&app, &prod_pk, Some("http://localhost:3000"), "prod").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let sk = send(
        &app,
        "GET",
        "/v1/spaces",
        &[
            ("Origin", "http://localhost:3000"),
            ("Authorization", &format!("Bearer {}", app.dev_secret)),
        ],
        None,
    )
    .await;
    assert_eq!(sk.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn credential_origins_may_use_every_credential() {
    let app =
        spawn_app_with(|c| c.browser.credential_origins = vec!["https://admin.example".into()])
            .await;
    let sk = send(
        &app,
        "GET",
        "/v1/spaces",
        &[
            ("Origin", "https://admin.example"),
            ("Authorization", &format!("Bearer {}", app.dev_secret)),
        ],
        None,
    )
    .await;
    assert_eq!(sk.status, StatusCode::OK, "{}", sk.text());
    assert_eq!(
        sk.header("access-control-allow-origin"),
        Some("https://admin.example")
    );
}

#[actix_web::test]
async fn allowed_origins_must_be_origins_and_are_bounded() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    let path = format!("/v1/environments/{dev}");
    for bad in ["*", "embed.example", "https://embed.example/app"] {
        let (status, body) = app
            .patch(&path, &admin, json!({ "allowedOrigins": [bad] }))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["errors"][0]["key"], "allowedOrigins");
    }
    let many: Vec<String> = (0..33).map(|i| format!("https://a{i}.example")).collect();
    let (status, _) = app
        .patch(&path, &admin, json!({ "allowedOrigins": many }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, env) = app.get(&path, &admin).await;
    assert_eq!(env["data"]["allowedOrigins"], json!([]));
}

#[actix_web::test]
async fn the_space_page_is_served_under_a_strict_csp() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dev = app.environment_id(&admin, "development").await;
    allow_origins(&app, &admin, &dev, json!([EMBED_ORIGIN])).await;
    let answer = init(&app, &app.dev_publishable, None, "page").await;
    let link = answer.json()["data"]["space"]["guestLink"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = link.strip_prefix(&app.address).unwrap();
    let page = send(&app, "GET", path, &[("Accept", "text/html")], None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("http://cdn"),
        "{csp}"
    );
    assert!(
        csp.contains(&format!("frame-ancestors 'self' {EMBED_ORIGIN}")),
        "{csp}"
    );
    let html = page.text();
    assert!(html.contains(r#"<script src="/s/assets/space.js""#));
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "no inline script or style"
    );
    for (file, kind) in [("space.js", "text/javascript"), ("space.css", "text/css")] {
        let asset = send(&app, "GET", &format!("/s/assets/{file}"), &[], None).await;
        assert_eq!(asset.status, StatusCode::OK);
        assert!(asset.header("content-type").unwrap().starts_with(kind));
    }
    let missing = send(&app, "GET", "/s/assets/app.js", &[], None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.json()["errors"][0]["message"].is_string());
}

#[actix_web::test]
async fn join_serves_the_page_to_browsers_and_json_to_api_clients() {
    let app = spawn_app().await;
    let (_, created) = app.create_space(&app.dev_secret, "open").await;
    let id = created["data"]["id"].as_str().unwrap();
    let browser = send(
        &app,
        "GET",
        &format!("/join/{id}"),
        &[("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
        None,
    )
    .await;
    assert_eq!(browser.status, StatusCode::OK);
    assert!(browser
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(browser.text().contains("/s/assets/space.js"));
    let client = send(
        &app,
        "GET",
        &format!("/join/{id}"),
        &[("Accept", "application/json")],
        None,
    )
    .await;
    assert_eq!(client.status, StatusCode::OK);
    assert_eq!(client.json()["data"]["spaceId"], id);
}
