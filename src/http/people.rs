//! What the people handlers (users, guests, invitations, sessions, tokens) share: the bound on a
//! batch body and the small typed acks.

use super::ApiError;
use serde::Serialize;

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

/// `{success: true, email}`: a password was set or changed for the user at `email`.
#[derive(Serialize)]
pub(super) struct PasswordSet {
    success: bool,
    email: String,
}

impl From<&crate::domain::User> for PasswordSet {
    fn from(user: &crate::domain::User) -> Self {
        Self {
            success: true,
            email: user.email.to_string(),
        }
    }
}
