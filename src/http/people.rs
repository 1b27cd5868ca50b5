//! What the people handlers (users, guests, invitations, sessions, tokens) share: the bound on
//! a batch body.

use super::ApiError;

/// `items` when there are 1 to `max` of them (`limits.guests_per_request`), else 422 counting
/// `what` ("guests", "invitations").
pub(super) fn batch<T>(items: Vec<T>, max: usize, what: &str) -> Result<Vec<T>, ApiError> {
    if items.is_empty() || items.len() > max {
        return Err(ApiError::unprocessable(
            "body",
            format!("send 1 to {max} {what} per request (limits.guests_per_request)"),
        ));
    }
    Ok(items)
}
