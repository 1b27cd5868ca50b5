//! The browser embed (`@flatfile/javascript`'s `startFlatfile({publishableKey, apiUrl})`):
//! `POST /v1/internal/spaces/init?publishableKey=pk_…` with a `text/plain` JSON body creates a
//! space as `POST /v1/spaces` does with that key, and answers `{data: {space, workbooks,
//! documents}}` where `space.accessToken` is the space token and `space.guestLink` the URL the
//! embed's iframe opens: Latchkey's own space page.

use super::extract::PlainJsonBody;
use super::spaces::{create, SpaceBody, SpaceConfig};
use super::workbooks::{WorkbookBody, WorkbookConfig};
use super::{data, ApiError, AppState};
use crate::auth::origin::QueryPublishableKey;
use crate::auth::rate::RateLimit;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

/// The limits on what publishable keys may create, shared by every request.
pub struct EmbedLimits {
    /// Spaces per client address and window.
    pub spaces: RateLimit,
}

/// What the embed sends: the space to create and, optionally, its workbook. A `document` or
/// `externalActorId` is not kept (Latchkey holds no documents or actors).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InitBody {
    #[serde(default)]
    space: SpaceConfig,
    workbook: Option<WorkbookConfig>,
}

/// `POST /v1/internal/spaces/init`: the only endpoint that takes `text/plain` JSON.
pub(super) async fn init_space(
    req: HttpRequest,
    key: QueryPublishableKey,
    state: web::Data<AppState>,
    body: PlainJsonBody<InitBody>,
) -> Result<HttpResponse, ApiError> {
    let p = key.0;
    let InitBody { space, workbook } = body.0;
    let (space, env, token, workbooks) = create(&req, &p, &state, space, workbook).await?;
    let token =
        token.ok_or_else(|| ApiError::Internal("no space token for a publishable key".into()))?;
    let guest_link = space_page_url(&state, space.id.as_str(), &token);
    let mut space = SpaceBody::new(&state, &space, &env, workbooks.len()).with_token(Some(token));
    space.guest_link = Some(guest_link);
    Ok(data(InitAnswer {
        space,
        workbooks: workbooks.iter().map(WorkbookBody::from).collect(),
        documents: Vec::new(),
    }))
}

/// What the embed reads back: the space, its workbook and (none) documents.
#[derive(Serialize)]
struct InitAnswer {
    space: SpaceBody,
    workbooks: Vec<WorkbookBody>,
    documents: Vec<serde_json::Value>,
}

/// Where the space page of `space` opens with `token`.
pub(super) fn space_page_url(state: &AppState, space: &str, token: &str) -> String {
    format!("{}/s/space/{space}?token={token}", state.public_url)
}
