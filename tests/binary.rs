//! The real `latchkey` binary: banner, configuration errors, SIGTERM and a second start.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_latchkey"));
    cmd.current_dir(dir)
        .env("LATCHKEY_SERVER__BIND", "127.0.0.1:0")
        .env("LATCHKEY_SECURITY__PBKDF2_ITERATIONS", "1000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Starts the binary and collects its banner (stdout up to the "Next:" line).
fn start(dir: &std::path::Path) -> (Server, Vec<String>) {
    let mut child = command(dir).spawn().expect("the binary starts");
    let (tx, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut server = Server { child, lines };
    let mut banner = Vec::new();
    loop {
        let line = server
            .lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the banner is printed");
        let done = line.starts_with("Next:");
        banner.push(line);
        if done {
            break;
        }
    }
    let _ = &mut server;
    (server, banner)
}

fn line_value(banner: &[String], label: &str) -> Option<String> {
    banner
        .iter()
        .find(|l| l.contains(label))
        .map(|l| l.split_whitespace().last().unwrap().to_owned())
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
    assert!(text.contains("admin@example.com"), "{text}");
    let password = line_value(&banner, "Password:");
    assert!(
        password.is_some(),
        "first start prints the generated password: {text}"
    );
    let secret = line_value(&banner, "development secret").expect("dev secret key in banner");
    let publishable =
        line_value(&banner, "development publishable").expect("dev publishable key in banner");
    assert!(secret.starts_with("sk_") && publishable.starts_with("pk_"));
    assert!(dir.path().join("latchkey.key").exists() && dir.path().join("data").is_dir());

    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = wait_with_timeout(&mut server.child, Duration::from_secs(20));
    assert_eq!(exit.code(), Some(0), "SIGTERM ends the server with exit 0");

    let (_again, banner) = start(dir.path());
    let text = banner.join("\n");
    assert!(
        !text.contains("Password:"),
        "a second start prints no password: {text}"
    );
    assert_eq!(line_value(&banner, "development secret"), Some(secret));
    assert_eq!(
        line_value(&banner, "development publishable"),
        Some(publishable)
    );
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
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let first = BufReader::new(stdout).lines().next().unwrap().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        first.starts_with("Latchkey is listening on http://127.0.0.1:"),
        "{first}"
    );
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < limit, "the server did not stop in time");
        std::thread::sleep(Duration::from_millis(50));
    }
}
