//! Crash harness: the release binary takes concurrent writes (keys, PATs, guests with grants,
//! secrets, invitations and role changes) and is killed with SIGKILL at random moments, then
//! restarted on the same directory. Every acknowledged write must be there, every acknowledged
//! delete must stay deleted, and every acknowledged write must have its audit event.
//! `CRASH_CYCLES` sets the number of cycles (default 20).

mod common;

use common::{command, release_binary, start_with, Client, Server};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// What an acknowledged request promised.
#[derive(Debug, Clone)]
enum Ack {
    KeyCreated {
        id: String,
        raw: String,
    },
    KeyDeleted {
        raw: String,
    },
    /// A delete was sent; if it was not acknowledged, either outcome is correct.
    DeleteSent {
        raw: String,
    },
    PatCreated {
        id: String,
        raw: String,
    },
    PatDeleted {
        raw: String,
    },
    GuestAdded {
        id: String,
        space: String,
    },
    SecretSet {
        id: String,
        name: String,
        value: String,
    },
    Promoted {
        user: String,
    },
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

struct Fixture {
    env: String,
    space: String,
    account: String,
}

/// One writer: random mutations until the server dies; acknowledged ones go in the ledger.
async fn writer(
    url: String,
    admin: String,
    fx: Rc<Fixture>,
    seed: u64,
    ledger: Rc<RefCell<Vec<Ack>>>,
) {
    let api = Client::new(&url);
    let mut rng = Rng(seed | 1);
    let mut own_keys: Vec<(String, String)> = Vec::new();
    let mut own_pats: Vec<(String, String)> = Vec::new();
    for n in 0..10_000u64 {
        let tag = format!("{seed:x}{n}");
        let step = match rng.below(7) {
            1 if own_keys.is_empty() => 0,
            3 if own_pats.is_empty() => 2,
            other => other,
        };
        let result = match step {
            0 => api.call("POST", &format!("/v1/auth/api-key?environmentId={}&type=SECRET", fx.env), Some(&admin), None).await,
            1 => {
                let (id, raw) = own_keys[0].clone();
                ledger.borrow_mut().push(Ack::DeleteSent { raw });
                api.call("DELETE", &format!("/v1/auth/api-key?environmentId={}&key={id}", fx.env), Some(&admin), None).await
            }
            2 => api.call("POST", "/v1/auth/personal-access-tokens", Some(&admin), Some(json!({ "name": tag }))).await,
            3 => {
                let (id, raw) = own_pats[0].clone();
                ledger.borrow_mut().push(Ack::DeleteSent { raw });
                api.call("DELETE", &format!("/v1/auth/personal-access-tokens/{id}"), Some(&admin), None).await
            }
            4 => {
                let body = json!([{ "environmentId": fx.env, "email": format!("g{tag}@example.com"), "name": "G", "spaces": [{ "id": fx.space }] }]);
                api.call("POST", "/v1/guests", Some(&admin), Some(body)).await
            }
            5 => api.call("POST", "/v1/secrets", Some(&admin), Some(json!({ "name": format!("S{tag}"), "value": format!("v{tag}"), "environmentId": fx.env }))).await,
            _ => {
                let invited = api
                    .call("POST", "/v1/users/invite", Some(&admin), Some(json!({ "email": format!("u{tag}@example.com"), "name": "U", "actorRoles": [] })))
                    .await;
                match invited {
                    Ok((200, body)) => {
                        let user = s(&body["data"]["id"]);
                        let promote = json!({ "roleId": "us_rol_admin", "resourceId": fx.account });
                        let result = api.call("POST", &format!("/v1/users/{user}/roles"), Some(&admin), Some(promote)).await;
                        if matches!(result, Ok((200, _))) {
                            ledger.borrow_mut().push(Ack::Promoted { user });
                        }
                        result
                    }
                    other => other,
                }
            }
        };
        let Ok((status, body)) = result else {
            return; // the server is gone
        };
        assert!(
            status < 500,
            "a write failed on a live server: {status} {body}"
        );
        if status != 200 {
            continue;
        }
        let ack = match step {
            0 => {
                let key = (s(&body["data"][0]["id"]), s(&body["data"][0]["rawKey"]));
                own_keys.push(key.clone());
                Some(Ack::KeyCreated {
                    id: key.0,
                    raw: key.1,
                })
            }
            1 => Some(Ack::KeyDeleted {
                raw: own_keys.remove(0).1,
            }),
            2 => {
                let pat = (
                    s(&body["data"]["personalAccessToken"]["id"]),
                    s(&body["data"]["token"]),
                );
                own_pats.push(pat.clone());
                Some(Ack::PatCreated {
                    id: pat.0,
                    raw: pat.1,
                })
            }
            3 => Some(Ack::PatDeleted {
                raw: own_pats.remove(0).1,
            }),
            4 => Some(Ack::GuestAdded {
                id: s(&body["data"][0]["id"]),
                space: fx.space.clone(),
            }),
            5 => Some(Ack::SecretSet {
                id: s(&body["data"][0]["id"]),
                name: format!("S{tag}"),
                value: format!("v{tag}"),
            }),
            _ => None,
        };
        if let Some(ack) = ack {
            ledger.borrow_mut().push(ack);
        }
    }
}

/// Checks every promise against the restarted server; returns how many were checked.
async fn verify(api: &Client, admin: &str, fx: &Fixture, acks: &[Ack]) -> usize {
    let mut export = String::new();
    let mut res = api
        .http
        .get(format!("{}/v1/latchkey/events/export", api.url))
        .insert_header(("Authorization", format!("Bearer {admin}")))
        .send()
        .await
        .unwrap();
    export.push_str(std::str::from_utf8(&res.body().limit(256 << 20).await.unwrap()).unwrap());
    let secrets = api
        .ok(
            "GET",
            &format!("/v1/secrets?environmentId={}", fx.env),
            Some(admin),
            None,
        )
        .await;
    let guests = api
        .ok(
            "GET",
            &format!("/v1/guests?spaceId={}", fx.space),
            Some(admin),
            None,
        )
        .await;
    let deleted_keys: Vec<&str> = acks
        .iter()
        .filter_map(|a| {
            if let Ack::KeyDeleted { raw } = a {
                Some(raw.as_str())
            } else {
                None
            }
        })
        .collect();
    let deleted_pats: Vec<&str> = acks
        .iter()
        .filter_map(|a| {
            if let Ack::PatDeleted { raw } = a {
                Some(raw.as_str())
            } else {
                None
            }
        })
        .collect();
    let sent: Vec<&str> = acks
        .iter()
        .filter_map(|a| {
            if let Ack::DeleteSent { raw } = a {
                Some(raw.as_str())
            } else {
                None
            }
        })
        .collect();
    let in_doubt = |raw: &str| {
        sent.contains(&raw) && !deleted_keys.contains(&raw) && !deleted_pats.contains(&raw)
    };
    for ack in acks {
        let has_event =
            |id: &str| assert!(export.contains(id), "no audit event names {id} ({ack:?})");
        match ack {
            Ack::KeyCreated { id, .. } | Ack::PatCreated { id, .. }
                if in_doubt(match ack {
                    Ack::KeyCreated { raw, .. } | Ack::PatCreated { raw, .. } => raw,
                    _ => unreachable!(),
                }) =>
            {
                has_event(id)
            }
            Ack::DeleteSent { .. } => {}
            Ack::KeyCreated { id, raw } => {
                has_event(id);
                let expected = if deleted_keys.contains(&raw.as_str()) {
                    401
                } else {
                    200
                };
                let (status, body) = api
                    .call("GET", "/v1/environments/current", Some(raw), None)
                    .await
                    .unwrap();
                assert_eq!(status, expected, "acknowledged key {id}: {body}");
            }
            Ack::KeyDeleted { raw } => {
                let (status, body) = api
                    .call("GET", "/v1/environments/current", Some(raw), None)
                    .await
                    .unwrap();
                assert_eq!(
                    (status, s(&body["errors"][0]["key"])),
                    (401, "revoked".to_owned()),
                    "a deleted key came back"
                );
            }
            Ack::PatCreated { id, raw } => {
                has_event(id);
                let expected = if deleted_pats.contains(&raw.as_str()) {
                    401
                } else {
                    200
                };
                assert_eq!(
                    api.call("GET", "/v1/environments", Some(raw), None)
                        .await
                        .unwrap()
                        .0,
                    expected,
                    "acknowledged PAT {id}"
                );
            }
            Ack::PatDeleted { raw } => {
                assert_eq!(
                    api.call("GET", "/v1/environments", Some(raw), None)
                        .await
                        .unwrap()
                        .0,
                    401,
                    "a deleted PAT came back"
                );
            }
            Ack::GuestAdded { id, space } => {
                has_event(id);
                let listed = guests["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|g| g["id"] == id.as_str() && g["spaces"][0]["id"] == space.as_str());
                assert!(listed, "acknowledged guest {id} lost its grant");
            }
            Ack::SecretSet { id, name, value } => {
                has_event(id);
                let found = secrets["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["name"] == name.as_str() && x["value"] == value.as_str());
                assert!(found, "acknowledged secret {name} lost");
            }
            Ack::Promoted { user } => {
                let body = api
                    .ok("GET", &format!("/v1/users/{user}"), Some(admin), None)
                    .await;
                assert_eq!(
                    body["data"]["role"], "Administrator",
                    "acknowledged role change lost"
                );
                assert!(
                    export.contains(user.as_str()),
                    "no audit event names {user}"
                );
            }
        }
    }
    acks.len()
}

#[actix_web::test]
async fn acknowledged_writes_survive_sigkill_at_random_moments() {
    let cycles: usize = std::env::var("CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let binary = release_binary("CRASH_BINARY");
    let dir = tempfile::tempdir().unwrap();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    println!("crash harness seed {seed:x}");
    let mut rng = Rng(seed | 1);
    let launch = || -> Server {
        let mut cmd = command(&binary, dir.path());
        cmd.env("LATCHKEY_LIMITS__KEYS_PER_ENVIRONMENT", "100000")
            .env("LATCHKEY_LIMITS__PATS_PER_USER", "100000")
            .env("LATCHKEY_LIMITS__USERS", "100000")
            .env("LATCHKEY_LIMITS__SECRETS_PER_SCOPE", "100000");
        start_with(cmd)
    };
    let mut server = launch();
    let api = Client::new(&server.url);
    let admin = api.admin_token().await;
    let env = s(&api.ok("GET", "/v1/environments", Some(&admin), None).await["data"][0]["id"]);
    let space = s(&api
        .ok(
            "POST",
            "/v1/spaces",
            Some(&admin),
            Some(json!({ "name": "crash", "environmentId": env })),
        )
        .await["data"]["id"]);
    let account = s(&api
        .ok("GET", "/v1/accounts/current", Some(&admin), None)
        .await["data"]["id"]);
    let fx = Rc::new(Fixture {
        env,
        space,
        account,
    });
    let mut all: Vec<Ack> = Vec::new();
    let mut checked = 0;
    for cycle in 0..cycles {
        let started = std::time::Instant::now();
        let ledger = Rc::new(RefCell::new(Vec::new()));
        let writers: Vec<_> = (0..4)
            .map(|w| {
                actix_web::rt::spawn(writer(
                    server.url.clone(),
                    admin.clone(),
                    Rc::clone(&fx),
                    rng.next() ^ w,
                    Rc::clone(&ledger),
                ))
            })
            .collect();
        actix_web::rt::time::sleep(Duration::from_millis(150 + rng.below(450))).await;
        server.kill();
        for w in writers {
            w.await.unwrap();
        }
        let killed = started.elapsed();
        server = launch();
        let restarted = started.elapsed();
        let api = Client::new(&server.url);
        let acks = ledger.borrow().clone();
        checked += verify(&api, &admin, &fx, &acks).await;
        all.extend(acks);
        println!(
            "cycle {}: {} acknowledged writes checked (killed at {killed:?}, restarted at {restarted:?}, verified at {:?})",
            cycle + 1,
            ledger.borrow().len(),
            started.elapsed()
        );
    }
    let api = Client::new(&server.url);
    checked += verify(&api, &admin, &fx, &all).await;
    assert_eq!(server.terminate(), Some(0));
    println!("crash harness: {cycles} kill/restart cycles, {checked} acknowledged writes checked, lost: 0");
}
