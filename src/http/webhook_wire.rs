//! The wire shapes of `/v1/latchkey/webhooks`: request bodies parsed into typed plans with
//! `TryFrom`, and response bodies built with `From`.

use super::ApiError;
use crate::domain::webhook::WebhookRules;
use crate::domain::webhook::{
    delivery_id, parse_topics, Attempt, Delivery, DeliveryStatus, OwnSecret, TopicFilter, Webhook,
    WebhookUrl,
};
use crate::domain::{AccountId, EnvironmentId, Timestamp, WebhookId};
use serde::{Deserialize, Serialize};

/// The longest description, in characters.
const MAX_DESCRIPTION: usize = 500;

/// `POST /v1/latchkey/webhooks`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct CreateWebhook {
    pub environment_id: Option<String>,
    url: String,
    topics: Vec<String>,
    description: Option<String>,
    enabled: Option<bool>,
    /// A secret of the endpoint's own (shown once) instead of the environment's secret keys.
    own_secret: Option<bool>,
}

/// `PATCH /v1/latchkey/webhooks/{id}`: the fields given change.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct UpdateWebhook {
    url: Option<String>,
    topics: Option<Vec<String>>,
    description: Option<String>,
    enabled: Option<bool>,
}

/// `POST /v1/latchkey/webhooks/{id}/rotate-secret`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RotateSecret {
    /// Seconds the previous secret keeps signing (default 0).
    grace_seconds: Option<i64>,
}

/// What a new endpoint will be.
pub(super) struct NewWebhook {
    pub url: String,
    pub topics: Vec<TopicFilter>,
    pub description: String,
    pub enabled: bool,
    pub own_secret: bool,
}

impl NewWebhook {
    /// The endpoint this plan makes.
    pub fn into_webhook(
        self,
        id: WebhookId,
        account_id: AccountId,
        environment_id: EnvironmentId,
        secrets: Vec<OwnSecret>,
        now: Timestamp,
    ) -> Webhook {
        Webhook {
            id,
            account_id,
            environment_id,
            url: self.url,
            topics: self.topics,
            description: self.description,
            enabled: self.enabled,
            disabled_reason: None,
            secrets,
            queued: 0,
            dropped: 0,
            created_at: now,
            updated_at: now,
        }
    }
}

impl RotateSecret {
    /// The grace in seconds, within `0..=max`.
    pub fn grace(&self, max: i64) -> Result<i64, ApiError> {
        let grace = self.grace_seconds.unwrap_or(0);
        if !(0..=max).contains(&grace) {
            let m = format!("graceSeconds must be 0 to {max} (limits.max_rotation_grace_seconds)");
            return Err(ApiError::unprocessable("graceSeconds", m));
        }
        Ok(grace)
    }
}

/// What a change sets.
pub(super) struct WebhookChange {
    pub url: Option<String>,
    pub topics: Option<Vec<TopicFilter>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

impl WebhookChange {
    /// Applies the change (turning an endpoint on clears why it was turned off).
    pub fn apply(&self, hook: &mut Webhook) {
        if let Some(url) = &self.url {
            hook.url.clone_from(url);
        }
        if let Some(topics) = &self.topics {
            hook.topics.clone_from(topics);
        }
        if let Some(d) = &self.description {
            hook.description.clone_from(d);
        }
        if let Some(enabled) = self.enabled {
            hook.enabled = enabled;
            if enabled {
                hook.disabled_reason = None;
            }
        }
    }
}

/// An accepted endpoint URL: `https://` (or `http://` with `allow_http`), and unless
/// `allow_private` no host that is a non-public IP literal or `localhost`. Host names are
/// checked again on the address they resolve to at every delivery.
fn checked_url(raw: &str, c: &WebhookRules) -> Result<String, ApiError> {
    let url = WebhookUrl::parse(raw, c.allow_http)
        .map_err(|e| ApiError::unprocessable("url", e.message))?;
    let private = match url.host.parse::<std::net::IpAddr>() {
        Ok(ip) => !crate::webhooks::guard::is_public(ip),
        Err(_) => url.host == "localhost" || url.host.ends_with(".localhost"),
    };
    if private && !c.allow_private {
        return Err(ApiError::unprocessable(
            "url",
            "url points at a private, loopback or link-local address (webhooks.allow_private is off)",
        ));
    }
    Ok(raw.to_owned())
}

fn checked_description(raw: Option<String>) -> Result<Option<String>, ApiError> {
    raw.map(|d| super::bounded("description", d, MAX_DESCRIPTION))
        .transpose()
}

fn checked_topics(raw: &[String]) -> Result<Vec<TopicFilter>, ApiError> {
    parse_topics(raw).map_err(|e| ApiError::unprocessable("topics", e.message))
}

impl TryFrom<(CreateWebhook, &WebhookRules)> for NewWebhook {
    type Error = ApiError;

    fn try_from((w, c): (CreateWebhook, &WebhookRules)) -> Result<Self, ApiError> {
        Ok(Self {
            url: checked_url(&w.url, c)?,
            topics: checked_topics(&w.topics)?,
            description: checked_description(w.description)?.unwrap_or_default(),
            enabled: w.enabled.unwrap_or(true),
            own_secret: w.own_secret.unwrap_or(false),
        })
    }
}

impl TryFrom<(UpdateWebhook, &WebhookRules)> for WebhookChange {
    type Error = ApiError;

    fn try_from((w, c): (UpdateWebhook, &WebhookRules)) -> Result<Self, ApiError> {
        Ok(Self {
            url: w.url.map(|u| checked_url(&u, c)).transpose()?,
            topics: w.topics.map(|t| checked_topics(&t)).transpose()?,
            description: checked_description(w.description)?,
            enabled: w.enabled,
        })
    }
}

/// An endpoint on the wire; `secret` only in the answer that created or rotated it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WebhookBody {
    id: String,
    environment_id: String,
    url: String,
    topics: Vec<String>,
    description: String,
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    disabled_reason: Option<String>,
    /// `environment` (signed with the secret keys) or `endpoint` (its own secret).
    signing: &'static str,
    pending: u64,
    dropped: u64,
    created_at: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<&Webhook> for WebhookBody {
    fn from(h: &Webhook) -> Self {
        Self {
            id: h.id.to_string(),
            environment_id: h.environment_id.to_string(),
            url: h.url.clone(),
            topics: h.topics.iter().map(|t| t.as_str().to_owned()).collect(),
            description: h.description.clone(),
            enabled: h.enabled,
            disabled_reason: h.disabled_reason.clone(),
            signing: if h.secrets.is_empty() {
                "environment"
            } else {
                "endpoint"
            },
            pending: h.queued,
            dropped: h.dropped,
            created_at: h.created_at.to_rfc3339(),
            updated_at: h.updated_at.to_rfc3339(),
            secret: None,
        }
    }
}

/// One attempt on the wire.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AttemptBody {
    at: String,
    status: Option<u16>,
    latency_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl From<&Attempt> for AttemptBody {
    fn from(a: &Attempt) -> Self {
        Self {
            at: a.at.to_rfc3339(),
            status: a.status,
            latency_ms: a.latency_ms,
            error: a.error.clone(),
        }
    }
}

/// One delivery in an endpoint's log.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DeliveryBody {
    id: String,
    message_id: String,
    topic: String,
    status: &'static str,
    attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_attempt_at: Option<String>,
    created_at: String,
    log: Vec<AttemptBody>,
}

impl From<&(u64, Delivery)> for DeliveryBody {
    fn from((seq, d): &(u64, Delivery)) -> Self {
        Self {
            id: delivery_id(*seq),
            message_id: d.message_id.clone(),
            topic: d.topic.clone(),
            status: d.status.as_str(),
            attempts: d.attempts,
            next_attempt_at: (d.status == DeliveryStatus::Pending)
                .then(|| d.next_attempt_at.to_rfc3339()),
            created_at: d.created_at.to_rfc3339(),
            log: d.log.iter().map(AttemptBody::from).collect(),
        }
    }
}
