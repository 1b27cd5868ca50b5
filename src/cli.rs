//! The `backup`, `restore` and `env` subcommands' work.

use crate::config::Config;
use crate::dotenv::{ClientEnv, ShownKey};
use crate::store::Store;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

/// Fetches `GET {url}/v1/latchkey/backup` with an Administrator's token and writes it to `out`.
/// Speaks plain HTTP/1.1 (Latchkey listens on plain HTTP; put TLS in front of it).
pub fn backup(url: &str, token: &str, out: &Path) -> Result<usize, String> {
    let body = get(url, token, "/v1/latchkey/backup", Duration::from_secs(300))?;
    let tmp = out.with_extension("partial");
    write_private(&tmp, &body).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, out).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    Ok(body.len())
}

/// `GET {url}{path}` with `token` as Bearer: the body of a 200, else the server's answer as
/// the error.
fn get(url: &str, token: &str, path: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("--url must start with http:// (got {url})"))?;
    let (host, base) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
    let mut stream =
        TcpStream::connect(host).map_err(|e| format!("cannot connect to {host}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let path = format!("/{}{path}", base.trim_matches('/')).replace("//", "/");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| format!("reading the answer failed: {e}"))?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("the server's answer is not HTTP")?;
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let body = response[split + 4..].to_vec();
    let status = head.split_whitespace().nth(1).unwrap_or("?");
    if status != "200" {
        return Err(format!(
            "the server answered {status}: {}",
            String::from_utf8_lossy(&body)
        ));
    }
    let declared = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_owned())
        })
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n != body.len()) {
        return Err("the answer was cut short; try again".into());
    }
    Ok(body)
}

/// `GET {url}{path}` as JSON.
fn get_json(url: &str, token: &str, path: &str) -> Result<serde_json::Value, String> {
    let body = get(url, token, path, Duration::from_secs(30))?;
    serde_json::from_slice(&body).map_err(|e| format!("{path} answered no JSON: {e}"))
}

/// `latchkey env` through a running server: the environment named (or with the id)
/// `selector`, and its newest active keys as an Administrator sees them (raw).
pub fn client_env_remote(url: &str, token: &str, selector: &str) -> Result<ClientEnv, String> {
    let mut found = None;
    for page in 1.. {
        let path = format!("/v1/environments?pageSize=100&pageNumber={page}");
        let listing = get_json(url, token, &path)?;
        let envs = listing["data"].as_array().cloned().unwrap_or_default();
        found = envs
            .iter()
            .find(|e| e["id"] == selector || e["name"] == selector)
            .cloned();
        if found.is_some() || envs.len() < 100 {
            break;
        }
    }
    let env = found.ok_or_else(|| format!("no environment named '{selector}' on {url}"))?;
    let id = env["id"].as_str().unwrap_or_default().to_owned();
    let keys = get_json(url, token, &format!("/v1/auth/api-keys?environmentId={id}"))?;
    let newest = |kind: &str| {
        let key = keys["data"]
            .as_array()?
            .iter()
            .filter(|k| k["type"] == kind && k["state"] == "active")
            .max_by_key(|k| k["createdAt"].as_str().unwrap_or_default().to_owned())?;
        Some(match key["rawKey"].as_str() {
            Some(raw) => ShownKey::Raw(raw.to_owned()),
            None => ShownKey::Id(key["id"].as_str().unwrap_or_default().to_owned()),
        })
    };
    Ok(ClientEnv {
        api_url: url.trim_end_matches('/').to_owned(),
        environment_id: id,
        environment_name: env["name"].as_str().unwrap_or_default().to_owned(),
        secret: newest("SECRET"),
        publishable: newest("PUBLISHABLE"),
    })
}

/// Rebuilds the data directory `data` from the backup file `file`, which must verify under the
/// master key of `config` (its `security.master_key` or `security.master_key_file`).
pub fn restore(file: &Path, data: &Path, config: &Config) -> Result<usize, String> {
    let master = crate::startup::existing_master_key(config).map_err(|e| {
        format!("{e}. restore needs the master key the backup was made under: pass --key FILE")
    })?;
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    Store::restore(
        &bytes,
        data,
        &file.display().to_string(),
        &master.backup_key(),
    )
    .map_err(|e| e.to_string())
}

/// Writes `bytes` to a new file only its owner may read (0600), replacing any file there.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    #[cfg(unix)]
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let _ = std::fs::remove_file(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path)?;
    #[cfg(unix)]
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(bytes)?;
    file.sync_all()
}
