//! Client-credentials pairs, indexed by user.

use super::codec::{pair, pair_prefix, pair_second};
use super::{abort, Abort, Client, Event, Store, StoreError, Tx, TxResult, T};
use crate::domain::{ClientId, UserId};

impl Store {
    /// One pair by client id.
    pub fn client(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        self.get(T::Clients, id.as_str().as_bytes())
    }

    /// A user's pairs, oldest first.
    pub fn clients_of(&self, user: &UserId) -> Result<Vec<Client>, StoreError> {
        let mut out = Vec::new();
        for key in self
            .tree(T::UserClients)
            .scan_prefix(pair_prefix(user.as_str()))
            .keys()
        {
            let key = key?;
            let id = pair_second(&key).and_then(|s| ClientId::parse(s).ok());
            let id =
                id.ok_or_else(|| StoreError::Corrupt("user_clients holds a malformed key".into()))?;
            if let Some(client) = self.client(&id)? {
                out.push(client);
            }
        }
        out.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(out)
    }

    /// Adds a pair for an existing user, refusing past `max_per_user`.
    pub async fn insert_client(
        &self,
        client: &Client,
        max_per_user: usize,
        event: &Event,
    ) -> Result<(), StoreError> {
        let _guard = self.structure_lock().await;
        if self.count_prefix(
            T::UserClients,
            &pair_prefix(client.user_id.as_str()),
            max_per_user,
        ) >= max_per_user
        {
            return Err(StoreError::Limit(format!(
                "a user holds at most {max_per_user} client credentials (limits.pats_per_user)"
            )));
        }
        self.write_locked(_guard, std::slice::from_ref(event), |tx| {
            if tx
                .get_raw(T::Users, client.user_id.as_str().as_bytes())?
                .is_none()
            {
                return abort(Abort::NotFound(format!(
                    "user {} not found",
                    client.user_id
                )));
            }
            tx.put(T::Clients, client.id.as_str().as_bytes(), client)?;
            tx.put_raw(
                T::UserClients,
                &pair(client.user_id.as_str(), client.id.as_str()),
                &[],
            )
        })
        .await
    }

    /// Deletes a pair; tokens minted from it stop working at once.
    pub async fn delete_client(&self, id: &ClientId, event: &Event) -> Result<(), StoreError> {
        self.write(std::slice::from_ref(event), |tx| {
            if !tx.remove_client(id)? {
                return abort(Abort::NotFound(format!("client {id} not found")));
            }
            Ok(())
        })
        .await
    }
}

impl Tx<'_> {
    /// Removes a pair and its index entry; false when it did not exist.
    pub(super) fn remove_client(&self, id: &ClientId) -> TxResult<bool> {
        let Some(client) = self.get::<Client>(T::Clients, id.as_str().as_bytes())? else {
            return Ok(false);
        };
        self.remove(T::Clients, id.as_str().as_bytes())?;
        self.remove(T::UserClients, &pair(client.user_id.as_str(), id.as_str()))?;
        Ok(true)
    }
}
