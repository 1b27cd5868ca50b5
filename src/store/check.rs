//! The startup consistency check: every index entry points at a record that points back.

use super::codec::{pair, pair_second, Record};
use super::{
    ApiKey, Client, CredentialRef, Environment, Event, Pat, Store, StoreError, User,
    FORMAT_VERSION, T,
};

/// The store is not safe to serve; `0` says what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConsistencyError(pub String);

impl From<StoreError> for ConsistencyError {
    fn from(e: StoreError) -> Self {
        Self(e.to_string())
    }
}

impl Store {
    /// Verifies every index against every record; the first problem found is the error.
    pub fn check_consistency(&self) -> Result<(), ConsistencyError> {
        self.check_with(None)
    }

    /// The same check over at most `limit` records of each tree (after a clean shutdown).
    pub fn check_consistency_sample(&self, limit: usize) -> Result<(), ConsistencyError> {
        self.check_with(Some(limit))
    }

    /// Records of `t`, all of them or the first `limit`.
    fn walk(
        &self,
        t: T,
        limit: Option<usize>,
    ) -> impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>> {
        self.tree(t).iter().take(limit.unwrap_or(usize::MAX))
    }

    fn check_with(&self, limit: Option<usize>) -> Result<(), ConsistencyError> {
        match self.format_version()? {
            None | Some(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(ConsistencyError(format!(
                    "the data directory has format version {v}, this binary reads version {FORMAT_VERSION}"
                )))
            }
        }
        self.check_api_keys(limit)?;
        self.check_users(limit)?;
        self.check_user_credentials(limit)?;
        self.check_events(limit)?;
        self.check_agents(limit).map_err(ConsistencyError)?;
        self.check_guides(limit).map_err(bad)?;
        self.check_data_clips(limit)?;
        self.check_space_order(limit).map_err(bad)?;
        self.check_webhooks(limit).map_err(bad)?;
        Ok(())
    }

    fn check_api_keys(&self, limit: Option<usize>) -> Result<(), ConsistencyError> {
        for item in self.walk(T::ApiKeys, limit) {
            let (id, value) = item.map_err(StoreError::from)?;
            let key = ApiKey::decode(&value)?;
            let name = String::from_utf8_lossy(&id);
            if key.id.as_str().as_bytes() != id.as_ref() {
                return Err(bad(format!(
                    "api key stored under {name} has id {}",
                    key.id
                )));
            }
            if self
                .get::<Environment>(T::Environments, key.environment_id.as_str().as_bytes())?
                .is_none()
            {
                return Err(bad(format!(
                    "api key {name} belongs to missing environment {}",
                    key.environment_id
                )));
            }
            let env_entry = pair(key.environment_id.as_str(), key.id.as_str());
            if !self
                .tree(T::EnvKeys)
                .contains_key(env_entry)
                .map_err(StoreError::from)?
            {
                return Err(bad(format!(
                    "api key {name} is missing from the env_keys index"
                )));
            }
            match self.get::<CredentialRef>(T::Digests, &key.digest)? {
                Some(CredentialRef::ApiKey(found)) if found == key.id => {}
                _ => {
                    return Err(bad(format!(
                        "api key {name} is missing from the digests index"
                    )))
                }
            }
        }
        for item in self.walk(T::Digests, limit) {
            let (digest, value) = item.map_err(StoreError::from)?;
            match CredentialRef::decode(&value)? {
                CredentialRef::ApiKey(id) => match self.api_key(&id)? {
                    Some(key) if key.digest.as_slice() == digest.as_ref() => {}
                    _ => {
                        return Err(bad(format!(
                            "the digests index points at missing api key {id}"
                        )))
                    }
                },
                CredentialRef::Pat(id) => match self.pat(&id)? {
                    Some(pat) if pat.digest.as_slice() == digest.as_ref() => {}
                    _ => {
                        return Err(bad(format!(
                            "the digests index points at missing token {id}"
                        )))
                    }
                },
                CredentialRef::Revoked(_) => {}
            }
        }
        for item in self.walk(T::EnvKeys, limit).map(|r| r.map(|(k, _)| k)) {
            let entry = item.map_err(StoreError::from)?;
            let id = pair_second(&entry).unwrap_or_default();
            let env = entry.split(|&b| b == 0).next().unwrap_or_default();
            let ok = match crate::domain::ApiKeyId::parse(id) {
                Ok(id) => self
                    .api_key(&id)?
                    .is_some_and(|k| k.environment_id.as_str().as_bytes() == env),
                Err(_) => false,
            };
            if !ok {
                return Err(bad(format!(
                    "the env_keys index points at missing api key {id}"
                )));
            }
        }
        Ok(())
    }

    fn check_users(&self, limit: Option<usize>) -> Result<(), ConsistencyError> {
        for item in self.walk(T::Users, limit) {
            let (_, value) = item.map_err(StoreError::from)?;
            let user = User::decode(&value)?;
            let indexed = self
                .tree(T::UserEmails)
                .get(user.email.as_str())
                .map_err(StoreError::from)?;
            if indexed.as_deref() != Some(user.id.as_str().as_bytes()) {
                return Err(bad(format!(
                    "user {} is missing from the email index",
                    user.id
                )));
            }
        }
        for item in self.walk(T::UserEmails, limit) {
            let (email, id) = item.map_err(StoreError::from)?;
            if !self
                .tree(T::Users)
                .contains_key(&id)
                .map_err(StoreError::from)?
            {
                let email = String::from_utf8_lossy(&email);
                return Err(bad(format!(
                    "the email index entry {email} points at a missing user"
                )));
            }
        }
        Ok(())
    }

    fn check_user_credentials(&self, limit: Option<usize>) -> Result<(), ConsistencyError> {
        for item in self.walk(T::Pats, limit) {
            let (_, value) = item.map_err(StoreError::from)?;
            let pat = Pat::decode(&value)?;
            if self.user(&pat.user_id)?.is_none() {
                return Err(bad(format!(
                    "token {} belongs to missing user {}",
                    pat.id, pat.user_id
                )));
            }
            if self.get::<CredentialRef>(T::Digests, &pat.digest)?
                != Some(CredentialRef::Pat(pat.id.clone()))
            {
                return Err(bad(format!(
                    "token {} is missing from the digests index",
                    pat.id
                )));
            }
            if !self
                .tree(T::UserPats)
                .contains_key(pair(pat.user_id.as_str(), pat.id.as_str()))
                .map_err(StoreError::from)?
            {
                return Err(bad(format!(
                    "token {} is missing from the user_pats index",
                    pat.id
                )));
            }
        }
        for item in self.walk(T::Clients, limit) {
            let (_, value) = item.map_err(StoreError::from)?;
            let client = Client::decode(&value)?;
            if self.user(&client.user_id)?.is_none() {
                return Err(bad(format!(
                    "client {} belongs to missing user {}",
                    client.id, client.user_id
                )));
            }
            if !self
                .tree(T::UserClients)
                .contains_key(pair(client.user_id.as_str(), client.id.as_str()))
                .map_err(StoreError::from)?
            {
                return Err(bad(format!(
                    "client {} is missing from the user_clients index",
                    client.id
                )));
            }
        }
        if self.tree(T::UserPats).len() != self.tree(T::Pats).len()
            || self.tree(T::UserClients).len() != self.tree(T::Clients).len()
        {
            return Err(bad(
                "a user credential index holds entries without records".into()
            ));
        }
        Ok(())
    }

    fn check_events(&self, limit: Option<usize>) -> Result<(), ConsistencyError> {
        if limit.is_none() && self.tree(T::Events).len() != self.tree(T::EventIds).len() {
            return Err(bad(
                "the event id index and the event log differ in size".into()
            ));
        }
        for item in self.walk(T::EventIds, limit) {
            let (id, key) = item.map_err(StoreError::from)?;
            match self.get::<Event>(T::Events, &key)? {
                Some(event) if event.id.as_str().as_bytes() == id.as_ref() => {}
                _ => {
                    return Err(bad(format!(
                        "event {} is missing from the log",
                        String::from_utf8_lossy(&id)
                    )))
                }
            }
        }
        Ok(())
    }
}

impl Store {
    /// Every clip is in its space's index and every membership has both of its entries.
    fn check_data_clips(&self, limit: Option<usize>) -> Result<(), ConsistencyError> {
        for item in self.walk(T::DataClips, limit) {
            let (_, value) = item.map_err(StoreError::from)?;
            let clip = super::DataClip::decode(&value)?;
            let key = pair(clip.space_id.as_str(), clip.id.as_str());
            if !self
                .tree(T::SpaceClips)
                .contains_key(key)
                .map_err(StoreError::from)?
            {
                return Err(bad(format!(
                    "data clip {} is missing from space_clips",
                    clip.id
                )));
            }
        }
        for item in self.walk(T::ClipGuests, limit) {
            let (key, _) = item.map_err(StoreError::from)?;
            let at = key.iter().position(|&b| b == 0).unwrap_or(key.len());
            let (clip, guest) = (
                String::from_utf8_lossy(&key[..at]),
                pair_second(&key).unwrap_or_default(),
            );
            if !self
                .tree(T::GuestClips)
                .contains_key(pair(guest, &clip))
                .map_err(StoreError::from)?
            {
                return Err(bad(format!(
                    "guest {guest} of data clip {clip} is missing from guest_clips"
                )));
            }
        }
        if limit.is_none() && self.tree(T::ClipGuests).len() != self.tree(T::GuestClips).len() {
            return Err(bad("clip_guests and guest_clips differ in size".into()));
        }
        Ok(())
    }
}

fn bad(message: String) -> ConsistencyError {
    ConsistencyError(message)
}
