//! Small helpers the event, stream, agent and key handlers share: a `true`/`false` query flag.

use super::extract::Query;
use super::ApiError;

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
