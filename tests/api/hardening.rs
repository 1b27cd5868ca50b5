//! Regression tests for the outside security review (issue 15), one block per finding.

use crate::helpers::*;
use actix_web::http::StatusCode;
#[allow(unused_imports)]
use serde_json::json;

// Finding 19: the API-key header carries only secret keys.
#[actix_web::test]
async fn api_key_header_refuses_everything_but_secret_keys() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (pat, _) = app.create_pat(&admin, "header test").await;
    let get = |value: String| {
        let app = &app;
        async move {
            app.raw(
                "GET",
                "/v1/environments/current",
                &[("x-api-key", &value)],
                vec![],
            )
            .await
        }
    };
    for other in [pat, admin.clone(), app.dev_publishable.clone()] {
        let (status, body) = get(other).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("Authorization: Bearer"),
            "the refusal says where the credential belongs: {message}"
        );
    }
    let (status, body) = get(app.dev_secret.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
