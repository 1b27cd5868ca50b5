//! The delivery worker: a background task on the main runtime (never on a request worker)
//! that sends each endpoint's oldest due delivery, signed, with bounded concurrency, records
//! the attempt, schedules retries with exponential backoff and jitter, and disables an endpoint
//! whose delivery failed for the whole horizon.

pub mod client;
pub mod guard;
pub mod signer;

use crate::auth::Authenticator;
use crate::domain::webhook::{retry_delay, Attempt, Webhook, WebhookUrl};
use crate::domain::{ApiKeyType, Event, Mail, MailSubject, Role, WebhookId};
use crate::store::{DueDelivery, Store, StoreError};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Looks at the queue between log prunings.
const PRUNE_EVERY_TICKS: u64 = 120;

/// What the worker needs from `[webhooks]`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `allow_http`.
    pub allow_http: bool,
    /// `allow_private`.
    pub allow_private: bool,
    /// In flight at once.
    pub concurrency: usize,
    /// Exchange bounds.
    pub bounds: client::Bounds,
    /// Backoff base and cap, seconds.
    pub retry_base: i64,
    /// The cap.
    pub retry_max: i64,
    /// Seconds a delivery is retried.
    pub horizon: i64,
    /// Finished deliveries kept per endpoint.
    pub log_per_webhook: usize,
    /// Between looks at the queue.
    pub poll: Duration,
}

/// Runs until `stop` changes: every `poll`, starts the due deliveries that fit.
pub async fn run(
    auth: Authenticator,
    settings: Settings,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let settings = Arc::new(settings);
    let busy: Arc<Mutex<HashSet<WebhookId>>> = Arc::default();
    let mut ticks = 0u64;
    loop {
        tokio::select! {
            _ = actix_web::rt::time::sleep(settings.poll) => {}
            _ = stop.changed() => return,
        }
        ticks += 1;
        let store = auth.store().clone();
        let now = auth.clock().now();
        let Ok(due) = actix_web::rt::task::spawn_blocking(move || store.due_deliveries(now)).await
        else {
            continue;
        };
        for d in due {
            {
                let mut busy = busy.lock().unwrap_or_else(|p| p.into_inner());
                if busy.len() >= settings.concurrency || !busy.insert(d.webhook.id.clone()) {
                    continue;
                }
            }
            let (auth, settings, busy) = (auth.clone(), settings.clone(), busy.clone());
            actix_web::rt::spawn(async move {
                let id = d.webhook.id.clone();
                if let Err(e) = deliver(&auth, &settings, d).await {
                    log::error!("webhook {id}: could not record a delivery attempt: {e}");
                }
                busy.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            });
        }
        if ticks.is_multiple_of(PRUNE_EVERY_TICKS) {
            prune(auth.store(), settings.log_per_webhook).await;
        }
    }
}

/// Makes one attempt at `d` and records it; disables the endpoint when the delivery fails.
async fn deliver(auth: &Authenticator, s: &Settings, d: DueDelivery) -> Result<(), StoreError> {
    let started = auth.clock().now();
    let clock = Instant::now();
    let sent = send(auth, s, &d).await;
    let latency_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    let attempt = Attempt {
        at: started,
        status: sent.as_ref().ok().copied(),
        latency_ms,
        error: None,
    };
    let attempt = match sent {
        Ok(status) if !(200..300).contains(&status) => {
            attempt.with_error(format!("answered {status}"))
        }
        Ok(_) => attempt,
        Err(e) => attempt.with_error(e),
    };
    let jitter = f64::from(u32::from_be_bytes(crate::domain::random::bytes())) / 4_294_967_296.0;
    let retry = retry_delay(d.delivery.attempts + 1, s.retry_base, s.retry_max, jitter);
    if d.delivery.is_last(&attempt, retry, s.horizon) {
        return disable(auth, &d, &attempt, s.horizon / 3600).await;
    }
    auth.store()
        .finish_attempt(&d.webhook.id, d.seq, &attempt, retry, s.horizon)
        .await?;
    Ok(())
}

/// Signs and sends one delivery; answers the HTTP status.
async fn send(auth: &Authenticator, s: &Settings, d: &DueDelivery) -> Result<u16, String> {
    let url = WebhookUrl::parse(&d.webhook.url, s.allow_http).map_err(|e| e.message)?;
    let secrets = signing_secrets(auth, &d.webhook).map_err(|e| e.to_string())?;
    if secrets.is_empty() {
        return Err("no signing secret: the environment has no active secret key".into());
    }
    let addr = guard::resolve(&url.host, url.port, s.allow_private, s.bounds.connect).await?;
    // The wall clock, not the (movable) server clock: receivers compare it with their own.
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let id = &d.delivery.message_id;
    let headers = [
        ("webhook-id", id.clone()),
        ("webhook-timestamp", timestamp.to_string()),
        (
            "webhook-signature",
            signer::signature_header(&secrets, id, timestamp, &d.delivery.body),
        ),
    ];
    client::post(addr, &url, &headers, &d.delivery.body, s.bounds).await
}

/// The `whsec_…` secrets a delivery to `hook` is signed with now: the endpoint's own, or one
/// derived from each active secret key of its environment (two during a rotation's overlap).
pub fn signing_secrets(auth: &Authenticator, hook: &Webhook) -> Result<Vec<String>, StoreError> {
    let now = auth.clock().now();
    if !hook.secrets.is_empty() {
        return Ok(hook
            .signing_secrets(now)
            .filter_map(|s| auth.open_webhook_secret(&hook.id, &s.sealed))
            .collect());
    }
    Ok(environment_secrets(auth, &hook.environment_id)?
        .into_iter()
        .map(|(_, s)| s)
        .collect())
}

/// (key id, derived `whsec_…`) for every active secret key of `env`.
pub fn environment_secrets(
    auth: &Authenticator,
    env: &crate::domain::EnvironmentId,
) -> Result<Vec<(String, String)>, StoreError> {
    let now = auth.clock().now();
    Ok(auth
        .store()
        .api_keys_of(env)?
        .iter()
        .filter(|k| k.key_type == ApiKeyType::Secret && k.is_active_at(now))
        .filter_map(|k| Some((k.id.to_string(), signer::derived_secret(&auth.reveal(k)?))))
        .collect())
}

/// Records the last attempt of `d` and turns its endpoint off, with an audit event and a mail
/// to every Administrator.
async fn disable(
    auth: &Authenticator,
    d: &DueDelivery,
    attempt: &Attempt,
    hours: i64,
) -> Result<(), StoreError> {
    let (hook, now) = (&d.webhook, auth.clock().now());
    let reason = format!("a delivery kept failing for {hours} h");
    let body = format!(
        "Latchkey disabled the webhook {} ({}) of environment {}: {reason}.\n\nFix the receiver, then turn it on again: PATCH /v1/latchkey/webhooks/{} with {{\"enabled\": true}}.\n",
        hook.id, hook.url, hook.environment_id, hook.id
    );
    let mails: Vec<Mail> = auth
        .store()
        .users()?
        .into_iter()
        .filter(|u| u.role == Role::Administrator && u.account_id == hook.account_id)
        .map(|u| Mail {
            to: u.email,
            subject: MailSubject::new("A Latchkey webhook was disabled"),
            sealed_body: auth.seal_mail(&body),
            account_id: hook.account_id.clone(),
            created_at: now,
        })
        .collect();
    let event = Event::new("webhook:disabled", "webhook", hook.account_id.clone(), now)
        .in_environment(&hook.environment_id)
        .with_payload(serde_json::json!({ "webhookId": hook.id.as_str(), "reason": reason }));
    log::warn!("disabled webhook {}: {reason}", hook.id);
    auth.store()
        .fail_and_disable(&hook.id, d.seq, attempt, &reason, &mails, &event)
        .await
}

/// Trims every endpoint's log to the newest `keep` finished deliveries.
async fn prune(store: &Store, keep: usize) {
    let envs = match store.environments() {
        Ok(envs) => envs,
        Err(e) => return log::error!("could not list environments: {e}"),
    };
    for env in envs.iter() {
        for hook in store.webhooks_of(&env.id).unwrap_or_default() {
            if let Err(e) = store.prune_webhook_log(&hook.id, keep).await {
                log::error!("could not trim the log of webhook {}: {e}", hook.id);
            }
        }
    }
}
