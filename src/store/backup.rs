//! Consistent snapshots of every tree, and rebuilding a data directory from one.
//!
//! File layout: `LATCHKEY-BACKUP\n` (16 bytes) ‖ backup format version (u32 BE) ‖
//! bincode(Vec<(tree name, Vec<(key, value)>)>) ‖ HMAC-SHA256 of everything before it (32
//! bytes), keyed by a key derived from the master key (`MasterKey::backup_key`). Any edit, and
//! any other master key, fails the tag. Format 1 (before Latchkey authenticated backups) ended
//! with an unkeyed SHA-256 instead, which anyone can recompute after an edit: it is refused.

use super::{Store, StoreError, TREES};
use ring::hmac;
use std::path::Path;
use std::time::{Duration, Instant};

const MAGIC: &[u8; 16] = b"LATCHKEY-BACKUP\n";
/// The backup format this binary writes and restores (of the data layout `FORMAT_VERSION`).
pub const BACKUP_VERSION: u32 = 2;
/// The unauthenticated format of earlier versions.
const UNAUTHENTICATED_VERSION: u32 = 1;

type Trees = Vec<(String, Vec<(Vec<u8>, Vec<u8>)>)>;

/// A backup file's bytes and how long writes were held off while it was taken.
pub struct Snapshot {
    /// The encoded backup.
    pub bytes: Vec<u8>,
    /// How long writers waited.
    pub pause: Duration,
    /// Records copied.
    pub records: usize,
}

/// Why a backup cannot be restored.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// Not a backup at all.
    #[error("{0} is not a Latchkey backup")]
    NotABackup(String),
    /// Made by another layout version.
    #[error(
        "the backup has format version {found}; this binary restores version {BACKUP_VERSION} only"
    )]
    Version { found: u32 },
    /// Written by an earlier Latchkey, without authentication.
    #[error("the backup has format version 1, written before Latchkey authenticated its backups; it cannot be checked for tampering and is not restored. Take a new backup of the running server with this version")]
    Unauthenticated,
    /// Altered, truncated, or made under another master key.
    #[error("the backup was refused: its authentication tag does not match under this master key, so it was altered or truncated after it was written, or it was made by a server with another master key. Nothing was restored")]
    NotAuthentic,
    /// Authentic but unreadable (written by a faulty build).
    #[error("the backup is damaged: its contents do not decode")]
    Damaged,
    /// The target already holds data.
    #[error("{0} is not empty; restore into a new directory")]
    NotEmpty(String),
    /// Reading or writing failed.
    #[error("{0}")]
    Io(String),
}

impl Store {
    /// Copies every tree while writes are held off (they wait on the gate; reads continue), and
    /// authenticates the copy with `key`.
    pub fn snapshot(&self, key: &hmac::Key) -> Result<Snapshot, StoreError> {
        self.drain_pending_events()?;
        let started = Instant::now();
        let trees: Trees = {
            let _exclusive = self.inner.gate.write().unwrap_or_else(|p| p.into_inner());
            TREES
                .iter()
                .zip(&self.inner.trees)
                .map(|((_, name), tree)| {
                    let records = tree
                        .iter()
                        .map(|item| item.map(|(k, v)| (k.to_vec(), v.to_vec())))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(((*name).to_owned(), records))
                })
                .collect::<Result<_, StoreError>>()?
        };
        let pause = started.elapsed();
        let records = trees.iter().map(|(_, r)| r.len()).sum();
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&BACKUP_VERSION.to_be_bytes());
        bincode::serialize_into(&mut bytes, &trees)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let tag = hmac::sign(key, &bytes);
        bytes.extend_from_slice(tag.as_ref());
        Ok(Snapshot {
            bytes,
            pause,
            records,
        })
    }

    /// Rebuilds an empty (or missing) data directory from backup bytes that verify under `key`;
    /// returns records written.
    pub fn restore(
        bytes: &[u8],
        dir: &Path,
        source: &str,
        key: &hmac::Key,
    ) -> Result<usize, RestoreError> {
        if bytes.len() < MAGIC.len() + 4 + 32 || &bytes[..MAGIC.len()] != MAGIC {
            return Err(RestoreError::NotABackup(source.to_owned()));
        }
        let version = u32::from_be_bytes(
            bytes[16..20]
                .try_into()
                .map_err(|_| RestoreError::Damaged)?,
        );
        match version {
            BACKUP_VERSION => {}
            UNAUTHENTICATED_VERSION => return Err(RestoreError::Unauthenticated),
            found => return Err(RestoreError::Version { found }),
        }
        let (body, tag) = bytes.split_at(bytes.len() - 32);
        hmac::verify(key, body, tag).map_err(|_| RestoreError::NotAuthentic)?;
        let trees: Trees = bincode::deserialize(&body[20..]).map_err(|_| RestoreError::Damaged)?;
        if dir.exists()
            && std::fs::read_dir(dir)
                .map_err(|e| RestoreError::Io(e.to_string()))?
                .next()
                .is_some()
        {
            return Err(RestoreError::NotEmpty(dir.display().to_string()));
        }
        let store = Store::open(dir).map_err(|e| RestoreError::Io(e.to_string()))?;
        let mut written = 0;
        for (name, records) in &trees {
            let Some(i) = TREES.iter().position(|(_, n)| n == name) else {
                return Err(RestoreError::Damaged);
            };
            let tree = &store.inner.trees[i];
            let mut batch = sled::Batch::default();
            for (k, v) in records {
                batch.insert(k.as_slice(), v.as_slice());
            }
            tree.apply_batch(batch)
                .map_err(|e| RestoreError::Io(e.to_string()))?;
            written += records.len();
        }
        store.flush().map_err(|e| RestoreError::Io(e.to_string()))?;
        store
            .check_consistency()
            .map_err(|e| RestoreError::Io(format!("the restored store is inconsistent: {e}")))?;
        Ok(written)
    }
}
