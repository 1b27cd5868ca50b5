//! `GET /v1/latchkey/overview?environmentId=…` (Administrators): the figures of the admin page's
//! overview, so that they are scriptable too. Requests by credential kind over the last 24 hours
//! and 30 days (the environment's callers, and account-wide: users' credentials and refused
//! credentials, which name no environment), credentials expiring soon or unused, the
//! environment's recent audit events and when the last backup was taken.

use super::events::EventBody;
use super::extract::Query;
use super::reach::allowed_environment;
use super::{data, ApiError, AppState};
use crate::auth::policy::Action;
use crate::auth::usage::{hour_of, KINDS};
use crate::auth::{Authenticator, Principal};
use crate::domain::{ApiKey, Pat};
use crate::domain::{EnvironmentId, Timestamp};
use crate::store::{EnvironmentContents, UsageHour};
use actix_web::{web, HttpResponse};
use serde::Serialize;
use std::collections::BTreeMap;

/// Keys whose end is at most this near are "expiring soon".
const EXPIRING_WITHIN_SECONDS: i64 = 7 * 86_400;
/// Credentials not used for this long are "unused".
const UNUSED_AFTER_SECONDS: i64 = 30 * 86_400;
/// Recent audit events shown.
const RECENT_EVENTS: usize = 10;
/// The newest audit events looked at for the recent ones and for the last backup.
const EVENTS_EXAMINED: usize = 100_000;
/// What the credential figures cannot show yet, said in the answer.
const NOTES: [&str; 2] = [
    "API keys and personal access tokens have no expiry date: only a key replaced by a rotation \
     expires, at the end of its grace period.",
    "API keys keep no last-use time: only personal access tokens (used to the minute) can be \
     listed as never used or unused for 30 days.",
];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OverviewBody<'a> {
    environment_id: String,
    generated_at: String,
    /// Every credential kind a count may name, in display order.
    kinds: [&'static str; KINDS.len()],
    /// Requests of callers bound to this environment: its keys, their tokens, its guests.
    environment: Series,
    /// The rest of the account: users' credentials, and refused credentials.
    account: Series,
    credentials: Credentials,
    /// What the environment holds: what deleting it removes.
    contents: Contents,
    recent_events: Vec<EventBody<'a>>,
    last_backup_at: Option<String>,
}

/// Counts per hour of the last 24 hours and per day of the last 30, oldest first.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Series {
    last_24_hours: Vec<Bucket>,
    last_30_days: Vec<Bucket>,
    totals: Totals,
}

#[derive(Serialize)]
struct Totals {
    #[serde(rename = "last24Hours")]
    last_24_hours: Count,
    #[serde(rename = "last30Days")]
    last_30_days: Count,
}

#[derive(Serialize, Default)]
struct Count {
    requests: u64,
    failures: u64,
}

#[derive(Serialize)]
struct Bucket {
    /// When the hour or day starts.
    start: String,
    /// Requests that authenticated, per credential kind (kinds with none left out).
    requests: BTreeMap<String, u64>,
    /// Refused credentials, per kind presented.
    failures: BTreeMap<String, u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Contents {
    api_keys: usize,
    spaces: usize,
    guests: usize,
    secrets: usize,
    agents: usize,
    guides: usize,
}

impl From<EnvironmentContents> for Contents {
    fn from(c: EnvironmentContents) -> Self {
        Self {
            api_keys: c.api_keys,
            spaces: c.spaces,
            guests: c.guests,
            secrets: c.secrets,
            agents: c.agents,
            guides: c.guides,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Credentials {
    expiring_soon: Vec<CredentialItem>,
    never_used: Vec<CredentialItem>,
    unused_for_30_days: Vec<CredentialItem>,
    notes: [&'static str; NOTES.len()],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CredentialItem {
    kind: &'static str,
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_at: Option<String>,
}

pub(super) async fn get_overview(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let auth = &state.auth;
    let id = EnvironmentId::parse(q.required("environmentId")?)?;
    let env = allowed_environment(&state, &p, &id, Action::ReadOverview)?;
    let store = &state.store;
    let now = state.clock.now();
    let keys = store.api_keys_of(&env.id)?;
    let pats = account_pats(auth, &p)?;
    let events = recent_events(auth, &p, &env.id)?;
    Ok(data(OverviewBody {
        environment_id: env.id.to_string(),
        generated_at: now.to_rfc3339(),
        kinds: KINDS,
        environment: series(auth, Some(&env.id), now)?,
        account: series(auth, None, now)?,
        credentials: credentials(&keys, &pats, now),
        contents: store.environment_contents(&env.id)?.into(),
        recent_events: events.iter().map(EventBody::from).collect(),
        last_backup_at: last_backup(auth, &p)?.map(Timestamp::to_rfc3339),
    }))
}

/// Every PAT of the account's users, with their last use not yet written.
fn account_pats(auth: &Authenticator, p: &Principal) -> Result<Vec<Pat>, ApiError> {
    let mut pats = Vec::new();
    for user in auth.store().users()? {
        if user.account_id == p.account_id {
            pats.extend(auth.store().pats_of(&user.id)?.into_iter().map(|mut pat| {
                pat.last_used_at = pat.last_used_at.max(auth.pending_pat_use(&pat.id));
                pat
            }));
        }
    }
    Ok(pats)
}

/// The stored and not yet stored counts of `scope`, bucketed.
fn series(
    auth: &Authenticator,
    scope: Option<&EnvironmentId>,
    now: Timestamp,
) -> Result<Series, ApiError> {
    let this_hour = hour_of(now);
    let today = this_hour / 24;
    let first_day = today.saturating_sub(29);
    let mut hours: BTreeMap<u32, UsageHour> = BTreeMap::new();
    let stored = auth.store().usage_since(scope, first_day * 24)?;
    for (hour, counts) in stored.into_iter().chain(auth.usage().pending(scope)) {
        if hour >= first_day * 24 && hour <= this_hour {
            hours.entry(hour).or_default().add(&counts);
        }
    }
    let bucket = |from: u32, to: u32, start_hour: u32| {
        let mut sum = UsageHour::default();
        for (_, counts) in hours.range(from..to) {
            sum.add(counts);
        }
        let start = Timestamp::from_unix_seconds(i64::from(start_hour) * 3600).to_rfc3339();
        Bucket {
            start,
            requests: sum.requests,
            failures: sum.failures,
        }
    };
    let last_24_hours: Vec<Bucket> = (this_hour.saturating_sub(23)..=this_hour)
        .map(|h| bucket(h, h + 1, h))
        .collect();
    let last_30_days: Vec<Bucket> = (first_day..=today)
        .map(|d| bucket(d * 24, (d + 1) * 24, d * 24))
        .collect();
    let totals = Totals {
        last_24_hours: total(&last_24_hours),
        last_30_days: total(&last_30_days),
    };
    Ok(Series {
        last_24_hours,
        last_30_days,
        totals,
    })
}

fn total(buckets: &[Bucket]) -> Count {
    let sum = |m: &BTreeMap<String, u64>| m.values().fold(0u64, |a, n| a.saturating_add(*n));
    buckets.iter().fold(Count::default(), |c, b| Count {
        requests: c.requests.saturating_add(sum(&b.requests)),
        failures: c.failures.saturating_add(sum(&b.failures)),
    })
}

fn credentials(keys: &[ApiKey], pats: &[Pat], now: Timestamp) -> Credentials {
    let soon = now.plus_seconds(EXPIRING_WITHIN_SECONDS);
    let expiring_soon = keys
        .iter()
        .filter(|k| k.expires_at.is_some_and(|at| at > now && at <= soon))
        .map(|k| CredentialItem {
            kind: match k.key_type {
                crate::domain::ApiKeyType::Secret => "secret-key",
                crate::domain::ApiKeyType::Publishable => "publishable-key",
            },
            id: k.id.to_string(),
            name: None,
            user_id: None,
            created_at: k.created_at.to_rfc3339(),
            expires_at: k.expires_at.map(Timestamp::to_rfc3339),
            last_used_at: None,
        })
        .collect();
    let unused_since = now.plus_seconds(-UNUSED_AFTER_SECONDS);
    let pat_item = |pat: &Pat| CredentialItem {
        kind: "personal-access-token",
        id: pat.id.to_string(),
        name: Some(pat.name.as_str().to_owned()),
        user_id: Some(pat.user_id.to_string()),
        created_at: pat.created_at.to_rfc3339(),
        expires_at: None,
        last_used_at: pat.last_used_at.map(Timestamp::to_rfc3339),
    };
    Credentials {
        expiring_soon,
        never_used: pats
            .iter()
            .filter(|p| p.last_used_at.is_none())
            .map(pat_item)
            .collect(),
        unused_for_30_days: pats
            .iter()
            .filter(|p| p.last_used_at.is_some_and(|at| at < unused_since))
            .map(pat_item)
            .collect(),
        notes: NOTES,
    }
}

fn recent_events(
    auth: &Authenticator,
    p: &Principal,
    env: &EnvironmentId,
) -> Result<Vec<crate::domain::Event>, ApiError> {
    let keep = |e: &crate::store::Event| {
        e.account_id == p.account_id && e.environment_id.as_ref() == Some(env)
    };
    Ok(auth
        .store()
        .newest_events_among(&keep, RECENT_EVENTS, EVENTS_EXAMINED)?)
}

/// When the newest `latchkey:backup-taken` event was recorded (`GET /v1/latchkey/backup`), among
/// the newest `EVENTS_EXAMINED` events.
fn last_backup(auth: &Authenticator, p: &Principal) -> Result<Option<Timestamp>, ApiError> {
    let keep = |e: &crate::store::Event| {
        e.account_id == p.account_id && e.topic == "latchkey:backup-taken"
    };
    let newest = auth
        .store()
        .newest_events_among(&keep, 1, EVENTS_EXAMINED)?;
    Ok(newest.first().map(|e| e.created_at))
}
