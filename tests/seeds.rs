//! The product documents' curl lines (`../shared/reference/seeds/`), run with real `curl`
//! against the real binary with only the host swapped and the placeholders filled in.
//!
//! `tests/seeds/curl.txt` holds the commands as the seeds write them (continuation lines
//! joined); where the seeds are beside the checkout, the test first checks that it still holds
//! exactly what they say.

mod common;

use common::{Client, Server};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

/// Every `curl …` command in `text`: backslash continuations and quoted multi-line bodies
/// joined, white space folded.
fn curl_commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if !line.starts_with("curl ") {
            continue;
        }
        let mut parts = vec![line.to_owned()];
        let open = |parts: &[String]| {
            let last = parts.last().map_or("", String::as_str);
            last.ends_with('\\')
                || parts.iter().map(|p| p.matches('\'').count()).sum::<usize>() % 2 == 1
        };
        while open(&parts) {
            match lines.next() {
                Some(next) => parts.push(next.to_owned()),
                None => break,
            }
        }
        let joined = parts
            .iter()
            .map(|p| p.strip_suffix('\\').unwrap_or(p).trim())
            .collect::<Vec<_>>()
            .join(" ");
        let folded = joined.split_whitespace().collect::<Vec<_>>().join(" ");
        if !out.contains(&folded) {
            out.push(folded);
        }
    }
    out
}

fn commands() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = std::fs::read_to_string(root.join("tests/seeds/curl.txt")).unwrap();
    let fixture: Vec<String> = fixture.lines().map(str::to_owned).collect();
    let seeds = root.join("../shared/reference/seeds");
    match std::fs::read_dir(&seeds) {
        Ok(entries) => {
            let mut files: Vec<_> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
            files.sort();
            let mut found = Vec::new();
            for file in files {
                for c in curl_commands(&std::fs::read_to_string(file).unwrap()) {
                    if !found.contains(&c) {
                        found.push(c);
                    }
                }
            }
            assert_eq!(
                found, fixture,
                "tests/seeds/curl.txt no longer matches the seeds' curl lines"
            );
        }
        Err(_) => eprintln!(
            "{} is not here; running tests/seeds/curl.txt",
            seeds.display()
        ),
    }
    fixture
}

/// Runs `command` through bash: (HTTP status, JSON body).
fn run(command: &str) -> (u16, Value) {
    let body = tempfile::NamedTempFile::new().unwrap();
    let full = format!(
        "{command} -s -o '{}' -w '%{{http_code}}'",
        body.path().display()
    );
    let out = Command::new("bash").arg("-c").arg(&full).output().unwrap();
    let status = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    let text = std::fs::read_to_string(body.path()).unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[actix_web::test]
async fn every_curl_line_in_the_seeds_works_with_only_the_host_changed() {
    let dir = tempfile::tempdir().unwrap();
    let server: Server = common::start(dir.path());
    let api = Client::new(&server.url);
    let admin = api.admin_token().await;
    let pat = api
        .ok(
            "POST",
            "/v1/auth/personal-access-tokens",
            Some(&admin),
            Some(json!({ "name": "seeds" })),
        )
        .await["data"]["token"]
        .as_str()
        .expect("a PAT")
        .to_owned();
    let me = api
        .ok("GET", "/v1/latchkey/whoami", Some(&admin), None)
        .await;
    let user = me["data"]["userId"]
        .as_str()
        .or(me["data"]["id"].as_str())
        .unwrap()
        .to_owned();
    let env = api.environment_id(&admin, "development").await;
    let old_key = api.key(&admin, &env, "SECRET").await["rawKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let pair = api
        .ok(
            "POST",
            &format!("/v1/users/{user}/api-token?tenantId=seeds"),
            Some(&admin),
            None,
        )
        .await;
    let client_id = pair["data"]["clientId"].as_str().unwrap().to_owned();
    let client_secret = pair["data"]["secret"].as_str().unwrap().to_owned();

    let host = server.url.trim_start_matches("http://");
    let fill = |c: &str| {
        c.replace("https://platform.flatfile.com", &server.url)
            .replace("api.x.flatfile.com", host)
            .replace("pat_your_token_here", &pat)
            .replace("us_env_yourEnvironmentId", &env)
            .replace("sk_old_key", &old_key)
            .replace("your-email@domain.com", "admin@example.com")
            .replace("your-password", common::PASSWORD)
            .replace("your-client-id", &client_id)
            .replace("your-client-secret", &client_secret)
    };
    let commands = commands();
    assert_eq!(commands.len(), 5, "{commands:#?}");
    for command in &commands {
        let (status, body) = run(&fill(command));
        assert_eq!(status, 200, "{command}\n→ {status} {body}");
        if command.contains("/api/v1/spaces") {
            assert!(body["data"].is_array(), "{command}: {body}");
        } else if command.contains("-X POST \"") {
            let created = body["data"].as_array().expect("a list of keys");
            assert!(
                created
                    .iter()
                    .any(|k| k["type"] == "SECRET" && k["rawKey"] != old_key.as_str()),
                "{command}: {body}"
            );
        } else if command.contains("-X DELETE") {
            assert_eq!(body["data"]["success"], true, "{command}: {body}");
            // The old key is refused from the next request on.
            let (status, _) = api
                .call("GET", "/v1/environments/current", Some(&old_key), None)
                .await
                .unwrap();
            assert_eq!(status, 401);
        } else {
            assert!(body["accessToken"].is_string(), "{command}: {body}");
        }
    }
}
