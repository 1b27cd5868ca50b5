//! The last-Administrator rule counts only Administrators who can sign in.

use crate::helpers::spawn_app;
use actix_web::http::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn an_invited_administrator_without_a_password_does_not_let_the_last_one_leave() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let admin_id = app.admin_id(&admin).await;
    let account = app.account_id(&admin).await;
    app.invite(&admin, "pending@example.com", "us_rol_admin")
        .await;
    let demote = json!({ "roleId": "us_rol_member", "resourceId": account });
    let (status, body) = app
        .post(
            &format!("/v1/users/{admin_id}/roles"),
            &admin,
            demote.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("last Administrator who can sign in"),
        "{body}"
    );
    assert_eq!(
        app.delete_user(&admin, &admin_id).await.0,
        StatusCode::CONFLICT
    );

    app.onboard(&admin, "deputy@example.com", "us_rol_admin")
        .await;
    let (status, body) = app
        .post(&format!("/v1/users/{admin_id}/roles"), &admin, demote)
        .await;
    assert_eq!(status, StatusCode::OK, "once another can sign in: {body}");
}
