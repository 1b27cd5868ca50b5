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

/// Runs the binary in `dir` until it exits (it is expected to refuse to start).
fn refused_start(dir: &Path, extra: &[(&str, &str)]) -> String {
    let mut cmd = common::command(binary(), dir);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn a_store_that_cannot_be_served_is_named_locked_damaged_or_under_another_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = common::start(dir.path());
    let err = refused_start(dir.path(), &[]);
    assert!(
        err.contains("is in use") && err.contains("holds its lock"),
        "a second server on a held directory: {err}"
    );
    server.terminate();

    let other_key = (
        "LATCHKEY_SECURITY__MASTER_KEY",
        "B3yj7lmVqkC8k7J0M1p8mR2zyb7wW6m9qk2C0b7xg7E=",
    );
    let err = refused_start(dir.path(), &[other_key]);
    assert!(
        err.contains("master key does not match this data directory") && !err.contains("in use"),
        "another master key: {err}"
    );

    let db = dir.path().join("data/db");
    let mut bytes = std::fs::read(&db).unwrap();
    for b in &mut bytes[..64] {
        *b ^= 0x5a;
    }
    std::fs::write(&db, &bytes).unwrap();
    let err = refused_start(dir.path(), &[]);
    assert!(
        err.contains("is damaged")
            && err.contains("latchkey restore")
            && !err.contains("another latchkey")
            && !err.contains("in use"),
        "damaged files: {err}"
    );
}

fn admin_command(dir: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    use std::io::Write;
    let mut cmd = common::command(binary(), dir);
    cmd.arg("admin").args(args);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn host_commands_reset_a_password_and_promote_a_user_on_a_stopped_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = common::start(dir.path());
    let api = common::Client::new(&server.url);
    let old_session = actix_web::rt::System::new().block_on(async {
        let admin = api.admin_token().await;
        let account = api
            .ok("GET", "/v1/accounts/current", Some(&admin), None)
            .await;
        let body = serde_json::json!({
            "email": "member@example.com", "name": "A Member",
            "actorRoles": [{ "roleId": "us_rol_member", "resourceId": account["data"]["id"] }],
        });
        api.ok("POST", "/v1/users/invite", Some(&admin), Some(body))
            .await;
        admin
    });
    let (ok, _, err) = admin_command(dir.path(), &["promote", "member@example.com"], None);
    assert!(
        !ok && err.contains("in use by a running latchkey server")
            && err.contains("stop the server first"),
        "refused while the server runs: {err}"
    );
    server.terminate();

    let (ok, out, err) = admin_command(dir.path(), &["reset-password", "admin@example.com"], None);
    assert!(ok, "{err}");
    let password = out
        .split_whitespace()
        .nth(4)
        .unwrap_or_else(|| panic!("{out}"))
        .to_owned();
    assert!(
        out.contains("shown only this once") && password.len() >= 20,
        "{out}"
    );
    let (ok, out, err) = admin_command(dir.path(), &["promote", "member@example.com"], None);
    assert!(
        ok && out.contains("is an Administrator") && out.contains("no password yet"),
        "{out}{err}"
    );
    let (ok, _, err) = admin_command(
        dir.path(),
        &["reset-password", "member@example.com", "--password-stdin"],
        Some("member's new password\n"),
    );
    assert!(ok, "{err}");
    let (ok, _, err) = admin_command(dir.path(), &["promote", "nobody@example.com"], None);
    assert!(
        !ok && err.contains("no user has the email nobody@example.com"),
        "{err}"
    );

    let server = common::start(dir.path());
    let api = common::Client::new(&server.url);
    actix_web::rt::System::new().block_on(async {
        let (status, _) = api
            .call("POST", "/v1/auth", None, Some(serde_json::json!({ "email": "admin@example.com", "password": common::PASSWORD })))
            .await
            .unwrap();
        assert_eq!(status, 401, "the old password is dead");
        let (status, _) = api
            .call("GET", "/v1/accounts/current", Some(&old_session), None)
            .await
            .unwrap();
        assert_eq!(status, 401, "the reset ended the login sessions from before it");
        let admin = api
            .ok("POST", "/v1/auth", None, Some(serde_json::json!({ "email": "admin@example.com", "password": password })))
            .await["accessToken"]
            .as_str()
            .unwrap()
            .to_owned();
        let member = api
            .ok("POST", "/v1/auth", None, Some(serde_json::json!({ "email": "member@example.com", "password": "member's new password" })))
            .await["accessToken"]
            .as_str()
            .unwrap()
            .to_owned();
        let who = api.ok("GET", "/v1/latchkey/whoami", Some(&member), None).await;
        assert_eq!(who["data"]["role"], "Administrator", "{who}");
        let events = api
            .ok("GET", "/v1/events?domain=user&pageSize=20", Some(&admin), None)
            .await;
        let by_host: Vec<&str> = events["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["context"]["actorId"] == "host")
            .map(|e| e["topic"].as_str().unwrap())
            .collect();
        assert_eq!(
            by_host,
            ["user:password-reset", "user:role-changed", "user:password-reset"],
            "{events}"
        );
    });
}

/// A small tmpfs, unmounted when dropped; `None` where this process may not mount (not root).
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(at: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(at).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?
            .success();
        ok.then(|| Self(at.to_path_buf()))
    }

    fn fill(&self) {
        use std::io::Write;
        let mut file = std::fs::File::create(self.0.join("filler")).unwrap();
        let block = vec![0u8; 64 << 10];
        while file.write_all(&block).is_ok() {}
        let _ = file.write_all(&block[..512]);
        let _ = file.sync_all();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn on_a_full_disk_writes_get_503_reads_go_on_and_the_server_starts_again() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(&dir.path().join("disk"), "8m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let data = disk.0.join("data").display().to_string();
    // The release build, as deployed (`DISK_FULL_BINARY` names another).
    let release = common::release_binary("DISK_FULL_BINARY");
    let started = || {
        let mut cmd = common::command(&release, dir.path());
        cmd.env("LATCHKEY_STORAGE__DATA_DIR", &data);
        start_with(cmd)
    };
    let mut server = started();
    let api = common::Client::new(&server.url);
    let admin = actix_web::rt::System::new().block_on(api.admin_token());
    disk.fill();
    let begun = std::time::Instant::now();
    actix_web::rt::System::new().block_on(async {
        // The first writes may still fit in the last page the store's log file already holds;
        // within a few, writes are refused, and stay refused.
        let mut refused = 0;
        for i in 0..20 {
            let body = serde_json::json!({ "name": format!("full-{i}"), "isProd": false });
            let (status, answer) = api
                .call("POST", "/v1/environments", Some(&admin), Some(body))
                .await
                .unwrap();
            if status == 200 {
                assert_eq!(refused, 0, "once refused, writes stay refused: {answer}");
                continue;
            }
            assert_eq!(status, 503, "{answer}");
            assert_eq!(
                answer["errors"][0]["key"], "storage-unavailable",
                "{answer}"
            );
            refused += 1;
            if refused == 3 {
                break;
            }
        }
        assert_eq!(refused, 3, "writes on a full disk are refused");
        let (status, _) = api
            .call("GET", "/v1/environments", Some(&admin), None)
            .await
            .unwrap();
        assert_eq!(status, 200, "reads go on");
        // A login starts a session, a write: refused the same way, never a 500 or a hang.
        let login =
            serde_json::json!({ "email": "admin@example.com", "password": common::PASSWORD });
        let (status, answer) = api
            .call("POST", "/v1/auth", None, Some(login))
            .await
            .unwrap();
        assert_eq!(status, 503, "{answer}");
        assert_eq!(answer["errors"][0]["key"], "storage-unavailable");
    });
    assert!(
        begun.elapsed().as_secs() < 10,
        "refusals are prompt: {:?}",
        begun.elapsed()
    );
    server.terminate();
    let server = started();
    let api = common::Client::new(&server.url);
    actix_web::rt::System::new().block_on(async {
        let (status, body) = api
            .call("GET", "/v1/environments", Some(&admin), None)
            .await
            .unwrap();
        assert_eq!(status, 200, "the restarted server serves reads: {body}");
    });
    let logs = server.logs.lock().unwrap().clone();
    assert!(
        logs.contains("disk of") && logs.contains("is full"),
        "{logs}"
    );
}
