//! The official `flatfile` CLI (pinned in tests/cli/package.json) deploys a listener to the real
//! `latchkey` binary: `npx flatfile deploy` with `FLATFILE_API_URL` pointing at Latchkey and an
//! environment's secret key must exit 0, and the agents must then be listed across
//! environments with an Administrator's personal access token (through `@flatfile/api`).
//!
//! Needs `node` (20+) and `npm` on PATH; installs tests/cli/node_modules with `npm ci` when it is
//! missing. Nothing here needs the network but loopback: npm runs offline and without its
//! update check, the CLI itself calls only `FLATFILE_API_URL`, and a preloaded guard
//! (tests/cli/loopback-only.cjs) refuses and reports any other connection.

mod common;
mod node;

use node::{ensure_node_modules, run, suite_dir, text, Server};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "cli-compat-password-0123456789";
const NODE_TIMEOUT: Duration = Duration::from_secs(60);
const DEPLOY_TIMEOUT: Duration = Duration::from_secs(180);

/// `node latchkey.mjs <what>` in tests/cli; its last output line is JSON.
fn latchkey_script(dir: &Path, server: &Server, what: &str, setup: &str) -> serde_json::Value {
    let mut node = Command::new("node");
    node.arg("latchkey.mjs")
        .arg(what)
        .current_dir(dir)
        .env("LATCHKEY_URL", &server.url)
        .env("LATCHKEY_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("LATCHKEY_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("SETUP", setup)
        .env_remove("NODE_OPTIONS")
        .env_remove("FLATFILE_API_URL")
        .env_remove("FLATFILE_BEARER_TOKEN")
        .env_remove("FLATFILE_API_KEY");
    let (status, output) = run(node, "node", NODE_TIMEOUT);
    assert!(
        status.is_some_and(|s| s.success()),
        "node latchkey.mjs {what} failed ({status:?}):\n{output}\nlatchkey stderr:\n{}",
        text(&server.stderr)
    );
    let last = output
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or("");
    serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("latchkey.mjs {what} printed no JSON ({e}):\n{output}"))
}

/// A copy of the listener fixture in a fresh directory, with tests/cli/node_modules linked in
/// (`flatfile deploy` writes `.flatfile/` into the project it deploys).
fn listener_project(cli_dir: &Path) -> tempfile::TempDir {
    let project = tempfile::tempdir().expect("cannot create a temporary directory");
    for file in ["package.json", "index.js"] {
        std::fs::copy(
            cli_dir.join("listener").join(file),
            project.path().join(file),
        )
        .unwrap_or_else(|e| panic!("cannot copy listener/{file}: {e}"));
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        cli_dir.join("node_modules"),
        project.path().join("node_modules"),
    )
    .expect("cannot link node_modules into the listener project");
    project
}

/// `npx flatfile <args>` in `project` with `env` (a secret key) and `FLATFILE_API_URL`; it
/// must exit 0 and, like npx itself, connect to nothing but loopback (tests/cli/loopback-only.cjs
/// is preloaded into every node process and logs any other connection it refuses).
fn flatfile(project: &Path, server: &Server, env: &[(&str, &str)], args: &[&str]) -> String {
    let guard = suite_dir("cli").join("loopback-only.cjs");
    let refused = project.join("refused-connections.log");
    let mut npx = Command::new(if cfg!(windows) { "npx.cmd" } else { "npx" });
    npx.arg("--no")
        .arg("flatfile")
        .args(args)
        .current_dir(project)
        .env("FLATFILE_API_URL", &server.url)
        // npm must neither look for updates nor fetch anything: the CLI is installed already.
        .env("npm_config_offline", "true")
        .env("npm_config_update_notifier", "false")
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
        .env("NO_COLOR", "1")
        .env("CI", "true")
        .env("NODE_OPTIONS", format!("--require {}", guard.display()))
        .env("LOOPBACK_ONLY_LOG", &refused)
        .env_remove("FLATFILE_ENVIRONMENT_ID")
        .env_remove("FLATFILE_API_KEY")
        .env_remove("FLATFILE_SECRET_KEY")
        .env_remove("FLATFILE_BEARER_TOKEN")
        .env_remove("FLATFILE_AGENT_SLUG")
        .env_remove("FLATFILE_AGENT_NAMESPACE")
        .env_remove("FLATFILE_COMPILE_MODE");
    for (k, v) in env {
        npx.env(k, v);
    }
    let (status, output) = run(npx, "npx", DEPLOY_TIMEOUT);
    assert!(
        status.is_some_and(|s| s.success()),
        "`npx flatfile {}` failed ({status:?}):\n{output}\nlatchkey stderr:\n{}",
        args.join(" "),
        text(&server.stderr)
    );
    println!("$ npx flatfile {}\n{output}", args.join(" "));
    let phoned = std::fs::read_to_string(&refused).unwrap_or_default();
    assert!(
        phoned.is_empty(),
        "`npx flatfile {}` tried to reach more than loopback:\n{phoned}",
        args.join(" ")
    );
    output
}

/// `npx flatfile deploy <args>`, which must report the deploy.
fn deploy(project: &Path, server: &Server, env: &[(&str, &str)], args: &[&str]) -> String {
    let args = [&["deploy"], args].concat();
    let output = flatfile(project, server, env, &args);
    assert!(
        output.contains("deployed and running on your environment"),
        "`flatfile deploy` did not report a deploy:\n{output}"
    );
    output
}

#[test]
fn flatfile_cli_deploys_agents_that_a_pat_lists_across_environments() {
    let dir = suite_dir("cli");
    ensure_node_modules(&dir, &["flatfile"], &[]);
    let server = Server::start(ADMIN_EMAIL, ADMIN_PASSWORD, &[]);
    let setup = latchkey_script(&dir, &server, "setup", "");
    let field = |name: &str| setup[name].as_str().expect(name).to_owned();
    let project = listener_project(&dir);

    // The environment named by id (environments.get), no agent yet: asks nothing with a namespace.
    let (env, key) = (field("environmentId"), field("secretKey"));
    deploy(
        project.path(),
        &server,
        &[
            ("FLATFILE_API_KEY", &key),
            ("FLATFILE_ENVIRONMENT_ID", &env),
        ],
        &["--namespace", "space:latchkey"],
    );
    // The key's only environment (environments.list) and its only agent: a second version.
    let out = deploy(
        project.path(),
        &server,
        &[("FLATFILE_BEARER_TOKEN", &key)],
        &[],
    );
    assert!(
        out.contains("\"default\""),
        "the redeploy names the default agent:\n{out}"
    );
    // Another environment, a slug and CI mode.
    let (other, other_key) = (field("otherEnvironmentId"), field("otherSecretKey"));
    deploy(
        project.path(),
        &server,
        &[
            ("FLATFILE_API_KEY", &other_key),
            ("FLATFILE_ENVIRONMENT_ID", &other),
        ],
        &[
            "--ci",
            "--slug",
            "cli-fixture",
            "--namespace",
            "space:fixture",
        ],
    );

    // `flatfile list` shows the agent with its topics.
    let listed = flatfile(
        project.path(),
        &server,
        &[("FLATFILE_API_KEY", &key)],
        &["list", "--with-topics"],
    );
    assert!(
        listed.contains("default") && listed.contains("workbook:updated"),
        "`flatfile list` shows the agent and its topics:\n{listed}"
    );

    let setup_json = setup.to_string();
    let verified = latchkey_script(&dir, &server, "verify", &setup_json);
    println!("verified: {verified}");
}
