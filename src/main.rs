use latchkey::config::Config;
use latchkey::startup::Application;
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc instead of glibc's allocator: sled's node rewrites and the per-request buffers
/// churn small allocations, and glibc's free-list consolidation was 5–25% of the CPU on the
/// issuance and write paths (perf, under bench/run's scenarios); about 10% more issuances and
/// durable writes per second. Built without transparent huge pages to keep resident memory down.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage:
  latchkey [--config PATH]                    run the server
  latchkey backup --out FILE [--url URL]      save a consistent backup of a running server
                                              (an Administrator's token or PAT in LATCHKEY_TOKEN;
                                              URL defaults to http://127.0.0.1:8080)
  latchkey restore FILE --data DIR [--key KEYFILE] [--config PATH]
                                              rebuild an empty data directory from a backup;
                                              it must verify under the master key it was made
                                              with (KEYFILE, else the configured master key)
  latchkey admin reset-password EMAIL [--password-stdin] [--data DIR] [--config PATH]
                                              set a user's password on a stopped server's data
                                              directory (generated and printed once, or read
                                              from the first line of stdin)
  latchkey admin promote EMAIL [--data DIR] [--config PATH]
                                              make a user an Administrator (stopped server)
  latchkey env [ENVIRONMENT] [--config PATH]  print an environment's .env block for the official
                                              clients (default: development), keys revealed
                                              with the master key; for a running server set
                                              LATCHKEY_TOKEN (an Administrator's token or PAT)
                                              and --url URL (default http://127.0.0.1:8080)

Without --config the server uses built-in defaults; any setting can be overridden with
LATCHKEY_<SECTION>__<KEY>, for example LATCHKEY_SERVER__BIND=0.0.0.0:8080. A backup holds the
raw API keys and secret values sealed under the master key: keep the master key file beside it
(but not with it) to restore.";

enum Command {
    Serve(Option<PathBuf>),
    Backup {
        out: PathBuf,
        url: String,
    },
    Restore {
        file: PathBuf,
        data: PathBuf,
        key: Option<PathBuf>,
        config: Option<PathBuf>,
    },
    Admin {
        action: AdminAction,
        email: String,
        config: Option<PathBuf>,
        data: Option<String>,
    },
    Env {
        environment: String,
        config: Option<PathBuf>,
        url: String,
    },
    Help,
}

enum AdminAction {
    ResetPassword { from_stdin: bool },
    Promote,
}

fn main() -> ExitCode {
    // Everything this process creates (the store's files, the master key, backups) is for
    // its owner only, whatever umask it was started with.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let command = match parse_args(std::env::args().skip(1).collect()) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("latchkey: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Command::Serve(path) => serve(path),
        Command::Env {
            environment,
            config,
            url,
        } => report(client_env(&environment, config.as_deref(), &url).map(|b| b.to_string())),
        Command::Admin {
            action,
            email,
            config,
            data,
        } => report(admin(action, &email, config.as_deref(), data)),
        Command::Backup { out, url } => {
            let Ok(token) = std::env::var("LATCHKEY_TOKEN") else {
                eprintln!("latchkey: set LATCHKEY_TOKEN to an Administrator's access token or personal access token");
                return ExitCode::from(2);
            };
            report(
                latchkey::cli::backup(&url, &token, &out)
                    .map(|n| format!("wrote {n} bytes to {}", out.display())),
            )
        }
        Command::Restore {
            file,
            data,
            key,
            config,
        } => {
            let restored = host_config(config.as_deref()).and_then(|mut config| {
                if let Some(key) = key {
                    config.security.master_key.clear();
                    config.security.master_key_file = key.display().to_string();
                }
                latchkey::cli::restore(&file, &data, &config)
            });
            report(restored.map(|n| {
                format!(
                    "restored {n} records into {}; start latchkey with the same master key",
                    data.display()
                )
            }))
        }
    }
}

fn admin(
    action: AdminAction,
    email: &str,
    config: Option<&std::path::Path>,
    data: Option<String>,
) -> Result<String, String> {
    let mut config = host_config(config)?;
    if let Some(data) = data {
        config.storage.data_dir = data;
    }
    let outcome = match action {
        AdminAction::ResetPassword { from_stdin } => {
            let password = if from_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            latchkey::host::reset_password(&config, email, password)?
        }
        AdminAction::Promote => latchkey::host::promote(&config, email)?,
    };
    Ok(outcome.message)
}

/// The configuration a host command reads: defaults, the file, `LATCHKEY_…` variables.
fn host_config(path: Option<&std::path::Path>) -> Result<Config, String> {
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    Config::load(path, env).map_err(|e| e.to_string())
}

/// The `.env` block: from the running server at `url` when LATCHKEY_TOKEN is set, else from the
/// data directory the configuration names.
fn client_env(
    environment: &str,
    config: Option<&std::path::Path>,
    url: &str,
) -> Result<latchkey::dotenv::ClientEnv, String> {
    if let Ok(token) = std::env::var("LATCHKEY_TOKEN") {
        return latchkey::cli::client_env_remote(url, &token, environment);
    }
    let config = host_config(config)?;
    latchkey::startup::client_env(&config, environment).map_err(|e| {
        format!(
            "{e}\n(If a latchkey server is running on this data directory, ask it instead: set \
             LATCHKEY_TOKEN to an Administrator's access token or personal access token, and \
             --url if it is not at http://127.0.0.1:8080.)"
        )
    })
}

fn report(result: Result<String, String>) -> ExitCode {
    match result {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("latchkey: {message}");
            ExitCode::FAILURE
        }
    }
}

#[actix_web::main]
async fn serve(config_path: Option<PathBuf>) -> ExitCode {
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("info,actix_server=warn"),
    )
    .init();
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    let config = match Config::load(config_path.as_deref(), env) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("latchkey: {e}");
            return ExitCode::from(2);
        }
    };
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("latchkey: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = app.stop_on_signals() {
        eprintln!("latchkey: cannot watch for SIGTERM/SIGINT: {e}");
        return ExitCode::FAILURE;
    }
    println!("{}", app.banner());
    match app.run_until_stopped().await {
        Ok(()) => {
            log::info!("stopped cleanly; all writes are on disk");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("latchkey: server error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args(args: Vec<String>) -> Result<Command, String> {
    let mut it = args.into_iter();
    let first = it.next();
    let mut rest: Vec<String> = it.collect();
    let mut take = |flag: &str| -> Result<Option<String>, String> {
        match rest.iter().position(|a| a == flag) {
            Some(i) if i + 1 < rest.len() => {
                let value = rest.remove(i + 1);
                rest.remove(i);
                Ok(Some(value))
            }
            Some(_) => Err(format!("{flag} needs a value")),
            None => Ok(None),
        }
    };
    let command = match first.as_deref() {
        None => Command::Serve(None),
        Some("--help" | "-h" | "help") => Command::Help,
        Some("--config" | "-c") => {
            let path = rest.first().cloned().ok_or("--config needs a path")?;
            rest.remove(0);
            Command::Serve(Some(PathBuf::from(path)))
        }
        Some("backup") => Command::Backup {
            out: PathBuf::from(take("--out")?.ok_or("backup needs --out FILE")?),
            url: take("--url")?.unwrap_or_else(|| "http://127.0.0.1:8080".into()),
        },
        Some("env") => {
            let config = take("--config")?.map(PathBuf::from);
            let url = take("--url")?.unwrap_or_else(|| "http://127.0.0.1:8080".into());
            let environment = match rest.first() {
                Some(name) if !name.starts_with('-') => rest.remove(0),
                _ => "development".into(),
            };
            Command::Env {
                environment,
                config,
                url,
            }
        }
        Some("restore") => {
            let data = PathBuf::from(take("--data")?.ok_or("restore needs --data DIR")?);
            let key = take("--key")?.map(PathBuf::from);
            let config = take("--config")?.map(PathBuf::from);
            let file = PathBuf::from(
                rest.first()
                    .cloned()
                    .ok_or("restore needs the backup FILE")?,
            );
            rest.remove(0);
            Command::Restore {
                file,
                data,
                key,
                config,
            }
        }
        Some("admin") => {
            let config = take("--config")?.map(PathBuf::from);
            let data = take("--data")?;
            let from_stdin = match rest.iter().position(|a| a == "--password-stdin") {
                Some(i) => {
                    rest.remove(i);
                    true
                }
                None => false,
            };
            if rest.len() < 2 {
                return Err(
                    "admin needs a command and an EMAIL: reset-password EMAIL or promote EMAIL"
                        .into(),
                );
            }
            let action = match rest.remove(0).as_str() {
                "reset-password" => AdminAction::ResetPassword { from_stdin },
                "promote" if !from_stdin => AdminAction::Promote,
                other => return Err(format!("unknown admin command '{other}'")),
            };
            let email = rest.remove(0);
            Command::Admin {
                action,
                email,
                config,
                data,
            }
        }
        Some(other) => return Err(format!("unknown argument '{other}'")),
    };
    if let Some(extra) = rest.first() {
        return Err(format!("unexpected argument '{extra}'"));
    }
    Ok(command)
}
