//! File permissions of the data directory: the directory and every directory under it 0700,
//! every file 0600, whatever the process umask (sled creates its files with the umask's mode).

use std::fs;
use std::io;
use std::path::Path;

/// Mode bits that let anyone but the owner in.
const OTHERS: u32 = 0o077;

/// Creates `dir` (0700) if missing. An existing directory open to other users is tightened to
/// 0700, with a warning naming its old mode.
pub fn prepare_dir(dir: &Path) -> io::Result<()> {
    if !dir.exists() {
        fs::create_dir_all(dir)?;
        return set_mode(dir, 0o700);
    }
    let mode = mode_of(dir)?;
    if mode & OTHERS != 0 {
        log::warn!(
            "the data directory {} had mode {mode:04o}, readable by other local users; set it to 0700",
            dir.display()
        );
        set_mode(dir, 0o700)?;
    }
    Ok(())
}

/// Sets every directory under `dir` (itself included) to 0700 and every file to 0600; symbolic
/// links are left alone. Returns how many entries were changed.
pub fn tighten(dir: &Path) -> io::Result<usize> {
    let mut changed = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        let meta = fs::symlink_metadata(&path)?;
        let wanted = if meta.is_dir() {
            for entry in fs::read_dir(&path)? {
                pending.push(entry?.path());
            }
            0o700
        } else if meta.is_file() {
            0o600
        } else {
            continue;
        };
        if permission_bits(&meta) != wanted {
            set_mode(&path, wanted)?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Warns when `file` (a key file) can be read by other local users.
pub fn warn_if_readable_by_others(file: &Path, what: &str) {
    if let Ok(mode) = mode_of(file) {
        if mode & OTHERS != 0 {
            log::warn!(
                "{what} {} has mode {mode:04o}, readable by other local users; run chmod 600 on it",
                file.display()
            );
        }
    }
}

#[cfg(unix)]
fn permission_bits(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn permission_bits(_: &fs::Metadata) -> u32 {
    0
}

fn mode_of(path: &Path) -> io::Result<u32> {
    Ok(permission_bits(&fs::metadata(path)?))
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn tighten_makes_directories_0700_and_files_0600() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("data");
        fs::create_dir_all(root.join("blobs")).unwrap();
        fs::write(root.join("db"), b"x").unwrap();
        set_mode(&root, 0o755).unwrap();
        set_mode(&root.join("db"), 0o644).unwrap();
        prepare_dir(&root).unwrap();
        assert_eq!(mode_of(&root).unwrap(), 0o700);
        assert!(tighten(&root).unwrap() >= 2);
        assert_eq!(mode_of(&root.join("db")).unwrap(), 0o600);
        assert_eq!(mode_of(&root.join("blobs")).unwrap(), 0o700);
        assert_eq!(tighten(&root).unwrap(), 0, "a second pass changes nothing");
    }
}
