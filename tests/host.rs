//! The real binary on its host: the modes of the files it writes, what it says when the store
//! cannot be served, and the `latchkey admin` recovery commands.

mod common;

use common::{binary, start_with};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// The binary started through a shell with a permissive umask, as a careless service file would.
fn with_umask_022(dir: &Path) -> Command {
    let mut cmd = common::command(Path::new("sh"), dir);
    cmd.args(["-c", "umask 022 && exec \"$0\" \"$@\""])
        .arg(binary());
    cmd
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn modes_under(dir: &Path, out: &mut Vec<(String, u32)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        out.push((path.display().to_string(), mode(&path)));
        if path.is_dir() {
            modes_under(&path, out);
        }
    }
}

#[test]
fn the_store_and_key_are_private_whatever_the_umask_and_a_wide_directory_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut server = start_with(with_umask_022(dir.path()));
    let api = common::Client::new(&server.url);
    actix_web::rt::System::new().block_on(async {
        api.admin_token().await;
    });
    server.terminate();
    let logs = server.logs.lock().unwrap().clone();
    assert!(
        logs.contains("had mode 0755") && logs.contains("set it to 0700"),
        "a directory open to others is named at startup: {logs}"
    );
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&dir.path().join("latchkey.key")), 0o600);
    let mut entries = Vec::new();
    modes_under(&data, &mut entries);
    assert!(entries.len() >= 3, "{entries:?}");
    for (path, m) in entries {
        let wanted = if Path::new(&path).is_dir() {
            0o700
        } else {
            0o600
        };
        assert_eq!(m, wanted, "{path} has mode {m:04o}");
    }
}
