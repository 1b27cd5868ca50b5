//! `/v1/latchkey/webhooks`: an environment's outbound webhook endpoints (Administrators and
//! the environment's secret key), their delivery logs, test events and redeliveries; and the
//! `whsec_…` signing secrets derived from the secret keys (whoever may reveal the keys).

use super::agents::environment_for;
use super::extract::{JsonBody, Query};
use super::webhook_wire::{
    CreateWebhook, DeliveryBody, NewWebhook, RotateSecret, UpdateWebhook, WebhookBody,
    WebhookChange,
};
use super::{audit, data, ApiError, AppState};
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::Principal;
use crate::domain::webhook::{parse_delivery_id, Delivery, OwnSecret, Webhook};
use crate::domain::{Event, WebhookId};
use crate::webhooks::signer;
use actix_web::{web, HttpResponse};

/// The endpoint `raw`, once the caller may manage its environment's webhooks.
fn webhook(state: &AppState, p: &Principal, raw: &str) -> Result<Webhook, ApiError> {
    let id = WebhookId::parse(raw)?;
    let hook = state
        .store
        .webhook(&id)?
        .filter(|h| h.account_id == p.account_id)
        .ok_or_else(|| ApiError::NotFound(format!("webhook {id} not found")))?;
    let env = &hook.environment_id;
    authorize(
        p,
        Action::ManageWebhooks,
        Resource::environment(&p.account_id, env),
    )?;
    Ok(hook)
}

/// An audit event about `hook`.
fn event(state: &AppState, p: &Principal, topic: &str, hook: &Webhook) -> Event {
    audit(state, p, topic, "webhook")
        .in_environment(&hook.environment_id)
        .with_payload(serde_json::json!({ "webhookId": hook.id.as_str(), "url": hook.url }))
}

/// A new own secret for `hook`, sealed, and its text (shown once).
fn own_secret(state: &AppState, id: &WebhookId) -> (OwnSecret, String) {
    let text = signer::new_own_secret();
    let sealed = state.auth.seal_webhook_secret(id, &text);
    (
        OwnSecret {
            sealed,
            expires_at: None,
        },
        text,
    )
}

/// `GET /v1/latchkey/webhooks?environmentId=`.
pub(super) async fn list_webhooks(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let env = environment_for(
        &state,
        &p,
        q.optional("environmentId")?,
        Action::ManageWebhooks,
    )?;
    let hooks = state.store.webhooks_of(&env)?;
    Ok(data(
        hooks.iter().map(WebhookBody::from).collect::<Vec<_>>(),
    ))
}

/// `POST /v1/latchkey/webhooks`: answers the endpoint (with its own secret, once, if asked).
pub(super) async fn create_webhook(
    p: Principal,
    state: web::Data<AppState>,
    body: JsonBody<CreateWebhook>,
) -> Result<HttpResponse, ApiError> {
    let env_raw = body.0.environment_id.clone();
    let env = environment_for(&state, &p, env_raw.as_deref(), Action::ManageWebhooks)?;
    let plan = NewWebhook::try_from((body.0, &state.webhooks))?;
    let (id, now) = (WebhookId::generate(), state.clock.now());
    let secret = plan.own_secret.then(|| own_secret(&state, &id));
    let secrets = secret.iter().map(|(s, _)| s.clone()).collect();
    let hook = plan.into_webhook(id, p.account_id.clone(), env, secrets, now);
    let max = state.webhooks.per_environment;
    let created = event(&state, &p, "webhook:created", &hook);
    state.store.create_webhook(&hook, max, &created).await?;
    let mut out = WebhookBody::from(&hook);
    out.secret = secret.map(|(_, text)| text);
    Ok(data(out))
}

/// `GET /v1/latchkey/webhooks/{id}`.
pub(super) async fn get_webhook(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(data(WebhookBody::from(&webhook(&state, &p, &path)?)))
}

/// `PATCH /v1/latchkey/webhooks/{id}`.
pub(super) async fn update_webhook(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<UpdateWebhook>,
) -> Result<HttpResponse, ApiError> {
    let hook = webhook(&state, &p, &path)?;
    let change = WebhookChange::try_from((body.0, &state.webhooks))?;
    let now = state.clock.now();
    let updated = event(&state, &p, "webhook:updated", &hook);
    let apply = |h: &mut Webhook| {
        change.apply(h);
        h.updated_at = now;
    };
    let hook = state
        .store
        .update_webhook(&hook.id, apply, &updated)
        .await?;
    Ok(data(WebhookBody::from(&hook)))
}

/// `DELETE /v1/latchkey/webhooks/{id}`: its pending deliveries and log go with it.
pub(super) async fn delete_webhook(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let hook = webhook(&state, &p, &path)?;
    let deleted = event(&state, &p, "webhook:deleted", &hook);
    state.store.delete_webhook(&hook, &deleted).await?;
    Ok(super::success())
}

/// `POST /v1/latchkey/webhooks/{id}/rotate-secret`: a new own secret (shown once); the
/// previous one keeps signing for `graceSeconds`, so both signatures verify meanwhile.
pub(super) async fn rotate_webhook_secret(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<RotateSecret>,
) -> Result<HttpResponse, ApiError> {
    let hook = webhook(&state, &p, &path)?;
    let grace = body.0.grace(state.limits.max_rotation_grace_seconds)?;
    let (fresh, text) = own_secret(&state, &hook.id);
    let now = state.clock.now();
    let rotated = event(&state, &p, "webhook:secret-rotated", &hook);
    let apply = |h: &mut Webhook| {
        let previous = h.signing_secrets(now).next().cloned().filter(|_| grace > 0);
        let previous = previous.map(|s| OwnSecret {
            expires_at: Some(now.plus_seconds(grace)),
            ..s
        });
        h.secrets = std::iter::once(fresh.clone()).chain(previous).collect();
        h.updated_at = now;
    };
    let hook = state
        .store
        .update_webhook(&hook.id, apply, &rotated)
        .await?;
    let mut out = WebhookBody::from(&hook);
    out.secret = Some(text);
    Ok(data(out))
}

/// `POST /v1/latchkey/webhooks/{id}/test`: enqueues a `webhook:test` message for this
/// endpoint alone; answers its delivery.
pub(super) async fn send_test_event(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let hook = webhook(&state, &p, &path)?;
    let now = state.clock.now();
    let message = Event::new("webhook:test", "webhook", p.account_id.clone(), now)
        .in_environment(&hook.environment_id)
        .by(Some(p.actor_id()))
        .with_payload(serde_json::json!({ "webhookId": hook.id.as_str() }));
    let sent = event(&state, &p, "webhook:test-sent", &hook);
    enqueue(&state, &hook, Delivery::of(&message, now), &sent).await
}

/// Queues `delivery` to `hook` with its audit event `recorded`; answers the queued delivery.
async fn enqueue(
    state: &AppState,
    hook: &Webhook,
    delivery: Delivery,
    recorded: &Event,
) -> Result<HttpResponse, ApiError> {
    let seq = state
        .store
        .enqueue_delivery(&hook.id, &delivery, recorded)
        .await?;
    Ok(data(DeliveryBody::from(&(seq, delivery))))
}

/// `GET /v1/latchkey/webhooks/{id}/deliveries?pageSize=`: newest first.
pub(super) async fn list_deliveries(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let hook = webhook(&state, &p, &path)?;
    let size = q.number("pageSize", 1, 200)?.unwrap_or(50) as usize;
    let deliveries = state.store.webhook_deliveries(&hook.id, size)?;
    Ok(data(
        deliveries
            .iter()
            .map(DeliveryBody::from)
            .collect::<Vec<_>>(),
    ))
}

/// `POST /v1/latchkey/webhooks/{id}/deliveries/{deliveryId}/redeliver`: sends the same message
/// (same `webhook-id`, same body) again as a new delivery.
pub(super) async fn redeliver(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let hook = webhook(&state, &p, &path.0)?;
    let seq = parse_delivery_id(&path.1)?;
    let missing = || ApiError::NotFound(format!("delivery {} not found", path.1));
    let old = state
        .store
        .webhook_delivery(&hook.id, seq)?
        .ok_or_else(missing)?;
    let redelivered = event(&state, &p, "webhook:redelivered", &hook);
    enqueue(&state, &hook, old.again(state.clock.now()), &redelivered).await
}

/// `GET /v1/latchkey/webhooks/signing-secrets?environmentId=`: the `whsec_…` secret derived
/// from each active secret key (two during a rotation's overlap); as secret as the keys.
pub(super) async fn signing_secrets(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let env = environment_for(
        &state,
        &p,
        q.optional("environmentId")?,
        Action::ReadApiKeys,
    )?;
    let secrets = crate::webhooks::environment_secrets(&state.auth, &env)?;
    let body: Vec<_> = secrets
        .into_iter()
        .map(|(key_id, secret)| serde_json::json!({ "keyId": key_id, "secret": secret }))
        .collect();
    Ok(data(body))
}
