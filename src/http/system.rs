//! Health, the JWKS, the dev clock and `whoami`.

use super::extract::JsonBody;
use super::{data, ApiError, AppState};
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::{Authenticator, Principal, PrincipalKind};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

pub(super) async fn health() -> HttpResponse {
    // The bytes `data(json!({"status": "ok"}))` wrote, as a constant: load balancers call this
    // often, and building the JSON value was a twelfth of the request's instructions
    // (callgrind; bench/README.md).
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"data":{"status":"ok"}}"#)
}

pub(super) async fn jwks(auth: web::Data<Authenticator>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(auth.signer().jwks())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ClockBody {
    advance_seconds: i64,
}

/// `POST /v1/latchkey/clock {"advanceSeconds": N}`: only with `dev.clock_control = true`.
pub(super) async fn advance_clock(
    p: Principal,
    auth: web::Data<Authenticator>,
    state: web::Data<AppState>,
    body: JsonBody<ClockBody>,
) -> Result<HttpResponse, ApiError> {
    if !state.clock_control {
        return Err(ApiError::NotFound(
            "clock control is off; set dev.clock_control = true".into(),
        ));
    }
    authorize(&p, Action::ControlClock, Resource::account(&p.account_id))?;
    let seconds = body.0.advance_seconds;
    if !(0..=10 * 365 * 86_400).contains(&seconds) {
        return Err(ApiError::unprocessable(
            "advanceSeconds",
            "advanceSeconds must be between 0 and ten years; the clock only moves forward",
        ));
    }
    auth.clock().advance(seconds);
    let now = auth.clock().now();
    let event = super::audit(&auth, &p, "latchkey:clock-advanced", "latchkey")
        .with_payload(serde_json::json!({ "advanceSeconds": seconds, "offsetSeconds": auth.clock().offset_seconds() }));
    auth.store().record_events(&[event]).await?;
    Ok(data(
        serde_json::json!({ "now": now.to_rfc3339(), "offsetSeconds": auth.clock().offset_seconds() }),
    ))
}

/// `GET /v1/latchkey/whoami`: what the presented credential is, or why it is refused.
pub(super) async fn whoami(req: HttpRequest, auth: web::Data<Authenticator>) -> HttpResponse {
    let outcome = auth.presented(&req).and_then(|c| auth.authenticate(c));
    match outcome {
        Ok(p) => data(describe(&p)),
        Err(reason) => data(serde_json::json!({
            "valid": false,
            "reason": reason.code(),
            "message": reason.to_string(),
        })),
    }
}

fn describe(p: &Principal) -> serde_json::Value {
    let mut out = serde_json::json!({
        "valid": true,
        "accountId": p.account_id.as_str(),
        "credentialId": p.credential_id,
        "via": p.via.as_str(),
        "expiresAt": p.expires_at.map(|t| t.to_rfc3339()),
    });
    let fields = match &p.kind {
        PrincipalKind::User { id, role } => serde_json::json!({
            "kind": "user", "id": id.as_str(), "role": role.as_str(),
        }),
        PrincipalKind::Environment {
            key_id,
            environment_id,
            key_type,
            operations,
        } => serde_json::json!({
            "kind": "environment", "id": key_id.as_str(), "environmentId": environment_id.as_str(),
            "keyType": key_type.as_str(), "operations": operations,
        }),
        PrincipalKind::Guest {
            id,
            environment_id,
            scope,
            grants,
            clips,
            ..
        } => serde_json::json!({
            "kind": "guest", "id": id.as_str(), "environmentId": environment_id.as_str(),
            "space": scope.as_ref().map(|s| s.as_str()),
            "grants": grants.iter().map(|g| serde_json::json!({
                "spaceId": g.space_id.as_str(),
                "workbooks": g.workbooks.as_ref().map(|w| w.iter().map(|w| w.as_str()).collect::<Vec<_>>()),
            })).collect::<Vec<_>>(),
            "dataClips": clips.iter().map(|c| c.clip_id.as_str()).collect::<Vec<_>>(),
        }),
        PrincipalKind::SpaceToken {
            space_id,
            environment_id,
            key_id,
        } => serde_json::json!({
            "kind": "space", "id": space_id.as_str(), "environmentId": environment_id.as_str(),
            "keyId": key_id.as_str(),
        }),
    };
    if let (Some(out), serde_json::Value::Object(fields)) = (out.as_object_mut(), fields) {
        out.extend(fields);
    }
    out
}

/// `GET /v1/latchkey/backup`: a consistent snapshot of the whole store (Administrators). It holds
/// raw API keys and secret values sealed under the master key, which it does not contain.
pub(super) async fn backup(
    p: Principal,
    auth: web::Data<Authenticator>,
) -> Result<HttpResponse, ApiError> {
    authorize(&p, Action::Backup, Resource::account(&p.account_id))?;
    let (store, key) = (auth.store().clone(), auth.backup_key());
    let snapshot = web::block(move || store.snapshot(&key))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    log::info!(
        "backup taken: {} records, writes paused {} µs",
        snapshot.records,
        snapshot.pause.as_micros()
    );
    let event = super::audit(&auth, &p, "latchkey:backup-taken", "latchkey")
        .with_payload(serde_json::json!({ "records": snapshot.records, "bytes": snapshot.bytes.len(), "pauseMicros": snapshot.pause.as_micros() as u64 }));
    auth.store().record_events(&[event]).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"latchkey.backup\"",
        ))
        .insert_header((
            "X-Latchkey-Pause-Micros",
            snapshot.pause.as_micros().to_string(),
        ))
        .body(snapshot.bytes))
}
