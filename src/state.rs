//! The one application state every handler and extractor takes: storage, the authenticator,
//! the clock, the limits, and what browsers, streams and proxies need. Built once in
//! `startup`, registered as the only app data.

use crate::auth::origin::OriginRules;
use crate::auth::password::PasswordHasher;
use crate::auth::throttle::Throttle;
use crate::auth::Authenticator;
use crate::clock::Clock;
use crate::domain::limits::Limits;
use crate::http::client_addr::TrustedProxies;
use crate::http::environments::EnvironmentBodies;
use crate::http::streams::EventStreams;
use crate::http::{EmbedLimits, GuestLimits};
use crate::store::Store;
use actix_web::web;

/// Shared state of one server.
pub struct AppState {
    /// The storage handle.
    pub store: Store,
    /// Credentials: resolving, issuing, signing.
    pub auth: Authenticator,
    /// The server clock.
    pub clock: Clock,
    /// Size and count limits.
    pub limits: Limits,
    /// Whether the dev clock may be moved.
    pub clock_control: bool,
    /// Lifetime of single-use links, in seconds.
    pub link_ttl_seconds: i64,
    /// The URL links in mails point at.
    pub public_url: String,
    /// Password hashing, off the workers.
    pub hasher: PasswordHasher,
    /// Failed-login throttling.
    pub throttle: Throttle,
    /// Serialized environments, as of the store's last write.
    pub environment_bodies: EnvironmentBodies,
    /// Shared-link joins and guests' invitations.
    pub guest_limits: GuestLimits,
    /// What browser pages of other origins may do.
    pub origins: OriginRules,
    /// What publishable keys may create.
    pub embed: EmbedLimits,
    /// The open event streams and their caps.
    pub streams: web::Data<EventStreams>,
    /// The proxies whose forwarded addresses are believed.
    pub proxies: TrustedProxies,
    /// `[webhooks]`: which endpoint URLs are accepted, and how many.
    pub webhooks: crate::domain::webhook::WebhookRules,
}

impl AppState {
    /// A new single-use link for `purpose`, good for `security.link_ttl_seconds` from now, and
    /// the token that opens it.
    pub fn new_link(
        &self,
        purpose: crate::domain::LinkPurpose,
        account_id: crate::domain::AccountId,
    ) -> (crate::auth::credential::RawCredential, crate::domain::Link) {
        let now = self.clock.now();
        let link = crate::domain::Link {
            purpose,
            account_id,
            created_at: now,
            expires_at: now.plus_seconds(self.link_ttl_seconds),
        };
        (self.auth.new_link_token(), link)
    }
}
