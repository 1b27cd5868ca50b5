//! What a caller may reach, loaded once: the environment a request names, within the caller's
//! account. A missing environment and one out of reach look the same (404).

use super::{ApiError, AppState};
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::Principal;
use crate::domain::{Environment, EnvironmentId};

/// Environment `id` of `p`'s account, or 404.
pub(super) fn account_environment(
    state: &AppState,
    p: &Principal,
    id: &EnvironmentId,
) -> Result<Environment, ApiError> {
    state
        .store
        .environment(id)?
        .filter(|e| e.account_id == p.account_id)
        .ok_or_else(|| ApiError::NotFound(format!("environment {id} not found")))
}

/// Environment `id` of `p`'s account, once `action` on it is allowed.
pub(super) fn allowed_environment(
    state: &AppState,
    p: &Principal,
    id: &EnvironmentId,
    action: Action,
) -> Result<Environment, ApiError> {
    authorize(p, action, Resource::environment(&p.account_id, id))?;
    account_environment(state, p, id)
}
