//! The one "x is required" check for a field a wire body may leave out.

use super::ApiError;

/// `value`, or 400 `{key} is required` naming the field when it was left out.
pub(crate) fn required<T>(key: &'static str, value: Option<T>) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::bad_request(key, format!("{key} is required")))
}

#[cfg(test)]
mod tests {
    use super::required;
    use actix_web::ResponseError;

    #[test]
    fn a_missing_field_is_a_400_naming_it() {
        assert_eq!(required("email", Some(3)).ok(), Some(3));
        let err = required::<u8>("email", None).unwrap_err();
        assert_eq!(err.status_code(), actix_web::http::StatusCode::BAD_REQUEST);
        assert_eq!(err.to_string(), "email is required");
    }
}
