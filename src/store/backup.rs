//! Consistent snapshots of every tree, and rebuilding a data directory from one.
//!
//! File layout: `LATCHKEY-BACKUP\n` (16 bytes) ‖ format version (u32 BE) ‖
//! bincode(Vec<(tree name, Vec<(key, value)>)>) ‖ SHA-256 of everything before it (32 bytes).

use super::{Store, StoreError, FORMAT_VERSION, TREES};
use std::path::Path;
use std::time::{Duration, Instant};

const MAGIC: &[u8; 16] = b"LATCHKEY-BACKUP\n";

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
        "the backup has format version {found}; this binary restores version {FORMAT_VERSION} only"
    )]
    Version { found: u32 },
    /// Truncated or altered.
    #[error("the backup is damaged (its checksum does not match)")]
    Damaged,
    /// The target already holds data.
    #[error("{0} is not empty; restore into a new directory")]
    NotEmpty(String),
    /// Reading or writing failed.
    #[error("{0}")]
    Io(String),
}

impl Store {
    /// Copies every tree while writes are held off (they wait on the gate; reads continue).
    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
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
        bytes.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
        bincode::serialize_into(&mut bytes, &trees)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
        bytes.extend_from_slice(digest.as_ref());
        Ok(Snapshot {
            bytes,
            pause,
            records,
        })
    }

    /// Rebuilds an empty (or missing) data directory from backup bytes; returns records written.
    pub fn restore(bytes: &[u8], dir: &Path, source: &str) -> Result<usize, RestoreError> {
        if bytes.len() < MAGIC.len() + 4 + 32 || &bytes[..MAGIC.len()] != MAGIC {
            return Err(RestoreError::NotABackup(source.to_owned()));
        }
        let version = u32::from_be_bytes(
            bytes[16..20]
                .try_into()
                .map_err(|_| RestoreError::Damaged)?,
        );
        if version != FORMAT_VERSION {
            return Err(RestoreError::Version { found: version });
        }
        let (body, sum) = bytes.split_at(bytes.len() - 32);
        if ring::digest::digest(&ring::digest::SHA256, body).as_ref() != sum {
            return Err(RestoreError::Damaged);
        }
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
