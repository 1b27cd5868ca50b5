//! bench/run's bulk seeder. It opens a *stopped* server's data directory and writes environment
//! API keys and invited users straight into the store, through the same `Store` calls the HTTP
//! handlers use (one transaction and one durable flush per batch, audit events included), so the
//! server starts on a store that holds them and its startup consistency check covers them.
//!
//! Over HTTP the same fill is slow for reasons that are the server's, not the harness's: every
//! `POST /v1/auth/api-key` holds the store-wide structure lock across its fsync, and every
//! `POST /v1/users/invite` and `POST /v1/environments` first scans all users or environments.
//!
//! Usage:
//!   latchkey-bench-seed --data-dir DIR --master-key-file FILE --out DIR
//!                       [--keys N] [--keys-per-environment N] [--users N] [--sample N]
//!
//! Writes into --out: secret_keys.txt and publishable_keys.txt (a sample of raw keys spread over
//! the whole fill, one per line), environments.txt (ids) and users.txt (a sample of user ids).

use base64::Engine;
use latchkey::auth::crypto::{sha256, MasterKey};
use latchkey::auth::seal_new_api_key;
use latchkey::domain::{
    random, ActorRoleId, ApiKeyType, Email, EnvironmentId, EnvironmentName, PersonName, Role,
    Timestamp, UserId,
};
use latchkey::store::{Environment, Event, Link, LinkPurpose, Mail, Store, User};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Environment transactions in flight at once (each waits for its group-commit flush).
const ENVIRONMENTS_IN_FLIGHT: usize = 8;
/// User transactions in flight at once.
const USERS_IN_FLIGHT: usize = 512;

struct Args {
    data_dir: PathBuf,
    master_key_file: PathBuf,
    out: PathBuf,
    keys: u64,
    keys_per_environment: u64,
    users: u64,
    sample: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        data_dir: PathBuf::new(),
        master_key_file: PathBuf::new(),
        out: PathBuf::new(),
        keys: 0,
        keys_per_environment: 1000,
        users: 0,
        sample: 1000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: '{v}' is not a count"))
        };
        match flag.as_str() {
            "--data-dir" => args.data_dir = value()?.into(),
            "--master-key-file" => args.master_key_file = value()?.into(),
            "--out" => args.out = value()?.into(),
            "--keys" => args.keys = number(value()?)?,
            "--keys-per-environment" => args.keys_per_environment = number(value()?)?.max(1),
            "--users" => args.users = number(value()?)?,
            "--sample" => args.sample = number(value()?)?.max(1),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    if args.data_dir.as_os_str().is_empty()
        || args.master_key_file.as_os_str().is_empty()
        || args.out.as_os_str().is_empty()
    {
        return Err("--data-dir, --master-key-file and --out are required".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("latchkey-bench-seed: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("latchkey-bench-seed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    Timestamp(ms)
}

fn load_master_key(path: &PathBuf) -> Result<MasterKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| format!("{}: not 32 bytes", path.display()))?;
    Ok(MasterKey::from_bytes(&bytes))
}

async fn run(a: Args) -> Result<(), String> {
    std::fs::create_dir_all(&a.out).map_err(|e| format!("{}: {e}", a.out.display()))?;
    let master = load_master_key(&a.master_key_file)?;
    let store = Store::open(&a.data_dir).map_err(|e| format!("{}: {e}", a.data_dir.display()))?;
    let account = store
        .account()
        .map_err(|e| e.to_string())?
        .ok_or("the store has no account yet: start the server on it once first")?;
    let acc = account.id.clone();
    let env_template = store
        .environments()
        .map_err(|e| e.to_string())?
        .first()
        .cloned()
        .ok_or("the store has no environment to copy defaults from")?;
    let user_template = store
        .users()
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .ok_or("the store has no user to copy defaults from")?;

    if a.keys > 0 {
        let started = Instant::now();
        let environments = a.keys.div_ceil(a.keys_per_environment);
        // Every environment gets one publishable key; the rest are secret keys.
        let secrets = a.keys - environments.min(a.keys);
        let stride = (secrets / a.sample).max(1);
        let (mut secret_out, mut publishable_out, mut env_out) =
            (String::new(), String::new(), String::new());
        let (mut written, mut secret_index, mut sampled) = (0u64, 0u64, 0u64);
        let mut pending: Vec<(Environment, Vec<latchkey::store::ApiKey>, Event)> = Vec::new();
        for e in 0..environments {
            let at = now();
            let n = a.keys_per_environment.min(a.keys - written);
            written += n;
            // Fields this seeder does not name come from the bootstrapped environment, so a
            // field added to the record later does not break the seeder.
            let env = Environment {
                id: EnvironmentId::generate(),
                account_id: acc.clone(),
                name: EnvironmentName::parse(&format!("bench-{e}"), &Default::default())
                    .map_err(|e| e.to_string())?,
                is_prod: false,
                created_at: at,
                updated_at: at,
                ..env_template.clone()
            };
            let _ = writeln!(env_out, "{}", env.id);
            let mut keys = Vec::with_capacity(n as usize);
            for i in 0..n {
                let kind = if i == 0 {
                    ApiKeyType::Publishable
                } else {
                    ApiKeyType::Secret
                };
                let (key, raw) = seal_new_api_key(&master, &acc, &env.id, kind, at);
                if i == 0 {
                    if e < a.sample {
                        let _ = writeln!(publishable_out, "{}", raw.expose());
                    }
                } else {
                    if secret_index % stride == 0 && sampled < a.sample {
                        let _ = writeln!(secret_out, "{}", raw.expose());
                        sampled += 1;
                    }
                    secret_index += 1;
                }
                keys.push(key);
            }
            let mut event = Event::new("environment:created", "environment", acc.clone(), at)
                .in_environment(&env.id);
            event.payload =
                format!("{{\"name\":\"bench-{e}\",\"isProd\":false,\"seededKeys\":{n}}}");
            pending.push((env, keys, event));
            if pending.len() >= ENVIRONMENTS_IN_FLIGHT || e + 1 == environments {
                let results = futures_util::future::join_all(
                    pending
                        .iter()
                        .map(|(env, keys, ev)| store.create_environment(env, keys, ev)),
                )
                .await;
                for r in results {
                    r.map_err(|e| format!("writing an environment: {e}"))?;
                }
                pending.clear();
            }
        }
        write(&a.out, "secret_keys.txt", &secret_out)?;
        write(&a.out, "publishable_keys.txt", &publishable_out)?;
        write(&a.out, "environments.txt", &env_out)?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "seeded {} keys in {} environments in {secs:.1} s ({:.0} keys/s)",
            a.keys,
            environments,
            a.keys as f64 / secs.max(1e-9)
        );
    }

    if a.users > 0 {
        let started = Instant::now();
        let run_tag = random::base62(6).to_lowercase();
        let sealed_body = master.seal(b"mail", b"(invitation seeded by bench/run; no link)");
        let mut users_out = String::new();
        let mut pending: Vec<(User, [u8; 32], Link, Mail, Event)> = Vec::new();
        for i in 0..a.users {
            let at = now();
            // Unnamed fields come from the bootstrapped Administrator (see the environments).
            let user = User {
                id: UserId::generate(),
                account_id: acc.clone(),
                email: Email::parse(&format!("bench-{run_tag}-{i}@bench.test"))
                    .map_err(|e| e.to_string())?,
                name: PersonName::parse(&format!("Bench User {i}"), &Default::default())
                    .map_err(|e| e.to_string())?,
                role: Role::Member,
                password: None,
                role_assignment: ActorRoleId::generate(),
                created_at: at,
                updated_at: at,
                ..user_template.clone()
            };
            if i < a.sample {
                let _ = writeln!(users_out, "{}", user.id);
            }
            let digest = sha256(&random::bytes::<32>());
            let link = Link {
                purpose: LinkPurpose::SetPassword(user.id.clone()),
                account_id: acc.clone(),
                created_at: at,
                expires_at: at.plus_seconds(86_400),
            };
            let mail = Mail {
                to: user.email.clone(),
                subject: latchkey::domain::MailSubject::new("You are invited to Latchkey"),
                sealed_body: sealed_body.clone(),
                account_id: acc.clone(),
                created_at: at,
            };
            let mut event = Event::new("user:invited", "user", acc.clone(), at);
            event.payload = format!(
                "{{\"userId\":\"{}\",\"email\":\"{}\",\"role\":\"Member\"}}",
                user.id,
                user.email.as_str()
            );
            pending.push((user, digest, link, mail, event));
            if pending.len() >= USERS_IN_FLIGHT || i + 1 == a.users {
                let results = futures_util::future::join_all(pending.iter().map(
                    |(user, digest, link, mail, ev)| {
                        store.invite_user(user, digest, link, mail, ev)
                    },
                ))
                .await;
                for r in results {
                    r.map_err(|e| format!("writing a user: {e}"))?;
                }
                pending.clear();
            }
        }
        write(&a.out, "users.txt", &users_out)?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "seeded {} users in {secs:.1} s ({:.0} users/s)",
            a.users,
            a.users as f64 / secs.max(1e-9)
        );
    }
    let started = Instant::now();
    // Everything was written in whole transactions: the next start may run the bounded check.
    store.mark_clean_shutdown().map_err(|e| e.to_string())?;
    drop(store);
    println!(
        "closed the store in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> Result<(), String> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}
