//! Routes and handlers, one file per resource. Wire types live here; sled does not.

mod api_keys;
mod environments;
pub mod error;
mod extract;
mod login;
mod system;

pub use error::ApiError;

use crate::auth::password::PasswordHasher;
use crate::config::LimitsConfig;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

/// Shared, read-only state every handler may use besides the `Authenticator`.
pub struct AppState {
    /// Size and count limits.
    pub limits: LimitsConfig,
    /// Whether the dev clock may be moved.
    pub clock_control: bool,
    /// Password hashing, off the workers.
    pub hasher: PasswordHasher,
}

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/health").route(web::get().to(system::health)))
        .service(resource("/.well-known/jwks.json").route(web::get().to(system::jwks)))
        .service(
            web::scope("/v1")
                .service(resource("/auth").route(web::post().to(login::create_access_token)))
                .service(
                    resource("/auth/access-token")
                        .route(web::post().to(login::create_access_token)),
                )
                .service(resource("/auth/api-keys").route(web::get().to(api_keys::list_api_keys)))
                .service(
                    resource("/auth/publishable-key")
                        .route(web::get().to(api_keys::get_publishable_key)),
                )
                .service(
                    resource("/auth/api-key")
                        .route(web::post().to(api_keys::create_api_key))
                        .route(web::delete().to(api_keys::delete_api_key)),
                )
                .service(
                    resource("/environments")
                        .route(web::get().to(environments::list_environments))
                        .route(web::post().to(environments::create_environment)),
                )
                .service(
                    resource("/environments/{environmentId}")
                        .route(web::get().to(environments::get_environment))
                        .route(web::patch().to(environments::update_environment))
                        .route(web::delete().to(environments::delete_environment)),
                )
                .service(
                    resource("/latchkey/api-keys/{keyId}/rotate")
                        .route(web::post().to(api_keys::rotate_api_key)),
                )
                .service(resource("/latchkey/clock").route(web::post().to(system::advance_clock)))
                .service(resource("/latchkey/whoami").route(web::get().to(system::whoami))),
        );
}

fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    ApiError::MethodNotAllowed(format!("{} is not allowed on {}", req.method(), req.path()))
        .error_response()
}

/// The answer for a path no route matches.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    ApiError::NotFound(format!("no route for {} {}", req.method(), req.path())).error_response()
}

/// `200 {"data": value}`.
pub fn data<T: Serialize>(value: T) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "data": value }))
}

/// `200 {"data":{"success":true}}`.
pub fn success() -> HttpResponse {
    data(serde_json::json!({ "success": true }))
}
