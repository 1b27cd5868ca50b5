//! A reserve file in the data directory: space set aside while the disk has room, given back
//! when the store cannot open on a full disk (sled writes a little while it opens), so that a
//! server on a full disk still starts and serves reads.

use std::io::Write;
use std::path::Path;

/// The reserve's name inside the data directory (sled ignores files it did not make).
const NAME: &str = "latchkey.reserve";
/// How much space it holds.
const BYTES: usize = 4 << 20;

/// Creates the reserve when it is missing and the disk has room; a full disk only warns.
pub fn keep(dir: &Path) {
    let path = dir.join(NAME);
    if path.exists() {
        return;
    }
    let written = std::fs::File::create(&path).and_then(|mut file| {
        let block = vec![0u8; 64 << 10];
        for _ in 0..BYTES / block.len() {
            file.write_all(&block)?;
        }
        file.sync_all()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&path);
        log::warn!(
            "could not set aside {} MiB of disk space in {}: {e}",
            BYTES >> 20,
            dir.display()
        );
    }
}

/// Gives the reserve back; true when there was one.
pub fn release(dir: &Path) -> bool {
    std::fs::remove_file(dir.join(NAME)).is_ok()
}

/// Whether `e` is a full disk.
pub fn is_full(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.kind() == std::io::ErrorKind::StorageFull)
}
