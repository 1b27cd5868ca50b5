//! The real `latchkey` binary: banner, configuration errors, SIGTERM and a second start.

mod common;

use common::{bare_command, binary, start_with, Server};

/// Starts the binary (its first start generates the Administrator's password) and collects its
/// banner (stdout up to the "Next:" line).
fn start(dir: &std::path::Path) -> (Server, Vec<String>) {
    let server = start_with(bare_command(binary(), dir));
    let banner = server.banner();
    (server, banner)
}

fn command(dir: &std::path::Path) -> std::process::Command {
    bare_command(binary(), dir)
}

/// The value of `NAME=value` in the banner's `.env` block.
fn env_value(lines: &[String], name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    lines
        .iter()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(str::to_owned)
}

/// Runs `latchkey env ARGS…` in `dir`: (exit code, stdout lines, stderr).
fn env_command(
    dir: &std::path::Path,
    args: &[&str],
    token: Option<&str>,
) -> (Option<i32>, Vec<String>, String) {
    let mut cmd = command(dir);
    cmd.arg("env").args(args);
    if let Some(token) = token {
        cmd.env("LATCHKEY_TOKEN", token);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    (
        out.status.code(),
        stdout.lines().map(str::to_owned).collect(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `POST {url}/v1/auth` over a plain socket: the access token.
fn login(url: &str, password: &str) -> String {
    use std::io::{Read, Write};
    let host = url.strip_prefix("http://").unwrap();
    let body = format!(r#"{{"email":"admin@example.com","password":"{password}"}}"#);
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "POST /v1/auth HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let json = answer.split("\r\n\r\n").nth(1).unwrap();
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    value["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("login failed: {answer}"))
        .to_owned()
}

#[test]
fn the_binary_prints_a_banner_stops_cleanly_on_sigterm_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, banner) = start(dir.path());
    let text = banner.join("\n");
    assert!(
        text.starts_with("Latchkey is listening on http://127.0.0.1:"),
        "{text}"
    );
    let url = banner[0].rsplit(' ').next().unwrap().to_owned();
    assert!(text.contains("admin@example.com"), "{text}");
    let password = banner
        .iter()
        .find_map(|l| l.trim().strip_prefix("Password:"))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_owned);
    assert!(
        password.is_some(),
        "first start prints the generated password: {text}"
    );
    // The first start prints the development environment's .env block for the official
    // clients, whose FLATFILE_API_URL is the server itself (the clients append /v1).
    assert_eq!(env_value(&banner, "FLATFILE_API_URL"), Some(url.clone()));
    let secret = env_value(&banner, "FLATFILE_API_KEY").expect("dev secret key in banner");
    let publishable =
        env_value(&banner, "FLATFILE_PUBLISHABLE_KEY").expect("dev publishable key in banner");
    let environment = env_value(&banner, "FLATFILE_ENVIRONMENT_ID").expect("dev environment id");
    assert!(secret.starts_with("sk_") && publishable.starts_with("pk_"));
    assert!(environment.starts_with("us_env_"), "{environment}");
    assert!(dir.path().join("latchkey.key").exists() && dir.path().join("data").is_dir());

    let exit = server.terminate();
    assert_eq!(exit, Some(0), "SIGTERM ends the server with exit 0");

    let (mut again, banner) = start(dir.path());
    let text = banner.join("\n");
    assert!(
        !text.contains("Password:"),
        "a second start prints no password: {text}"
    );
    assert!(
        !text.contains(&secret) && !text.contains(&publishable),
        "a second start prints no raw key: {text}"
    );
    assert!(
        text.contains(&environment) && text.contains("us_key_") && text.contains("latchkey env"),
        "a second start names the keys and how to reveal them: {text}"
    );

    // While it runs, the data directory is locked: `latchkey env` says to ask the server, and
    // asking it with an Administrator's token gives the same block.
    let url = banner[0].rsplit(' ').next().unwrap().to_owned();
    let (code, _, err) = env_command(dir.path(), &[], None);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("LATCHKEY_TOKEN"), "{err}");
    let token = login(&url, password.as_deref().unwrap());
    let (code, block, err) = env_command(dir.path(), &["--url", &url], Some(&token));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(env_value(&block, "FLATFILE_API_KEY"), Some(secret.clone()));
    assert_eq!(
        env_value(&block, "FLATFILE_PUBLISHABLE_KEY"),
        Some(publishable.clone())
    );
    assert_eq!(env_value(&block, "FLATFILE_API_URL"), Some(url.clone()));
    again.kill();

    // Stopped: read from the data directory with the master key beside it.
    let (code, block, err) = env_command(dir.path(), &[], None);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(env_value(&block, "FLATFILE_API_KEY"), Some(secret));
    assert_eq!(
        env_value(&block, "FLATFILE_PUBLISHABLE_KEY"),
        Some(publishable)
    );
    assert_eq!(
        env_value(&block, "FLATFILE_ENVIRONMENT_ID"),
        Some(environment.clone())
    );
    let (code, block, err) = env_command(dir.path(), &["production"], None);
    assert_eq!(code, Some(0), "{err}");
    let production = env_value(&block, "FLATFILE_ENVIRONMENT_ID").unwrap();
    assert!(production.starts_with("us_env_") && production != environment);
    let (code, _, err) = env_command(dir.path(), &["staging"], None);
    assert_eq!(code, Some(1));
    assert!(err.contains("development, production"), "{err}");
    std::fs::remove_file(dir.path().join("latchkey.key")).unwrap();
    let (code, _, err) = env_command(dir.path(), &[], None);
    assert_eq!(code, Some(1), "without the master key no key is revealed");
    assert!(err.contains("latchkey.key"), "{err}");
}

#[test]
fn configuration_errors_name_the_key_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path())
        .env("LATCHKEY_SERVER__BINDD", "x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("server.bindd") && err.contains("known keys"),
        "{err}"
    );

    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[security]\npbkdf2_iterations = \"lots\"\n").unwrap();
    let out = command(dir.path())
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("security.pbkdf2_iterations must be an integer"),
        "{err}"
    );
}

#[test]
fn the_example_config_file_runs_as_is() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");
    let mut cmd = command(dir.path());
    cmd.arg("--config").arg(example);
    let mut server = start_with(cmd);
    let first = server.first_line.clone();
    server.kill();
    assert!(
        first.starts_with("Latchkey is listening on http://127.0.0.1:"),
        "{first}"
    );
}
