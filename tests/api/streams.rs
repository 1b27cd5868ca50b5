//! Event tokens and the Server-Sent Events stream of the audit log, read with a raw streaming
//! client; and the methods Latchkey answers as not available.

use crate::helpers::*;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use serde_json::{json, Value};
use std::pin::Pin;
use std::time::Duration;

type Body = Pin<Box<dyn Stream<Item = Result<Bytes, awc::error::PayloadError>>>>;

/// One open stream and what has arrived but not been read.
struct Sse {
    body: Body,
    buffer: String,
}

/// One Server-Sent Event (comments and `retry:` skipped).
#[derive(Debug)]
struct Message {
    id: Option<String>,
    event: Option<String>,
    data: Value,
}

fn fast(c: &mut latchkey::config::Config) {
    c.streams.poll_ms = 20;
    c.streams.settle_ms = 50;
    c.streams.heartbeat_seconds = 1;
}

async fn open(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<Sse, (StatusCode, Value)> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish();
    let mut req = client.get(format!("{}{path}", app.address));
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    let mut res = req.send().await.expect("stream request sent");
    if res.status() != StatusCode::OK {
        let bytes = res.body().await.expect("error body");
        return Err((
            res.status(),
            serde_json::from_slice(&bytes).expect("a JSON error"),
        ));
    }
    let kind = res.headers().get("content-type").unwrap().to_str().unwrap();
    assert_eq!(kind, "text/event-stream");
    Ok(Sse {
        body: Box::pin(res),
        buffer: String::new(),
    })
}

impl Sse {
    /// The next event within `wait`, or `None`.
    async fn next(&mut self, wait: Duration) -> Option<Message> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, None, None);
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        id = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        event = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data = Some(serde_json::from_str(v).expect("JSON data"));
                    }
                }
                if let Some(data) = data {
                    return Some(Message { id, event, data });
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next()).await;
            match chunk {
                Ok(Some(Ok(bytes))) => self.buffer.push_str(std::str::from_utf8(&bytes).unwrap()),
                _ => return None,
            }
        }
    }

    /// The next event whose topic is `topic`, skipping others.
    async fn next_topic(&mut self, topic: &str) -> Message {
        loop {
            let m = self
                .next(Duration::from_secs(10))
                .await
                .expect("an event in time");
            if m.data["topic"] == topic {
                return m;
            }
        }
    }
}

async fn token(app: &TestApp, credential: &str, query: &str) -> Value {
    let (status, body) = app
        .get(&format!("/v1/subscription{query}"), credential)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].clone()
}

fn path_of(app: &TestApp, t: &Value) -> String {
    t["streamUrl"]
        .as_str()
        .unwrap()
        .strip_prefix(&app.address)
        .unwrap()
        .to_owned()
}

async fn write(app: &TestApp, sk: &str, env: &str, topic: &str) -> String {
    let body = json!({ "topic": topic, "domain": "job", "payload": {}, "context": { "environmentId": env } });
    let e = app.create_event(sk, body).await.assert_ok();
    e["data"]["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn an_environment_token_streams_events_as_they_are_written() {
    let app = spawn_app_with(fast).await;
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let sk = app.dev_secret.clone();
    let (status, t) = app
        .get(
            &format!("/v1/environments/subscription-token?environmentId={env}"),
            &sk,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    let t = &t["data"];
    assert_eq!(
        (t["ttl"].as_i64(), t["subscribeKey"].as_str()),
        (Some(15), Some("latchkey-sse"))
    );
    assert!(t["accountId"].as_str().unwrap().starts_with("us_acc_"));
    assert_eq!(t["environmentId"], env.as_str());
    let mut sse = open(&app, &path_of(&app, t), &[]).await.unwrap();
    let id = write(&app, &sk, &env, "custom:hello").await;
    let m = sse.next_topic("custom:hello").await;
    assert_eq!(
        m.id.as_deref(),
        Some(id.as_str()),
        "the SSE id is the event id"
    );
    assert_eq!(m.data["id"], id.as_str());
    assert_eq!(m.data["context"]["environmentId"], env.as_str());
    assert!(m.event.is_none(), "events come as plain messages");

    let bearer = format!("Bearer {}", t["token"].as_str().unwrap());
    let mut by_header = open(
        &app,
        "/v1/latchkey/events/stream?topic=custom:again",
        &[("Authorization", &bearer)],
    )
    .await
    .unwrap();
    write(&app, &sk, &env, "custom:again").await;
    by_header.next_topic("custom:again").await;

    let (status, refused) = app.events(t["token"].as_str().unwrap(), "").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a stream token is no API credential: {refused}"
    );
    let (status, refused) = open(
        &app,
        "/v1/latchkey/events/stream",
        &[("Authorization", &format!("Bearer {sk}"))],
    )
    .await
    .err()
    .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
}

#[actix_web::test]
async fn a_stream_applies_the_filters_of_the_event_list() {
    let app = spawn_app_with(fast).await;
    let sk = app.dev_secret.clone();
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let space = app.create_space(&sk, "s").await.id();
    let t = token(&app, &sk, "").await;
    let mut only_b = open(&app, &format!("{}&topic=custom:b", path_of(&app, &t)), &[])
        .await
        .unwrap();
    let in_space = format!("{}&spaceId={space}&domain=job", path_of(&app, &t));
    let mut in_space = open(&app, &in_space, &[]).await.unwrap();
    write(&app, &sk, &env, "custom:a").await;
    let b1 = write(&app, &sk, &env, "custom:b").await;
    let body = json!({ "topic": "custom:a", "domain": "job", "payload": {}, "context": { "environmentId": env, "spaceId": space } });
    let (_, spaced) = app.create_event(&sk, body).await;
    let b2 = write(&app, &sk, &env, "custom:b").await;
    let got: Vec<String> = [
        only_b.next(Duration::from_secs(5)).await.unwrap(),
        only_b.next(Duration::from_secs(5)).await.unwrap(),
    ]
    .iter()
    .map(|m| m.data["id"].as_str().unwrap().to_owned())
    .collect();
    assert_eq!(got, [b1, b2]);
    let m = in_space.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(m.data["id"], spaced["data"]["id"]);
    assert!(in_space.next(Duration::from_millis(300)).await.is_none());
    let (status, _) = open(
        &app,
        &format!("{}&includeAcknowledged=maybe", path_of(&app, &t)),
        &[],
    )
    .await
    .err()
    .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn last_event_id_resumes_without_duplicates_or_gaps() {
    let app = spawn_app_with(fast).await;
    let sk = app.dev_secret.clone();
    let admin = app.admin_token().await;
    let env = app.environment_id(&admin, "development").await;
    let t = token(&app, &sk, "").await;
    let path = format!("{}&topic=custom:resume", path_of(&app, &t));
    let mut first = open(&app, &path, &[]).await.unwrap();
    let mut written = Vec::new();
    for _ in 0..5 {
        written.push(write(&app, &sk, &env, "custom:resume").await);
    }
    let mut seen = Vec::new();
    for _ in 0..2 {
        seen.push(
            first
                .next(Duration::from_secs(5))
                .await
                .unwrap()
                .id
                .unwrap(),
        );
    }
    drop(first);
    for _ in 0..3 {
        written.push(write(&app, &sk, &env, "custom:resume").await);
    }
    let mut resumed = open(&app, &path, &[("Last-Event-ID", seen[1].as_str())])
        .await
        .unwrap();
    for _ in 0..6 {
        seen.push(
            resumed
                .next(Duration::from_secs(5))
                .await
                .unwrap()
                .id
                .unwrap(),
        );
    }
    assert_eq!(seen, written);
    assert!(
        resumed.next(Duration::from_millis(300)).await.is_none(),
        "nothing twice"
    );
    let (status, answer) = open(&app, &path, &[("Last-Event-ID", "us_evt_nosuchevent1")])
        .await
        .err()
        .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["errors"][0]["key"], "Last-Event-ID");
}

#[actix_web::test]
async fn streams_are_capped_per_credential_and_in_total() {
    let app = spawn_app_with(|c| {
        fast(c);
        c.streams.per_credential = 2;
        c.streams.total = 3;
    })
    .await;
    let sk = app.dev_secret.clone();
    let admin = app.admin_token().await;
    let from_key = path_of(&app, &token(&app, &sk, "").await);
    let a = open(&app, &from_key, &[]).await.unwrap();
    let _b = open(&app, &from_key, &[]).await.unwrap();
    let (status, refused) = open(&app, &from_key, &[]).await.err().unwrap();
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{refused}");
    assert!(refused["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("per_credential"));
    let from_admin = path_of(&app, &token(&app, &admin, "").await);
    let _c = open(&app, &from_admin, &[]).await.unwrap();
    let (status, refused) = open(&app, &from_admin, &[]).await.err().unwrap();
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("streams.total"));
    drop(a);
    for _ in 0..100 {
        if open(&app, &from_key, &[]).await.is_ok() {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("a closed stream's place was not given back");
}

#[actix_web::test]
async fn a_token_for_one_environment_never_streams_another() {
    let app = spawn_app_with(fast).await;
    let admin = app.admin_token().await;
    let env_a = app.environment_id(&admin, "development").await;
    let (env_b, sk_b, _) = app.create_environment(&admin, "other").await;
    let sk_a = app.dev_secret.clone();
    let (status, _) = app
        .get(
            &format!("/v1/environments/subscription-token?environmentId={env_b}"),
            &sk_a,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let t = token(&app, &sk_a, "").await;
    assert_eq!(t["environmentId"], env_a.as_str());
    let (status, _) = open(
        &app,
        &format!("{}&environmentId={env_b}", path_of(&app, &t)),
        &[],
    )
    .await
    .err()
    .unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    let admin_a = token(&app, &admin, &format!("?scope={env_a}")).await;
    for (i, t) in [&t, &admin_a].into_iter().enumerate() {
        let topic = format!("custom:{i}");
        let mut sse = open(&app, &format!("{}&topic={topic}", path_of(&app, t)), &[])
            .await
            .unwrap();
        write(&app, &sk_b, &env_b, &topic).await;
        let mine = write(&app, &sk_a, &env_a, &topic).await;
        let m = sse.next(Duration::from_secs(5)).await.unwrap();
        assert_eq!(
            m.data["id"],
            mine.as_str(),
            "B's event never arrives: {:?}",
            m.data
        );
    }
}

#[actix_web::test]
async fn deleting_the_parent_credential_ends_the_stream_and_refuses_its_token() {
    let app = spawn_app_with(fast).await;
    let admin = app.admin_token().await;
    let (pat, pat_id) = app.create_pat(&admin, "streamer").await;
    let t = token(&app, &pat, "").await;
    assert!(
        t.get("environmentId").is_none(),
        "an Administrator's token spans the account"
    );
    let path = path_of(&app, &t);
    let mut sse = open(&app, &path, &[]).await.unwrap();
    let (status, _) = app.delete_pat(&admin, &pat_id).await;
    assert_eq!(status, StatusCode::OK);
    let end = sse.next_end().await;
    assert_eq!(end.data["reason"], "revoked");
    assert!(
        sse.next(Duration::from_secs(2)).await.is_none(),
        "the stream is over"
    );
    let (status, refused) = open(&app, &path, &[]).await.err().unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused["errors"][0]["key"], "revoked");
}

impl Sse {
    async fn next_end(&mut self) -> Message {
        loop {
            let m = self
                .next(Duration::from_secs(10))
                .await
                .expect("the end in time");
            if m.event.as_deref() == Some("latchkey:stream-end") {
                return m;
            }
        }
    }
}

#[actix_web::test]
async fn stream_tokens_are_short_lived_and_only_for_who_reads_events() {
    let app = spawn_app_with(fast).await;
    let admin = app.admin_token().await;
    let (_, member) = app
        .onboard(&admin, "member@example.com", "us_rol_member")
        .await;
    let (status, _) = app.get("/v1/subscription", &member).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "Members do not read the audit log"
    );
    assert_eq!(
        app.get("/v1/subscription", &app.dev_publishable).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, answer) = app.get("/v1/subscription?scope=nonsense", &admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let t = token(&app, &admin, "").await;
    let mut sse = open(&app, &path_of(&app, &t), &[]).await.unwrap();
    app.advance_clock(&admin, 16 * 60).await;
    assert_eq!(sse.next_end().await.data["reason"], "expired");
    let (status, refused) = open(&app, &path_of(&app, &t), &[]).await.err().unwrap();
    assert_eq!(
        (status, &refused["errors"][0]["key"]),
        (StatusCode::UNAUTHORIZED, &json!("expired"))
    );
}

#[actix_web::test]
async fn sftp_credentials_are_not_available_and_say_so() {
    let app = spawn_app().await;
    let (status, answer) = app
        .get("/v1/auth/sftp-credentials?spaceId=us_sp_x", &app.dev_secret)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["errors"][0]["key"], "notAvailableInLatchkey");
    assert!(answer["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("not available in Latchkey"));
    let (status, _) = app
        .request("GET", "/v1/auth/sftp-credentials", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn a_stopping_server_ends_its_streams_at_once() {
    let mut app = spawn_app_with(fast).await;
    let t = token(&app, &app.dev_secret.clone(), "").await;
    let mut sse = open(&app, &path_of(&app, &t), &[]).await.unwrap();
    let started = std::time::Instant::now();
    let (_, end) = tokio::join!(app.stop(), sse.next_end());
    assert_eq!(end.data["reason"], "shutdown");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the stop did not wait for the stream (shutdown_timeout is 10 s): {:?}",
        started.elapsed()
    );
}
