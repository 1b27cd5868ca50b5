//! Health, the JWKS, the dev clock and `whoami`.

use super::extract::JsonBody;
use super::{data, ApiError, AppState};
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::{Principal, PrincipalKind};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

pub(super) async fn health() -> HttpResponse {
    // The bytes `data(json!({"status": "ok"}))` wrote, as a constant: load balancers call this
    // often, and building the JSON value was a twelfth of the request's instructions
    // (callgrind; bench/README.md).
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"data":{"status":"ok"}}"#)
}

pub(super) async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(state.auth.signer().jwks())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ClockBody {
    advance_seconds: i64,
}

/// `POST /v1/latchkey/clock {"advanceSeconds": N}`: only with `dev.clock_control = true`.
pub(super) async fn advance_clock(
    p: Principal,
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
    state.clock.advance(seconds);
    let now = state.clock.now();
    let event = super::audit(&state, &p, "latchkey:clock-advanced", "latchkey")
        .with_payload(serde_json::json!({ "advanceSeconds": seconds, "offsetSeconds": state.clock.offset_seconds() }));
    state.store.record_events(&[event]).await?;
    Ok(data(ClockNow {
        now: now.to_rfc3339(),
        offset_seconds: state.clock.offset_seconds(),
    }))
}

/// The dev clock after a move: its time and how far it is ahead of the system clock.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClockNow {
    now: String,
    offset_seconds: i64,
}

/// `GET /v1/latchkey/whoami`: what the presented credential is, or why it is refused.
pub(super) async fn whoami(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let outcome = state
        .auth
        .presented(&req)
        .and_then(|c| state.auth.authenticate(c));
    match outcome {
        Ok(p) => data(Whoami::from(&p)),
        Err(reason) => data(Refused {
            valid: false,
            reason: reason.code(),
            message: reason.to_string(),
        }),
    }
}

/// `whoami` for a refused credential.
#[derive(Serialize)]
struct Refused {
    valid: bool,
    reason: &'static str,
    message: String,
}

/// `whoami` for a valid credential: the account, the credential and the kind of caller.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Whoami<'a> {
    valid: bool,
    account_id: &'a str,
    credential_id: &'a str,
    via: &'static str,
    expires_at: Option<String>,
    #[serde(flatten)]
    kind: Kind<'a>,
}

/// The fields of each kind of caller, under `kind`.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Kind<'a> {
    User {
        id: &'a str,
        role: &'static str,
    },
    #[serde(rename_all = "camelCase")]
    Environment {
        id: &'a str,
        environment_id: &'a str,
        key_type: &'static str,
        operations: &'a [crate::domain::Operation],
    },
    #[serde(rename_all = "camelCase")]
    Guest {
        id: &'a str,
        environment_id: &'a str,
        space: Option<&'a str>,
        grants: Vec<GrantFields<'a>>,
        data_clips: Vec<&'a str>,
    },
    #[serde(rename_all = "camelCase")]
    Space {
        id: &'a str,
        environment_id: &'a str,
        key_id: &'a str,
    },
}

/// A guest's grant: the space and, when limited, its workbooks.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GrantFields<'a> {
    space_id: &'a str,
    workbooks: Option<Vec<&'a str>>,
}

impl<'a> From<&'a Principal> for Whoami<'a> {
    fn from(p: &'a Principal) -> Self {
        Self {
            valid: true,
            account_id: p.account_id.as_str(),
            credential_id: &p.credential_id,
            via: p.via.as_str(),
            expires_at: p.expires_at.map(|t| t.to_rfc3339()),
            kind: Kind::from(&p.kind),
        }
    }
}

impl<'a> From<&'a PrincipalKind> for Kind<'a> {
    fn from(kind: &'a PrincipalKind) -> Self {
        match kind {
            PrincipalKind::User { id, role } => Kind::User {
                id: id.as_str(),
                role: role.as_str(),
            },
            PrincipalKind::Environment {
                key_id,
                environment_id,
                key_type,
                operations,
            } => Kind::Environment {
                id: key_id.as_str(),
                environment_id: environment_id.as_str(),
                key_type: key_type.as_str(),
                operations,
            },
            PrincipalKind::Guest {
                id,
                environment_id,
                scope,
                grants,
                clips,
                ..
            } => Kind::Guest {
                id: id.as_str(),
                environment_id: environment_id.as_str(),
                space: scope.as_ref().map(|s| s.as_str()),
                grants: grants
                    .iter()
                    .map(|g| GrantFields {
                        space_id: g.space_id.as_str(),
                        workbooks: g
                            .workbooks
                            .as_ref()
                            .map(|w| w.iter().map(|w| w.as_str()).collect()),
                    })
                    .collect(),
                data_clips: clips.iter().map(|c| c.clip_id.as_str()).collect(),
            },
            PrincipalKind::SpaceToken {
                space_id,
                environment_id,
                key_id,
            } => Kind::Space {
                id: space_id.as_str(),
                environment_id: environment_id.as_str(),
                key_id: key_id.as_str(),
            },
        }
    }
}

/// `GET /v1/latchkey/backup`: a consistent snapshot of the whole store (Administrators). It holds
/// raw API keys and secret values sealed under the master key, which it does not contain.
pub(super) async fn backup(
    p: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    authorize(&p, Action::Backup, Resource::account(&p.account_id))?;
    let (store, key) = (state.store.clone(), state.auth.backup_key());
    let snapshot = web::block(move || store.snapshot(&key))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    log::info!(
        "backup taken: {} records, writes paused {} µs",
        snapshot.records,
        snapshot.pause.as_micros()
    );
    let event = super::audit(&state, &p, "latchkey:backup-taken", "latchkey")
        .with_payload(serde_json::json!({ "records": snapshot.records, "bytes": snapshot.bytes.len(), "pauseMicros": snapshot.pause.as_micros() as u64 }));
    state.store.record_events(&[event]).await?;
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
