use latchkey::config::Config;
use latchkey::startup::Application;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: latchkey [--config PATH]

Runs the Latchkey server. Without --config it uses the built-in defaults; any setting can be
overridden with LATCHKEY_<SECTION>__<KEY>, for example LATCHKEY_SERVER__BIND=0.0.0.0:8080.";

#[actix_web::main]
async fn main() -> ExitCode {
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("info,actix_server=warn"),
    )
    .init();
    let config_path = match parse_args(std::env::args().skip(1)) {
        Ok(Some(path)) => path,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("latchkey: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
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

/// `Ok(None)` asks for help; `Ok(Some(path))` carries the optional config path.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Option<PathBuf>>, String> {
    let mut config = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--config" | "-c" => {
                config = Some(PathBuf::from(args.next().ok_or("--config needs a path")?))
            }
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(Some(config))
}
