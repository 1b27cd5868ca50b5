//! CORS on the wire: preflights, and the headers every answer gets. Which origin may use which
//! credential is decided once, in `auth::origin`, when the credential resolves; this module
//! only reflects that decision into headers.

use super::{ApiError, AppState};
use crate::auth::origin::CorsGrant;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, ResponseError};

/// Methods a cross-origin page may use.
const METHODS: &str = "GET, POST, PATCH, DELETE";
/// Headers the official clients send (`@flatfile/api` and the embed), besides the API-key header.
const HEADERS: &str = "Authorization, Content-Type, Accept, X-Disable-Hooks, X-Fern-Language, \
                       X-Fern-SDK-Name, X-Fern-SDK-Version, X-Fern-Runtime, X-Fern-Runtime-Version";
/// How long a browser may reuse a preflight answer, in seconds.
const MAX_AGE: &str = "600";

/// Whether `req` is a CORS preflight (`OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`), as opposed to a real `OPTIONS` request.
pub fn is_preflight(req: &HttpRequest) -> bool {
    req.method() == actix_web::http::Method::OPTIONS
        && req.headers().contains_key(header::ORIGIN)
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// Answers a preflight for a path that exists: 204 with the allowed methods and headers when
/// some credential may be used from the origin, else 403 (the browser then sends nothing).
/// The real request is checked again when its credential resolves.
pub fn preflight(req: &HttpRequest) -> HttpResponse {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return ApiError::Internal("origin rules are not registered".into()).error_response();
    };
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .map(|o| String::from_utf8_lossy(o.as_bytes()).into_owned())
        .unwrap_or_default();
    let method = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|m| m.to_str().ok())
        .unwrap_or_default();
    if !METHODS.split(", ").any(|m| m == method) {
        return ApiError::MethodNotAllowed(format!(
            "{method} is not allowed on {}; a page may use {METHODS}",
            req.path()
        ))
        .error_response();
    }
    let rules = &state.origins;
    let known = match state.store.environments() {
        Ok(envs) => rules.known(&origin, &envs),
        Err(e) => return ApiError::from(e).error_response(),
    };
    if !known && rules.cross_origin(req).is_some() {
        return ApiError::Forbidden(format!(
            "pages of {} may not call this server; add the origin to an environment's allowedOrigins",
            origin.chars().take(128).collect::<String>()
        ))
        .error_response();
    }
    req.extensions_mut().insert(CorsGrant);
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, METHODS))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            format!("{HEADERS}, {}", state.auth.api_key_header()),
        ))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, MAX_AGE))
        .finish()
}

/// Adds `Vary: Origin` to every answer, and `Access-Control-Allow-Origin` to those whose
/// request was admitted for its origin (or refused readably) by `auth::origin`.
pub fn decorate<B>(mut res: ServiceResponse<B>, origin: Option<HeaderValue>) -> ServiceResponse<B> {
    let granted = origin.as_ref().is_some_and(|o| {
        res.request().extensions().contains::<CorsGrant>()
            || res
                .request()
                .app_data::<web::Data<crate::state::AppState>>()
                .map(|s| &s.origins)
                .is_some_and(|r| r.any_credential_allowed(&String::from_utf8_lossy(o.as_bytes())))
    });
    let headers = res.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let (true, Some(origin)) = (granted, origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Retry-After"),
        );
    }
    res
}
