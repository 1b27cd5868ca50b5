//! bench/run's baseline (issue 22), two commands:
//!
//!   bench-baseline serve [--bind ADDR] [--workers N]
//!       a minimal actix-web 4 server: `GET /ping` answers `{"ok":true}`, nothing else is routed,
//!       no middleware; prints "baseline is listening on http://ADDR" once bound.
//!   bench-baseline sign --bytes N [--seconds S]
//!       signs an N-byte message with an Ed25519 key from ring (the server's token signer, see
//!       src/auth/jwt.rs) on the current thread for S seconds (default 2) and prints
//!       {"signs":…,"seconds":…,"ns_per_sign":…} as JSON: t_sign of the issuance limit.

use actix_web::{web, App, HttpResponse, HttpServer};
use ring::signature::Ed25519KeyPair;
use std::net::TcpListener;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The server's allocator (src/main.rs), so that the difference measured is Latchkey's code.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: bench-baseline serve [--bind ADDR] [--workers N]\n       bench-baseline sign --bytes N [--seconds S]";

async fn ping() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"ok":true}"#)
}

fn serve(bind: &str, workers: usize) -> std::io::Result<()> {
    let listener = TcpListener::bind(bind)?;
    let addr = listener.local_addr()?;
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(|| App::new().route("/ping", web::get().to(ping)))
            .workers(workers)
            .listen(listener)?
            .run();
        println!("baseline is listening on http://{addr}");
        server.await
    })
}

fn sign(bytes: usize, seconds: f64) -> Result<(), String> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| "key generation failed")?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|e| e.to_string())?;
    // A JWT signing input is base64url text; its content does not change the cost, its length does.
    let message: Vec<u8> = (0..bytes).map(|i| b'A' + (i % 26) as u8).collect();
    let budget = Duration::from_secs_f64(seconds);
    let cpu_start = thread_cpu_ns();
    let start = Instant::now();
    let mut signs: u64 = 0;
    let mut sink = 0u8;
    while start.elapsed() < budget {
        for _ in 0..256 {
            sink ^= pair.sign(&message).as_ref()[0];
        }
        signs += 256;
    }
    let elapsed = start.elapsed().as_secs_f64();
    // CPU time too: on a shared core the wall-clock figure includes other processes' turns.
    let cpu = match (cpu_start, thread_cpu_ns()) {
        (Some(a), Some(b)) => format!("{:.1}", (b - a) as f64 / signs as f64),
        _ => "null".into(),
    };
    println!(
        r#"{{"signs":{signs},"seconds":{elapsed:.3},"ns_per_sign":{:.1},"cpu_ns_per_sign":{cpu},"bytes":{bytes},"sink":{sink}}}"#,
        elapsed * 1e9 / signs as f64
    );
    Ok(())
}

/// This thread's time on a CPU so far, in ns (Linux: the first field of its schedstat).
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let result = match args.first().map(String::as_str) {
        Some("serve") => {
            let bind = value("--bind").unwrap_or_else(|| "127.0.0.1:0".into());
            let workers = value("--workers").and_then(|w| w.parse().ok()).unwrap_or(1);
            serve(&bind, workers).map_err(|e| e.to_string())
        }
        Some("sign") => match value("--bytes").and_then(|b| b.parse().ok()) {
            Some(bytes) => {
                let seconds = value("--seconds")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(2.0);
                sign(bytes, seconds)
            }
            None => Err(USAGE.into()),
        },
        _ => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-baseline: {e}");
            ExitCode::FAILURE
        }
    }
}
