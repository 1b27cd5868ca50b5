//! Outbound webhooks: an environment's endpoints, the topics they subscribe to, and the
//! deliveries of audit events to them with their attempts and retry schedule.

use super::{AccountId, EnvironmentId, Event, ParseError, Timestamp, WebhookId};
use serde::{Deserialize, Serialize};

/// Topic filters one endpoint may hold.
pub const MAX_TOPICS: usize = 20;
/// Longest endpoint URL, in bytes.
pub const MAX_URL_BYTES: usize = 2000;
/// Attempts a delivery remembers (the newest).
pub const ATTEMPTS_KEPT: usize = 10;
/// Longest error text an attempt keeps.
const MAX_ERROR_CHARS: usize = 200;

/// A topic filter: `*` (everything), `prefix:*` (a topic domain), or one exact topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TopicFilter(String);

impl TopicFilter {
    /// Accepts `*`, `domain:*` or a topic of 1 to 100 letters, digits and `:_.-`.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let body = raw.strip_suffix(":*").unwrap_or(raw);
        let ok = raw == "*"
            || (!body.is_empty()
                && raw.len() <= 100
                && body
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b":_.-".contains(&b)));
        if !ok {
            return Err(ParseError::new(
                "topics",
                "a topic is '*', 'domain:*' or an exact topic of letters, digits and ':_.-'",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Whether `topic` is one this filter subscribes to.
    pub fn matches(&self, topic: &str) -> bool {
        match self.0.strip_suffix('*') {
            Some(prefix) => topic.starts_with(prefix),
            None => self.0 == topic,
        }
    }

    /// The filter as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 1 to `MAX_TOPICS` filters, without repeats.
pub fn parse_topics(raw: &[String]) -> Result<Vec<TopicFilter>, ParseError> {
    if raw.is_empty() || raw.len() > MAX_TOPICS {
        return Err(ParseError::new(
            "topics",
            format!("topics must list 1 to {MAX_TOPICS} filters"),
        ));
    }
    let mut out: Vec<TopicFilter> = Vec::with_capacity(raw.len());
    for t in raw {
        let f = TopicFilter::parse(t)?;
        if !out.contains(&f) {
            out.push(f);
        }
    }
    Ok(out)
}

/// An endpoint URL: `http(s)://host[:port][/path]`, no credentials, no fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    /// `https` or `http`.
    pub https: bool,
    /// Host name or IP literal (IPv6 without brackets).
    pub host: String,
    /// Port (default 443 or 80).
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl WebhookUrl {
    /// Parses `raw`; `http://` only when `allow_http`.
    pub fn parse(raw: &str, allow_http: bool) -> Result<Self, ParseError> {
        let bad = |m: &str| ParseError::new("url", m.to_owned());
        if raw.len() > MAX_URL_BYTES {
            return Err(bad("url is longer than 2000 bytes"));
        }
        if raw.bytes().any(|b| b <= b' ' || b >= 0x7f) {
            return Err(bad(
                "url must be ASCII without spaces or control characters",
            ));
        }
        let (https, rest) = if let Some(r) = raw.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = raw.strip_prefix("http://") {
            if !allow_http {
                return Err(bad(
                    "url must start with https:// (webhooks.allow_http is off)",
                ));
            }
            (false, r)
        } else {
            return Err(bad("url must start with https://"));
        };
        if rest.contains('#') {
            return Err(bad("url must not have a fragment"));
        }
        let cut = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(cut);
        if authority.contains('@') {
            return Err(bad("url must not carry credentials"));
        }
        let (host, port) =
            split_host_port(authority).ok_or_else(|| bad("url has no valid host"))?;
        let path = match path {
            "" => "/".to_owned(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_owned(),
        };
        Ok(Self {
            https,
            host: host.to_ascii_lowercase(),
            port: port.unwrap_or(if https { 443 } else { 80 }),
            path,
        })
    }
}

fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        host.parse::<std::net::Ipv6Addr>().ok()?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let valid = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b':';
    if host.is_empty() || host.len() > 253 || !host.bytes().all(valid) {
        return None;
    }
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok().filter(|&p| p != 0)?),
        None => None,
    };
    Some((host, port))
}

/// A secret of the endpoint's own, sealed under the master key (bound to the endpoint id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnSecret {
    /// The `whsec_…` text, sealed.
    pub sealed: Vec<u8>,
    /// After a rotation: when this (previous) secret stops signing.
    pub expires_at: Option<Timestamp>,
}

/// One webhook endpoint of an environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    /// `us_whk_…`.
    pub id: WebhookId,
    /// Account.
    pub account_id: AccountId,
    /// Environment whose events it receives.
    pub environment_id: EnvironmentId,
    /// Where deliveries are POSTed.
    pub url: String,
    /// What it subscribes to.
    pub topics: Vec<TopicFilter>,
    /// Free text.
    pub description: String,
    /// Off: nothing is enqueued or sent.
    pub enabled: bool,
    /// Why Latchkey turned it off, if it did.
    pub disabled_reason: Option<String>,
    /// Its own secrets (newest first); empty: signed with the environment's secret keys.
    pub secrets: Vec<OwnSecret>,
    /// Deliveries waiting (pending).
    pub queued: u64,
    /// Events not enqueued because `queued` was at the limit.
    pub dropped: u64,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl Webhook {
    /// Whether the endpoint wants `event` now.
    pub fn wants(&self, event: &Event) -> bool {
        self.enabled
            && event.environment_id.as_ref() == Some(&self.environment_id)
            && self.topics.iter().any(|t| t.matches(&event.topic))
    }

    /// Its own secrets that still sign at `now`.
    pub fn signing_secrets(&self, now: Timestamp) -> impl Iterator<Item = &OwnSecret> {
        self.secrets
            .iter()
            .filter(move |s| s.expires_at.is_none_or(|at| now < at))
    }
}

/// The endpoints of one environment, in creation order (the `env_webhooks` value).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WebhookList(pub Vec<WebhookId>);

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryStatus {
    /// Waiting for its (next) attempt.
    Pending,
    /// A 2xx answer was received.
    Delivered,
    /// Retries ran past the horizon (or the endpoint was deleted).
    Failed,
}

impl DeliveryStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

/// One try at sending a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// When it started (server clock).
    pub at: Timestamp,
    /// The HTTP status, if an answer came.
    pub status: Option<u16>,
    /// How long it took, in milliseconds.
    pub latency_ms: u64,
    /// What went wrong, if anything (never a secret).
    pub error: Option<String>,
}

impl Attempt {
    /// Whether the receiver accepted it (2xx).
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// Clips the error text to a bounded length.
    pub fn with_error(mut self, error: impl Into<String>) -> Self {
        self.error = Some(error.into().chars().take(MAX_ERROR_CHARS).collect());
        self
    }
}

/// One message to one endpoint: the event's body, fixed at enqueue time, and its attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// `webhook-id`: the event id, the same on every attempt and redelivery.
    pub message_id: String,
    /// The event topic.
    pub topic: String,
    /// The JSON body sent.
    pub body: String,
    /// Enqueued (the horizon counts from here).
    pub created_at: Timestamp,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// Not attempted before this instant.
    pub next_attempt_at: Timestamp,
    /// The newest `ATTEMPTS_KEPT` attempts, oldest first.
    pub log: Vec<Attempt>,
}

impl Delivery {
    /// A pending delivery of `event`, due at once.
    pub fn of(event: &Event, now: Timestamp) -> Self {
        Self {
            message_id: event.id.as_str().to_owned(),
            topic: event.topic.clone(),
            body: message_body(event),
            created_at: now,
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            log: Vec::new(),
        }
    }

    /// A fresh pending copy (a redelivery): same message id and body, no attempts.
    pub fn again(&self, now: Timestamp) -> Self {
        Self {
            created_at: now,
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            log: Vec::new(),
            ..self.clone()
        }
    }

    /// Whether `attempt` ends this delivery as failed (it failed, and retrying after
    /// `retry_seconds` would pass `horizon_seconds` after enqueueing).
    pub fn is_last(&self, attempt: &Attempt, retry_seconds: i64, horizon_seconds: i64) -> bool {
        !attempt.succeeded()
            && attempt.at.plus_seconds(retry_seconds)
                > self.created_at.plus_seconds(horizon_seconds)
    }

    /// Records `attempt`: delivered on success; otherwise pending again after `retry`
    /// seconds, or failed once that would pass `horizon_seconds` after enqueueing.
    pub fn record(&mut self, attempt: Attempt, retry_seconds: i64, horizon_seconds: i64) {
        let now = attempt.at;
        self.attempts = self.attempts.saturating_add(1);
        self.status = if attempt.succeeded() {
            DeliveryStatus::Delivered
        } else if self.is_last(&attempt, retry_seconds, horizon_seconds) {
            DeliveryStatus::Failed
        } else {
            self.next_attempt_at = now.plus_seconds(retry_seconds);
            DeliveryStatus::Pending
        };
        self.log.push(attempt);
        if self.log.len() > ATTEMPTS_KEPT {
            self.log.remove(0);
        }
    }
}

/// The Standard Webhooks payload: `{"type", "timestamp", "data"}` with the event as data.
pub fn message_body(event: &Event) -> String {
    let payload: serde_json::Value =
        serde_json::from_str(&event.payload).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "type": event.topic,
        "timestamp": event.created_at.to_rfc3339(),
        "data": {
            "id": event.id.as_str(),
            "topic": event.topic,
            "domain": event.domain,
            "accountId": event.account_id.as_str(),
            "environmentId": event.environment_id.as_ref().map(|e| e.as_str()),
            "spaceId": event.space_id,
            "actorId": event.actor_id,
            "payload": payload,
            "createdAt": event.created_at.to_rfc3339(),
        }
    })
    .to_string()
}

/// Seconds before retry `attempt` (1 = the first retry): `base · 2^(attempt-1)`, capped at
/// `max`, of which a random part up to one half is taken off (`jitter` in [0, 1)).
pub fn retry_delay(attempt: u32, base: i64, max: i64, jitter: f64) -> i64 {
    let exp = base.saturating_mul(1i64 << attempt.saturating_sub(1).min(40));
    let full = exp.clamp(1, max.max(1));
    let off = (full as f64 * jitter.clamp(0.0, 1.0) / 2.0) as i64;
    (full - off).max(1)
}

/// The id of the delivery stored under sequence `seq` (`us_whd_` and 16 hex digits).
pub fn delivery_id(seq: u64) -> String {
    format!("us_whd_{seq:016x}")
}

/// The sequence of a delivery id.
pub fn parse_delivery_id(raw: &str) -> Result<u64, ParseError> {
    raw.strip_prefix("us_whd_")
        .filter(|h| h.len() == 16)
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .ok_or_else(|| ParseError::new("deliveryId", "not a delivery id (us_whd_…)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_filters_match_exactly_or_by_prefix() {
        let all = TopicFilter::parse("*").unwrap();
        let spaces = TopicFilter::parse("space:*").unwrap();
        let one = TopicFilter::parse("space:created").unwrap();
        assert!(all.matches("auth:login"));
        assert!(spaces.matches("space:deleted") && !spaces.matches("spaces:x"));
        assert!(one.matches("space:created") && !one.matches("space:created2"));
        for bad in ["", "a b", "*:x", "x*", ":*", "space:**"] {
            assert!(TopicFilter::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_are_parsed_and_http_needs_permission() {
        let u = WebhookUrl::parse("https://Hooks.example.com/in?x=1", false).unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("hooks.example.com", 443, "/in?x=1")
        );
        let v6 = WebhookUrl::parse("http://[::1]:8080", true).unwrap();
        assert_eq!(
            (v6.host.as_str(), v6.port, v6.path.as_str()),
            ("::1", 8080, "/")
        );
        assert!(WebhookUrl::parse("http://example.com/", false).is_err());
        for bad in [
            "ftp://x",
            "https://u:p@x/",
            "https://x/#f",
            "https://:80/",
            "https://x:0/",
            "https://x y/",
        ] {
            assert!(WebhookUrl::parse(bad, true).is_err(), "{bad}");
        }
    }

    #[test]
    fn backoff_grows_is_capped_and_jitter_only_shortens() {
        assert_eq!(retry_delay(1, 5, 3600, 0.0), 5);
        assert_eq!(retry_delay(3, 5, 3600, 0.0), 20);
        assert_eq!(retry_delay(30, 5, 3600, 0.0), 3600);
        assert_eq!(retry_delay(30, 5, 3600, 0.999), 1802);
    }

    #[test]
    fn a_delivery_fails_once_retrying_would_pass_the_horizon() {
        let event = Event::new("x:y", "x", AccountId::generate(), Timestamp(0));
        let mut d = Delivery::of(&event, Timestamp(0));
        let fail = |at: i64| Attempt {
            at: Timestamp(at),
            status: Some(500),
            latency_ms: 1,
            error: None,
        };
        d.record(fail(0), 60, 100);
        assert_eq!(
            (d.status, d.next_attempt_at),
            (DeliveryStatus::Pending, Timestamp(60_000))
        );
        d.record(fail(60_000), 60, 100);
        assert_eq!(d.status, DeliveryStatus::Failed);
        let mut again = d.again(Timestamp(70_000));
        again.record(
            Attempt {
                status: Some(204),
                ..fail(70_000)
            },
            60,
            100,
        );
        assert_eq!(
            (again.status, again.message_id.as_str()),
            (DeliveryStatus::Delivered, event.id.as_str())
        );
    }

    #[test]
    fn delivery_ids_round_trip() {
        assert_eq!(parse_delivery_id(&delivery_id(0xabc)).unwrap(), 0xabc);
        assert!(parse_delivery_id("us_whd_xyz").is_err());
    }
}

/// What `[webhooks]` allows of an endpoint a caller registers.
#[derive(Debug, Clone, Default)]
pub struct WebhookRules {
    /// `http://` URLs besides `https://`.
    pub allow_http: bool,
    /// Loopback, private, link-local and other non-public destinations.
    pub allow_private: bool,
    /// Endpoints one environment may hold.
    pub per_environment: usize,
}
