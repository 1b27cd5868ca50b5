//! Guest sign-in: magic links (`POST /invitations`) and their redemption or a shared-link join
//! (`POST /invitations/exchange`).

use super::extract::JsonBody;
use super::guests::{authorize_invite, guest_space, issue_guest_token};
use super::people::batch;
use super::{audit, data, success, ApiError, AppState};
use crate::auth::credential::RawCredential;
use crate::auth::{Principal, PrincipalKind};
use crate::domain::{
    Event, Guest, GuestAuthentication, GuestId, Link, LinkPurpose, Mail, MailSubject, Space,
    SpaceId,
};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

/// The contract's invite. `fromName` and `message` are accepted and ignored: a mail carries only
/// the server's own text and names the inviter as the server knows it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Invite {
    guest_id: String,
    space_id: String,
}

/// An `Invite`, parsed.
struct InvitePlan {
    guest: GuestId,
    space: SpaceId,
}

impl TryFrom<Invite> for InvitePlan {
    type Error = ApiError;

    fn try_from(invite: Invite) -> Result<Self, ApiError> {
        Ok(Self {
            guest: GuestId::parse(&invite.guest_id)?,
            space: SpaceId::parse(&invite.space_id)?,
        })
    }
}

/// `POST /invitations` with a JSON array: a single-use magic link per guest, into the outbox.
pub(super) async fn send_invitations(
    p: Principal,
    state: web::Data<AppState>,
    body: JsonBody<Vec<Invite>>,
) -> Result<HttpResponse, ApiError> {
    let invites = batch(body.0, state.limits.guests_per_request, "invitations")?;
    let from = inviter_name(&state, &p)?;
    for invite in invites {
        let (guest, space) = invitable(&state, &p, &InvitePlan::try_from(invite)?)?;
        guest_invitation_budget(&state, &p)?;
        let (digest, link, mail) = magic_link(&state, &guest, &space, &from);
        let event = audit(&state, &p, "guest:invited", "space")
            .in_environment(&space.environment_id)
            .in_space(&space.id)
            .with_payload(
                serde_json::json!({ "guestId": guest.id.as_str(), "email": guest.email.as_str() }),
            );
        state.store.send_link(&digest, &link, &mail, &event).await?;
    }
    Ok(success())
}

/// The guest and space `invite` names, once `p` may invite into the space (within its own
/// grant, for a guest), the guest holds a grant to it and its magic links are on.
fn invitable(
    state: &AppState,
    p: &Principal,
    invite: &InvitePlan,
) -> Result<(Guest, Space), ApiError> {
    let (space, env) = guest_space(state, p, &invite.space, None)?;
    let guest = state
        .store
        .guest(&invite.guest)?
        .filter(|g| g.environment_id == space.environment_id);
    let target = match &guest {
        Some(g) => state.store.grant(&g.id, &space.id)?,
        None => None,
    };
    // The link opens what the target's grant opens: a guest may send it only within its own.
    let workbooks = target.as_ref().and_then(|t| t.workbooks.as_deref());
    authorize_invite(p, &space, &env, workbooks)?;
    let (guest_id, space_id) = (&invite.guest, &invite.space);
    let guest = guest.ok_or_else(|| ApiError::NotFound(format!("guest {guest_id} not found")))?;
    if target.is_none() {
        return Err(ApiError::unprocessable("guestId", format!("guest {guest_id} has no access to space {space_id}; add it with POST /v1/guests first")));
    }
    if !space
        .sign_in_methods(&env)
        .contains(&GuestAuthentication::MagicLink)
    {
        return Err(ApiError::unprocessable(
            "spaceId",
            format!("magic links are turned off for space {space_id}"),
        ));
    }
    Ok((guest, space))
}

fn magic_link(
    state: &AppState,
    guest: &Guest,
    space: &Space,
    from: &str,
) -> ([u8; 32], Link, Mail) {
    let purpose = LinkPurpose::GuestLogin {
        guest: guest.id.clone(),
        space: space.id.clone(),
    };
    let (token, link) = state.new_link(purpose, guest.account_id.clone());
    let now = link.created_at;
    let space_name = mail_text(&space.name);
    let body = format!(
        "{from} invited you to the space \"{space_name}\" on Latchkey.\n\nOpen: {base}/join/{id}#token={token}\n\n\
         The link works once and expires {expires}. To sign in from a terminal:\n\
         curl -X POST {base}/v1/invitations/exchange -H 'Content-Type: application/json' -d '{{\"token\":\"{token}\"}}'\n",
        base = state.public_url,
        id = space.id,
        token = token.expose(),
        expires = link.expires_at.to_rfc3339(),
    );
    let mail = Mail {
        to: guest.email.clone(),
        subject: MailSubject::new(&format!("{from} invited you to \"{space_name}\"")),
        sealed_body: state.auth.seal_mail(&body),
        account_id: guest.account_id.clone(),
        created_at: now,
    };
    (token.digest(), link, mail)
}

/// The inviter as the server knows it: a user's or guest's stored name, else the environment's
/// team; as mail text.
fn inviter_name(state: &AppState, p: &Principal) -> Result<String, ApiError> {
    let name = match &p.kind {
        PrincipalKind::User { id, .. } => state.store.user(id)?.map(|u| u.name.as_str().to_owned()),
        PrincipalKind::Guest { id, .. } => {
            state.store.guest(id)?.map(|g| g.name.as_str().to_owned())
        }
        PrincipalKind::Environment { .. } | PrincipalKind::SpaceToken { .. } => None,
    };
    Ok(name.map_or_else(|| "The space's team".to_owned(), |n| mail_text(&n)))
}

/// Caller-chosen text (a name) as it may appear in a mail: letters, digits, spaces and
/// `.'-_` kept, anything else (`:`, `/`, `@`, `<`, quotes, …, so no link or address can be
/// spelled) shown as `_`; at most 64 characters.
pub(super) fn mail_text(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ' ' || ".'-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if text.chars().count() > 64 {
        out.push('…');
    }
    out
}

/// Guests send invitations at `guests.invitations_per_guest_per_hour` at most.
pub(super) fn guest_invitation_budget(state: &AppState, p: &Principal) -> Result<(), ApiError> {
    let PrincipalKind::Guest { id, .. } = &p.kind else {
        return Ok(());
    };
    state.guest_limits.invitations.hit(id.as_str()).map_err(|retry_after| {
        ApiError::TooManyRequests {
            message: "this guest has sent its invitations for the hour (guests.invitations_per_guest_per_hour)".into(),
            retry_after,
        }
    })
}

/// The answer to an exchange: `{valid: false}`, or `{valid: true, token?, sentTo}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExchangeBody {
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sent_to: Option<String>,
}

impl ExchangeBody {
    /// `{valid: false}`: the link or token admits no one.
    pub(super) fn invalid() -> HttpResponse {
        data(Self {
            valid: false,
            token: None,
            sent_to: None,
        })
    }

    /// `{valid: true, token, sentTo}`: `guest` is in, with `token`.
    pub(super) fn admitted(guest: &Guest, token: String) -> HttpResponse {
        data(Self {
            valid: true,
            token: Some(token),
            sent_to: Some(guest.email.to_string()),
        })
    }

    /// `{valid: true, sentTo}`: a link went to `guest`'s address instead of a token.
    pub(super) fn mailed(guest: &Guest) -> HttpResponse {
        data(Self {
            valid: true,
            token: None,
            sent_to: Some(guest.email.to_string()),
        })
    }
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
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<Exchange>,
) -> Result<HttpResponse, ApiError> {
    match body.0 {
        Exchange {
            token: Some(token), ..
        } => redeem(&state, &token).await,
        Exchange {
            email: Some(email),
            space_id: Some(space),
            ..
        } => super::shared_links::join(&req, &state, &email, &space).await,
        _ => Err(ApiError::bad_request(
            "token",
            "send {token} from a magic link, or {email, spaceId} for a shared link",
        )),
    }
}

async fn redeem(state: &AppState, token: &str) -> Result<HttpResponse, ApiError> {
    let raw =
        RawCredential::parse(token).map_err(|e| ApiError::bad_request("token", e.to_string()))?;
    let invalid = ExchangeBody::invalid;
    let Some(link) = state
        .store
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
            return super::shared_links::redeem_join(state, &link, guest, space).await
        }
        LinkPurpose::SetPassword(_) => return Ok(invalid()),
    };
    let now = state.clock.now();
    let Some(guest) = state.store.guest(&guest)? else {
        return Ok(invalid());
    };
    let usable = now < link.expires_at
        && state.store.grant(&guest.id, &space)?.is_some()
        && state.auth.allows(&space, GuestAuthentication::MagicLink)?;
    if !usable {
        return Ok(invalid());
    }
    let token = issue_guest_token(state, &guest, Some(&space), "magic_link");
    record_redeemed(state, &guest, &space, "magic_link").await?;
    Ok(ExchangeBody::admitted(&guest, token))
}

pub(super) async fn record_redeemed(
    state: &AppState,
    guest: &Guest,
    space: &SpaceId,
    via: &str,
) -> Result<(), ApiError> {
    let event = Event::new(
        "guest:link-redeemed",
        "auth",
        guest.account_id.clone(),
        state.clock.now(),
    )
    .in_environment(&guest.environment_id)
    .in_space(space)
    .by(Some(guest.id.to_string()))
    .with_payload(serde_json::json!({ "guestId": guest.id.as_str(), "via": via }));
    state.store.record_events(&[event]).await?;
    Ok(())
}
