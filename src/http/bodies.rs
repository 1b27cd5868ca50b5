//! What the space group's handlers (spaces, workbooks, data clips, secrets, guides, the embed)
//! and the other handler files share to build their answers: JSON documents stored as text,
//! the paginated envelope, and the "x is required" check.

use super::extract::{Pagination, Query};
use super::ApiError;
use actix_web::HttpResponse;
use serde::Serialize;

/// A stored JSON document (`metadata`, `settings`), or `{}` when it does not parse.
pub(super) fn json_or_empty(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::json!({}))
}

/// `value`, or 400 "`key` is required". (Until `http/required.rs` lands: then that one.)
pub(super) fn required<T>(key: &'static str, value: Option<T>) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::bad_request(key, format!("{key} is required")))
}

/// The contract's paginated envelope: `{"data": [...], "pagination": {...}}`.
#[derive(Serialize)]
struct Paged<T> {
    data: Vec<T>,
    pagination: Pagination,
}

/// `200 {"data": items, "pagination": pagination}`.
pub(super) fn paged<T: Serialize>(items: Vec<T>, pagination: Pagination) -> HttpResponse {
    HttpResponse::Ok().json(Paged {
        data: items,
        pagination,
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

/// Query parameter `key` as a flag: absent or `false`, or `true`; else 400 `message`.
pub(super) fn flag(q: &Query, key: &'static str, message: &'static str) -> Result<bool, ApiError> {
    match q.optional(key)? {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::bad_request(key, message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_value_is_a_400_naming_it() {
        assert_eq!(required("name", Some(3)).ok(), Some(3));
        let err = required::<u8>("name", None).unwrap_err();
        assert!(
            matches!(err, ApiError::BadRequest { key: Some(k), message } if k == "name" && message == "name is required")
        );
    }

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
