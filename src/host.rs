//! `latchkey admin …`: recovery commands run on the host against a stopped server's data
//! directory (its lock refuses them while a server runs on it). Each change is one store
//! transaction with its audit event, as through the API; the actor is `host`.

use crate::auth::password::PasswordHasher;
use crate::config::Config;
use crate::domain::{ActorRoleId, Email, Event, Role, Timestamp, User};
use crate::store::{Store, StoreError};
use std::num::NonZeroU32;
use std::path::Path;

/// The actor id of changes made on the host.
const HOST_ACTOR: &str = "host";

/// What a host command did, for the operator.
pub struct Outcome {
    /// The line to print.
    pub message: String,
}

/// Sets a new password for `email`: `password`, or a generated one that the outcome shows once.
pub fn reset_password(
    config: &Config,
    email: &str,
    password: Option<String>,
) -> Result<Outcome, String> {
    let (password, generated) = match password {
        Some(p) if (8..=1024).contains(&p.chars().count()) => (p, false),
        Some(_) => return Err("a password has 8 to 1024 characters".into()),
        None => (crate::domain::random::base62(20), true),
    };
    let iterations = NonZeroU32::new(config.security.pbkdf2_iterations).unwrap_or(NonZeroU32::MIN);
    let shown = password.clone();
    let email = with_user(config, email, move |store, user, now| async move {
        let hasher = PasswordHasher::new(iterations, 1);
        let hash = hasher
            .hash(password)
            .await
            .map_err(|e| StoreError::Io(e.to_string()))?;
        let event = host_event("user:password-reset", &user, now)
            .with_payload(serde_json::json!({ "userId": user.id.as_str(), "email": user.email.as_str(), "via": "latchkey admin reset-password" }));
        // The new password ends every login session of the user, as a password change does.
        store
            .change_password(&user.id, &hash, None, now, &event)
            .await?;
        Ok(user.email.to_string())
    })?;
    let message = if generated {
        format!("new password for {email}: {shown}   (generated; shown only this once)")
    } else {
        format!("set the password of {email}")
    };
    Ok(Outcome { message })
}

/// Makes `email` an Administrator.
pub fn promote(config: &Config, email: &str) -> Result<Outcome, String> {
    let (email, can_sign_in) = with_user(config, email, |store, mut user, now| async move {
        let from = user.role;
        if from == Role::Administrator {
            return Ok((user.email.to_string(), user.password.is_some()));
        }
        user.role = Role::Administrator;
        user.role_assignment = ActorRoleId::generate();
        user.role_assigned_at = now;
        user.updated_at = now;
        let event = host_event("user:role-changed", &user, now).with_payload(serde_json::json!({
            "userId": user.id.as_str(), "from": from.as_str(), "to": Role::Administrator.as_str(),
            "via": "latchkey admin promote",
        }));
        store.update_user(&user, &event).await?;
        Ok((user.email.to_string(), user.password.is_some()))
    })?;
    let mut message = format!("{email} is an Administrator");
    if !can_sign_in {
        message.push_str(&format!(
            "; they have no password yet: run latchkey admin reset-password {email}"
        ));
    }
    Ok(Outcome { message })
}

fn host_event(topic: &str, user: &User, now: Timestamp) -> Event {
    Event::new(topic, "user", user.account_id.clone(), now).by(Some(HOST_ACTOR.into()))
}

/// Opens the store of `config` (refusing while a server holds it), finds `email`'s user and
/// runs `change` on it inside an actix system (password hashing and durable writes need one).
fn with_user<R, F, Fut>(config: &Config, email: &str, change: F) -> Result<R, String>
where
    F: FnOnce(Store, User, Timestamp) -> Fut,
    Fut: std::future::Future<Output = Result<R, StoreError>>,
{
    let email = Email::parse(email).map_err(|e| e.to_string())?;
    let dir = Path::new(&config.storage.data_dir);
    if !dir.join("db").exists() {
        return Err(format!(
            "{} holds no Latchkey store; pass --data DIR or --config PATH (storage.data_dir)",
            dir.display()
        ));
    }
    actix_web::rt::System::new().block_on(async move {
        let store = Store::open(dir).map_err(|e| match e {
            StoreError::Locked(path) => format!(
                "the data directory {path} is in use by a running latchkey server (or another host command); stop the server first, then run this again"
            ),
            other => format!("cannot open the data directory {}: {other}", dir.display()),
        })?;
        let user = store
            .user_by_email(&email)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no user has the email {email}"))?;
        let now = crate::clock::Clock::default().now();
        change(store.clone(), user, now)
            .await
            .map_err(|e| e.to_string())
    })
}
