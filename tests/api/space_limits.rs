//! Spaces stay bounded: a count limit per environment, a per-address rate limit on spaces
//! made with a (public) publishable key, and listings whose pages read only their own spaces.

use crate::helpers::spawn_app_with;
use actix_web::http::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn an_environment_holds_at_most_the_configured_number_of_spaces() {
    let app = spawn_app_with(|c| c.limits.spaces_per_environment = 3).await;
    let sk = app.dev_secret.clone();
    for i in 0..3 {
        let (status, body) = app
            .post("/v1/spaces", &sk, json!({ "name": format!("s{i}") }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = app
        .post("/v1/spaces", &sk, json!({ "name": "one too many" }))
        .await;
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
    let (status, _) = app
        .post(
            "/v1/spaces",
            &app.dev_secret,
            json!({ "name": "server side" }),
        )
        .await;
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
