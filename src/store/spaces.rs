//! Spaces and workbooks, and the cascades when they (or their environment) go.

use super::codec::pair;
use super::{abort, Abort, Event, Grant, Space, Store, StoreError, Tx, TxResult, Workbook, T};
use crate::domain::{EnvironmentId, GuestId, SpaceId, WorkbookId};

impl Store {
    /// One space.
    pub fn space(&self, id: &SpaceId) -> Result<Option<Space>, StoreError> {
        self.get(T::Spaces, id.as_str().as_bytes())
    }

    /// The spaces of an environment, oldest first.
    pub fn spaces_in(&self, env: &EnvironmentId) -> Result<Vec<Space>, StoreError> {
        let mut out = Vec::new();
        for id in self.pair_seconds(T::EnvSpaces, env.as_str())? {
            if let Some(space) = self.get::<Space>(T::Spaces, id.as_bytes())? {
                out.push(space);
            }
        }
        out.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(out)
    }

    /// Creates a space in an existing environment, within `limits.spaces_per_environment`.
    pub async fn insert_space(&self, space: &Space, event: &Event) -> Result<(), StoreError> {
        self.insert_space_with(space, &[], std::slice::from_ref(event))
            .await
    }

    /// Creates a space together with workbooks of it (the embed's init), in one transaction.
    pub async fn insert_space_with(
        &self,
        space: &Space,
        workbooks: &[Workbook],
        events: &[Event],
    ) -> Result<(), StoreError> {
        let guard = self.structure_lock().await;
        self.ensure_room_for_a_space(&space.environment_id)?;
        self.write_locked(guard, events, |tx| {
            if !tx.environment_exists(&space.environment_id)? {
                return abort(Abort::NotFound(format!(
                    "environment {} not found",
                    space.environment_id
                )));
            }
            tx.put(T::Spaces, space.id.as_str().as_bytes(), space)?;
            tx.order_space(space)?;
            tx.put_raw(
                T::EnvSpaces,
                &pair(space.environment_id.as_str(), space.id.as_str()),
                &[],
            )?;
            for wb in workbooks.iter().filter(|w| w.space_id == space.id) {
                tx.put(T::Workbooks, wb.id.as_str().as_bytes(), wb)?;
                tx.put_raw(
                    T::SpaceWorkbooks,
                    &pair(wb.space_id.as_str(), wb.id.as_str()),
                    &[],
                )?;
            }
            Ok(())
        })
        .await
    }

    /// Replaces an existing space.
    pub async fn update_space(&self, space: &Space, event: &Event) -> Result<(), StoreError> {
        self.write(std::slice::from_ref(event), |tx| {
            let Some(old) = tx.get::<Space>(T::Spaces, space.id.as_str().as_bytes())? else {
                return abort(Abort::NotFound(format!("space {} not found", space.id)));
            };
            tx.reorder_space(&old, space)?;
            tx.put(T::Spaces, space.id.as_str().as_bytes(), space)
        })
        .await
    }

    /// Deletes spaces with their workbooks and every guest's grant to them, in one transaction.
    pub async fn delete_spaces(&self, ids: &[SpaceId], events: &[Event]) -> Result<(), StoreError> {
        let _guard = self.structure_lock().await;
        let plans = ids
            .iter()
            .map(|id| self.space_plan(id))
            .collect::<Result<Vec<_>, _>>()?;
        self.write_locked(_guard, events, |tx| {
            for plan in &plans {
                if !tx.remove_space(plan)? {
                    return abort(Abort::NotFound(format!("space {} not found", plan.space)));
                }
            }
            Ok(())
        })
        .await
    }

    /// What removing a space involves: its workbooks and its guests' grants.
    pub(super) fn space_plan(&self, id: &SpaceId) -> Result<SpacePlan, StoreError> {
        let secrets = match self.space(id)? {
            Some(space) => self.secret_keys_of_space(&space.environment_id, id)?,
            None => Vec::new(),
        };
        Ok(SpacePlan {
            space: id.clone(),
            workbooks: self.pair_seconds(T::SpaceWorkbooks, id.as_str())?,
            guests: self.pair_seconds(T::SpaceGuests, id.as_str())?,
            secrets,
            clips: self.clip_plans_of_space(id, None)?,
        })
    }

    /// One workbook.
    pub fn workbook(&self, id: &WorkbookId) -> Result<Option<Workbook>, StoreError> {
        self.get(T::Workbooks, id.as_str().as_bytes())
    }

    /// The workbooks of a space, oldest first.
    pub fn workbooks_of(&self, space: &SpaceId) -> Result<Vec<Workbook>, StoreError> {
        let mut out = Vec::new();
        for id in self.pair_seconds(T::SpaceWorkbooks, space.as_str())? {
            if let Some(wb) = self.get::<Workbook>(T::Workbooks, id.as_bytes())? {
                out.push(wb);
            }
        }
        out.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(out)
    }

    /// Creates a workbook in an existing space.
    pub async fn insert_workbook(&self, wb: &Workbook, event: &Event) -> Result<(), StoreError> {
        self.write(std::slice::from_ref(event), |tx| {
            if tx
                .get_raw(T::Spaces, wb.space_id.as_str().as_bytes())?
                .is_none()
            {
                return abort(Abort::NotFound(format!("space {} not found", wb.space_id)));
            }
            tx.put(T::Workbooks, wb.id.as_str().as_bytes(), wb)?;
            tx.put_raw(
                T::SpaceWorkbooks,
                &pair(wb.space_id.as_str(), wb.id.as_str()),
                &[],
            )
        })
        .await
    }

    /// Replaces an existing workbook.
    pub async fn update_workbook(&self, wb: &Workbook, event: &Event) -> Result<(), StoreError> {
        self.write(std::slice::from_ref(event), |tx| {
            if tx
                .get_raw(T::Workbooks, wb.id.as_str().as_bytes())?
                .is_none()
            {
                return abort(Abort::NotFound(format!("workbook {} not found", wb.id)));
            }
            tx.put(T::Workbooks, wb.id.as_str().as_bytes(), wb)
        })
        .await
    }

    /// Deletes a workbook and drops it from every guest grant that names it.
    pub async fn delete_workbook(&self, wb: &Workbook, event: &Event) -> Result<(), StoreError> {
        let _guard = self.structure_lock().await;
        let guests = self.pair_seconds(T::SpaceGuests, wb.space_id.as_str())?;
        let clips = self.clip_plans_of_space(&wb.space_id, Some(&wb.id))?;
        self.write_locked(_guard, std::slice::from_ref(event), |tx| {
            for (clip, clip_guests) in &clips {
                tx.remove_clip(clip, clip_guests)?;
            }
            if !tx.remove(T::Workbooks, wb.id.as_str().as_bytes())? {
                return abort(Abort::NotFound(format!("workbook {} not found", wb.id)));
            }
            tx.remove(
                T::SpaceWorkbooks,
                &pair(wb.space_id.as_str(), wb.id.as_str()),
            )?;
            for guest in &guests {
                let key = pair(guest, wb.space_id.as_str());
                if let Some(mut grant) = tx.get::<Grant>(T::Grants, &key)? {
                    if let Some(list) = grant.workbooks.as_mut().filter(|l| l.contains(&wb.id)) {
                        list.retain(|w| *w != wb.id);
                        tx.put(T::Grants, &key, &grant)?;
                    }
                }
            }
            Ok(())
        })
        .await
    }
}

/// The records a space's removal touches, gathered before the transaction.
pub(super) struct SpacePlan {
    pub(super) space: SpaceId,
    pub(super) workbooks: Vec<String>,
    pub(super) guests: Vec<String>,
    pub(super) secrets: Vec<(sled::IVec, sled::IVec)>,
    /// The space's data clips, each with its guests.
    pub(super) clips: Vec<(String, Vec<String>)>,
}

impl Tx<'_> {
    /// Removes a space, its workbooks and its guests' grants; false when it did not exist.
    pub(super) fn remove_space(&self, plan: &SpacePlan) -> TxResult<bool> {
        let Some(space) = self.get::<Space>(T::Spaces, plan.space.as_str().as_bytes())? else {
            return Ok(false);
        };
        self.remove(T::Spaces, space.id.as_str().as_bytes())?;
        self.unorder_space(&space)?;
        self.remove(
            T::EnvSpaces,
            &pair(space.environment_id.as_str(), space.id.as_str()),
        )?;
        for wb in &plan.workbooks {
            self.remove(T::Workbooks, wb.as_bytes())?;
            self.remove(T::SpaceWorkbooks, &pair(space.id.as_str(), wb))?;
        }
        for guest in &plan.guests {
            self.remove(T::Grants, &pair(guest, space.id.as_str()))?;
            self.remove(T::SpaceGuests, &pair(space.id.as_str(), guest))?;
        }
        for (name_key, secret_id) in &plan.secrets {
            self.remove(T::SecretNames, name_key)?;
            self.remove(T::Secrets, secret_id)?;
        }
        for (clip, guests) in &plan.clips {
            self.remove_clip(clip, guests)?;
        }
        Ok(true)
    }

    /// Writes a grant and its space index entry.
    pub(super) fn put_grant(&self, grant: &Grant) -> TxResult<()> {
        self.put(
            T::Grants,
            &pair(grant.guest_id.as_str(), grant.space_id.as_str()),
            grant,
        )?;
        self.put_raw(
            T::SpaceGuests,
            &pair(grant.space_id.as_str(), grant.guest_id.as_str()),
            &[],
        )
    }

    /// Removes a grant; false when there was none.
    pub(super) fn remove_grant(&self, guest: &GuestId, space: &SpaceId) -> TxResult<bool> {
        self.remove(T::SpaceGuests, &pair(space.as_str(), guest.as_str()))?;
        self.remove(T::Grants, &pair(guest.as_str(), space.as_str()))
    }
}
