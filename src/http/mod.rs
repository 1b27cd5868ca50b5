//! Routes and handlers, one file per resource. Wire types live here; sled does not.

mod account;
mod admin;
mod agent_roles;
mod agent_wire;
mod agents;
mod api_keys;
mod bodies;
pub mod client_addr;
mod clients;
mod cors;
mod data_clip_access;
mod data_clips;
pub mod deadline;
mod embed;
pub mod environments;
pub mod error;
mod event_tokens;
mod events;
mod extract;
mod guests;
mod guides;
mod invitations;
mod login;
mod overview;
mod pats;
mod people;
mod reach;
mod required;
mod secrets;
mod sessions;
mod shared_links;
mod space_page;
mod spaces;
mod sse;
pub mod streams;
mod system;
mod unavailable;
mod users;
mod webhook_wire;
mod webhooks;
pub mod wire;
mod workbooks;

pub use crate::state::AppState;
pub use cors::decorate as cors_headers;
pub use embed::EmbedLimits;
pub use error::ApiError;

use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

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
    /// Joins per address and invitations per guest, each per hour, and guests per space,
    /// reading `clock`.
    pub fn new(
        joins_per_hour: usize,
        invitations_per_hour: usize,
        guests_per_space: usize,
        clock: crate::clock::Clock,
    ) -> Self {
        Self {
            joins: crate::auth::rate::RateLimit::new(joins_per_hour, 3600, clock.clone()),
            invitations: crate::auth::rate::RateLimit::new(invitations_per_hour, 3600, clock),
            guests_per_space,
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
        .service(resource("/s/space/{spaceId}").route(web::get().to(space_page::space_page)))
        .service(resource("/s/assets/{file}").route(web::get().to(space_page::asset)))
        .service(web::scope("/v1").configure(v1_routes))
        // The prefix of the hosted service's URLs (`https://…/api/v1/…`, and the client's
        // `FLATFILE_API_URL=https://…/api`): the same API, route for route.
        .service(web::scope("/api/v1").configure(v1_routes));
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
            resource("/environments/subscription-token")
                .route(get().to(event_tokens::environment_event_token)),
        )
        .service(resource("/subscription").route(get().to(event_tokens::event_token)))
        .service(resource("/latchkey/events/stream").route(get().to(streams::stream_events)))
        .service(resource("/auth/sftp-credentials").route(get().to(unavailable::sftp_credentials)))
        .service(
            resource("/environments/{environmentId}/guides")
                .route(get().to(guides::list_guides))
                .route(post().to(guides::create_guide)),
        )
        .service(
            resource("/environments/{environmentId}/guides/{guideId}")
                .route(get().to(guides::get_guide))
                .route(patch().to(guides::update_guide))
                .route(delete().to(guides::delete_guide)),
        )
        .service(
            resource("/environments/{environmentId}/guides/{guideId}/versions/{version}")
                .route(get().to(guides::get_guide_version)),
        )
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
        .service(resource("/internal/spaces/init").route(post().to(embed::init_space)))
        .service(resource("/latchkey/logout").route(post().to(sessions::logout)))
        .service(resource("/latchkey/overview").route(get().to(overview::get_overview)))
        .configure(agent_routes)
        .configure(data_clip_routes)
        .configure(webhook_routes);
}

/// `/latchkey/webhooks…`: the fixed paths before `/latchkey/webhooks/{id}`.
fn webhook_routes(cfg: &mut web::ServiceConfig) {
    use web::{delete, get, patch, post};
    let base = "/latchkey/webhooks";
    cfg.service(
        resource(base)
            .route(get().to(webhooks::list_webhooks))
            .route(post().to(webhooks::create_webhook)),
    )
    .service(
        resource(&format!("{base}/signing-secrets")).route(get().to(webhooks::signing_secrets)),
    )
    .service(
        resource(&format!("{base}/{{id}}"))
            .route(get().to(webhooks::get_webhook))
            .route(patch().to(webhooks::update_webhook))
            .route(delete().to(webhooks::delete_webhook)),
    )
    .service(
        resource(&format!("{base}/{{id}}/rotate-secret"))
            .route(post().to(webhooks::rotate_webhook_secret)),
    )
    .service(resource(&format!("{base}/{{id}}/test")).route(post().to(webhooks::send_test_event)))
    .service(
        resource(&format!("{base}/{{id}}/deliveries")).route(get().to(webhooks::list_deliveries)),
    )
    .service(
        resource(&format!(
            "{base}/{{id}}/deliveries/{{deliveryId}}/redeliver"
        ))
        .route(post().to(webhooks::redeliver)),
    );
}

/// `/agents…`: the fixed paths before `/agents/{agentId}`, which would match them.
fn agent_routes(cfg: &mut web::ServiceConfig) {
    use web::{delete, get, post};
    cfg.service(
        resource("/agents")
            .route(get().to(agents::list_agents))
            .route(post().to(agents::create_agent)),
    )
    .service(resource("/agents/logs").route(get().to(agent_roles::environment_agent_logs)))
    .service(resource("/agents/executions").route(get().to(agent_roles::environment_agent_logs)))
    .service(resource("/agents/log/{eventId}").route(get().to(agent_roles::agent_log)))
    .service(
        resource("/agents/{agentId}")
            .route(get().to(agents::get_agent))
            .route(delete().to(agents::delete_agent)),
    )
    .service(resource("/agents/{agentId}/versions").route(get().to(agents::list_versions)))
    .service(
        resource("/agents/{agentId}/versions/{versionId}/revert")
            .route(get().to(agents::revert_agent)),
    )
    .service(
        resource("/agents/{agentId}/roles")
            .route(get().to(agent_roles::list_agent_roles))
            .route(post().to(agent_roles::assign_agent_role)),
    )
    .service(
        resource("/agents/{agentId}/roles/{actorRoleId}")
            .route(delete().to(agent_roles::delete_agent_role)),
    )
    .service(resource("/agents/{agentId}/logs").route(get().to(agent_roles::agent_logs)));
}

fn data_clip_routes(cfg: &mut web::ServiceConfig) {
    use data_clip_access as access;
    use web::{delete, get, patch, post};
    cfg.service(
        resource("/data-clips")
            .route(get().to(data_clips::list_data_clips))
            .route(post().to(data_clips::create_data_clip)),
    )
    .service(
        resource("/data-clips/{dataClipId}")
            .route(get().to(data_clips::get_data_clip))
            .route(patch().to(data_clips::update_data_clip))
            .route(delete().to(data_clips::delete_data_clip)),
    )
    .service(
        resource("/data-clips/{dataClipId}/add-records")
            .route(post().to(data_clips::add_records_to_clip)),
    )
    .service(
        resource("/data-clips/{dataClipId}/resolutions")
            .route(get().to(access::get_resolutions))
            .route(patch().to(access::update_resolution)),
    )
    .service(
        resource("/data-clips/{dataClipId}/resolutions/index")
            .route(get().to(access::get_resolution_index)),
    )
    .service(
        resource("/data-clips/{dataClipId}/refresh-resolutions")
            .route(patch().to(access::refresh_resolutions)),
    )
    .service(
        resource("/latchkey/data-clips/{dataClipId}/guests")
            .route(get().to(access::list_clip_guests))
            .route(post().to(access::add_clip_guest)),
    )
    .service(
        resource("/latchkey/data-clips/{dataClipId}/guests/{guestId}")
            .route(delete().to(access::remove_clip_guest)),
    )
    .service(
        resource("/latchkey/data-clips/{dataClipId}/records")
            .route(get().to(access::list_clip_records)),
    )
    .service(
        resource("/latchkey/data-clips/{dataClipId}/records/{recordId}")
            .route(get().to(access::get_clip_record)),
    );
}

fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    if cors::is_preflight(&req) {
        return cors::preflight(&req);
    }
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
    state: &AppState,
    p: &crate::auth::Principal,
    topic: &str,
    domain: &str,
) -> crate::store::Event {
    let event = crate::store::Event::new(topic, domain, p.account_id.clone(), state.clock.now())
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
pub(crate) fn limited_name(
    key: &'static str,
    text: String,
    limits: &crate::domain::limits::TextLimits,
) -> Result<String, ApiError> {
    crate::domain::check_name(key, &text, limits)?;
    Ok(text)
}

/// `json` (serialized) as a metadata or settings document: at most `limits.max_metadata_bytes`
/// bytes, else 422 naming the limit.
pub(crate) fn limited_metadata(
    key: &'static str,
    json: String,
    limits: &crate::domain::limits::TextLimits,
) -> Result<String, ApiError> {
    let max = limits.metadata_bytes;
    if json.len() > max {
        return Err(ApiError::unprocessable(
            key,
            format!("{key} is larger than {max} bytes of JSON (limits.max_metadata_bytes)"),
        ));
    }
    Ok(json)
}
