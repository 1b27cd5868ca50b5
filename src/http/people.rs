//! What the people handlers (users, guests, invitations, sessions, tokens) share: the listing
//! envelope `{data, pagination}`, the bound on a batch body, and the small typed acks.

use super::extract::Pagination;
use super::ApiError;
use actix_web::HttpResponse;
use serde::Serialize;

/// The contract's listing envelope.
#[derive(Serialize)]
struct Paged<T> {
    data: Vec<T>,
    pagination: Pagination,
}

/// `200 {"data": items, "pagination": pagination}`.
pub(super) fn paged<T: Serialize>(data: Vec<T>, pagination: Pagination) -> HttpResponse {
    HttpResponse::Ok().json(Paged { data, pagination })
}

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
