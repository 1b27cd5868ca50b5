use crate::helpers::*;
use actix_web::http::StatusCode;

#[actix_web::test]
async fn a_hundred_failures_in_an_hour_lock_the_account_even_with_the_right_password() {
    let app = spawn_app_with(|c| {
        c.security.login_failures_per_address = 10_000;
        c.security.login_delay_ms = 0;
    })
    .await;
    let admin = app.admin_token().await;
    for _ in 0..100 {
        assert_eq!(
            app.login(ADMIN_EMAIL, "wrong password!").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let client = awc::Client::default();
    let mut res = client
        .post(format!("{}/v1/auth", app.address))
        .send_json(&serde_json::json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 3000 && retry <= 3600, "Retry-After {retry}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["key"], "throttled");
    assert_eq!(
        app.login("other@example.com", "x-password").await.0,
        StatusCode::UNAUTHORIZED,
        "other accounts are unaffected"
    );
    assert_eq!(
        app.environments(&admin).await.0,
        StatusCode::OK,
        "existing tokens keep working"
    );
    app.advance_clock(&admin, 3601).await;
    assert_eq!(
        app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.0,
        StatusCode::OK,
        "the lock lifts after the window"
    );
}

#[actix_web::test]
async fn an_address_is_refused_after_ten_failures_in_ten_minutes() {
    let app = spawn_app_with(|c| c.security.login_delay_ms = 0).await;
    let admin = app.admin_token().await;
    for i in 0..10 {
        assert_eq!(
            app.login(&format!("user{i}@example.com"), "wrong password!")
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, body) = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("address"));
    app.advance_clock(&admin, 601).await;
    assert_eq!(
        app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.0,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn client_credentials_are_throttled_like_passwords() {
    let app = spawn_app_with(|c| {
        c.security.login_failures_per_account = 3;
        c.security.login_delay_ms = 0;
    })
    .await;
    let body = serde_json::json!({ "clientId": "us_cli_guessme000000", "secret": "cs_guess" });
    for _ in 0..3 {
        assert_eq!(
            app.request("POST", "/v1/auth", None, Some(body.clone()))
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.request("POST", "/v1/auth", None, Some(body)).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[actix_web::test]
async fn a_successful_login_looks_the_same_after_failures() {
    let app = spawn_app_with(|c| c.security.login_delay_ms = 0).await;
    let (_, clean) = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for _ in 0..3 {
        app.login(ADMIN_EMAIL, "wrong password!").await;
    }
    let (status, after) = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&clean), keys(&after));
    assert_eq!(clean["expiresIn"], after["expiresIn"]);
}
