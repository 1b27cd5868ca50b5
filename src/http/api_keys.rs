//! Environment API keys: list, publishable key, create, delete, and timed rotation.

use super::extract::{JsonBody, Query};
use super::reach::allowed_environment;
use super::{audit, data, success, ApiError, AppState};
use crate::auth::credential::RawCredential;
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::Principal;
use crate::domain::{
    ApiKey, ApiKeyId, ApiKeyType, CredentialRef, Environment, EnvironmentId, Event, Timestamp,
};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

/// The wire shape of an API key. `rawKey` is present for Administrators, as the hosted service does.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiKeyBody {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_key: Option<String>,
    #[serde(rename = "type")]
    key_type: &'static str,
    environment_id: String,
    account_id: String,
    operations: Vec<crate::domain::Operation>,
    created_at: String,
    updated_at: String,
    /// `active`, `expiring` (works until `expiresAt`) or `expired`.
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replaced_by: Option<String>,
}

fn key_body(state: &AppState, key: ApiKey) -> ApiKeyBody {
    let now = state.clock.now();
    let status = match key.expires_at {
        None => "active",
        Some(at) if now < at => "expiring",
        Some(_) => "expired",
    };
    ApiKeyBody {
        raw_key: state.auth.reveal(&key),
        id: key.id.to_string(),
        key_type: key.key_type.as_str(),
        environment_id: key.environment_id.to_string(),
        account_id: key.account_id.to_string(),
        operations: key.operations,
        created_at: key.created_at.to_rfc3339(),
        updated_at: key.updated_at.to_rfc3339(),
        state: status,
        expires_at: key.expires_at.map(|t| t.to_rfc3339()),
        replaced_by: key.replaced_by.map(|id| id.to_string()),
    }
}

/// Authorizes `action` on the environment named by `environmentId` and loads it.
fn environment(
    state: &AppState,
    p: &Principal,
    q: &Query,
    action: Action,
) -> Result<Environment, ApiError> {
    let id = EnvironmentId::parse(q.required("environmentId")?)?;
    allowed_environment(state, p, &id, action)
}

pub(super) async fn list_api_keys(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let env = environment(&state, &p, &q, Action::ReadApiKeys)?;
    let now = state.clock.now();
    let keys: Vec<ApiKeyBody> = state
        .store
        .api_keys_of(&env.id)?
        .into_iter()
        .filter(|k| k.is_active_at(now))
        .map(|k| key_body(&state, k))
        .collect();
    Ok(data(keys))
}

pub(super) async fn get_publishable_key(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let env = environment(&state, &p, &q, Action::ReadPublishableKey)?;
    let now = state.clock.now();
    let key = state
        .store
        .api_keys_of(&env.id)?
        .into_iter()
        .filter(|k| k.key_type == ApiKeyType::Publishable && k.is_active_at(now))
        .min_by_key(|k| k.expires_at.is_some())
        .ok_or_else(|| {
            ApiError::NotFound(format!("environment {} has no publishable key", env.id))
        })?;
    Ok(data(key_body(&state, key)))
}

/// `POST /auth/api-key?environmentId=&type=` (no body): answers a list holding the new key.
pub(super) async fn create_api_key(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let env = environment(&state, &p, &q, Action::ManageApiKeys)?;
    let key_type = ApiKeyType::parse(q.required("type")?)?;
    let (key, _raw) = state.auth.new_api_key(&env.account_id, &env.id, key_type);
    let event = key_event(&state, "api-key:created", &p, &key);
    state
        .store
        .insert_api_key(&key, state.limits.keys_per_environment, &event)
        .await?;
    Ok(data([key_body(&state, key)]))
}

/// `DELETE /auth/api-key?environmentId=&key=`: `key` is a key id or the raw key.
pub(super) async fn delete_api_key(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let env = environment(&state, &p, &q, Action::ManageApiKeys)?;
    let named = q.required("key")?;
    let id = if named.starts_with(ApiKeyId::PREFIX) {
        ApiKeyId::parse(named)?
    } else {
        let raw =
            RawCredential::parse(named).map_err(|e| ApiError::bad_request("key", e.to_string()))?;
        match state.store.credential_by_digest(&raw.digest())? {
            Some(CredentialRef::ApiKey(id)) => id,
            _ => return Err(ApiError::NotFound("key not found".into())),
        }
    };
    let key = state
        .store
        .api_key(&id)?
        .filter(|k| k.environment_id == env.id)
        .ok_or_else(|| {
            ApiError::NotFound(format!("key {id} not found in environment {}", env.id))
        })?;
    let event = key_event(&state, "api-key:deleted", &p, &key);
    state.store.delete_api_key(&key.id, &event).await?;
    Ok(success())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RotateBody {
    expires_in_seconds: i64,
}

/// `POST /v1/latchkey/api-keys/{id}/rotate {"expiresInSeconds": N}`: a replacement now, the old
/// key valid for N more seconds (0: stops at once).
pub(super) async fn rotate_api_key(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<RotateBody>,
) -> Result<HttpResponse, ApiError> {
    let old = key(&state, &p, &path, Action::ManageApiKeys)?;
    let plan = Rotation::new(&state, &old, body.0.expires_in_seconds)?;
    let event = key_event(&state, "api-key:rotated", &p, &old).with_payload(serde_json::json!({
        "keyId": old.id.as_str(), "replacementId": plan.replacement.id.as_str(), "expiresInSeconds": plan.grace,
    }));
    let max = state.limits.keys_per_environment;
    let previous = state
        .store
        .rotate_api_key(&old.id, plan.old_expires_at, &plan.replacement, max, &event)
        .await?;
    Ok(data(RotatedBody {
        key: key_body(&state, plan.replacement),
        previous: key_body(&state, previous),
    }))
}

/// A rotation as checked: the old key's grace, when it then stops, and its replacement (a new
/// key of the same type and operations).
struct Rotation {
    grace: i64,
    old_expires_at: Timestamp,
    replacement: ApiKey,
}

impl Rotation {
    /// 422 unless `grace` is within `limits.max_rotation_grace_seconds`; 409 once `old` expired.
    fn new(state: &AppState, old: &ApiKey, grace: i64) -> Result<Self, ApiError> {
        let max = state.limits.max_rotation_grace_seconds;
        if !(0..=max).contains(&grace) {
            return Err(ApiError::unprocessable(
                "expiresInSeconds",
                format!(
                    "expiresInSeconds must be between 0 and {max} (limits.max_rotation_grace_seconds)"
                ),
            ));
        }
        let now = state.clock.now();
        if !old.is_active_at(now) {
            return Err(ApiError::Conflict(format!(
                "key {} has already expired",
                old.id
            )));
        }
        let (mut replacement, _raw) =
            state
                .auth
                .new_api_key(&old.account_id, &old.environment_id, old.key_type);
        replacement.operations = old.operations.clone();
        Ok(Self {
            grace,
            old_expires_at: now.plus_seconds(grace),
            replacement,
        })
    }
}

/// The account's key `raw` after `action` is allowed in its environment.
fn key(state: &AppState, p: &Principal, raw: &str, action: Action) -> Result<ApiKey, ApiError> {
    let id = ApiKeyId::parse(raw)?;
    let key = state
        .store
        .api_key(&id)?
        .filter(|k| k.account_id == p.account_id)
        .ok_or_else(|| ApiError::NotFound(format!("key {id} not found")))?;
    authorize(
        p,
        action,
        Resource::environment(&key.account_id, &key.environment_id),
    )?;
    Ok(key)
}

/// The answer to a rotation: the replacement and the old key as it now stands.
#[derive(Serialize)]
struct RotatedBody {
    key: ApiKeyBody,
    previous: ApiKeyBody,
}

fn key_event(state: &AppState, topic: &str, p: &Principal, key: &ApiKey) -> Event {
    audit(state, p, topic, "auth")
        .in_environment(&key.environment_id)
        .with_payload(
            serde_json::json!({ "keyId": key.id.as_str(), "type": key.key_type.as_str() }),
        )
}
