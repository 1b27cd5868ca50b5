//! Environment guides: onboarding documents with their latest versions.

use super::{AccountId, EnvironmentId, GuideId, Timestamp};
use serde::{Deserialize, Serialize};

/// A guide. Its blocks and metadata are JSON text, bounded by the handler before they get here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guide {
    /// `us_gu_…`.
    pub id: GuideId,
    /// Account.
    pub account_id: AccountId,
    /// The environment it belongs to.
    pub environment_id: EnvironmentId,
    /// Unique within the environment.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Description, if any.
    pub description: Option<String>,
    /// Metadata as JSON text, if any.
    pub metadata: Option<String>,
    /// The blocks, as the JSON text of an array.
    pub blocks: String,
    /// The latest versions, oldest first (at most `limits.guide_versions`).
    pub versions: Vec<GuideVersion>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// One version of a guide's content: the blocks as they were.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuideVersion {
    /// 1 for the first, counting up.
    pub version: u32,
    /// The blocks at this version, as JSON text.
    pub content: String,
    /// When it was made.
    pub created_at: Timestamp,
}

impl Guide {
    /// Records `blocks` as the next version when they differ from the latest, keeping at most
    /// `keep` versions (the oldest are dropped).
    pub fn add_version(&mut self, blocks: String, at: Timestamp, keep: usize) {
        if self.versions.last().is_some_and(|v| v.content == blocks) {
            return;
        }
        let version = self
            .versions
            .last()
            .map_or(1, |v| v.version.saturating_add(1));
        self.versions.push(GuideVersion {
            version,
            content: blocks.clone(),
            created_at: at,
        });
        let excess = self.versions.len().saturating_sub(keep.max(1));
        self.versions.drain(..excess);
        self.blocks = blocks;
    }
}

#[cfg(test)]
impl Guide {
    /// A guide with no versions yet, for tests.
    pub(crate) fn sample() -> Guide {
        Self {
            id: GuideId::generate(),
            account_id: AccountId::generate(),
            environment_id: EnvironmentId::generate(),
            slug: "getting-started".into(),
            title: "Getting started".into(),
            description: Some("d".into()),
            metadata: Some(r#"{"a":1}"#.into()),
            blocks: "[]".into(),
            versions: Vec::new(),
            created_at: Timestamp(1),
            updated_at: Timestamp(2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_count_up_skip_unchanged_blocks_and_keep_the_latest() {
        let mut g = Guide::sample();
        for n in 0..5 {
            g.add_version(format!("[{n}]"), Timestamp(n), 3);
            g.add_version(format!("[{n}]"), Timestamp(n), 3);
        }
        let numbers: Vec<u32> = g.versions.iter().map(|v| v.version).collect();
        assert_eq!(numbers, [3, 4, 5]);
        assert_eq!(g.blocks, "[4]");
    }
}
