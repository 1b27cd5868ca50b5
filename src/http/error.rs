//! One error type for every handler. The body is always the contract's `{"errors":[…]}`.

use crate::auth::policy::Denial;
use crate::auth::AuthFailure;
use crate::domain::ParseError;
use crate::store::StoreError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Everything a request can fail with, each variant one status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the input is malformed; `key` names the field.
    #[error("{message}")]
    BadRequest {
        key: Option<String>,
        message: String,
    },
    /// 401: no usable credential.
    #[error("{0}")]
    Unauthorized(AuthFailure),
    /// 401: a login failed (wrong email or password look the same).
    #[error("{0}")]
    LoginFailed(String),
    /// 403: visible but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: missing, or outside the caller's reach.
    #[error("{0}")]
    NotFound(String),
    /// 405: the path exists but not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 409: conflicts with what is stored.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is larger than the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: a body in another media type than the endpoint takes.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429: too many failed logins; retry after the given seconds.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    /// 422: well-formed but refused (a limit reached, a value out of range).
    #[error("{message}")]
    Unprocessable {
        key: Option<String>,
        message: String,
    },
    /// 500: logged in full; the client sees a generic message.
    #[error("internal error: {0}")]
    Internal(String),
    /// 503: the store cannot write (a full disk, a failing device); the cause is logged.
    #[error("the store cannot take writes right now (storage failure: a full disk or a failing device); reads still work")]
    StorageUnavailable(String),
}

impl ApiError {
    /// A 400 naming `key`.
    pub fn bad_request(key: &str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            key: Some(key.to_owned()),
            message: message.into(),
        }
    }

    /// A 422 naming `key`.
    pub fn unprocessable(key: &str, message: impl Into<String>) -> Self {
        Self::Unprocessable {
            key: Some(key.to_owned()),
            message: message.into(),
        }
    }

    fn key(&self) -> Option<&str> {
        match self {
            Self::BadRequest { key, .. } | Self::Unprocessable { key, .. } => key.as_deref(),
            Self::Unauthorized(reason) => Some(reason.code()),
            Self::LoginFailed(_) => Some("invalid-credentials"),
            Self::TooManyRequests { .. } => Some("throttled"),
            Self::UnsupportedMediaType(_) => Some("content-type"),
            Self::StorageUnavailable(_) => Some("storage-unavailable"),
            _ => None,
        }
    }
}

#[derive(Serialize)]
struct ErrorItem<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    errors: [ErrorItem<'a>; 1],
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(AuthFailure::Unavailable) | Self::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            Self::Unauthorized(AuthFailure::CrossOrigin(_)) => StatusCode::FORBIDDEN,
            Self::Unauthorized(_) | Self::LoginFailed(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::StorageUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            Self::Internal(cause) => {
                log::error!("internal error: {cause}");
                "internal server error".to_owned()
            }
            Self::Unauthorized(reason @ AuthFailure::CrossOrigin(_)) => reason.to_string(),
            Self::Unauthorized(reason) => format!("Unauthorized: {reason}"),
            Self::StorageUnavailable(cause) => {
                log::error!("storage failure: {cause}");
                self.to_string()
            }
            other => other.to_string(),
        };
        let body = ErrorBody {
            errors: [ErrorItem {
                key: self.key(),
                message,
            }],
        };
        let mut response = HttpResponse::build(self.status_code());
        if self.status_code() == StatusCode::UNAUTHORIZED {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if let Self::TooManyRequests { retry_after, .. } = self {
            response.insert_header(("Retry-After", retry_after.to_string()));
        }
        response.json(body)
    }
}

impl ResponseError for AuthFailure {
    fn status_code(&self) -> StatusCode {
        ApiError::Unauthorized(self.clone()).status_code()
    }

    fn error_response(&self) -> HttpResponse {
        ApiError::Unauthorized(self.clone()).error_response()
    }
}

impl From<AuthFailure> for ApiError {
    fn from(f: AuthFailure) -> Self {
        Self::Unauthorized(f)
    }
}

impl From<ParseError> for ApiError {
    fn from(e: ParseError) -> Self {
        if e.over_limit {
            Self::unprocessable(e.field, e.message)
        } else {
            Self::bad_request(e.field, e.message)
        }
    }
}

impl From<Denial> for ApiError {
    fn from(d: Denial) -> Self {
        match d {
            Denial::NotFound(m) => Self::NotFound(m),
            Denial::Forbidden(m) => Self::Forbidden(m),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => Self::Conflict(m),
            StoreError::NotFound(m) => Self::NotFound(m),
            StoreError::Limit(m) => Self::Unprocessable {
                key: None,
                message: m,
            },
            StoreError::Sled(_) | StoreError::Io(_) | StoreError::NotDurable => {
                Self::StorageUnavailable(e.to_string())
            }
            other => Self::Internal(other.to_string()),
        }
    }
}
