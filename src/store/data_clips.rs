//! Data clips: selected records of one sheet, shared with chosen guests. Latchkey holds only
//! ids: the clip's sheet and record ids, the records its reference fields point to, and who
//! its guests are; the record data stays with the user.
//!
//! Trees (key and value layouts are written beside `T` in `mod.rs`): `data_clips` (clip id →
//! DataClip), `space_clips` (space id ‖ 0x00 ‖ clip id → empty), `clip_guests` (clip id ‖ 0x00 ‖
//! guest id → empty) and `guest_clips` (guest id ‖ 0x00 ‖ clip id → ClipMembership).

use super::codec::{pair, pair_prefix, Record};
use super::{abort, Abort, Event, Store, StoreError, Tx, TxResult, T};
use crate::domain::{
    ClipGrant, ClipMembership, DataClip, DataClipId, GuestId, SpaceId, WorkbookId,
};

impl Record for DataClip {
    const VERSION: u8 = 1;
    const NAME: &'static str = "data clip";
}

impl Record for ClipMembership {
    const VERSION: u8 = 1;
    const NAME: &'static str = "data clip membership";
}

/// A clip to write, with the guests it should have afterwards.
pub struct ClipPlan<'a> {
    /// The clip record.
    pub clip: &'a DataClip,
    /// Every guest of the clip after the write (replaces the current set); `None` keeps it.
    pub guests: Option<&'a [GuestId]>,
    /// At most this many clips in the clip's space (checked on create).
    pub max_per_space: usize,
    /// On a change: the clip as it was read; a clip changed since is refused (409), so that no
    /// concurrent change is lost.
    pub previous: Option<&'a DataClip>,
}

impl Store {
    /// One clip.
    pub fn data_clip(&self, id: &DataClipId) -> Result<Option<DataClip>, StoreError> {
        self.get(T::DataClips, id.as_str().as_bytes())
    }

    /// The clips of a space, oldest first.
    pub fn data_clips_of_space(&self, space: &SpaceId) -> Result<Vec<DataClip>, StoreError> {
        let mut out = Vec::new();
        for id in self.pair_seconds(T::SpaceClips, space.as_str())? {
            if let Some(clip) = self.get::<DataClip>(T::DataClips, id.as_bytes())? {
                out.push(clip);
            }
        }
        out.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(out)
    }

    /// The guests of a clip, in id order.
    pub fn data_clip_guests(&self, clip: &DataClipId) -> Result<Vec<GuestId>, StoreError> {
        self.pair_seconds(T::ClipGuests, clip.as_str())?
            .iter()
            .map(|g| {
                GuestId::parse(g)
                    .map_err(|_| StoreError::Corrupt("clip_guests holds a malformed id".into()))
            })
            .collect()
    }

    /// The grants a guest holds through clips (clips that no longer exist are skipped).
    pub fn clip_grants_of(&self, guest: &GuestId) -> Result<Vec<ClipGrant>, StoreError> {
        let mut out = Vec::new();
        for id in self.pair_seconds(T::GuestClips, guest.as_str())? {
            if let Some(clip) = self.get::<DataClip>(T::DataClips, id.as_bytes())? {
                out.push(ClipGrant::from(&clip));
            }
        }
        Ok(out)
    }

    /// Creates or replaces a clip and sets its guests, in one transaction; a new clip past
    /// `max_per_space` is refused. The workbook and every guest must exist.
    pub async fn put_data_clip(
        &self,
        plan: ClipPlan<'_>,
        create: bool,
        events: &[Event],
    ) -> Result<(), StoreError> {
        let clip = plan.clip;
        let _guard = self.structure_lock().await;
        let prefix = pair_prefix(clip.space_id.as_str());
        if create
            && self.count_prefix(T::SpaceClips, &prefix, plan.max_per_space) >= plan.max_per_space
        {
            return Err(StoreError::Limit(format!(
                "a space holds at most {} data clips (limits.data_clips_per_space)",
                plan.max_per_space
            )));
        }
        let current = self.data_clip_guests(&clip.id)?;
        let now = clip.updated_at;
        self.write_locked(_guard, events, |tx| {
            let key = clip.id.as_str().as_bytes();
            let stored = tx.get::<DataClip>(T::DataClips, key)?;
            if stored.is_some() == create {
                return abort(if create {
                    Abort::Conflict(format!("data clip {} already exists", clip.id))
                } else {
                    Abort::NotFound(format!("data clip {} not found", clip.id))
                });
            }
            if plan.previous.is_some_and(|p| stored.as_ref() != Some(p)) {
                return abort(Abort::Conflict(format!(
                    "data clip {} changed while this request was handled; send it again",
                    clip.id
                )));
            }
            if tx
                .get_raw(T::Workbooks, clip.workbook_id.as_str().as_bytes())?
                .is_none()
            {
                return abort(Abort::NotFound(format!(
                    "workbook {} not found",
                    clip.workbook_id
                )));
            }
            tx.put(T::DataClips, key, clip)?;
            tx.put_raw(
                T::SpaceClips,
                &pair(clip.space_id.as_str(), clip.id.as_str()),
                &[],
            )?;
            let Some(guests) = plan.guests else {
                return Ok(());
            };
            for gone in current.iter().filter(|g| !guests.contains(g)) {
                tx.remove_clip_guest(&clip.id, gone)?;
            }
            for guest in guests.iter().filter(|g| !current.contains(g)) {
                match tx.get::<super::Guest>(T::Guests, guest.as_str().as_bytes())? {
                    Some(g) if g.environment_id == clip.environment_id => {}
                    _ => return abort(Abort::NotFound(format!("guest {guest} not found"))),
                }
                tx.put_clip_guest(&ClipMembership {
                    guest_id: guest.clone(),
                    clip_id: clip.id.clone(),
                    added_at: now,
                })?;
            }
            Ok(())
        })
        .await
    }

    /// Deletes a clip and its memberships.
    pub async fn delete_data_clip(&self, id: &DataClipId, event: &Event) -> Result<(), StoreError> {
        let _guard = self.structure_lock().await;
        let guests = self.pair_seconds(T::ClipGuests, id.as_str())?;
        self.write_locked(_guard, std::slice::from_ref(event), |tx| {
            if !tx.remove_clip(id.as_str(), &guests)? {
                return abort(Abort::NotFound(format!("data clip {id} not found")));
            }
            Ok(())
        })
        .await
    }

    /// Adds a guest of the clip's environment to a clip, refusing one past `max_guests`;
    /// false when it already was one.
    pub async fn add_data_clip_guest(
        &self,
        clip: &DataClip,
        guest: &GuestId,
        max_guests: usize,
        event: &Event,
    ) -> Result<bool, StoreError> {
        let _guard = self.structure_lock().await;
        let key = pair(clip.id.as_str(), guest.as_str());
        if self.tree(T::ClipGuests).contains_key(&key)? {
            return Ok(false);
        }
        let prefix = pair_prefix(clip.id.as_str());
        if self.count_prefix(T::ClipGuests, &prefix, max_guests) >= max_guests {
            return Err(StoreError::Limit(format!(
                "a data clip has at most {max_guests} guests (limits.guests_per_data_clip)"
            )));
        }
        self.write_locked(_guard, std::slice::from_ref(event), |tx| {
            if tx
                .get_raw(T::DataClips, clip.id.as_str().as_bytes())?
                .is_none()
            {
                return abort(Abort::NotFound(format!("data clip {} not found", clip.id)));
            }
            match tx.get::<super::Guest>(T::Guests, guest.as_str().as_bytes())? {
                Some(g) if g.environment_id == clip.environment_id => {}
                _ => return abort(Abort::NotFound(format!("guest {guest} not found"))),
            }
            tx.put_clip_guest(&ClipMembership {
                guest_id: guest.clone(),
                clip_id: clip.id.clone(),
                added_at: event.created_at,
            })?;
            Ok(true)
        })
        .await
    }

    /// Removes a guest from a clip.
    pub async fn remove_data_clip_guest(
        &self,
        clip: &DataClipId,
        guest: &GuestId,
        event: &Event,
    ) -> Result<(), StoreError> {
        self.write(std::slice::from_ref(event), |tx| {
            if tx
                .get_raw(T::ClipGuests, &pair(clip.as_str(), guest.as_str()))?
                .is_none()
            {
                return abort(Abort::NotFound(format!(
                    "guest {guest} is not a guest of data clip {clip}"
                )));
            }
            tx.remove_clip_guest(clip, guest)
        })
        .await
    }

    /// Adds records to a clip inside the transaction (so concurrent additions all land),
    /// refusing a clip past `max_records` ids (clipped and referenced together). Answers the
    /// clip as written.
    pub async fn add_data_clip_records(
        &self,
        clip: &DataClipId,
        records: &[String],
        max_records: usize,
        event: &Event,
    ) -> Result<DataClip, StoreError> {
        let over = std::sync::atomic::AtomicBool::new(false);
        let result = self
            .write(std::slice::from_ref(event), |tx| {
                over.store(false, std::sync::atomic::Ordering::Relaxed);
                let key = clip.as_str().as_bytes();
                let Some(mut c) = tx.get::<DataClip>(T::DataClips, key)? else {
                    return abort(Abort::NotFound(format!("data clip {clip} not found")));
                };
                c.record_ids.extend(records.iter().cloned());
                c.record_ids.sort();
                c.record_ids.dedup();
                if c.id_count() > max_records {
                    over.store(true, std::sync::atomic::Ordering::Relaxed);
                    return abort(Abort::Conflict(String::new()));
                }
                c.updated_at = event.created_at;
                tx.put(T::DataClips, key, &c)?;
                Ok(c)
            })
            .await;
        match result {
            Err(StoreError::Conflict(_)) if over.load(std::sync::atomic::Ordering::Relaxed) => {
                Err(StoreError::Limit(format!(
                    "a data clip names at most {max_records} records, clipped and referenced together (limits.records_per_data_clip)"
                )))
            }
            other => other,
        }
    }

    /// Every clip of a space with its guests, for the space's (or a workbook's) removal.
    pub(super) fn clip_plans_of_space(
        &self,
        space: &SpaceId,
        only_workbook: Option<&WorkbookId>,
    ) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let mut out = Vec::new();
        for clip in self.data_clips_of_space(space)? {
            if only_workbook.is_none_or(|w| *w == clip.workbook_id) {
                let guests = self.pair_seconds(T::ClipGuests, clip.id.as_str())?;
                out.push((clip.id.to_string(), guests));
            }
        }
        Ok(out)
    }

    /// The clips a guest belongs to, for the guest's removal.
    pub(super) fn clip_ids_of_guest(&self, guest: &GuestId) -> Result<Vec<String>, StoreError> {
        self.pair_seconds(T::GuestClips, guest.as_str())
    }
}

impl Tx<'_> {
    fn put_clip_guest(&self, m: &ClipMembership) -> TxResult<()> {
        self.put(
            T::GuestClips,
            &pair(m.guest_id.as_str(), m.clip_id.as_str()),
            m,
        )?;
        self.put_raw(
            T::ClipGuests,
            &pair(m.clip_id.as_str(), m.guest_id.as_str()),
            &[],
        )
    }

    fn remove_clip_guest(&self, clip: &DataClipId, guest: &GuestId) -> TxResult<()> {
        self.remove(T::GuestClips, &pair(guest.as_str(), clip.as_str()))?;
        self.remove(T::ClipGuests, &pair(clip.as_str(), guest.as_str()))?;
        Ok(())
    }

    /// Removes a clip, its space index entry and its memberships; false when it did not exist.
    pub(super) fn remove_clip(&self, id: &str, guests: &[String]) -> TxResult<bool> {
        let Some(clip) = self.get::<DataClip>(T::DataClips, id.as_bytes())? else {
            return Ok(false);
        };
        self.remove(T::DataClips, id.as_bytes())?;
        self.remove(T::SpaceClips, &pair(clip.space_id.as_str(), id))?;
        for guest in guests {
            self.remove(T::GuestClips, &pair(guest, id))?;
            self.remove(T::ClipGuests, &pair(id, guest))?;
        }
        Ok(true)
    }

    /// Removes a guest from every clip in `clips`.
    pub(super) fn remove_guest_from_clips(&self, guest: &str, clips: &[String]) -> TxResult<()> {
        for clip in clips {
            self.remove(T::GuestClips, &pair(guest, clip))?;
            self.remove(T::ClipGuests, &pair(clip, guest))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;

    #[test]
    fn clip_records_round_trip() {
        let c = DataClip::sample();
        assert_eq!(DataClip::decode(&c.encode()).unwrap(), c);
        let m = ClipMembership {
            guest_id: GuestId::generate(),
            clip_id: c.id.clone(),
            added_at: c.created_at,
        };
        assert_eq!(ClipMembership::decode(&m.encode()).unwrap(), m);
    }

    #[test]
    fn the_consistency_check_finds_a_clip_or_membership_missing_an_index_entry() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let c = DataClip::sample();
        let clips = store.tree(T::DataClips);
        clips.insert(c.id.as_str(), c.encode()).unwrap();
        let err = store.check_consistency().unwrap_err().to_string();
        assert!(err.contains("space_clips"), "{err}");
        let space_key = pair(c.space_id.as_str(), c.id.as_str());
        store.tree(T::SpaceClips).insert(space_key, &[]).unwrap();
        store.check_consistency().unwrap();
        let guest = GuestId::generate();
        let member = pair(c.id.as_str(), guest.as_str());
        store.tree(T::ClipGuests).insert(member, &[]).unwrap();
        let err = store.check_consistency().unwrap_err().to_string();
        assert!(err.contains("guest_clips"), "{err}");
    }
}
