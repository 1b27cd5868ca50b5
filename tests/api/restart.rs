use crate::helpers::*;
use actix_web::http::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn a_restart_keeps_keys_tokens_rotations_and_deletions() {
    let mut app = spawn_app().await;
    let admin = app.admin_token().await;
    let (env, secret, _) = app.create_environment(&admin, "kept").await;
    let dev = app.environment_id(&admin, "development").await;
    let pk_id = app
        .keys(&admin, &dev)
        .await
        .into_iter()
        .find(|k| k["type"] == "PUBLISHABLE")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = app.delete_api_key(&admin, &dev, &pk_id).await;
    assert_eq!(status, StatusCode::OK);
    let sk_id = app
        .keys(&admin, &env)
        .await
        .into_iter()
        .find(|k| k["type"] == "SECRET")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, rotated) = app
        .rotate_key(&admin, &sk_id, json!({ "expiresInSeconds": 600 }))
        .await;
    let replacement = rotated["data"]["key"]["rawKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let deleted_publishable = app.dev_publishable.clone();

    app.restart().await;

    assert_eq!(app.generated_password, None);
    assert_eq!(
        app.environments(&admin).await.0,
        StatusCode::OK,
        "tokens survive a restart"
    );
    assert_eq!(
        current_status(&app, &secret).await,
        StatusCode::OK,
        "the rotating key is still in its grace"
    );
    assert_eq!(current_status(&app, &replacement).await, StatusCode::OK);
    assert_eq!(
        current_status(&app, &deleted_publishable).await,
        StatusCode::UNAUTHORIZED
    );
    let (_, envs) = app.environments(&admin).await;
    assert_eq!(envs["pagination"]["totalCount"], 3);
    let state = app
        .keys(&admin, &env)
        .await
        .into_iter()
        .find(|k| k["id"] == sk_id.as_str())
        .unwrap();
    assert_eq!(state["state"], "expiring");
    assert_eq!(
        app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.0,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_second_start_changes_nothing_and_shows_no_password() {
    let mut app = spawn_app_with(|c| c.bootstrap.admin_password = Default::default()).await;
    let password = app
        .generated_password
        .clone()
        .expect("a generated password on first start");
    assert!(password.len() >= 16);
    let (status, body) = app.login(ADMIN_EMAIL, &password).await;
    assert_eq!(status, StatusCode::OK);
    let token = body["accessToken"].as_str().unwrap().to_owned();
    let (dev_secret, before) = (app.dev_secret.clone(), app.environments(&token).await.1);
    app.restart().await;
    assert_eq!(app.generated_password, None);
    assert_eq!(app.dev_secret, dev_secret);
    assert_eq!(app.environments(&token).await.1, before);
    assert_eq!(app.login(ADMIN_EMAIL, &password).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn an_inconsistent_store_is_refused_with_a_clear_message() {
    let mut app = spawn_app().await;
    app.stop().await;
    {
        let db = (0..200)
            .find_map(|_| {
                sled::open(app.dir().join("data")).ok().or_else(|| {
                    std::thread::sleep(std::time::Duration::from_millis(25));
                    None
                })
            })
            .expect("the data directory opens once the server is gone");
        let digests = db.open_tree("digests").unwrap();
        let mut value = vec![1u8, 0, 0, 0, 0];
        value.extend(bincode::serialize("us_key_dangling").unwrap());
        digests.insert([7u8; 32], value).unwrap();
        // As after a crash: no clean-shutdown mark, so the next start checks every record.
        db.open_tree("meta")
            .unwrap()
            .remove("clean_shutdown")
            .unwrap();
        db.flush().unwrap();
    }
    let error = app
        .start()
        .await
        .expect_err("startup refuses the store")
        .to_string();
    assert!(
        error.contains("inconsistent") && error.contains("us_key_dangling"),
        "{error}"
    );
}

#[actix_web::test]
async fn a_wrong_master_key_is_refused_at_startup() {
    let mut app = spawn_app().await;
    app.stop().await;
    let key_file = app.config.security.master_key_file.clone();
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key_file).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "the master key file is private");
    app.config.security.master_key =
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [9u8; 32]).into();
    let error = app
        .start()
        .await
        .expect_err("a wrong master key is refused")
        .to_string();
    assert!(error.contains("master key does not match"), "{error}");
    app.config.security.master_key = Default::default();
    std::fs::remove_file(&key_file).unwrap();
    let error = app
        .start()
        .await
        .expect_err("a missing key file is refused")
        .to_string();
    assert!(error.contains("does not exist"), "{error}");
}

#[actix_web::test]
async fn the_raw_data_directory_holds_no_raw_key_or_password() {
    let mut app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, secret, publishable) = app.create_environment(&admin, "scan").await;
    app.stop().await;
    let mut haystack = Vec::new();
    for entry in walk(&app.dir().join("data")) {
        haystack.extend(std::fs::read(entry).unwrap());
    }
    assert!(!haystack.is_empty());
    for needle in [
        secret.as_str(),
        publishable.as_str(),
        app.dev_secret.as_str(),
        ADMIN_PASSWORD,
    ] {
        assert!(
            !haystack
                .windows(needle.len())
                .any(|w| w == needle.as_bytes()),
            "the data directory holds a raw credential"
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
