//! `/v1/auth/personal-access-tokens`: a user's own PATs. The raw token is shown once.

use super::extract::JsonBody;
use super::{audit, data, success, ApiError, AppState};
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::{Principal, PrincipalKind};
use crate::domain::{Pat, PatId, PersonName, User};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PatBody {
    id: String,
    name: String,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_at: Option<String>,
}

fn pat_body(state: &AppState, pat: Pat) -> PatBody {
    let last = match (pat.last_used_at, state.auth.pending_pat_use(&pat.id)) {
        (a, Some(b)) => Some(a.map_or(b, |a| a.max(b))),
        (a, None) => a,
    };
    PatBody {
        id: pat.id.to_string(),
        name: pat.name.as_str().to_owned(),
        created_at: pat.created_at.to_rfc3339(),
        last_used_at: last.map(|t| t.to_rfc3339()),
    }
}

/// A new PAT with its raw token, shown this once.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreatedPat {
    token: String,
    personal_access_token: PatBody,
}

/// The calling user, after the policy allows managing their own tokens.
fn caller(state: &AppState, p: &Principal) -> Result<User, ApiError> {
    let PrincipalKind::User { id, .. } = &p.kind else {
        authorize(p, Action::ManageOwnTokens, Resource::account(&p.account_id))?;
        return Err(ApiError::Forbidden(
            "personal access tokens belong to users".into(),
        ));
    };
    authorize(
        p,
        Action::ManageOwnTokens,
        Resource::user(&p.account_id, id),
    )?;
    state
        .store
        .user(id)?
        .ok_or_else(|| ApiError::NotFound(format!("user {id} not found")))
}

pub(super) async fn list_pats(
    p: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &p)?;
    let pats: Vec<PatBody> = state
        .store
        .pats_of(&user.id)?
        .into_iter()
        .map(|t| pat_body(&state, t))
        .collect();
    Ok(data(pats))
}

#[derive(Deserialize)]
pub(super) struct CreatePat {
    name: String,
}

pub(super) async fn create_pat(
    p: Principal,
    state: web::Data<AppState>,
    body: JsonBody<CreatePat>,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &p)?;
    let name = PersonName::parse(&body.0.name, &state.limits.text)?;
    let (pat, raw) = state.auth.new_pat(&user, name);
    let event = audit(&state, &p, "pat:created", "auth")
        .with_payload(serde_json::json!({ "patId": pat.id.as_str(), "name": pat.name.as_str() }));
    state
        .store
        .insert_pat(&pat, state.limits.pats_per_user, &event)
        .await?;
    Ok(data(CreatedPat {
        token: raw.expose().to_owned(),
        personal_access_token: pat_body(&state, pat),
    }))
}

/// Deletes one of the caller's PATs (an Administrator may delete anyone's).
pub(super) async fn delete_pat(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller(&state, &p)?;
    let id = PatId::parse(&path)?;
    let pat = state
        .store
        .pat(&id)?
        .filter(|t| t.account_id == p.account_id)
        .ok_or_else(|| ApiError::NotFound(format!("personal access token {id} not found")))?;
    authorize(
        &p,
        Action::RevokePat,
        Resource::user(&p.account_id, &pat.user_id),
    )?;
    let event = audit(&state, &p, "pat:deleted", "auth")
        .with_payload(serde_json::json!({ "patId": id.as_str(), "userId": pat.user_id.as_str() }));
    state.store.delete_pat(&id, &event).await?;
    Ok(success())
}
