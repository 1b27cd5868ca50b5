//! Spaces stay bounded: a count limit per environment, a per-address rate limit on spaces
//! made with a (public) publishable key, and listings whose pages read only their own spaces.

use crate::helpers::{spawn_app_with, AssertOk, TestApp};
use actix_web::http::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn an_environment_holds_at_most_the_configured_number_of_spaces() {
    let app = spawn_app_with(|c| c.limits.spaces_per_environment = 3).await;
    let sk = app.dev_secret.clone();
    for i in 0..3 {
        app.create_space(&sk, &format!("s{i}")).await.assert_ok();
    }
    let (status, body) = app.create_space(&sk, "one too many").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("limits.spaces_per_environment"),
        "{body}"
    );
}

#[actix_web::test]
async fn a_publishable_key_creates_spaces_at_a_bounded_rate_per_address() {
    let app = spawn_app_with(|c| c.browser.spaces_per_address = 3).await;
    let pk = app.dev_publishable.clone();
    for _ in 0..3 {
        let (status, body) = app.post("/v1/spaces", &pk, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let mut res = awc::Client::new()
        .post(format!("{}/v1/spaces", app.address))
        .insert_header(("Authorization", format!("Bearer {pk}")))
        .send_json(&json!({}))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res
        .headers()
        .get("Retry-After")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 600, "{retry}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("browser.spaces_per_address"),
        "{body}"
    );
    let (status, _) = app.create_space(&app.dev_secret, "server side").await;
    assert_eq!(status, StatusCode::OK, "a secret key is not rate-limited");
}

#[actix_web::test]
async fn a_one_item_page_of_spaces_reads_one_space_in_full() {
    let app = spawn_app_with(|_| {}).await;
    let sk = app.dev_secret.clone();
    let metadata = json!({ "blob": "m".repeat(8000) });
    for i in 0..25 {
        let (status, body) = app
            .post(
                "/v1/spaces",
                &sk,
                json!({ "name": format!("s{i}"), "metadata": metadata }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let before = app.listed_space_reads();
    let (status, body) = app.get("/v1/spaces?pageSize=1", &sk).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(body["data"][0]["name"], "s0");
    assert_eq!(body["pagination"]["totalCount"], 25);
    assert_eq!(
        app.listed_space_reads() - before,
        1,
        "only the page's space is read in full"
    );
    let (_, last) = app
        .get(
            "/v1/spaces?pageSize=1&pageNumber=25&sortField=name&sortDirection=desc",
            &sk,
        )
        .await;
    assert_eq!(last["data"][0]["name"], "s0", "{last}");
}

/// The ids and pagination of a listing.
async fn listing(app: &TestApp, token: &str, query: &str) -> (Vec<String>, serde_json::Value) {
    let (status, body) = app.get(&format!("/v1/spaces?{query}"), token).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    let ids = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    (ids, body["pagination"].clone())
}

#[actix_web::test]
async fn a_first_page_in_creation_order_reads_no_other_space_however_many_there_are() {
    let mut app = spawn_app_with(|_| {}).await;
    let sk = app.dev_secret.clone();
    let mut ids = Vec::new();
    for i in 0..30 {
        let (_, body) = app.create_space(&sk, &format!("s{i}")).await;
        ids.push(body["data"]["id"].as_str().unwrap().to_owned());
    }
    for id in &ids[..5] {
        let (status, body) = app
            .post(&format!("/v1/spaces/{id}/archive"), &sk, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, body) = app.delete(&format!("/v1/spaces/{}", ids[29]), &sk).await;
    assert_eq!(body["data"]["success"], true, "{body}");
    app.restart().await;

    let summaries = app.space_summary_reads();
    let full = app.listed_space_reads();
    let (first, pagination) = listing(&app, &sk, "pageSize=1").await;
    assert_eq!(first, [ids[5].clone()]);
    assert_eq!(
        pagination["totalCount"], 24,
        "30 made, 5 archived, 1 deleted"
    );
    assert_eq!(
        app.space_summary_reads() - summaries,
        0,
        "no space is read to filter or count"
    );
    assert_eq!(app.listed_space_reads() - full, 1);

    // The index agrees with the listing that filters space by space (an empty search).
    for query in [
        "pageSize=7&pageNumber=2",
        "pageSize=100&sortDirection=desc",
        "pageSize=2&archived=true&sortDirection=desc",
        "pageSize=3&pageNumber=9",
    ] {
        let fast = listing(&app, &sk, query).await;
        let slow = listing(&app, &sk, &format!("{query}&search=")).await;
        assert_eq!(fast, slow, "{query}");
    }
    let (newest, _) = listing(&app, &sk, "pageSize=1&sortDirection=desc").await;
    assert_eq!(newest, [ids[28].clone()]);
    let (archived, pagination) = listing(&app, &sk, "archived=true&pageSize=100").await;
    assert_eq!(archived, ids[..5].to_vec());
    assert_eq!(pagination["totalCount"], 5);
}
