use crate::helpers::*;
use actix_web::http::StatusCode;

#[actix_web::test]
async fn malformed_json_is_a_400_with_the_contract_error_body() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let auth = format!("Bearer {admin}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    for body in [
        &b"{"[..],
        b"",
        b"[1,2]",
        b"{\"name\":\"x\",\"isProd\":false} trailing",
        b"\xff\xfe",
        &[b'['; 10_000][..],
    ] {
        let (status, answer) = app
            .raw("POST", "/v1/environments", &headers, body.to_vec())
            .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{:?} → {answer}",
            String::from_utf8_lossy(&body[..body.len().min(20)])
        );
        assert!(answer["errors"][0]["message"].is_string());
    }
}

#[actix_web::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = spawn_app_with(|c| c.limits.max_body_bytes = 1024).await;
    let admin = app.admin_token().await;
    let auth = format!("Bearer {admin}");
    let big = format!("{{\"name\":\"{}\",\"isProd\":false}}", "x".repeat(2000));
    let (status, body) = app
        .raw(
            "POST",
            "/v1/environments",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            big.into_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("limits.max_body_bytes"));
}

#[actix_web::test]
async fn unknown_routes_and_methods_answer_json() {
    let app = spawn_app().await;
    let (status, body) = app.request("GET", "/v1/nothing-here", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("/v1/nothing-here"));
    let (status, body) = app
        .request("PUT", "/v1/environments", Some(&app.dev_secret), None)
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(body["errors"][0]["message"].is_string());
}

#[actix_web::test]
async fn missing_and_badly_formed_credentials_are_401_with_a_reason() {
    let app = spawn_app().await;
    let (status, body) = app.request("GET", "/v1/environments", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["key"], "missing");
    let (status, body) = app
        .raw(
            "GET",
            "/v1/environments",
            &[("Authorization", "Basic abc")],
            vec![],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["key"], "malformed");
}

#[actix_web::test]
async fn security_headers_are_on_every_response() {
    let app = spawn_app().await;
    let client = awc::Client::default();
    for path in ["/health", "/v1/environments", "/nope"] {
        let res = client
            .get(format!("{}{}", app.address, path))
            .send()
            .await
            .unwrap();
        let h = res.headers();
        assert_eq!(
            h.get("x-content-type-options").unwrap(),
            "nosniff",
            "{path}"
        );
        assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer", "{path}");
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY", "{path}");
        assert!(h.get("content-security-policy").is_some(), "{path}");
    }
}

#[actix_web::test]
async fn page_sizes_past_the_limit_are_refused_naming_it() {
    let app = spawn_app_with(|c| c.limits.max_page_size = 5).await;
    let admin = app.admin_token().await;
    for path in [
        "/v1/environments?pageSize=6",
        "/v1/events?pageSize=6",
        "/v1/users?pageSize=6",
        "/v1/spaces?pageSize=6",
    ] {
        let (status, body) = app.get(path, &admin).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("limits.max_page_size"),
            "{body}"
        );
    }
    assert_eq!(
        app.get("/v1/environments?pageSize=5", &admin).await.0,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_client_that_sends_its_request_too_slowly_is_cut_off() {
    use std::io::{Read, Write};
    let app = spawn_app_with(|c| c.server.client_request_timeout_seconds = 1).await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let answer = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        let started = std::time::Instant::now();
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf);
        (started.elapsed(), String::from_utf8_lossy(&buf).to_string())
    })
    .await
    .unwrap();
    assert!(
        answer.0 < std::time::Duration::from_secs(8),
        "the half-sent request was not cut off"
    );
    assert!(
        answer.1.is_empty() || answer.1.starts_with("HTTP/1.1 408"),
        "{}",
        answer.1
    );
}
