//! What the space group's handlers (spaces, workbooks, data clips, secrets, guides, the embed)
//! and the other handler files share to build their answers: JSON documents stored as text,
//! the paginated envelope, and the true/false query flag.

use super::extract::{Pagination, Query};
use super::ApiError;
use actix_web::HttpResponse;
use serde::Serialize;

/// A stored JSON document (`metadata`, `settings`), or `{}` when it does not parse.
pub(super) fn json_or_empty(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::json!({}))
}

/// The contract's paginated envelope: `{"data": [...], "pagination": {...}}`, with a
/// `runtimeNote` where one is given.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Paged<T> {
    pub data: Vec<T>,
    pub pagination: Pagination,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_note: Option<&'static str>,
}

/// `200 {"data": items, "pagination": pagination}`.
pub(super) fn paged<T: Serialize>(items: Vec<T>, pagination: Pagination) -> HttpResponse {
    HttpResponse::Ok().json(Paged {
        data: items,
        pagination,
        runtime_note: None,
    })
}

/// 422 `message`, naming `key`, when `given` names another value than `current` (a record that
/// cannot move).
pub(super) fn unchanged(
    key: &'static str,
    given: Option<&str>,
    current: &str,
    message: &'static str,
) -> Result<(), ApiError> {
    if given.is_some_and(|g| g != current) {
        return Err(ApiError::unprocessable(key, message));
    }
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_documents_default_to_an_empty_object() {
        assert_eq!(json_or_empty("not json"), serde_json::json!({}));
        assert_eq!(json_or_empty("[1]"), serde_json::json!([1]));
    }

    #[test]
    fn a_record_that_cannot_move_refuses_another_value_only() {
        assert!(unchanged("spaceId", None, "a", "no").is_ok());
        assert!(unchanged("spaceId", Some("a"), "a", "no").is_ok());
        let err = unchanged("spaceId", Some("b"), "a", "no").unwrap_err();
        assert!(matches!(err, ApiError::Unprocessable { key: Some(k), .. } if k == "spaceId"));
    }
}
