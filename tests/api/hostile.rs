//! Hostile input, generated: malformed and deeply nested JSON, wrong types, huge strings and
//! arrays, invalid UTF-8, NUL bytes, unknown fields, bad and repeated query parameters, oversized
//! headers, forged and re-signed tokens, mistyped keys and path traversal. Every answer must be a
//! complete response below 500 (with the contract's error body when the request reached the
//! API), within a deadline, and the server must keep answering correctly afterwards.

use crate::helpers::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const PATHS: &[&str] = &[
    "/v1/auth",
    "/v1/auth/refresh-token",
    "/v1/auth/api-keys",
    "/v1/auth/api-key",
    "/v1/auth/publishable-key",
    "/v1/auth/personal-access-tokens",
    "/v1/auth/personal-access-tokens/{id}",
    "/v1/environments",
    "/v1/environments/{id}",
    "/v1/users",
    "/v1/users/invite",
    "/v1/users/{id}",
    "/v1/users/{id}/roles",
    "/v1/users/{id}/api-token",
    "/v1/spaces",
    "/v1/spaces/{id}",
    "/v1/spaces/{id}/archive",
    "/v1/workbooks",
    "/v1/workbooks/{id}",
    "/v1/guests",
    "/v1/guests/{id}",
    "/v1/guests/{id}/token",
    "/v1/invitations",
    "/v1/invitations/exchange",
    "/v1/secrets",
    "/v1/secrets/{id}",
    "/v1/events",
    "/v1/events/{id}",
    "/v1/events/{id}/ack",
    "/v1/latchkey/whoami",
    "/v1/latchkey/api-keys/{id}/rotate",
    "/v1/latchkey/password",
    "/v1/latchkey/logout",
    "/v1/latchkey/overview",
    "/v1/latchkey/clock",
    "/v1/accounts/current",
    "/v1/agents",
    "/v1/agents/{id}",
    "/v1/agents/{id}/versions",
    "/v1/agents/{id}/roles",
    "/v1/agents/logs",
    "/admin/{id}",
    "/join/{id}",
];

/// One generated request, as raw bytes.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub(crate) method: String,
    pub(crate) target: Vec<u8>,
    pub(crate) headers: Vec<(String, Vec<u8>)>,
    pub(crate) body: Vec<u8>,
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        ".{0,40}".prop_map(serde_json::Value::from),
        (1usize..5000).prop_map(|n| serde_json::Value::from("x".repeat(n))),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::from),
            prop::collection::hash_map(
                prop_oneof![
                    Just("name".to_owned()),
                    Just("email".to_owned()),
                    Just("password".to_owned()),
                    Just("type".to_owned()),
                    Just("isProd".to_owned()),
                    Just("spaces".to_owned()),
                    Just("environmentId".to_owned()),
                    Just("value".to_owned()),
                    Just("token".to_owned()),
                    Just("spaceId".to_owned()),
                    Just("expiresInSeconds".to_owned()),
                    ".{0,12}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => json_value().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..300),
        1 => (1usize..3000).prop_map(|depth| format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()),
        1 => (1usize..3000).prop_map(|depth| "{\"a\":".repeat(depth).into_bytes()),
        1 => Just(b"{\"name\":\"a\0b\",\"isProd\":false}".to_vec()),
        1 => Just(b"{\"name\":\"\xff\xfe\",\"isProd\":false}".to_vec()),
        1 => (1usize..20_000).prop_map(|n| format!("[{}1]", "1,".repeat(n)).into_bytes()),
        1 => Just(Vec::new()),
    ]
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("us_env_abc".to_owned()),
        Just("us_sp_x1".to_owned()),
        Just("current".to_owned()),
        Just("..".to_owned()),
        Just("..%2f..%2fCargo.toml".to_owned()),
        Just("%2e%2e%2fsrc%2fmain.rs".to_owned()),
        Just("%00".to_owned()),
        Just("%ff%fe".to_owned()),
        Just("app.js%00.png".to_owned()),
        Just("index.html/../../Cargo.toml".to_owned()),
        "[a-zA-Z0-9_%.-]{0,30}",
        (1usize..3000).prop_map(|n| "a".repeat(n)),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let pair = (
        prop_oneof![
            Just("environmentId"),
            Just("spaceId"),
            Just("pageSize"),
            Just("pageNumber"),
            Just("type"),
            Just("key"),
            Just("since"),
            Just("archived"),
            Just("spaceIds"),
            Just("tenantId"),
            Just("email"),
            Just("zz"),
        ],
        prop_oneof![
            Just("us_env_abc".to_owned()),
            Just("-1".to_owned()),
            Just("99999999999999999999".to_owned()),
            Just("%zz".to_owned()),
            Just("%".to_owned()),
            Just("SECRET".to_owned()),
            Just("true".to_owned()),
            "[ -~]{0,20}".prop_map(|s| s.replace([' ', '#'], "+")),
        ],
    );
    prop::collection::vec(pair, 0..5).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    })
}

fn credential(valid: Vec<String>) -> impl Strategy<Value = Option<Vec<u8>>> {
    let forged = valid.clone();
    prop_oneof![
        Just(None),
        prop::sample::select(valid).prop_map(|t| Some(format!("Bearer {t}").into_bytes())),
        prop::sample::select(forged).prop_flat_map(|t| (0..t.len()).prop_map(move |i| {
            let mut b = t.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            Some([b"Bearer ".as_slice(), &b].concat())
        })),
        Just(Some(
            b"Bearer sk_000000000000000000000000000000000000".to_vec()
        )),
        Just(Some(b"Basic YWRtaW46YWRtaW4=".to_vec())),
        Just(Some(b"Bearer".to_vec())),
        Just(Some(b"Bearer \xff\xfe".to_vec())),
        (1usize..20_000).prop_map(|n| Some(format!("Bearer eyJ{}", "A".repeat(n)).into_bytes())),
    ]
}

/// Tokens that must all be refused: `alg: none`, HS256 keyed with the public key, truncated,
/// and re-signed with another Ed25519 key.
fn forged_tokens(real: &str, public_key: &[u8]) -> Vec<String> {
    let parts: Vec<&str> = real.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    claims["exp"] = serde_json::json!(claims["exp"].as_i64().unwrap() + 10_000_000);
    let payload = B64.encode(claims.to_string());
    let none = format!("{}.{payload}.", B64.encode(r#"{"alg":"none","typ":"JWT"}"#));
    let hs_header = B64.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, public_key);
    let hs_sig =
        B64.encode(ring::hmac::sign(&key, format!("{hs_header}.{payload}").as_bytes()).as_ref());
    let hs256 = format!("{hs_header}.{payload}.{hs_sig}");
    let other = ring::signature::Ed25519KeyPair::from_pkcs8(
        ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
            .unwrap()
            .as_ref(),
    )
    .unwrap();
    let resigned = format!("{}.{payload}", parts[0]);
    let resigned = format!(
        "{resigned}.{}",
        B64.encode(other.sign(resigned.as_bytes()).as_ref())
    );
    let truncated = real[..real.len() - 10].to_owned();
    vec![
        none,
        hs256,
        resigned,
        truncated,
        format!("{}.{}", parts[0], parts[1]),
    ]
}

fn case(valid: Vec<String>) -> impl Strategy<Value = Case> {
    (
        prop_oneof![
            Just("GET"),
            Just("POST"),
            Just("PATCH"),
            Just("DELETE"),
            Just("PUT"),
            Just("OPTIONS"),
            Just("HEAD")
        ],
        prop::sample::select(PATHS),
        segment(),
        query(),
        credential(valid),
        body(),
        prop_oneof![
            Just("application/json"),
            Just("text/plain"),
            Just("application/json; charset=latin1"),
            Just("")
        ],
        prop::option::of(prop_oneof![Just(9000usize), Just(40_000usize)]),
        prop::option::of((1usize..10, "[a-z]{1,5}")),
    )
        .prop_map(
            |(method, path, seg, query, auth, body, kind, big_header, extra)| {
                let mut target = path.replace("{id}", &seg).into_bytes();
                if !query.is_empty() {
                    target.push(b'?');
                    target.extend(query.into_bytes());
                }
                let mut headers = Vec::new();
                if let Some(auth) = auth {
                    headers.push(("Authorization".to_owned(), auth));
                }
                if !kind.is_empty() {
                    headers.push(("Content-Type".to_owned(), kind.as_bytes().to_vec()));
                }
                if let Some(n) = big_header {
                    headers.push(("X-Padding".to_owned(), vec![b'p'; n]));
                }
                if let Some((n, name)) = extra {
                    for _ in 0..n {
                        headers.push((format!("X-{name}"), b"1".to_vec()));
                    }
                }
                Case {
                    method: method.to_owned(),
                    target,
                    headers,
                    body,
                }
            },
        )
}

/// Sends one raw request and returns (status, body); fails on a hang or a missing answer.
pub(crate) fn send(addr: &str, case: &Case) -> Result<(u16, Vec<u8>), String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let mut request = format!("{} ", case.method).into_bytes();
    request.extend(&case.target);
    request.extend(b" HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (k, v) in &case.headers {
        request.extend(k.as_bytes());
        request.extend(b": ");
        request.extend(v);
        request.extend(b"\r\n");
    }
    request.extend(format!("Content-Length: {}\r\n\r\n", case.body.len()).as_bytes());
    request.extend(&case.body);
    let _ = stream.write_all(&request);
    let mut response = Vec::new();
    match stream.read_to_end(&mut response) {
        Ok(_) => {}
        Err(e) if response.is_empty() => return Err(format!("no answer: {e}")),
        Err(_) => {}
    }
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            format!(
                "no status line in {:?}",
                text.chars().take(80).collect::<String>()
            )
        })?;
    let body = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| response[i + 4..].to_vec())
        .unwrap_or_default();
    Ok((status, body))
}

fn check(addr: &str, case: &Case) -> Result<(), TestCaseError> {
    let (status, body) = send(addr, case).map_err(TestCaseError::fail)?;
    prop_assert!(
        status < 500,
        "{} answered {status}: {}",
        String::from_utf8_lossy(&case.target),
        String::from_utf8_lossy(&body)
    );
    // Every refusal carries the contract's error body, including those actix-http gives before
    // any route runs (unreadable request lines and headers; rewritten by `http::wire`). Only
    // answers to HEAD have no body.
    if status >= 400 && case.method != "HEAD" {
        let json: serde_json::Value = serde_json::from_slice(&body).map_err(|_| {
            TestCaseError::fail(format!(
                "a {status} body is not JSON: {:?}",
                String::from_utf8_lossy(&body)
            ))
        })?;
        prop_assert!(
            json["errors"][0]["message"].is_string(),
            "a {status} body lacks errors[0].message: {json}"
        );
    }
    Ok(())
}

#[actix_web::test]
async fn hostile_requests_get_4xx_answers_and_the_server_keeps_serving() {
    let app = spawn_app_with(|c| c.limits.max_body_bytes = 64 * 1024).await;
    let admin = app.admin_token().await;
    let (pat, _) = app.create_pat(&admin, "hostile").await;
    // The generated requests may end the login token's session (logout, refresh): the final
    // check reads with the PAT.
    let reader = pat.clone();
    let (_, jwks) = app
        .request("GET", "/.well-known/jwks.json", None, None)
        .await;
    let public = B64.decode(jwks["keys"][0]["x"].as_str().unwrap()).unwrap();
    let mut tokens = vec![
        app.dev_secret.clone(),
        app.dev_publishable.clone(),
        admin.clone(),
        pat,
    ];
    tokens.extend(forged_tokens(&admin, &public));
    let forged = forged_tokens(&admin, &public);
    let addr = app.address.trim_start_matches("http://").to_owned();
    let cases = std::env::var("HOSTILE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500u32);
    let outcome = actix_web::rt::task::spawn_blocking(move || {
        for token in &forged {
            let probe = Case {
                method: "GET".into(),
                target: b"/v1/environments".to_vec(),
                headers: vec![(
                    "Authorization".into(),
                    format!("Bearer {token}").into_bytes(),
                )],
                body: vec![],
            };
            let (status, body) = send(&addr, &probe).unwrap();
            assert_eq!(
                status,
                401,
                "a forged token was accepted: {}",
                String::from_utf8_lossy(&body)
            );
        }
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&case(tokens), |c| check(&addr, &c))
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap();
    assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    println!("hostile input: {cases} generated requests answered below 500, every 4xx with the JSON error body");
    assert_eq!(
        app.request("GET", "/health", None, None).await.0,
        actix_web::http::StatusCode::OK
    );
    let (status, body) = app.environments(&reader).await;
    assert_eq!(status, actix_web::http::StatusCode::OK);
    assert_eq!(
        body["pagination"]["totalCount"].as_u64().map(|n| n >= 2),
        Some(true),
        "the server still answers correctly"
    );
}
