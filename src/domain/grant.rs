//! Grants: a guest's access to one space, whole or to listed workbooks.

use super::{ActorRoleId, GuestId, SpaceId, Timestamp, WorkbookId};
use serde::{Deserialize, Serialize};

/// A guest's access to one space: the whole space, or only the listed workbooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    /// The guest.
    pub guest_id: GuestId,
    /// The space.
    pub space_id: SpaceId,
    /// `None`: every workbook in the space; otherwise only these.
    pub workbooks: Option<Vec<WorkbookId>>,
    /// Sheet ids, kept as given.
    pub sheets: Option<Vec<String>>,
    /// The role-assignment id the guest roles endpoints show (`us_acr_…`).
    pub assignment: ActorRoleId,
    /// Created.
    pub created_at: Timestamp,
}

impl Grant {
    /// True when the grant reaches `workbook`.
    pub fn covers(&self, workbook: &WorkbookId) -> bool {
        self.workbooks
            .as_ref()
            .is_none_or(|list| list.contains(workbook))
    }

    /// This grant widened by `other` (same space): a whole-space grant wins, lists are merged.
    pub fn merged(mut self, other: &Grant) -> Grant {
        self.workbooks = match (self.workbooks, &other.workbooks) {
            (None, _) | (_, None) => None,
            (Some(mut mine), Some(theirs)) => {
                for wb in theirs {
                    if !mine.contains(wb) {
                        mine.push(wb.clone());
                    }
                }
                Some(mine)
            }
        };
        self
    }
}
