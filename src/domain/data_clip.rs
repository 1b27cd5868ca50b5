//! Data clips: selected records of one sheet, shared with chosen guests, and the grant a clip
//! gives its guests.

use super::{AccountId, DataClipId, EnvironmentId, GuestId, SpaceId, Timestamp, WorkbookId};
use serde::{Deserialize, Serialize};

/// Records of another sheet of the same workbook that a clip's reference fields point to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClipReference {
    /// The referenced sheet.
    pub sheet_id: String,
    /// The referenced records, sorted and without repeats.
    pub record_ids: Vec<String>,
}

/// The conflict resolutions of one clip record, kept as given (JSON text of a list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClipResolution {
    /// The record.
    pub record_id: String,
    /// `Resolve[]`, as JSON text.
    pub resolves: String,
}

/// A data clip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataClip {
    /// `us_clip_…`.
    pub id: DataClipId,
    /// Account.
    pub account_id: AccountId,
    /// Environment.
    pub environment_id: EnvironmentId,
    /// Space of the workbook.
    pub space_id: SpaceId,
    /// The workbook the sheet belongs to.
    pub workbook_id: WorkbookId,
    /// The clipped sheet.
    pub source_sheet_id: String,
    /// The id the clip's own sheet goes by (`us_sh_…`, made by Latchkey).
    pub clip_sheet_id: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// For example `open` or `merged`, as given.
    pub status: String,
    /// `public` or `restricted`.
    pub shared_link_access: String,
    /// Who created it (a user or key id).
    pub created_by: String,
    /// The selected records of the source sheet, sorted and without repeats.
    pub record_ids: Vec<String>,
    /// The records of other sheets the clipped records point to (read-only for guests).
    pub references: Vec<ClipReference>,
    /// Conflict resolutions, one entry per record that has any.
    pub resolutions: Vec<ClipResolution>,
    /// When the status became `merged`.
    pub merged_at: Option<Timestamp>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl DataClip {
    /// How many record ids the clip names, clipped and referenced together.
    pub fn id_count(&self) -> usize {
        self.record_ids.len()
            + self
                .references
                .iter()
                .map(|r| r.record_ids.len())
                .sum::<usize>()
    }
}

/// A guest's membership of a clip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClipMembership {
    /// The guest.
    pub guest_id: GuestId,
    /// The clip.
    pub clip_id: DataClipId,
    /// Added.
    pub added_at: Timestamp,
}

/// What a clip gives its guest on a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordAccess {
    /// A referenced record: read only.
    Read,
    /// A clipped record: read and write.
    Write,
}

/// A guest's grant through one clip, as the policy sees it: the clip and every record it
/// reaches. Read from the store on each request, like `Grant`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipGrant {
    /// The clip.
    pub clip_id: DataClipId,
    /// Its space.
    pub space_id: SpaceId,
    /// Its workbook.
    pub workbook_id: WorkbookId,
    /// The clipped sheet.
    pub sheet_id: String,
    /// The clip's own sheet id.
    pub clip_sheet_id: String,
    /// Clipped records, sorted.
    pub record_ids: Vec<String>,
    /// Referenced records, each list sorted.
    pub references: Vec<ClipReference>,
}

impl ClipGrant {
    /// What the grant gives on `record` of `sheet`: write on the clipped records (under the
    /// source or the clip sheet id), read on the referenced ones, nothing elsewhere.
    pub fn covers(&self, sheet: &str, record: &str) -> Option<RecordAccess> {
        let clipped = sheet == self.sheet_id || sheet == self.clip_sheet_id;
        if clipped
            && self
                .record_ids
                .binary_search_by(|r| r.as_str().cmp(record))
                .is_ok()
        {
            return Some(RecordAccess::Write);
        }
        self.references
            .iter()
            .filter(|r| r.sheet_id == sheet)
            .any(|r| {
                r.record_ids
                    .binary_search_by(|x| x.as_str().cmp(record))
                    .is_ok()
            })
            .then_some(RecordAccess::Read)
    }
}

impl From<&DataClip> for ClipGrant {
    fn from(c: &DataClip) -> Self {
        Self {
            clip_id: c.id.clone(),
            space_id: c.space_id.clone(),
            workbook_id: c.workbook_id.clone(),
            sheet_id: c.source_sheet_id.clone(),
            clip_sheet_id: c.clip_sheet_id.clone(),
            record_ids: c.record_ids.clone(),
            references: c.references.clone(),
        }
    }
}

#[cfg(test)]
impl DataClip {
    /// A clip with two records and one reference, for tests.
    pub(crate) fn sample() -> DataClip {
        let now = Timestamp::from_unix_seconds(1_700_000_000);
        Self {
            id: DataClipId::generate(),
            account_id: AccountId::generate(),
            environment_id: EnvironmentId::generate(),
            space_id: SpaceId::generate(),
            workbook_id: WorkbookId::generate(),
            source_sheet_id: "us_sh_src".into(),
            clip_sheet_id: "us_sh_clip".into(),
            name: "c".into(),
            description: Some("d".into()),
            status: "open".into(),
            shared_link_access: "restricted".into(),
            created_by: "us_usr_x".into(),
            record_ids: vec!["us_rc_a".into(), "us_rc_b".into()],
            references: vec![ClipReference {
                sheet_id: "us_sh_ref".into(),
                record_ids: vec!["us_rc_r".into()],
            }],
            resolutions: vec![ClipResolution {
                record_id: "us_rc_a".into(),
                resolves: "[]".into(),
            }],
            merged_at: None,
            created_at: now,
            updated_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clip_grant_writes_its_records_and_reads_only_its_references() {
        let g = ClipGrant::from(&DataClip::sample());
        assert_eq!(g.covers("us_sh_src", "us_rc_a"), Some(RecordAccess::Write));
        assert_eq!(g.covers("us_sh_clip", "us_rc_b"), Some(RecordAccess::Write));
        assert_eq!(g.covers("us_sh_ref", "us_rc_r"), Some(RecordAccess::Read));
        assert_eq!(g.covers("us_sh_src", "us_rc_c"), None);
        assert_eq!(g.covers("us_sh_ref", "us_rc_a"), None);
        assert_eq!(g.covers("us_sh_other", "us_rc_r"), None);
    }
}
