//! Small helpers the event, stream, agent and key handlers share: a `true`/`false` query flag
//! and the contract's paged list body.

use super::extract::{Pagination, Query};
use super::ApiError;
use serde::Serialize;

/// The query flag `name`: absent, `true` or `false` (400 otherwise).
pub(super) fn flag(q: &Query, name: &str) -> Result<Option<bool>, ApiError> {
    match q.optional(name)? {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ApiError::bad_request(
            name,
            format!("{name} must be true or false"),
        )),
    }
}

/// `{"data": [...], "pagination": {...}}`, with a `runtimeNote` where one is given.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Paged<T> {
    pub data: Vec<T>,
    pub pagination: Pagination,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_note: Option<&'static str>,
}
