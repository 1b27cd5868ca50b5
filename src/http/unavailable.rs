//! Client methods Latchkey cannot serve at all. Each answers `400` with the key
//! `notAvailableInLatchkey` and says why, so that it cannot be mistaken for a mistyped path
//! (whose answer is `404 no route for …`). 400 is what the client maps to `BadRequestError`
//! for these methods, and it is not retried.

use super::ApiError;
use crate::auth::Principal;
use actix_web::HttpResponse;

/// The error key every unavailable feature answers with.
pub const NOT_AVAILABLE: &str = "notAvailableInLatchkey";

fn not_available(message: &str) -> ApiError {
    ApiError::bad_request(NOT_AVAILABLE, message)
}

/// `GET /v1/auth/sftp-credentials` (`state.auth.getSftpCredentials`).
pub(super) async fn sftp_credentials(_p: Principal) -> Result<HttpResponse, ApiError> {
    Err(not_available(
        "SFTP credentials are not available in Latchkey: it is an authentication server, runs no \
         SFTP server and holds no files; upload files to your own storage",
    ))
}
