//! The admin page, compiled into the binary from `static/`. Only the named files are served,
//! so no path under `/admin` can reach anything else.

use super::ApiError;
use actix_web::{web, HttpResponse, ResponseError};

/// Scripts and styles only from this origin; no inline script, no framing, no external fetches.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                        connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const FILES: [(&str, &str, &str); 3] = [
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../../static/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../static/style.css"),
    ),
];

pub(super) async fn redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/admin/"))
        .finish()
}

pub(super) async fn index() -> HttpResponse {
    file("index.html")
}

pub(super) async fn asset(name: web::Path<String>) -> HttpResponse {
    file(&name)
}

fn file(name: &str) -> HttpResponse {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => HttpResponse::Ok()
            .insert_header(("Content-Type", *content_type))
            .insert_header(("Content-Security-Policy", PAGE_CSP))
            .insert_header(("Cache-Control", "no-cache"))
            .body(*body),
        None => ApiError::NotFound(format!("no admin file named {name}")).error_response(),
    }
}
