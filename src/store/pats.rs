//! Personal access tokens, indexed by digest and by user.

use super::codec::{pair, pair_prefix, pair_second, Record};
use super::{
    abort, decode_in_tx, Abort, CredentialRef, Event, Pat, Store, StoreError, Tx, TxResult, T,
};
use crate::domain::{PatId, Timestamp, UserId};

impl Store {
    /// One PAT by id.
    pub fn pat(&self, id: &PatId) -> Result<Option<Pat>, StoreError> {
        self.get(T::Pats, id.as_str().as_bytes())
    }

    /// A user's PATs, oldest first.
    pub fn pats_of(&self, user: &UserId) -> Result<Vec<Pat>, StoreError> {
        let mut out = Vec::new();
        for key in self
            .tree(T::UserPats)
            .scan_prefix(pair_prefix(user.as_str()))
            .keys()
        {
            let key = key?;
            let id = pair_second(&key).and_then(|s| PatId::parse(s).ok());
            let id =
                id.ok_or_else(|| StoreError::Corrupt("user_pats holds a malformed key".into()))?;
            if let Some(pat) = self.pat(&id)? {
                out.push(pat);
            }
        }
        out.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(out)
    }

    /// Adds a PAT for an existing user, refusing past `max_per_user`, and waits until it is
    /// durable. Concurrent creations are committed together: the first to arrive starts a batch
    /// (`commit_pat_batch`, under the structure lock), and those that arrive before it runs
    /// join it, so one sled transaction (two synced log writes in sled 0.34) covers them all.
    pub async fn insert_pat(
        &self,
        pat: &Pat,
        max_per_user: usize,
        event: &Event,
    ) -> Result<(), StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let first = {
            let mut waiting = self
                .inner
                .pending_pats
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            waiting.push(PendingPat {
                pat: pat.clone(),
                max_per_user,
                event: event.clone(),
                reply,
            });
            waiting.len() == 1
        };
        if first {
            // A task of its own, so the batch is committed even if this request goes away.
            let store = self.clone();
            tokio::spawn(async move {
                let guard = store.structure_lock().await;
                // Let creations that are already on their way join this batch.
                tokio::task::yield_now().await;
                store.commit_pat_batch();
                drop(guard);
            });
        }
        answer.await.map_err(|_| StoreError::NotDurable)??;
        self.inner.flusher.wait_durable().await
    }

    /// Commits every waiting PAT creation that is within its user's limit in one transaction and
    /// answers each (not yet durable). Called with the structure lock held, so user records and
    /// the remembered counts cannot change meanwhile.
    fn commit_pat_batch(&self) {
        let batch = std::mem::take(
            &mut *self
                .inner
                .pending_pats
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        let mut accepted = Vec::with_capacity(batch.len());
        let mut added: std::collections::HashMap<UserId, usize> = Default::default();
        for item in batch {
            let user = &item.pat.user_id;
            match self.tree(T::Users).contains_key(user.as_str().as_bytes()) {
                Ok(true) => {}
                Ok(false) => {
                    let _ = item
                        .reply
                        .send(Err(StoreError::NotFound(format!("user {user} not found"))));
                    continue;
                }
                Err(e) => {
                    let _ = item.reply.send(Err(e.into()));
                    continue;
                }
            }
            let held =
                self.pats_held(user, item.max_per_user) + added.get(user).copied().unwrap_or(0);
            if held >= item.max_per_user {
                let _ = item.reply.send(Err(StoreError::Limit(format!(
                    "a user holds at most {} personal access tokens (limits.pats_per_user)",
                    item.max_per_user
                ))));
                continue;
            }
            *added.entry(user.clone()).or_default() += 1;
            accepted.push(item);
        }
        if accepted.is_empty() {
            return;
        }
        let events: Vec<Event> = accepted.iter().map(|item| item.event.clone()).collect();
        let committed = self.commit(&events, |tx| {
            // Users were checked above; they are removed only under the structure lock.
            for PendingPat { pat, .. } in &accepted {
                tx.put(T::Pats, pat.id.as_str().as_bytes(), pat)?;
                tx.put_raw(
                    T::UserPats,
                    &pair(pat.user_id.as_str(), pat.id.as_str()),
                    &[],
                )?;
                tx.put(T::Digests, &pat.digest, &CredentialRef::Pat(pat.id.clone()))?;
            }
            Ok(())
        });
        match committed {
            Ok(()) => {
                let mut counts = self.pat_counts();
                for (user, n) in added {
                    *counts.entry(user).or_default() += n;
                }
                drop(counts);
                for item in accepted {
                    let _ = item.reply.send(Ok(()));
                }
            }
            Err(e) => {
                for item in accepted {
                    let _ = item.reply.send(Err(e.for_each_of_a_batch()));
                }
            }
        }
    }

    /// How many PATs `user` holds, counting at most `max`. Called with the structure lock held:
    /// every change to `user_pats` takes it and keeps the remembered counts right.
    fn pats_held(&self, user: &UserId, max: usize) -> usize {
        if let Some(&held) = self.pat_counts().get(user) {
            return held;
        }
        let held = self.count_prefix(T::UserPats, &pair_prefix(user.as_str()), max);
        self.pat_counts().insert(user.clone(), held);
        held
    }

    /// The remembered PAT counts per user (see `pats_held`).
    pub(super) fn pat_counts(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<UserId, usize>> {
        self.inner
            .pat_counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Deletes a PAT; it stops resolving at once.
    pub async fn delete_pat(&self, id: &PatId, event: &Event) -> Result<(), StoreError> {
        let guard = self.structure_lock().await;
        self.pat_counts().clear();
        self.write_locked(guard, std::slice::from_ref(event), |tx| {
            if !tx.remove_pat(id)? {
                return abort(Abort::NotFound(format!(
                    "personal access token {id} not found"
                )));
            }
            Ok(())
        })
        .await
    }

    /// Records last-use times collected in memory; tokens deleted meanwhile are skipped. No
    /// cached principal depends on a last-use time, so the write generation stays.
    pub async fn touch_pats(&self, uses: &[(PatId, Timestamp)]) -> Result<(), StoreError> {
        self.write_untracked_in(T::Pats, |pats| {
            for (id, at) in uses {
                let key = id.as_str().as_bytes();
                let Some(bytes) = pats.get(key)? else {
                    continue;
                };
                let mut pat: Pat = decode_in_tx(&bytes)?;
                if pat.last_used_at.is_none_or(|old| old < *at) {
                    pat.last_used_at = Some(*at);
                    pats.insert(key, pat.encode())?;
                }
            }
            Ok(())
        })
        .await
    }
}

impl Tx<'_> {
    /// Removes a PAT and its index entries; false when it did not exist.
    pub(super) fn remove_pat(&self, id: &PatId) -> TxResult<bool> {
        let Some(pat) = self.get::<Pat>(T::Pats, id.as_str().as_bytes())? else {
            return Ok(false);
        };
        self.remove(T::Pats, id.as_str().as_bytes())?;
        self.remove(T::UserPats, &pair(pat.user_id.as_str(), id.as_str()))?;
        self.put(
            T::Digests,
            &pat.digest,
            &CredentialRef::Revoked(pat.created_at),
        )?;
        Ok(true)
    }
}

/// A PAT creation waiting for its batch.
pub(super) struct PendingPat {
    pat: Pat,
    max_per_user: usize,
    event: Event,
    reply: tokio::sync::oneshot::Sender<Result<(), StoreError>>,
}

impl StoreError {
    /// The same failure again, for each member of a batch that failed as one.
    fn for_each_of_a_batch(&self) -> StoreError {
        match self {
            Self::Sled(e) => Self::Sled(sled::Error::Io(std::io::Error::other(e.to_string()))),
            Self::Corrupt(m) => Self::Corrupt(m.clone()),
            Self::Conflict(m) => Self::Conflict(m.clone()),
            Self::NotFound(m) => Self::NotFound(m.clone()),
            Self::Limit(m) => Self::Limit(m.clone()),
            Self::NotDurable => Self::NotDurable,
            Self::Io(m) => Self::Io(m.clone()),
            Self::Locked(m) => Self::Locked(m.clone()),
        }
    }
}
