//! Guests and their grants. Deleting a guest removes every grant in the same transaction.

use super::codec::pair;
use super::{abort, Abort, Event, Grant, Guest, Store, StoreError, Tx, TxResult, T};
use crate::domain::{Email, EnvironmentId, GuestId, SpaceId};

/// A guest to create or extend, with the grants to add.
pub struct GuestPlan {
    /// The guest record (an existing one keeps its id).
    pub guest: Guest,
    /// Grants to add; an existing grant to the same space is widened.
    pub grants: Vec<Grant>,
}

impl Store {
    /// One guest.
    pub fn guest(&self, id: &GuestId) -> Result<Option<Guest>, StoreError> {
        self.get(T::Guests, id.as_str().as_bytes())
    }

    /// The guest with `email` in `env`.
    pub fn guest_by_email(
        &self,
        env: &EnvironmentId,
        email: &Email,
    ) -> Result<Option<Guest>, StoreError> {
        match self
            .tree(T::GuestEmails)
            .get(pair(env.as_str(), email.as_str()))?
        {
            Some(id) => self.get(T::Guests, &id),
            None => Ok(None),
        }
    }

    /// A guest's grants.
    pub fn grants_of(&self, guest: &GuestId) -> Result<Vec<Grant>, StoreError> {
        self.scan::<Grant>(T::Grants, &super::codec::pair_prefix(guest.as_str()))
            .map(|r| r.map(|(_, g)| g))
            .collect()
    }

    /// A guest's grant to one space.
    pub fn grant(&self, guest: &GuestId, space: &SpaceId) -> Result<Option<Grant>, StoreError> {
        self.get(T::Grants, &pair(guest.as_str(), space.as_str()))
    }

    /// The guests of a space with their grants there, oldest first.
    pub fn guests_of_space(&self, space: &SpaceId) -> Result<Vec<Guest>, StoreError> {
        let mut out = Vec::new();
        for id in self.pair_seconds(T::SpaceGuests, space.as_str())? {
            if let Some(guest) = self.get::<Guest>(T::Guests, id.as_bytes())? {
                out.push(guest);
            }
        }
        out.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(out)
    }

    /// The guests of a space, oldest first, each with all its grants.
    pub fn guests_with_grants(
        &self,
        space: &SpaceId,
    ) -> Result<Vec<(Guest, Vec<Grant>)>, StoreError> {
        self.guests_of_space(space)?
            .into_iter()
            .map(|guest| {
                let grants = self.grants_of(&guest.id)?;
                Ok((guest, grants))
            })
            .collect()
    }

    /// Creates or extends guests with their grants, all in one transaction. Every granted space
    /// must exist in the guest's environment. Answers each guest's grants once written, in
    /// the order of `plans`.
    pub async fn upsert_guests(
        &self,
        plans: &[GuestPlan],
        events: &[Event],
    ) -> Result<Vec<Vec<Grant>>, StoreError> {
        self.write(events, |tx| {
            for plan in plans {
                tx.upsert_plan(plan)?;
            }
            Ok(())
        })
        .await?;
        plans
            .iter()
            .map(|plan| self.grants_of(&plan.guest.id))
            .collect()
    }

    /// Adds one guest to `space` through its shared link, refusing (`Limit`) once the space
    /// has `max_guests` guests. Joins hold the structure lock, so the count holds among them.
    pub async fn join_space(
        &self,
        plan: &GuestPlan,
        space: &SpaceId,
        max_guests: usize,
        event: &Event,
    ) -> Result<(), StoreError> {
        let guard = self.structure_lock().await;
        let guests = self
            .tree(T::SpaceGuests)
            .scan_prefix(super::codec::pair_prefix(space.as_str()))
            .take(max_guests)
            .count();
        if guests >= max_guests {
            return Err(StoreError::Limit(format!(
                "space {space} has reached its {max_guests} guests; its shared link takes no more (guests.shared_link_guests_per_space)"
            )));
        }
        self.write_locked(guard, std::slice::from_ref(event), |tx| {
            tx.upsert_plan(plan)
        })
        .await
    }

    /// Replaces a guest's record and, when `grants` is given, the whole set of its grants.
    /// Answers the guest's grants once written.
    pub async fn update_guest(
        &self,
        guest: &Guest,
        previous_email: &Email,
        grants: Option<&[Grant]>,
        event: &Event,
    ) -> Result<Vec<Grant>, StoreError> {
        let _guard = self.structure_lock().await;
        let existing = self.grants_of(&guest.id)?;
        self.write_locked(_guard, std::slice::from_ref(event), |tx| {
            if tx
                .get_raw(T::Guests, guest.id.as_str().as_bytes())?
                .is_none()
            {
                return abort(Abort::NotFound(format!("guest {} not found", guest.id)));
            }
            if previous_email != &guest.email {
                let new_key = pair(guest.environment_id.as_str(), guest.email.as_str());
                if tx.get_raw(T::GuestEmails, &new_key)?.is_some() {
                    return abort(Abort::Conflict(format!(
                        "a guest with email {} already exists",
                        guest.email
                    )));
                }
                tx.remove(
                    T::GuestEmails,
                    &pair(guest.environment_id.as_str(), previous_email.as_str()),
                )?;
                tx.put_raw(T::GuestEmails, &new_key, guest.id.as_str().as_bytes())?;
            }
            tx.put(T::Guests, guest.id.as_str().as_bytes(), guest)?;
            if let Some(grants) = grants {
                for old in &existing {
                    tx.remove_grant(&old.guest_id, &old.space_id)?;
                }
                for grant in grants {
                    if tx
                        .get_raw(T::Spaces, grant.space_id.as_str().as_bytes())?
                        .is_none()
                    {
                        return abort(Abort::NotFound(format!(
                            "space {} not found",
                            grant.space_id
                        )));
                    }
                    tx.put_grant(grant)?;
                }
            }
            Ok(())
        })
        .await?;
        self.grants_of(&guest.id)
    }

    /// Adds (or widens) one grant.
    pub async fn add_grant(&self, grant: &Grant, event: &Event) -> Result<(), StoreError> {
        self.write(std::slice::from_ref(event), |tx| {
            if tx
                .get_raw(T::Guests, grant.guest_id.as_str().as_bytes())?
                .is_none()
            {
                return abort(Abort::NotFound(format!(
                    "guest {} not found",
                    grant.guest_id
                )));
            }
            if tx
                .get_raw(T::Spaces, grant.space_id.as_str().as_bytes())?
                .is_none()
            {
                return abort(Abort::NotFound(format!(
                    "space {} not found",
                    grant.space_id
                )));
            }
            tx.widen_grant(grant)
        })
        .await
    }

    /// Removes a guest's access to one space.
    pub async fn remove_grant(
        &self,
        guest: &GuestId,
        space: &SpaceId,
        event: &Event,
    ) -> Result<(), StoreError> {
        self.write(std::slice::from_ref(event), |tx| {
            if !tx.remove_grant(guest, space)? {
                return abort(Abort::NotFound(format!(
                    "guest {guest} has no access to space {space}"
                )));
            }
            Ok(())
        })
        .await
    }

    /// Deletes a guest and every grant it holds, in one transaction.
    pub async fn delete_guest(&self, id: &GuestId, events: &[Event]) -> Result<(), StoreError> {
        let _guard = self.structure_lock().await;
        let grants = self.grants_of(id)?;
        let clips = self.clip_ids_of_guest(id)?;
        self.write_locked(_guard, events, |tx| {
            if !tx.remove_guest(id, &grants)? {
                return abort(Abort::NotFound(format!("guest {id} not found")));
            }
            tx.remove_guest_from_clips(id.as_str(), &clips)
        })
        .await
    }

    /// The guests of an environment (for its deletion).
    pub(super) fn guest_ids_in(&self, env: &EnvironmentId) -> Result<Vec<GuestId>, StoreError> {
        self.tree(T::GuestEmails)
            .scan_prefix(super::codec::pair_prefix(env.as_str()))
            .values()
            .map(|v| {
                let v = v?;
                std::str::from_utf8(&v)
                    .ok()
                    .and_then(|s| GuestId::parse(s).ok())
                    .ok_or_else(|| StoreError::Corrupt("guest_emails holds a malformed id".into()))
            })
            .collect()
    }
}

impl Tx<'_> {
    /// Writes `grant`, widening any grant the guest already holds to the same space.
    fn widen_grant(&self, grant: &Grant) -> TxResult<()> {
        let key = pair(grant.guest_id.as_str(), grant.space_id.as_str());
        let merged = match self.get::<Grant>(T::Grants, &key)? {
            Some(existing) => existing.merged(grant),
            None => grant.clone(),
        };
        self.put_grant(&merged)
    }

    /// Removes a guest, its email index entry and `grants`; false when it did not exist.
    pub(super) fn remove_guest(&self, id: &GuestId, grants: &[Grant]) -> TxResult<bool> {
        let Some(guest) = self.get::<Guest>(T::Guests, id.as_str().as_bytes())? else {
            return Ok(false);
        };
        self.remove(T::Guests, id.as_str().as_bytes())?;
        self.remove(
            T::GuestEmails,
            &pair(guest.environment_id.as_str(), guest.email.as_str()),
        )?;
        for grant in grants {
            self.remove_grant(id, &grant.space_id)?;
        }
        Ok(true)
    }
}

impl Tx<'_> {
    /// Writes a guest, its email index and its widened grants; every granted space must exist in
    /// the guest's environment.
    fn upsert_plan(&self, plan: &GuestPlan) -> TxResult<()> {
        let g = &plan.guest;
        let email_key = pair(g.environment_id.as_str(), g.email.as_str());
        match self.get_raw(T::GuestEmails, &email_key)? {
            Some(id) if id.as_ref() != g.id.as_str().as_bytes() => {
                return abort(Abort::Conflict(format!(
                    "a guest with email {} already exists",
                    g.email
                )))
            }
            _ => {}
        }
        self.put(T::Guests, g.id.as_str().as_bytes(), g)?;
        self.put_raw(T::GuestEmails, &email_key, g.id.as_str().as_bytes())?;
        for grant in &plan.grants {
            match self.get::<super::Space>(T::Spaces, grant.space_id.as_str().as_bytes())? {
                Some(space) if space.environment_id == g.environment_id => {}
                _ => {
                    return abort(Abort::NotFound(format!(
                        "space {} not found",
                        grant.space_id
                    )))
                }
            }
            self.widen_grant(grant)?;
        }
        Ok(())
    }
}
