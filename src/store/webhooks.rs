//! Webhook endpoints and their durable delivery queue. An event's deliveries are enqueued by
//! `Fanout` inside the very transaction that records the event (`Tx::record_event` and the
//! batched `commit_events`), so a crash never keeps one without the other.

use super::codec::Record;
use super::{abort, decode_in_tx, tx_error, Abort, Event, Store, StoreError, Tx, TxResult, T};
use crate::domain::webhook::{Attempt, Delivery, DeliveryStatus, Webhook, WebhookList};
use crate::domain::{EnvironmentId, Mail, WebhookId};
use sled::transaction::TransactionalTree;
use sled::Transactional;
use std::sync::atomic::{AtomicU64, Ordering};

impl Record for Webhook {
    const VERSION: u8 = 1;
    const NAME: &'static str = "webhook";
}

impl Record for WebhookList {
    const VERSION: u8 = 1;
    const NAME: &'static str = "webhook list";
}

impl Record for Delivery {
    const VERSION: u8 = 1;
    const NAME: &'static str = "webhook delivery";
}

/// Pending deliveries one endpoint may hold; past it new events are counted as dropped.
static MAX_QUEUED: AtomicU64 = AtomicU64::new(10_000);

/// `webhook id ‖ 0x00 ‖ seq (u64 BE)`: the key of a delivery (and of its pending mark).
pub(super) fn delivery_key(id: &WebhookId, seq: u64) -> Vec<u8> {
    let mut key = prefix(id);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// `webhook id ‖ 0x00`: every delivery of one endpoint.
fn prefix(id: &WebhookId) -> Vec<u8> {
    let mut key = id.as_str().as_bytes().to_vec();
    key.push(0);
    key
}

/// The sequence at the end of a delivery key.
fn seq_of(key: &[u8]) -> Result<u64, StoreError> {
    key.len()
        .checked_sub(8)
        .and_then(|at| key[at..].try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| StoreError::Corrupt("a webhook delivery key is malformed".into()))
}

/// The trees an event's fan-out writes, inside the event's transaction.
pub(super) struct Fanout<'a> {
    pub(super) lists: &'a TransactionalTree,
    pub(super) hooks: &'a TransactionalTree,
    pub(super) deliveries: &'a TransactionalTree,
    pub(super) pending: &'a TransactionalTree,
}

impl Fanout<'_> {
    /// Enqueues one pending delivery of `event` per enabled endpoint of its environment whose
    /// topics match.
    pub(super) fn enqueue(&self, event: &Event) -> TxResult<()> {
        let Some(env) = &event.environment_id else {
            return Ok(());
        };
        let Some(list) = self.lists.get(env.as_str().as_bytes())? else {
            return Ok(());
        };
        for id in decode_in_tx::<WebhookList>(&list)?.0 {
            let Some(bytes) = self.hooks.get(id.as_str().as_bytes())? else {
                continue;
            };
            let mut hook: Webhook = decode_in_tx(&bytes)?;
            if !hook.wants(event) {
                continue;
            }
            if hook.queued >= MAX_QUEUED.load(Ordering::Relaxed) {
                hook.dropped += 1;
            } else {
                self.put(&hook.id, &Delivery::of(event, event.created_at))?;
                hook.queued += 1;
            }
            self.hooks.insert(id.as_str().as_bytes(), hook.encode())?;
        }
        Ok(())
    }

    /// Stores `delivery` as pending under a new sequence; answers the sequence.
    fn put(&self, id: &WebhookId, delivery: &Delivery) -> TxResult<u64> {
        let seq = self.deliveries.generate_id()?;
        let key = delivery_key(id, seq);
        self.deliveries.insert(key.as_slice(), delivery.encode())?;
        self.pending.insert(key, &[][..])?;
        Ok(seq)
    }
}

impl Tx<'_> {
    /// The fan-out over this transaction's views.
    pub(super) fn fanout(&self) -> Fanout<'_> {
        Fanout {
            lists: self.view(T::EnvWebhooks),
            hooks: self.view(T::Webhooks),
            deliveries: self.view(T::WebhookDeliveries),
            pending: self.view(T::WebhookPending),
        }
    }
}

/// A delivery due now: its endpoint, sequence and record.
pub struct DueDelivery {
    /// The endpoint.
    pub webhook: Webhook,
    /// Its sequence (the delivery id's number).
    pub seq: u64,
    /// The delivery.
    pub delivery: Delivery,
}

impl Store {
    /// Sets how many pending deliveries one endpoint may hold (`webhooks.max_pending`).
    pub fn set_webhook_queue_limit(&self, max: u64) {
        MAX_QUEUED.store(max, Ordering::Relaxed);
    }

    /// One endpoint.
    pub fn webhook(&self, id: &WebhookId) -> Result<Option<Webhook>, StoreError> {
        self.get(T::Webhooks, id.as_str().as_bytes())
    }

    /// The endpoints of an environment, in creation order.
    pub fn webhooks_of(&self, env: &EnvironmentId) -> Result<Vec<Webhook>, StoreError> {
        let list: WebhookList = self
            .get(T::EnvWebhooks, env.as_str().as_bytes())?
            .unwrap_or_default();
        let mut out = Vec::with_capacity(list.0.len());
        for id in &list.0 {
            out.extend(self.webhook(id)?);
        }
        Ok(out)
    }

    /// Adds an endpoint, refusing one past `max_per_environment`.
    pub async fn create_webhook(
        &self,
        hook: &Webhook,
        max_per_environment: usize,
        event: &Event,
    ) -> Result<(), StoreError> {
        let env = hook.environment_id.as_str().as_bytes();
        self.write(std::slice::from_ref(event), |tx| {
            if !tx.environment_exists(&hook.environment_id)? {
                return abort(Abort::NotFound(format!(
                    "environment {} not found",
                    hook.environment_id
                )));
            }
            let mut list: WebhookList = tx.get(T::EnvWebhooks, env)?.unwrap_or_default();
            if list.0.len() >= max_per_environment {
                return abort(Abort::Conflict(format!(
                    "an environment holds at most {max_per_environment} webhooks (webhooks.per_environment)"
                )));
            }
            list.0.push(hook.id.clone());
            tx.put(T::EnvWebhooks, env, &list)?;
            tx.put(T::Webhooks, hook.id.as_str().as_bytes(), hook)
        })
        .await
    }

    /// Changes an endpoint with `change` (applied to the current record inside the
    /// transaction, so counters the fan-out keeps are not lost); answers the new record.
    pub async fn update_webhook(
        &self,
        id: &WebhookId,
        change: impl Fn(&mut Webhook),
        event: &Event,
    ) -> Result<Webhook, StoreError> {
        self.write(std::slice::from_ref(event), |tx| {
            let Some(mut hook) = tx.get::<Webhook>(T::Webhooks, id.as_str().as_bytes())? else {
                return abort(Abort::NotFound(format!("webhook {id} not found")));
            };
            change(&mut hook);
            tx.put(T::Webhooks, id.as_str().as_bytes(), &hook)?;
            Ok(hook)
        })
        .await
    }

    /// Removes an endpoint with its deliveries (their log goes with it).
    pub async fn delete_webhook(&self, hook: &Webhook, event: &Event) -> Result<(), StoreError> {
        let keys = self
            .tree(T::WebhookDeliveries)
            .scan_prefix(prefix(&hook.id))
            .keys()
            .collect::<Result<Vec<_>, _>>()?;
        let env = hook.environment_id.as_str().as_bytes();
        self.write(std::slice::from_ref(event), |tx| {
            if !tx.remove(T::Webhooks, hook.id.as_str().as_bytes())? {
                return abort(Abort::NotFound(format!("webhook {} not found", hook.id)));
            }
            let mut list: WebhookList = tx.get(T::EnvWebhooks, env)?.unwrap_or_default();
            list.0.retain(|id| *id != hook.id);
            tx.put(T::EnvWebhooks, env, &list)?;
            for key in &keys {
                tx.remove(T::WebhookDeliveries, key)?;
                tx.remove(T::WebhookPending, key)?;
            }
            Ok(())
        })
        .await
    }

    /// The newest `limit` deliveries of an endpoint, newest first, with their sequences.
    pub fn webhook_deliveries(
        &self,
        id: &WebhookId,
        limit: usize,
    ) -> Result<Vec<(u64, Delivery)>, StoreError> {
        self.tree(T::WebhookDeliveries)
            .scan_prefix(prefix(id))
            .rev()
            .take(limit)
            .map(|item| {
                let (k, v) = item?;
                Ok((seq_of(&k)?, Delivery::decode(&v)?))
            })
            .collect()
    }

    /// Enqueues `delivery` for one endpoint alone (a test message, a redelivery) with `event`;
    /// answers the new sequence.
    pub async fn enqueue_delivery(
        &self,
        id: &WebhookId,
        delivery: &Delivery,
        event: &Event,
    ) -> Result<u64, StoreError> {
        self.write(std::slice::from_ref(event), |tx| {
            let Some(mut hook) = tx.get::<Webhook>(T::Webhooks, id.as_str().as_bytes())? else {
                return abort(Abort::NotFound(format!("webhook {id} not found")));
            };
            let max = MAX_QUEUED.load(Ordering::Relaxed);
            if hook.queued >= max {
                return abort(Abort::Conflict(format!(
                    "webhook {id} already has {max} deliveries waiting (webhooks.max_pending)"
                )));
            }
            let seq = tx.fanout().put(id, delivery)?;
            hook.queued += 1;
            tx.put(T::Webhooks, id.as_str().as_bytes(), &hook)?;
            Ok(seq)
        })
        .await
    }

    /// One delivery of an endpoint.
    pub fn webhook_delivery(
        &self,
        id: &WebhookId,
        seq: u64,
    ) -> Result<Option<Delivery>, StoreError> {
        self.get(T::WebhookDeliveries, &delivery_key(id, seq))
    }

    /// For every enabled endpoint, its oldest pending delivery if it is due at `now`
    /// (deliveries to one endpoint go in order, one at a time).
    pub fn due_deliveries(&self, now: crate::domain::Timestamp) -> Vec<DueDelivery> {
        let mut out = Vec::new();
        for item in self.scan::<Webhook>(T::Webhooks, b"") {
            let due = item.and_then(|(_, webhook)| {
                if !webhook.enabled {
                    return Ok(None);
                }
                let Some(key) = self
                    .tree(T::WebhookPending)
                    .scan_prefix(prefix(&webhook.id))
                    .keys()
                    .next()
                    .transpose()?
                else {
                    return Ok(None);
                };
                let delivery: Option<Delivery> = self.get(T::WebhookDeliveries, &key)?;
                Ok(delivery
                    .filter(|d| d.next_attempt_at <= now)
                    .map(|delivery| (seq_of(&key), webhook, delivery)))
            });
            match due {
                Ok(Some((Ok(seq), webhook, delivery))) => out.push(DueDelivery {
                    webhook,
                    seq,
                    delivery,
                }),
                Ok(Some((Err(e), ..))) | Err(e) => log::error!("webhook queue unreadable: {e}"),
                Ok(None) => {}
            }
        }
        out
    }

    /// Records one attempt at a delivery and answers its new status (`None`: the endpoint or
    /// the delivery is gone). Touches only the queue's trees and leaves the write generation
    /// alone: no cached principal depends on them.
    pub async fn finish_attempt(
        &self,
        id: &WebhookId,
        seq: u64,
        attempt: &Attempt,
        retry_seconds: i64,
        horizon_seconds: i64,
    ) -> Result<Option<DeliveryStatus>, StoreError> {
        let key = delivery_key(id, seq);
        let gate = self.inner.gate.read().unwrap_or_else(|p| p.into_inner());
        let trees = (
            self.tree(T::Webhooks),
            self.tree(T::WebhookDeliveries),
            self.tree(T::WebhookPending),
        );
        let result = trees.transaction(|(hooks, deliveries, pending)| {
            let Some(bytes) = deliveries.get(&key)? else {
                return Ok(None);
            };
            let mut delivery: Delivery = decode_in_tx(&bytes)?;
            if delivery.status != DeliveryStatus::Pending {
                return Ok(Some(delivery.status));
            }
            delivery.record(attempt.clone(), retry_seconds, horizon_seconds);
            deliveries.insert(key.as_slice(), delivery.encode())?;
            if delivery.status != DeliveryStatus::Pending {
                pending.remove(key.as_slice())?;
                if let Some(bytes) = hooks.get(id.as_str().as_bytes())? {
                    let mut hook: Webhook = decode_in_tx(&bytes)?;
                    hook.queued = hook.queued.saturating_sub(1);
                    hooks.insert(id.as_str().as_bytes(), hook.encode())?;
                }
            }
            Ok(Some(delivery.status))
        });
        drop(gate);
        let status = result.map_err(tx_error)?;
        self.inner.flusher.wait_durable().await?;
        Ok(status)
    }

    /// Records the last attempt of a delivery that failed for its whole horizon, and turns its
    /// endpoint off with the audit event and the mails to the Administrators, in one
    /// transaction.
    pub async fn fail_and_disable(
        &self,
        id: &WebhookId,
        seq: u64,
        attempt: &Attempt,
        reason: &str,
        mails: &[Mail],
        event: &Event,
    ) -> Result<(), StoreError> {
        let key = delivery_key(id, seq);
        let seqs = mails
            .iter()
            .map(|_| self.next_outbox_seq())
            .collect::<Result<Vec<_>, _>>()?;
        self.write(std::slice::from_ref(event), |tx| {
            let Some(mut hook) = tx.get::<Webhook>(T::Webhooks, id.as_str().as_bytes())? else {
                return Ok(());
            };
            if let Some(mut delivery) = tx.get::<Delivery>(T::WebhookDeliveries, &key)? {
                if delivery.status == DeliveryStatus::Pending {
                    // No retry fits in a horizon already passed: this records it as failed.
                    delivery.record(attempt.clone(), 0, -1);
                    tx.put(T::WebhookDeliveries, &key, &delivery)?;
                    tx.remove(T::WebhookPending, &key)?;
                    hook.queued = hook.queued.saturating_sub(1);
                }
            }
            hook.enabled = false;
            hook.disabled_reason = Some(reason.to_owned());
            tx.put(T::Webhooks, id.as_str().as_bytes(), &hook)?;
            for (mail, &seq) in mails.iter().zip(&seqs) {
                let key = super::codec::event_key(mail.created_at.0, seq);
                tx.put(T::Outbox, &key, mail)?;
            }
            Ok(())
        })
        .await
    }

    /// Removes the oldest finished deliveries of an endpoint beyond the newest `keep`.
    pub async fn prune_webhook_log(&self, id: &WebhookId, keep: usize) -> Result<(), StoreError> {
        let mut old = Vec::new();
        for item in self
            .tree(T::WebhookDeliveries)
            .scan_prefix(prefix(id))
            .rev()
            .skip(keep)
            .take(1000)
        {
            let (k, v) = item?;
            if Delivery::decode(&v)?.status != DeliveryStatus::Pending {
                old.push(k);
            }
        }
        if old.is_empty() {
            return Ok(());
        }
        self.write_untracked_in(T::WebhookDeliveries, |deliveries| {
            for k in &old {
                deliveries.remove(k)?;
            }
            Ok(())
        })
        .await
    }
}

/// An endpoint and its delivery keys, read before the transaction that removes them.
pub(super) struct WebhookPlan {
    id: WebhookId,
    keys: Vec<sled::IVec>,
}

impl Store {
    /// What deleting environment `env` removes of its webhooks.
    pub(super) fn webhook_plans_in(
        &self,
        env: &EnvironmentId,
    ) -> Result<Vec<WebhookPlan>, StoreError> {
        let list: WebhookList = self
            .get(T::EnvWebhooks, env.as_str().as_bytes())?
            .unwrap_or_default();
        list.0
            .into_iter()
            .map(|id| {
                let keys = self
                    .tree(T::WebhookDeliveries)
                    .scan_prefix(prefix(&id))
                    .keys()
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(WebhookPlan { id, keys })
            })
            .collect()
    }
}

impl Tx<'_> {
    /// Removes an environment's endpoints with their queues and logs.
    pub(super) fn remove_webhooks(
        &self,
        env: &EnvironmentId,
        plans: &[WebhookPlan],
    ) -> TxResult<()> {
        self.remove(T::EnvWebhooks, env.as_str().as_bytes())?;
        for plan in plans {
            self.remove(T::Webhooks, plan.id.as_str().as_bytes())?;
            for key in &plan.keys {
                self.remove(T::WebhookDeliveries, key)?;
                self.remove(T::WebhookPending, key)?;
            }
        }
        Ok(())
    }
}

impl Store {
    /// Every endpoint is listed under its environment and every listed one exists there; every
    /// pending mark has a pending delivery.
    pub(super) fn check_webhooks(&self, limit: Option<usize>) -> Result<(), String> {
        let max = limit.unwrap_or(usize::MAX);
        for item in self.scan::<Webhook>(T::Webhooks, b"").take(max) {
            let (_, hook) = item.map_err(|e| e.to_string())?;
            let env = hook.environment_id.as_str().as_bytes();
            let list: WebhookList = self
                .get(T::EnvWebhooks, env)
                .map_err(|e| e.to_string())?
                .unwrap_or_default();
            if !list.0.contains(&hook.id) {
                return Err(format!("webhook {} is missing from env_webhooks", hook.id));
            }
        }
        for item in self.scan::<WebhookList>(T::EnvWebhooks, b"").take(max) {
            let (env, list) = item.map_err(|e| e.to_string())?;
            for id in &list.0 {
                match self.webhook(id) {
                    Ok(Some(h)) if h.environment_id.as_str().as_bytes() == &env[..] => {}
                    _ => {
                        return Err(format!(
                            "env_webhooks names webhook {id}, which is not there"
                        ))
                    }
                }
            }
        }
        for item in self.tree(T::WebhookPending).iter().keys().take(max) {
            let key = item.map_err(|e| e.to_string())?;
            match self.get::<Delivery>(T::WebhookDeliveries, &key) {
                Ok(Some(d)) if d.status == DeliveryStatus::Pending => {}
                _ => return Err("webhook_pending marks a delivery that is not pending".into()),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountId, Timestamp};

    #[test]
    fn delivery_keys_sort_by_sequence_within_one_endpoint() {
        let id = WebhookId::generate();
        let (a, b) = (delivery_key(&id, 2), delivery_key(&id, 256));
        assert!(a < b && a.starts_with(&prefix(&id)));
        assert_eq!(seq_of(&b).unwrap(), 256);
    }

    #[test]
    fn webhook_records_round_trip() {
        let hook = Webhook {
            id: WebhookId::generate(),
            account_id: AccountId::generate(),
            environment_id: EnvironmentId::generate(),
            url: "https://example.com/in".into(),
            topics: vec![crate::domain::webhook::TopicFilter::parse("space:*").unwrap()],
            description: "d".into(),
            enabled: true,
            disabled_reason: None,
            secrets: Vec::new(),
            queued: 3,
            dropped: 0,
            created_at: Timestamp(1),
            updated_at: Timestamp(2),
        };
        assert_eq!(Webhook::decode(&hook.encode()).unwrap(), hook);
        let list = WebhookList(vec![hook.id.clone()]);
        assert_eq!(WebhookList::decode(&list.encode()).unwrap(), list);
        let event = Event::new(
            "space:created",
            "space",
            hook.account_id.clone(),
            Timestamp(5),
        );
        let d = Delivery::of(&event, Timestamp(5));
        assert_eq!(Delivery::decode(&d.encode()).unwrap(), d);
    }
}
