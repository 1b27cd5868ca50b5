//! Hostile text, generated (issue 15): names carrying control, bidi and invisible characters,
//! look-alike emails, and JSON bodies under other content types. Each generated request must be
//! refused with its status and the field it names, wherever it is sent; a clean request to the
//! same place succeeds, so the refusals are the text's doing.

use crate::helpers::*;
use crate::hostile::{send, Case};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

/// Characters no name may hold: C0 and C1 controls, DEL, line and paragraph separators, bidi
/// controls and invisible characters.
const UNSAFE: &[char] = &[
    '\r', '\n', '\0', '\t', '\u{7}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}', '\u{2028}',
    '\u{2029}', '\u{61c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}',
    '\u{200b}', '\u{2060}', '\u{feff}', '\u{ad}',
];

/// Letters that look like an ASCII letter in another script (or an ASCII-looking Latin one).
const LOOK_ALIKES: &[char] = &[
    '\u{430}', '\u{435}', '\u{43e}', '\u{441}', '\u{440}', '\u{445}', '\u{3bf}', '\u{3b1}',
    '\u{131}', '\u{17f}', '\u{ff41}', '\u{ff4f}',
];

/// Invisible or formatting characters an address could hide.
const INVISIBLE: &[char] = &[
    '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{feff}', '\u{ad}',
];

fn unsafe_name() -> impl Strategy<Value = String> {
    (
        "[a-zA-Z0-9 ]{0,12}",
        prop::sample::select(UNSAFE),
        "[a-zA-Z0-9]{0,12}",
    )
        .prop_map(|(a, c, b)| format!("{a}{c}{b}"))
}

fn look_alike_email() -> impl Strategy<Value = String> {
    let lookalike_local = (
        "[a-z]{1,6}",
        prop::sample::select(LOOK_ALIKES),
        "[a-z]{0,6}",
    )
        .prop_map(|(a, c, b)| format!("{a}{c}{b}@example.com"));
    let lookalike_domain = (
        "[a-z]{1,6}",
        prop::sample::select(LOOK_ALIKES),
        "[a-z]{0,6}",
    )
        .prop_map(|(a, c, b)| format!("admin@{a}{c}{b}.com"));
    let invisible = (0usize..17, prop::sample::select(INVISIBLE)).prop_map(|(at, c)| {
        let mut email: Vec<char> = "admin@example.com".chars().collect();
        email.insert(at.min(email.len()), c);
        email.into_iter().collect()
    });
    prop_oneof![lookalike_local, lookalike_domain, invisible]
}

fn wrong_content_type() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("text/plain".to_owned()),
        Just("text/plain; charset=utf-8".to_owned()),
        Just("application/x-www-form-urlencoded".to_owned()),
        Just("multipart/form-data; boundary=x".to_owned()),
        Just("application/xml".to_owned()),
        Just("text/json".to_owned()),
        Just("application/jsonp".to_owned()),
        "[a-z]{1,10}/[a-z+.-]{1,12}",
    ]
    .prop_filter("not JSON's own type", |t| t != "application/json")
}

/// A JSON request as raw bytes, with `content_type`.
fn request(
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: &Value,
) -> Case {
    let mut headers = vec![("Content-Type".to_owned(), content_type.as_bytes().to_vec())];
    if let Some(token) = token {
        headers.push((
            "Authorization".to_owned(),
            format!("Bearer {token}").into_bytes(),
        ));
    }
    Case {
        method: method.to_owned(),
        target: path.as_bytes().to_vec(),
        headers,
        body: body.to_string().into_bytes(),
    }
}

/// Where text goes: (what, method, path, token, body with `TEXT` where the text goes, field).
type Target = (
    &'static str,
    &'static str,
    String,
    Option<String>,
    Value,
    &'static str,
);

/// `value` with every string `TEXT` in it replaced by `text`.
fn with_text(value: &Value, text: &str) -> Value {
    match value {
        Value::String(s) if s == "TEXT" => Value::String(text.to_owned()),
        Value::Array(items) => Value::Array(items.iter().map(|v| with_text(v, text)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), with_text(v, text)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Sends the target's body with `text` in it: (status, answer).
fn answer(
    addr: &str,
    target: &Target,
    text: &str,
    content_type: &str,
) -> Result<(u16, Value), String> {
    let (_, method, path, token, body, _) = target;
    let case = request(
        method,
        path,
        token.as_deref(),
        content_type,
        &with_text(body, text),
    );
    let (status, answer) = send(addr, &case)?;
    Ok((
        status,
        serde_json::from_slice(&answer).unwrap_or(Value::Null),
    ))
}

/// Sends the target's body with `text` in it and checks the status and the error's key.
fn expect(
    addr: &str,
    target: &Target,
    text: &str,
    content_type: &str,
    status: u16,
    key: &str,
) -> Result<(), TestCaseError> {
    let what = target.0;
    let (got, answer) = answer(addr, target, text, content_type).map_err(TestCaseError::fail)?;
    prop_assert_eq!(
        got,
        status,
        "{} with {:?} ({}): {}",
        what,
        text,
        content_type,
        answer
    );
    prop_assert_eq!(
        answer["errors"][0]["key"].as_str(),
        Some(key),
        "{} with {:?}: {}",
        what,
        text,
        answer
    );
    Ok(())
}

fn run<S: Strategy>(strategy: S, cases: u32, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{e}");
    }
}

#[actix_web::test]
async fn generated_unsafe_names_look_alike_emails_and_content_types_are_refused() {
    let app = spawn_app_with(|c| {
        c.limits.environments = 10_000;
        c.limits.pats_per_user = 10_000;
    })
    .await;
    let admin = app.admin_token().await;
    let sk = app.dev_secret.clone();
    let account = app.account_id(&admin).await;
    let space = app.create_space(&sk, "s").await.id();
    let (_, env) = app.current_environment(&sk).await;
    let env = env["data"]["id"].as_str().unwrap().to_owned();
    let addr = app.address.trim_start_matches("http://").to_owned();
    let (admin_t, sk_t) = (Some(admin.clone()), Some(sk.clone()));
    let names: Vec<Target> = vec![
        (
            "a space",
            "POST",
            "/v1/spaces".into(),
            sk_t.clone(),
            json!({ "name": "TEXT" }),
            "name",
        ),
        (
            "an environment",
            "POST",
            "/v1/environments".into(),
            admin_t.clone(),
            json!({ "name": "TEXT", "isProd": false }),
            "name",
        ),
        (
            "a PAT",
            "POST",
            "/v1/auth/personal-access-tokens".into(),
            admin_t.clone(),
            json!({ "name": "TEXT" }),
            "name",
        ),
        (
            "a workbook",
            "POST",
            "/v1/workbooks".into(),
            sk_t.clone(),
            json!({ "name": "TEXT", "spaceId": space }),
            "name",
        ),
    ];
    let emails: Vec<Target> = vec![
        (
            "an invited user",
            "POST",
            "/v1/users/invite".into(),
            admin_t.clone(),
            json!({ "email": "TEXT", "name": "n", "actorRoles": [{ "roleId": "us_rol_member", "resourceId": account }] }),
            "email",
        ),
        (
            "a guest",
            "POST",
            "/v1/guests".into(),
            sk_t.clone(),
            json!([{ "environmentId": env, "email": "TEXT", "name": "n", "spaces": [{ "id": space }] }]),
            "email",
        ),
    ];
    let json_bodies: Vec<Target> = vec![
        (
            "a login",
            "POST",
            "/v1/auth".into(),
            None,
            json!({ "email": "admin@example.com", "password": "TEXT" }),
            "content-type",
        ),
        names[0].clone(),
        names[1].clone(),
    ];
    let cases = 40;
    let summary = actix_web::rt::task::spawn_blocking(move || {
        // A clean request to each place succeeds.
        for target in &names {
            let clean = format!("clean {}", target.0);
            let (status, body) = answer(&addr, target, &clean, "application/json").unwrap();
            assert_eq!(status, 200, "{clean}: {body}");
        }
        for target in &names {
            run(unsafe_name(), cases, |name| {
                expect(&addr, target, &name, "application/json", 422, target.5)
            });
        }
        for target in &emails {
            run(look_alike_email(), cases, |email| {
                expect(&addr, target, &email, "application/json", 422, target.5)
            });
        }
        for target in &json_bodies {
            run(wrong_content_type(), cases, |content_type| {
                expect(
                    &addr,
                    target,
                    "plain text",
                    &content_type,
                    415,
                    "content-type",
                )
            });
        }
        format!(
            "{} names, {} emails, {} content types",
            names.len() as u32 * cases,
            emails.len() as u32 * cases,
            json_bodies.len() as u32 * cases
        )
    })
    .await
    .unwrap();
    println!("hostile text: {summary} refused as they should be");
    // The clean requests went through, and the refused ones left nothing behind.
    let (_, spaces) = app.get("/v1/spaces?pageSize=100", &sk).await;
    let names: Vec<&str> = spaces["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["s", "clean a space"]);
    let (status, _) = app
        .post(
            "/v1/users/invite",
            &admin,
            json!({ "email": "clean@example.com", "name": "n", "actorRoles": [{ "roleId": "us_rol_member", "resourceId": account }] }),
        )
        .await;
    assert_eq!(status, 200);
}
