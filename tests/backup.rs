//! `latchkey backup` against a running server that keeps taking writes, and `latchkey restore`
//! into a new directory: the restored server answers exactly as the original did.

mod common;

use common::{binary, s, start, Client};
use serde_json::json;
use std::path::Path;
use std::process::{Command, Output};

/// `latchkey backup --out OUT --url URL` with `token`, run off the async runtime.
async fn backup(url: &str, token: &str, out: &Path) -> Output {
    let (url, token, out) = (url.to_owned(), token.to_owned(), out.to_owned());
    actix_web::rt::task::spawn_blocking(move || {
        Command::new(binary())
            .args(["backup", "--out"])
            .arg(&out)
            .args(["--url", &url])
            .env("LATCHKEY_TOKEN", token)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// `latchkey restore FILE --data DATA --key KEY`.
fn restore_into(file: &Path, data: &Path, key: &Path) -> Output {
    Command::new(binary())
        .arg("restore")
        .arg(file)
        .arg("--data")
        .arg(data)
        .arg("--key")
        .arg(key)
        .output()
        .unwrap()
}

#[actix_web::test]
async fn a_backup_of_a_busy_server_restores_to_the_same_answers() {
    let original = tempfile::tempdir().unwrap();
    let server = start(original.path());
    let api = Client::new(&server.url);
    let admin = api.admin_token().await;
    let env = s(&api
        .ok(
            "POST",
            "/v1/environments",
            Some(&admin),
            Some(json!({ "name": "kept", "isProd": false })),
        )
        .await["data"]["id"]);
    let secret = api.key(&admin, &env, "SECRET").await;
    let publishable = api.key(&admin, &env, "PUBLISHABLE").await;
    let (sk, pk_id, pk) = (
        s(&secret["rawKey"]),
        s(&publishable["id"]),
        s(&publishable["rawKey"]),
    );
    api.ok(
        "DELETE",
        &format!("/v1/auth/api-key?environmentId={env}&key={pk_id}"),
        Some(&admin),
        None,
    )
    .await;
    let pat = s(&api
        .ok(
            "POST",
            "/v1/auth/personal-access-tokens",
            Some(&admin),
            Some(json!({ "name": "backup" })),
        )
        .await["data"]["token"]);
    api.ok(
        "POST",
        "/v1/secrets",
        Some(&sk),
        Some(json!({ "name": "HOOK", "value": "hook-value" })),
    )
    .await;

    let writer = {
        let url = server.url.clone();
        let sk = sk.clone();
        actix_web::rt::spawn(async move {
            let api = Client::new(&url);
            for i in 0..200 {
                let _ = api
                    .call(
                        "POST",
                        "/v1/secrets",
                        Some(&sk),
                        Some(json!({ "name": format!("BUSY{i}"), "value": "v" })),
                    )
                    .await;
            }
        })
    };
    let file = original.path().join("latchkey.backup");
    let output = backup(&server.url, &pat, &file).await;
    assert!(
        output.status.success(),
        "backup failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    writer.await.unwrap();
    let events_at_backup = api
        .ok(
            "GET",
            "/v1/events?includeAcknowledged=true&pageSize=100&topic=secret:created",
            Some(&admin),
            None,
        )
        .await;
    let original_export = api.export(&admin).await;

    let target = tempfile::tempdir().unwrap();
    let restore = restore_into(
        &file,
        &target.path().join("data"),
        &original.path().join("latchkey.key"),
    );
    assert!(
        restore.status.success(),
        "restore failed: {}",
        String::from_utf8_lossy(&restore.stderr)
    );
    std::fs::copy(
        original.path().join("latchkey.key"),
        target.path().join("latchkey.key"),
    )
    .unwrap();
    let restored = start(target.path());
    let again = Client::new(&restored.url);
    assert_eq!(
        again
            .call("GET", "/v1/environments/current", Some(&sk), None)
            .await
            .unwrap()
            .0,
        200,
        "the same keys are valid"
    );
    let (status, body) = again
        .call("GET", "/v1/environments/current", Some(&pk), None)
        .await
        .unwrap();
    assert_eq!(
        (status, s(&body["errors"][0]["key"])),
        (401, "revoked".to_owned()),
        "the same revoked keys are refused"
    );
    assert_eq!(
        again
            .call("GET", "/v1/environments", Some(&pat), None)
            .await
            .unwrap()
            .0,
        200
    );
    assert_eq!(
        again
            .call("GET", "/v1/environments", Some(&admin), None)
            .await
            .unwrap()
            .0,
        200,
        "tokens verify: same signing key"
    );
    let secrets = again.ok("GET", "/v1/secrets", Some(&sk), None).await;
    assert!(secrets["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "HOOK" && s["value"] == "hook-value"));
    let restored_export = again.export(&admin).await;
    let restored_lines: Vec<&str> = restored_export.lines().collect();
    let original_lines: Vec<&str> = original_export.lines().collect();
    assert!(
        restored_lines.len() >= 6,
        "the six events before the busy writer are in the backup: {restored_export}"
    );
    assert_eq!(
        restored_lines,
        original_lines[..restored_lines.len()],
        "the restored log is the original's, up to the backup"
    );
    let busy = secrets["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"].as_str().unwrap().starts_with("BUSY"))
        .count();
    let events = restored_lines
        .iter()
        .filter(|l| l.contains("secret:created") && l.contains("BUSY"))
        .count();
    assert_eq!(
        busy, events,
        "every secret in the backup has its audit event, and no event lacks its secret"
    );
    assert!(events_at_backup["data"].as_array().unwrap().len() >= busy);
}

#[actix_web::test]
async fn restore_refuses_edits_other_master_keys_old_formats_and_non_empty_directories() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let api = Client::new(&server.url);
    let admin = api.admin_token().await;
    let file = dir.path().join("b.backup");
    let output = backup(&server.url, &admin, &file).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600,
        "a backup is readable by its owner only"
    );
    let good = std::fs::read(&file).unwrap();
    let key_file = dir.path().join("latchkey.key");
    let restore_with = |bytes: &[u8], target: &std::path::Path, key: &std::path::Path| {
        let f = dir.path().join("candidate.backup");
        std::fs::write(&f, bytes).unwrap();
        let out = restore_into(&f, target, key);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let restore = |bytes: &[u8], target: &std::path::Path| restore_with(bytes, target, &key_file);
    let mut other_version = good.clone();
    other_version[19] = 99;
    let (ok, err) = restore(&other_version, &dir.path().join("v"));
    assert!(
        !ok && err.contains("format version 99") && err.contains("restores version 2"),
        "{err}"
    );
    let mut damaged = good.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0xff;
    let (ok, err) = restore(&damaged, &dir.path().join("d"));
    assert!(
        !ok && err.contains("altered") && err.contains("another master key"),
        "{err}"
    );
    assert!(!dir.path().join("d").exists(), "nothing is written");
    let (ok, err) = restore(b"hello", &dir.path().join("h"));
    assert!(!ok && err.contains("not a Latchkey backup"), "{err}");
    let (ok, err) = restore(&good, &dir.path().join("data"));
    assert!(!ok && err.contains("not empty"), "{err}");
    // The review's attack: edit the records and recompute the trailing SHA-256, which
    // anyone can; the tag is keyed now, so the edit is refused all the same.
    let resum = |mut bytes: Vec<u8>| {
        let body = bytes.len() - 32;
        let sum = ring::digest::digest(&ring::digest::SHA256, &bytes[..body]);
        bytes[body..].copy_from_slice(sum.as_ref());
        bytes
    };
    let mut edited = good.clone();
    edited[middle] ^= 0x01;
    let (ok, err) = restore(&resum(edited), &dir.path().join("e"));
    assert!(!ok && err.contains("altered"), "{err}");
    let mut old_format = good.clone();
    old_format[19] = 1;
    let (ok, err) = restore(&resum(old_format), &dir.path().join("o"));
    assert!(
        !ok && err.contains("format version 1") && err.contains("Take a new backup"),
        "an unauthenticated old-format backup is refused: {err}"
    );
    let other_key = dir.path().join("other.key");
    std::fs::write(&other_key, "B3yj7lmVqkC8k7J0M1p8mR2zyb7wW6m9qk2C0b7xg7E=\n").unwrap();
    let (ok, err) = restore_with(&good, &dir.path().join("k"), &other_key);
    assert!(
        !ok && err.contains("altered") && err.contains("another master key"),
        "another master key is refused the same way: {err}"
    );
    let (ok, err) = restore(&good, &dir.path().join("fresh"));
    assert!(ok, "{err}");
    let output = Command::new(binary())
        .args(["backup", "--out", "/tmp/x.backup", "--url", &server.url])
        .env("LATCHKEY_TOKEN", "sk_wrong")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("401"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
