//! `/v1/users/{id}/api-token`: client-credentials pairs (`clientId` + secret shown once).

use super::bodies::paged;
use super::extract::Query;
use super::users::target;
use super::{audit, data, success, ApiError, AppState};
use crate::auth::policy::Action;
use crate::auth::Principal;
use crate::domain::{Client, ClientId};
use actix_web::{web, HttpResponse};
use serde::Serialize;

/// The contract's `ApiToken`; `createdAt` is a plain string there.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiTokenBody {
    client_id: String,
    description: String,
    metadata: serde_json::Map<String, serde_json::Value>,
    created_at: String,
    tenant_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

fn token_body(client: &Client, secret: Option<String>) -> ApiTokenBody {
    ApiTokenBody {
        client_id: client.id.to_string(),
        description: format!("client credentials for {}", client.user_id),
        metadata: serde_json::Map::new(),
        created_at: client.created_at.to_rfc3339(),
        tenant_id: client.tenant_id.clone(),
        secret,
    }
}

fn tenant(q: &Query) -> Result<String, ApiError> {
    let tenant = q.required("tenantId")?;
    crate::domain::check_text("tenantId", tenant)?;
    if tenant.chars().count() > 128 {
        return Err(ApiError::bad_request(
            "tenantId",
            "tenantId must be at most 128 printable characters",
        ));
    }
    Ok(tenant.to_owned())
}

pub(super) async fn create_client(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let user = target(&state, &p, &path, Action::ManageClientCredentials)?;
    let (client, secret) = state.auth.new_client(&user, tenant(&q)?);
    let event = audit(&state, &p, "client-credentials:created", "auth").with_payload(
        serde_json::json!({ "clientId": client.id.as_str(), "userId": user.id.as_str() }),
    );
    state
        .store
        .insert_client(&client, state.limits.pats_per_user, &event)
        .await?;
    Ok(data(token_body(&client, Some(secret.expose().to_owned()))))
}

pub(super) async fn list_clients(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let user = target(&state, &p, &path, Action::ManageClientCredentials)?;
    let tenant = tenant(&q)?;
    let page = q.page(10, state.limits.max_page_size)?;
    let clients: Vec<ApiTokenBody> = state
        .store
        .clients_of(&user.id)?
        .iter()
        .filter(|c| c.tenant_id == tenant)
        .map(|c| token_body(c, None))
        .collect();
    let (items, pagination) = page.slice(clients);
    Ok(paged(items, pagination))
}

pub(super) async fn delete_client(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (user_id, client_id) = path.into_inner();
    let user = target(&state, &p, &user_id, Action::ManageClientCredentials)?;
    let id = ClientId::parse(&client_id)?;
    state
        .store
        .client(&id)?
        .filter(|c| c.user_id == user.id)
        .ok_or_else(|| ApiError::NotFound(format!("client {id} not found")))?;
    let event = audit(&state, &p, "client-credentials:deleted", "auth")
        .with_payload(serde_json::json!({ "clientId": id.as_str(), "userId": user.id.as_str() }));
    state.store.delete_client(&id, &event).await?;
    Ok(success())
}
