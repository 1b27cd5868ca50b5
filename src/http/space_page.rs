//! The guest-facing space page, compiled into the binary from `static/space.*`: what the
//! embed's iframe opens (`/s/space/{spaceId}?token=…`), where a magic link
//! (`/join/{spaceId}#token=…`) and a shared link (`/join/{spaceId}`) land in a browser. Its
//! script calls the API with the token; the page itself holds no data.

use super::{ApiError, AppState};
use crate::domain::{Environment, SpaceId};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};

/// The page's policy before `frame-ancestors`: scripts, styles and API calls only from this
/// origin, nothing inline, nothing external.
const PAGE_CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                        connect-src 'self'; form-action 'self'; base-uri 'none'";

const PAGE: &str = include_str!("../../static/space.html");

const ASSETS: [(&str, &str, &str); 2] = [
    (
        "space.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/space.js"),
    ),
    (
        "space.css",
        "text/css; charset=utf-8",
        include_str!("../../static/space.css"),
    ),
];

/// `GET /s/space/{spaceId}`: the page.
pub(super) async fn space_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    page(&req, &state, &path)
}

/// `GET /s/assets/{file}`: its script and style.
pub(super) async fn asset(name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|(n, _, _)| *n == name.as_str()) {
        Some((_, content_type, body)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, *content_type))
            .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_CSP))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(*body),
        None => ApiError::NotFound(format!("no space page file named {name}")).error_response(),
    }
}

/// Whether a request to a page that also answers JSON asks for the page: its `Accept` names
/// `text/html` (as a browser's navigation does) and not `application/json`.
pub(super) fn wants_html(req: &HttpRequest) -> bool {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    accept.contains("text/html") && !accept.contains("application/json")
}

/// The page, framable by the pages allowed to embed the space's environment.
pub(super) fn page(req: &HttpRequest, state: &AppState, raw_space: &str) -> HttpResponse {
    let env = SpaceId::parse(raw_space)
        .ok()
        .and_then(|id| state.store.space(&id).ok().flatten())
        .and_then(|space| {
            state
                .store
                .environment(&space.environment_id)
                .ok()
                .flatten()
        });
    let ancestors = frame_ancestors(req, env.as_ref());
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            format!("{PAGE_CSP}; frame-ancestors {ancestors}"),
        ))
        // frame-ancestors above decides who may frame the page; browsers ignore this header
        // when it is present, and the default "DENY" would block the embed in older ones.
        .insert_header((header::X_FRAME_OPTIONS, "SAMEORIGIN"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(PAGE)
}

/// `'self'`, and every origin that may use the environment's publishable keys (`*` for a
/// non-production environment when `dev.any_origin` is on).
fn frame_ancestors(req: &HttpRequest, env: Option<&Environment>) -> String {
    let (Some(rules), Some(env)) = (
        req.app_data::<web::Data<crate::state::AppState>>()
            .map(|s| &s.origins),
        env,
    ) else {
        return "'self'".into();
    };
    if rules.any_origin_in_dev && !env.is_prod {
        return "*".into();
    }
    let mut out = vec!["'self'".to_owned()];
    for origin in env
        .allowed_origins
        .iter()
        .chain(&rules.embed_everywhere)
        .chain(&rules.any_credential)
    {
        if !out.iter().any(|o| o == origin.as_str()) {
            out.push(origin.to_string());
        }
    }
    out.join(" ")
}
