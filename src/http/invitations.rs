//! Guest sign-in: magic links (`POST /invitations`) and their redemption or a shared-link join
//! (`POST /invitations/exchange`).

use super::extract::JsonBody;
use super::guests::issue_guest_token;
use super::spaces::effective_methods;
use super::{audit, data, success, ApiError, AppState};
use crate::auth::credential::RawCredential;
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::{Authenticator, Principal};
use crate::domain::{GuestAuthentication, GuestId, MailSubject, SpaceId};
use crate::store::{Event, Guest, Link, LinkPurpose, Mail, Space};
use actix_web::{web, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Invite {
    guest_id: String,
    space_id: String,
    from_name: Option<String>,
    message: Option<String>,
}

/// `POST /invitations` with a JSON array: a single-use magic link per guest, into the outbox.
pub(super) async fn send_invitations(
    p: Principal,
    auth: web::Data<Authenticator>,
    state: web::Data<AppState>,
    body: JsonBody<Vec<Invite>>,
) -> Result<HttpResponse, ApiError> {
    let max = state.limits.guests_per_request as usize;
    if body.0.is_empty() || body.0.len() > max {
        return Err(ApiError::unprocessable(
            "body",
            format!("send 1 to {max} invitations per request (limits.guests_per_request)"),
        ));
    }
    for invite in body.0 {
        let guest_id = GuestId::parse(&invite.guest_id)?;
        let space_id = SpaceId::parse(&invite.space_id)?;
        let missing = || ApiError::NotFound(format!("space {space_id} not found"));
        let space = auth
            .store()
            .space(&space_id)?
            .filter(|s| s.account_id == p.account_id)
            .ok_or_else(missing)?;
        let env = auth
            .store()
            .environment(&space.environment_id)?
            .ok_or_else(missing)?;
        let invites = space.guests_can_invite.unwrap_or(true) && env.guests_can_invite;
        let base = Resource::space(&p.account_id, &env.id, &space.id)
            .guest_invites(invites)
            .archived(space.archived_at.is_some());
        let guest = auth
            .store()
            .guest(&guest_id)?
            .filter(|g| g.environment_id == space.environment_id);
        let target = match &guest {
            Some(g) => auth.store().grant(&g.id, &space.id)?,
            None => None,
        };
        // The link opens what the target's grant opens: a guest may send it only within its own.
        match target.as_ref().and_then(|t| t.workbooks.as_ref()) {
            None => authorize(&p, Action::InviteGuests, base)?,
            Some(wbs) => {
                for wb in wbs {
                    authorize(&p, Action::InviteGuests, base.workbook(wb))?;
                }
            }
        }
        let guest =
            guest.ok_or_else(|| ApiError::NotFound(format!("guest {guest_id} not found")))?;
        if target.is_none() {
            return Err(ApiError::unprocessable("guestId", format!("guest {guest_id} has no access to space {space_id}; add it with POST /v1/guests first")));
        }
        if !effective_methods(&space, &env).contains(&GuestAuthentication::MagicLink) {
            return Err(ApiError::unprocessable(
                "spaceId",
                format!("magic links are turned off for space {space_id}"),
            ));
        }
        let (digest, link, mail) = magic_link(&auth, &state, &guest, &space, &invite);
        let event = audit(&auth, &p, "guest:invited", "space")
            .in_environment(&env.id)
            .in_space(&space.id)
            .with_payload(
                serde_json::json!({ "guestId": guest.id.as_str(), "email": guest.email.as_str() }),
            );
        auth.store()
            .send_link(&digest, &link, &mail, &event)
            .await?;
    }
    Ok(success())
}

fn magic_link(
    auth: &Authenticator,
    state: &AppState,
    guest: &Guest,
    space: &Space,
    invite: &Invite,
) -> ([u8; 32], Link, Mail) {
    let now = auth.clock().now();
    let token = auth.new_link_token();
    let link = Link {
        purpose: LinkPurpose::GuestLogin {
            guest: guest.id.clone(),
            space: space.id.clone(),
        },
        account_id: guest.account_id.clone(),
        created_at: now,
        expires_at: now.plus_seconds(state.link_ttl_seconds),
    };
    let from: String = invite
        .from_name
        .as_deref()
        .unwrap_or("Someone")
        .chars()
        .filter(|c| !c.is_control())
        .take(128)
        .collect();
    let note: String = invite
        .message
        .as_deref()
        .unwrap_or("")
        .chars()
        .take(2000)
        .collect();
    let body = format!(
        "{from} invited you to the space \"{space}\".\n\n{note}\n\nOpen: {base}/join/{id}#token={token}\n\n\
         The link works once and expires {expires}. To sign in from a terminal:\n\
         curl -X POST {base}/v1/invitations/exchange -H 'Content-Type: application/json' -d '{{\"token\":\"{token}\"}}'\n",
        space = space.name,
        base = state.public_url,
        id = space.id,
        token = token.expose(),
        expires = link.expires_at.to_rfc3339(),
    );
    let mail = Mail {
        to: guest.email.clone(),
        subject: MailSubject::new(&format!("{from} invited you to {}", space.name)),
        sealed_body: auth.seal_mail(&body),
        account_id: guest.account_id.clone(),
        created_at: now,
    };
    (token.digest(), link, mail)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Exchange {
    token: Option<String>,
    email: Option<String>,
    space_id: Option<String>,
}

/// `POST /invitations/exchange`: `{token}` redeems a magic link once; `{email, spaceId}` joins
/// through a space's shared link. Either answers `{valid, token?, sentTo?}` with a one-hour
/// guest token limited to the space.
pub(super) async fn exchange(
    auth: web::Data<Authenticator>,
    state: web::Data<AppState>,
    body: JsonBody<Exchange>,
) -> Result<HttpResponse, ApiError> {
    match body.0 {
        Exchange {
            token: Some(token), ..
        } => redeem(&auth, &token).await,
        Exchange {
            email: Some(email),
            space_id: Some(space),
            ..
        } => super::shared_links::join(&auth, &state, &email, &space).await,
        _ => Err(ApiError::bad_request(
            "token",
            "send {token} from a magic link, or {email, spaceId} for a shared link",
        )),
    }
}

async fn redeem(auth: &Authenticator, token: &str) -> Result<HttpResponse, ApiError> {
    let raw =
        RawCredential::parse(token).map_err(|e| ApiError::bad_request("token", e.to_string()))?;
    let invalid = || data(serde_json::json!({ "valid": false }));
    let Some(link) = auth
        .store()
        .take_link(&raw.digest(), |p| {
            matches!(
                p,
                LinkPurpose::GuestLogin { .. } | LinkPurpose::SharedLinkJoin { .. }
            )
        })
        .await?
    else {
        return Ok(invalid());
    };
    let (guest, space) = match &link.purpose {
        LinkPurpose::GuestLogin { guest, space } => (guest.clone(), space.clone()),
        LinkPurpose::SharedLinkJoin { guest, space } => {
            return super::shared_links::redeem_join(auth, &link, guest, space).await
        }
        LinkPurpose::SetPassword(_) => return Ok(invalid()),
    };
    let now = auth.clock().now();
    let Some(guest) = auth.store().guest(&guest)? else {
        return Ok(invalid());
    };
    let usable = now < link.expires_at
        && auth.store().grant(&guest.id, &space)?.is_some()
        && auth.allows(&space, GuestAuthentication::MagicLink)?;
    if !usable {
        return Ok(invalid());
    }
    let token = issue_guest_token(auth, &guest, Some(&space), "magic_link");
    record_redeemed(auth, &guest, &space, "magic_link").await?;
    Ok(data(
        serde_json::json!({ "valid": true, "token": token, "sentTo": guest.email.as_str() }),
    ))
}

pub(super) async fn record_redeemed(
    auth: &Authenticator,
    guest: &Guest,
    space: &SpaceId,
    via: &str,
) -> Result<(), ApiError> {
    let event = Event::new(
        "guest:link-redeemed",
        "auth",
        guest.account_id.clone(),
        auth.clock().now(),
    )
    .in_environment(&guest.environment_id)
    .in_space(space)
    .by(Some(guest.id.to_string()))
    .with_payload(serde_json::json!({ "guestId": guest.id.as_str(), "via": via }));
    auth.store().record_events(&[event]).await?;
    Ok(())
}
