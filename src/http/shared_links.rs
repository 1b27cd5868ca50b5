//! Shared-link joins (`POST /invitations/exchange` with `{email, spaceId}`). Anyone holding a
//! space's link may join it as a new guest. An address that already belongs to a guest is never
//! handed that guest's identity: a single-use link is mailed to the address instead, and only
//! whoever reads that mail gets in as that guest.

use super::guests::{issue_guest_token, whole_space};
use super::invitations::{record_redeemed, ExchangeBody};
use super::{ApiError, AppState};
use crate::auth::rate::address_bucket;
use crate::domain::{
    Email, Event, Guest, GuestAuthentication, GuestId, Link, LinkPurpose, Mail, MailSubject,
    PersonName, Space, SpaceId,
};
use crate::store::GuestPlan;
use actix_web::{HttpRequest, HttpResponse};

/// Joins `space` as `email`: a new guest gets a token at once; an existing guest's address gets
/// a mailed link (`{valid: true, sentTo}` without a token).
pub(super) async fn join(
    req: &HttpRequest,
    state: &AppState,
    email: &str,
    space: &str,
) -> Result<HttpResponse, ApiError> {
    let address = super::client_addr::client_ip(req).map(|ip| address_bucket(ip).to_string());
    state
        .guest_limits
        .joins
        .hit(address.as_deref().unwrap_or("unknown"))
        .map_err(|retry_after| ApiError::TooManyRequests {
            message: "too many shared-link joins from this address; try again later (guests.shared_link_joins_per_address_per_hour)".into(),
            retry_after,
        })?;
    let email = Email::parse(email)?;
    let space = open_space(state, &SpaceId::parse(space)?)?;
    if let Some(existing) = state.store.guest_by_email(&space.environment_id, &email)? {
        mail_join_link(state, &existing, &space).await?;
        return Ok(ExchangeBody::mailed(&existing));
    }
    let now = state.clock.now();
    let guest = Guest {
        id: GuestId::generate(),
        account_id: space.account_id.clone(),
        environment_id: space.environment_id.clone(),
        name: PersonName::parse(
            email.as_str().split('@').next().unwrap_or_default(),
            &state.limits.text,
        )
        .or_else(|_| PersonName::parse("guest", &state.limits.text))?,
        email,
        created_at: now,
        updated_at: now,
    };
    admit(
        state,
        &guest,
        &space,
        Some(state.guest_limits.guests_per_space),
    )
    .await
}

/// Redeems a link mailed by `join`, once: the guest joins the space if its shared link is
/// still open.
pub(super) async fn redeem_join(
    state: &AppState,
    link: &Link,
    guest: &GuestId,
    space: &SpaceId,
) -> Result<HttpResponse, ApiError> {
    let invalid = ExchangeBody::invalid;
    if state.clock.now() >= link.expires_at {
        return Ok(invalid());
    }
    let Some(guest) = state.store.guest(guest)? else {
        return Ok(invalid());
    };
    let Ok(space) = open_space(state, space) else {
        return Ok(invalid());
    };
    admit(state, &guest, &space, None).await
}

/// The space, if its shared link is on and it is not archived.
fn open_space(state: &AppState, id: &SpaceId) -> Result<Space, ApiError> {
    let space = state
        .store
        .space(id)?
        .ok_or_else(|| ApiError::NotFound(format!("space {id} not found")))?;
    if !state
        .auth
        .allows(&space.id, GuestAuthentication::SharedLink)?
    {
        return Err(ApiError::Forbidden(format!(
            "the shared link of space {id} is turned off"
        )));
    }
    if space.archived_at.is_some() {
        return Err(ApiError::Forbidden(format!(
            "space {id} is archived; its shared link is closed"
        )));
    }
    Ok(space)
}

/// Grants `guest` the whole space (when it lacks a grant; a new guest only while the space has
/// fewer than `cap` guests) and answers a guest token for it.
async fn admit(
    state: &AppState,
    guest: &Guest,
    space: &Space,
    cap: Option<usize>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    if state.store.grant(&guest.id, &space.id)?.is_none() {
        let grant = whole_space(&guest.id, &space.id, now);
        let event = Event::new("space:guestAdded", "space", space.account_id.clone(), now)
            .in_environment(&space.environment_id)
            .in_space(&space.id)
            .by(Some(guest.id.to_string()))
            .with_payload(serde_json::json!({ "guestId": guest.id.as_str(), "email": guest.email.as_str(), "via": "shared_link" }));
        let plan = GuestPlan {
            guest: guest.clone(),
            grants: vec![grant],
        };
        match cap {
            Some(max) => {
                state
                    .store
                    .join_space(&plan, &space.id, max, &event)
                    .await?
            }
            None => {
                state
                    .store
                    .upsert_guests(std::slice::from_ref(&plan), &[event])
                    .await?;
            }
        }
    } else {
        record_redeemed(state, guest, &space.id, "shared_link").await?;
    }
    let token = issue_guest_token(state, guest, Some(&space.id), "shared_link");
    Ok(ExchangeBody::admitted(guest, token))
}

/// Mails `guest` a single-use link that admits it to `space`; the text is the server's own.
async fn mail_join_link(state: &AppState, guest: &Guest, space: &Space) -> Result<(), ApiError> {
    let purpose = LinkPurpose::SharedLinkJoin {
        guest: guest.id.clone(),
        space: space.id.clone(),
    };
    let (token, link) = state.new_link(purpose, guest.account_id.clone());
    let now = link.created_at;
    let body = format!(
        "Someone asked to join a space on Latchkey through its shared link with this address.\n\
         If it was you, open: {base}/join/{id}#token={token}\n\n\
         The link works once and expires {expires}. If it was not you, ignore this mail.\n",
        base = state.public_url,
        id = space.id,
        token = token.expose(),
        expires = link.expires_at.to_rfc3339(),
    );
    let mail = Mail {
        to: guest.email.clone(),
        subject: MailSubject::new("Your link to join a space"),
        sealed_body: state.auth.seal_mail(&body),
        account_id: guest.account_id.clone(),
        created_at: now,
    };
    let event = Event::new(
        "guest:join-link-sent",
        "auth",
        guest.account_id.clone(),
        now,
    )
    .in_environment(&guest.environment_id)
    .in_space(&space.id)
    .with_payload(serde_json::json!({ "guestId": guest.id.as_str() }));
    state
        .store
        .send_link(&token.digest(), &link, &mail, &event)
        .await?;
    Ok(())
}
