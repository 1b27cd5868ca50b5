//! Slow clients against the real binary (issue 15, finding 3): a slowly sent body, a stalled
//! head on a keep-alive connection, and `/health` while slow connections hold the cap. Each
//! runs in a few seconds, on the release build (`SLOW_CLIENTS_BINARY` names another).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

struct Server {
    // Dropped before `_dir`, so the process is gone before its data directory is removed.
    _process: common::Server,
    port: u16,
    _dir: tempfile::TempDir,
}

/// Starts the binary with 2-second head and body deadlines and at most `max_connections`.
fn start(max_connections: u32) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = common::command(&common::release_binary("SLOW_CLIENTS_BINARY"), dir.path());
    cmd.env("LATCHKEY_SERVER__WORKERS", "1")
        .env("LATCHKEY_SERVER__CLIENT_REQUEST_TIMEOUT_SECONDS", "2")
        .env("LATCHKEY_SERVER__CLIENT_BODY_TIMEOUT_SECONDS", "2")
        .env("LATCHKEY_SERVER__KEEP_ALIVE_SECONDS", "30")
        .env(
            "LATCHKEY_SERVER__MAX_CONNECTIONS",
            max_connections.to_string(),
        );
    let server = common::start_with(cmd);
    let port = server.port();
    Server {
        _process: server,
        port,
        _dir: dir,
    }
}

fn connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    stream
}

/// Reads until the server closes the connection (or resets it); answers how long that took.
fn closed_after(stream: &mut TcpStream, from: Instant) -> Duration {
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return from.elapsed(),
            Ok(_) => {}
        }
    }
}

#[test]
fn a_slowly_sent_body_is_cut_at_the_body_deadline() {
    let server = start(0);
    let mut stream = connect(&server);
    let began = Instant::now();
    stream
        .write_all(b"POST /v1/auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
        .unwrap();
    let mut cut = false;
    for _ in 0..40 {
        std::thread::sleep(Duration::from_millis(250));
        if stream.write_all(b" ").is_err() {
            cut = true;
            break;
        }
        let mut probe = [0u8; 1];
        stream.set_nonblocking(true).unwrap();
        let peek = stream.peek(&mut probe);
        stream.set_nonblocking(false).unwrap();
        if matches!(peek, Ok(0))
            || matches!(&peek, Err(e) if e.kind() != std::io::ErrorKind::WouldBlock)
        {
            cut = true;
            break;
        }
    }
    let elapsed = began.elapsed();
    assert!(cut, "the trickling body was never cut ({elapsed:?})");
    assert!(elapsed < Duration::from_secs(5), "cut after {elapsed:?}");
}

#[test]
fn a_stalled_head_on_a_keep_alive_connection_is_cut() {
    let server = start(0);
    let mut stream = connect(&server);
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = stream.read(&mut buf).unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    let began = Instant::now();
    stream.write_all(b"GET /health HTTP/1.1\r\nHo").unwrap();
    let elapsed = closed_after(&mut stream, began);
    assert!(
        elapsed < Duration::from_secs(5),
        "the second head was allowed {elapsed:?}"
    );
}

#[test]
fn health_answers_while_slow_connections_hold_the_cap() {
    let server = start(40);
    let mut slow = Vec::new();
    for _ in 0..45 {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", server.port)) else {
            break;
        };
        let _ = s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n");
        slow.push(s);
    }
    std::thread::sleep(Duration::from_millis(300));
    let began = Instant::now();
    let mut stream = connect(&server);
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "/health did not answer within {:?}: {:?}",
        began.elapsed(),
        String::from_utf8_lossy(&answer)
    );
    assert!(began.elapsed() < Duration::from_secs(3));
    drop(slow);
}
