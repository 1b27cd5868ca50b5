//! The admin page, compiled into the binary from `static/`. Only the named files are served,
//! so no path under `/admin` can reach anything else.

use super::ApiError;
use actix_web::{web, HttpResponse, ResponseError};

/// Scripts and styles only from this origin; no inline script, no framing, no external fetches.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                        connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The page, its styles and its JavaScript modules: `app.js` (session and router) imports
/// `api.js`, `state.js`, `ui.js` and one module per section.
const FILES: [(&str, &str, &str); 19] = [
    ("index.html", HTML, include_str!("../../static/index.html")),
    ("style.css", CSS, include_str!("../../static/style.css")),
    ("app.js", JS, include_str!("../../static/app.js")),
    ("api.js", JS, include_str!("../../static/api.js")),
    ("state.js", JS, include_str!("../../static/state.js")),
    ("ui.js", JS, include_str!("../../static/ui.js")),
    ("overview.js", JS, include_str!("../../static/overview.js")),
    (
        "environments.js",
        JS,
        include_str!("../../static/environments.js"),
    ),
    ("keys.js", JS, include_str!("../../static/keys.js")),
    ("tokens.js", JS, include_str!("../../static/tokens.js")),
    ("users.js", JS, include_str!("../../static/users.js")),
    ("spaces.js", JS, include_str!("../../static/spaces.js")),
    ("guests.js", JS, include_str!("../../static/guests.js")),
    ("secrets.js", JS, include_str!("../../static/secrets.js")),
    ("agents.js", JS, include_str!("../../static/agents.js")),
    (
        "dataclips.js",
        JS,
        include_str!("../../static/dataclips.js"),
    ),
    ("audit.js", JS, include_str!("../../static/audit.js")),
    ("outbox.js", JS, include_str!("../../static/outbox.js")),
    ("webhooks.js", JS, include_str!("../../static/webhooks.js")),
];

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

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

#[cfg(test)]
mod tests {
    use super::FILES;

    /// A module the page imports but the binary does not serve would break the page at load.
    #[test]
    fn every_imported_module_is_served_as_javascript() {
        let served = |name: &str| FILES.iter().find(|(n, _, _)| *n == name);
        for (name, _, body) in FILES.iter().filter(|(n, _, _)| n.ends_with(".js")) {
            for import in body.split("from \"./").skip(1) {
                let module = import.split('"').next().unwrap_or_default();
                let found = served(module);
                assert!(
                    found.is_some(),
                    "{name} imports {module}, which is not served"
                );
                assert!(found.is_some_and(|(_, t, _)| t.starts_with("text/javascript")));
            }
        }
        assert!(served("index.html").is_some_and(|(_, _, b)| b.contains("type=\"module\"")));
    }
}
