//! Routes and handlers, one file per resource. Wire types live here; sled does not.

mod account;
mod admin;
mod api_keys;
pub mod client_addr;
mod clients;
pub mod deadline;
pub mod environments;
pub mod error;
mod events;
mod extract;
mod guests;
mod invitations;
mod login;
mod pats;
mod secrets;
mod sessions;
mod shared_links;
mod spaces;
mod system;
mod users;
pub mod wire;
mod workbooks;

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
    /// Lifetime of single-use links, in seconds.
    pub link_ttl_seconds: i64,
    /// The URL links in mails point at.
    pub public_url: String,
    /// Password hashing, off the workers.
    pub hasher: PasswordHasher,
    /// Failed-login throttling.
    pub throttle: crate::auth::throttle::Throttle,
    /// Serialized environments, as of the store's last write.
    pub environment_bodies: environments::EnvironmentBodies,
    /// Shared-link joins and guests' invitations.
    pub guest_limits: GuestLimits,
}

/// Rate limits and caps on what anonymous callers and guests may add.
pub struct GuestLimits {
    /// Shared-link joins per client address bucket.
    pub joins: crate::auth::rate::RateLimit,
    /// Invitations per inviting guest.
    pub invitations: crate::auth::rate::RateLimit,
    /// Guests a space may hold before its shared link takes no more.
    pub guests_per_space: usize,
}

impl GuestLimits {
    /// The limits `[guests]` sets, reading `clock`.
    pub fn new(config: &crate::config::GuestsConfig, clock: crate::clock::Clock) -> Self {
        let per_hour = |n: i64| usize::try_from(n).unwrap_or(usize::MAX);
        Self {
            joins: crate::auth::rate::RateLimit::new(
                per_hour(config.shared_link_joins_per_address_per_hour),
                3600,
                clock.clone(),
            ),
            invitations: crate::auth::rate::RateLimit::new(
                per_hour(config.invitations_per_guest_per_hour),
                3600,
                clock,
            ),
            guests_per_space: per_hour(config.shared_link_guests_per_space),
        }
    }
}

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/health").route(web::get().to(system::health)))
        .service(resource("/.well-known/jwks.json").route(web::get().to(system::jwks)))
        .service(resource("/admin").route(web::get().to(admin::redirect)))
        .service(resource("/admin/").route(web::get().to(admin::index)))
        .service(resource("/admin/{file}").route(web::get().to(admin::asset)))
        .service(resource("/join/{spaceId}").route(web::get().to(spaces::join_page)))
        .service(web::scope("/v1").configure(v1_routes));
}

fn v1_routes(cfg: &mut web::ServiceConfig) {
    use web::{delete, get, patch, post};
    cfg.service(resource("/auth").route(post().to(login::create_access_token)))
        .service(resource("/auth/access-token").route(post().to(login::create_access_token)))
        .service(resource("/auth/refresh-token").route(post().to(login::refresh_token)))
        .service(resource("/auth/api-keys").route(get().to(api_keys::list_api_keys)))
        .service(resource("/auth/publishable-key").route(get().to(api_keys::get_publishable_key)))
        .service(
            resource("/auth/api-key")
                .route(post().to(api_keys::create_api_key))
                .route(delete().to(api_keys::delete_api_key)),
        )
        .service(
            resource("/auth/personal-access-tokens")
                .route(get().to(pats::list_pats))
                .route(post().to(pats::create_pat)),
        )
        .service(resource("/auth/personal-access-tokens/{id}").route(delete().to(pats::delete_pat)))
        .service(
            resource("/environments")
                .route(get().to(environments::list_environments))
                .route(post().to(environments::create_environment)),
        )
        .service(
            resource("/environments/subscription-token").route(get().to(system::no_event_stream)),
        )
        .service(resource("/subscription").route(get().to(system::no_event_stream)))
        .service(
            resource("/environments/{environmentId}")
                .route(get().to(environments::get_environment))
                .route(patch().to(environments::update_environment))
                .route(delete().to(environments::delete_environment)),
        )
        .service(resource("/users").route(get().to(users::list_users)))
        .service(resource("/users/invite").route(post().to(users::invite_user)))
        .service(
            resource("/users/{userId}")
                .route(get().to(users::get_user))
                .route(patch().to(users::update_user))
                .route(delete().to(users::delete_user)),
        )
        .service(resource("/users/{userId}/resend-invite").route(post().to(users::resend_invite)))
        .service(
            resource("/users/{userId}/roles")
                .route(get().to(users::list_user_roles))
                .route(post().to(users::assign_user_role)),
        )
        .service(
            resource("/users/{userId}/roles/{actorRoleId}")
                .route(delete().to(users::delete_user_role)),
        )
        .service(
            resource("/users/{userId}/api-token")
                .route(get().to(clients::list_clients))
                .route(post().to(clients::create_client)),
        )
        .service(
            resource("/users/{userId}/api-token/{clientId}")
                .route(delete().to(clients::delete_client)),
        )
        .service(resource("/roles").route(get().to(account::list_roles)))
        .service(
            resource("/spaces")
                .route(get().to(spaces::list_spaces))
                .route(post().to(spaces::create_space))
                .route(delete().to(spaces::delete_spaces)),
        )
        .service(
            resource("/spaces/{spaceId}")
                .route(get().to(spaces::get_space))
                .route(patch().to(spaces::update_space))
                .route(delete().to(spaces::delete_space)),
        )
        .service(resource("/spaces/{spaceId}/archive").route(post().to(spaces::archive_space)))
        .service(resource("/spaces/{spaceId}/unarchive").route(post().to(spaces::unarchive_space)))
        .service(
            resource("/workbooks")
                .route(get().to(workbooks::list_workbooks))
                .route(post().to(workbooks::create_workbook)),
        )
        .service(
            resource("/workbooks/{workbookId}")
                .route(get().to(workbooks::get_workbook))
                .route(patch().to(workbooks::update_workbook))
                .route(delete().to(workbooks::delete_workbook)),
        )
        .service(
            resource("/guests")
                .route(get().to(guests::list_guests))
                .route(post().to(guests::create_guests)),
        )
        .service(
            resource("/guests/{guestId}")
                .route(get().to(guests::get_guest))
                .route(patch().to(guests::update_guest))
                .route(delete().to(guests::delete_guest)),
        )
        .service(resource("/guests/{guestId}/token").route(get().to(guests::guest_token)))
        .service(
            resource("/guests/{guestId}/roles")
                .route(get().to(guests::list_guest_roles))
                .route(post().to(guests::assign_guest_role)),
        )
        .service(
            resource("/guests/{guestId}/roles/{actorRoleId}")
                .route(delete().to(guests::delete_guest_role)),
        )
        .service(
            resource("/secrets")
                .route(get().to(secrets::list_secrets))
                .route(post().to(secrets::upsert_secret)),
        )
        .service(resource("/secrets/{secretId}").route(delete().to(secrets::delete_secret)))
        .service(
            resource("/events")
                .route(get().to(events::list_events))
                .route(post().to(events::create_event)),
        )
        .service(resource("/events/{eventId}").route(get().to(events::get_event)))
        .service(resource("/events/{eventId}/ack").route(post().to(events::ack_event)))
        .service(resource("/latchkey/events/export").route(get().to(events::export_events)))
        .service(resource("/latchkey/backup").route(get().to(system::backup)))
        .service(resource("/invitations").route(post().to(invitations::send_invitations)))
        .service(resource("/invitations/exchange").route(post().to(invitations::exchange)))
        .service(
            resource("/accounts/current")
                .route(get().to(account::get_account))
                .route(patch().to(account::update_account)),
        )
        .service(
            resource("/latchkey/api-keys/{keyId}/rotate")
                .route(post().to(api_keys::rotate_api_key)),
        )
        .service(resource("/latchkey/clock").route(post().to(system::advance_clock)))
        .service(resource("/latchkey/whoami").route(get().to(system::whoami)))
        .service(resource("/latchkey/outbox").route(get().to(account::list_outbox)))
        .service(resource("/latchkey/password").route(post().to(account::set_password)))
        .service(resource("/latchkey/logout").route(post().to(sessions::logout)));
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

/// An audit event for a change `p` makes now.
pub fn audit(
    auth: &crate::auth::Authenticator,
    p: &crate::auth::Principal,
    topic: &str,
    domain: &str,
) -> crate::store::Event {
    let event = crate::store::Event::new(topic, domain, p.account_id.clone(), auth.clock().now())
        .by(Some(p.actor_id()));
    match p.environment() {
        Some(env) => event.in_environment(env),
        None => event,
    }
}

/// `value` if it has at most `max` characters (labels, namespaces, paths), none of them unsafe
/// (`domain::check_text`), else 422.
pub(crate) fn bounded(key: &'static str, value: String, max: usize) -> Result<String, ApiError> {
    crate::domain::check_text(key, &value)?;
    if value.chars().count() > max {
        return Err(ApiError::unprocessable(
            key,
            format!("{key} is longer than {max} characters"),
        ));
    }
    Ok(value)
}

/// `text` as a display name: at most `limits.max_name_length` characters, none of them unsafe
/// (`domain::check_name`), else 422 naming it.
pub(crate) fn limited_name(key: &'static str, text: String) -> Result<String, ApiError> {
    crate::domain::check_name(key, &text)?;
    Ok(text)
}

/// `json` (serialized) as a metadata or settings document: at most `limits.max_metadata_bytes`
/// bytes, else 422 naming the limit.
pub(crate) fn limited_metadata(key: &'static str, json: String) -> Result<String, ApiError> {
    let max = crate::domain::limits::metadata_bytes();
    if json.len() > max {
        return Err(ApiError::unprocessable(
            key,
            format!("{key} is larger than {max} bytes of JSON (limits.max_metadata_bytes)"),
        ));
    }
    Ok(json)
}
