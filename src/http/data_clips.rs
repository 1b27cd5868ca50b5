//! `/v1/data-clips`: selected records of one sheet shared with chosen guests. Latchkey keeps the
//! ids (sheet, records, the records they reference, guests) and enforces who reaches them; the
//! record data stays with the user.

use super::bodies::unchanged;
use super::extract::{JsonBody, Query};
use super::required::required;
use super::spaces::{environments_in_reach, spaces_in_reach};
use super::{audit, data, success, ApiError, AppState};
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::Principal;
use crate::domain::{ClipReference, DataClip, DataClipId, Event, GuestId, Workbook, WorkbookId};
use crate::store::ClipPlan;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

/// The wire `DataClip`, with Latchkey's `spaceId`, `environmentId`, `recordIds`, `references`
/// and `collaborators` (guest ids).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ClipBody {
    id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    source_sheet_id: String,
    clip_sheet_id: String,
    workbook_id: String,
    space_id: String,
    environment_id: String,
    status: String,
    created_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    merged_at: Option<String>,
    shared_link_access: String,
    record_ids: Vec<String>,
    references: Vec<ReferenceBody>,
    collaborators: Vec<String>,
    created_at: String,
    updated_at: String,
}

impl ClipBody {
    /// `clip` with its guests.
    pub(super) fn new(clip: &DataClip, guests: &[GuestId]) -> Self {
        Self {
            id: clip.id.to_string(),
            name: clip.name.clone(),
            description: clip.description.clone(),
            source_sheet_id: clip.source_sheet_id.clone(),
            clip_sheet_id: clip.clip_sheet_id.clone(),
            workbook_id: clip.workbook_id.to_string(),
            space_id: clip.space_id.to_string(),
            environment_id: clip.environment_id.to_string(),
            status: clip.status.clone(),
            created_by: clip.created_by.clone(),
            merged_at: clip.merged_at.map(|t| t.to_rfc3339()),
            shared_link_access: clip.shared_link_access.clone(),
            record_ids: clip.record_ids.clone(),
            references: clip.references.iter().map(ReferenceBody::from).collect(),
            collaborators: guests.iter().map(|g| g.to_string()).collect(),
            created_at: clip.created_at.to_rfc3339(),
            updated_at: clip.updated_at.to_rfc3339(),
        }
    }
}

/// The wire form of a clip's references to another sheet's records.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ReferenceBody {
    sheet_id: String,
    record_ids: Vec<String>,
}

impl From<&ClipReference> for ReferenceBody {
    fn from(r: &ClipReference) -> Self {
        Self {
            sheet_id: r.sheet_id.clone(),
            record_ids: r.record_ids.clone(),
        }
    }
}

/// A listed clip: `{data: DataClip}`, as the official client's `ListDataClipResponse` has it.
#[derive(Serialize)]
struct Listed {
    data: ClipBody,
}

/// `add-records`' answer: `RecordsResponseData` with Latchkey's `recordIds`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RecordsAdded {
    success: bool,
    record_ids: Vec<String>,
}

/// What the policy sees of a clip.
pub(super) fn clip_resource<'a>(p: &'a Principal, clip: &'a DataClip) -> Resource<'a> {
    Resource::space(&p.account_id, &clip.environment_id, &clip.space_id)
        .workbook(&clip.workbook_id)
        .clip(&clip.id)
}

/// Loads a clip after `action` is allowed on it; another account's or environment's clip is 404.
pub(super) fn load(
    state: &AppState,
    p: &Principal,
    raw: &str,
    action: Action,
) -> Result<DataClip, ApiError> {
    let id = DataClipId::parse(raw)?;
    let clip = state
        .store
        .data_clip(&id)?
        .filter(|c| c.account_id == p.account_id)
        .ok_or_else(|| ApiError::NotFound(format!("data clip {id} not found")))?;
    authorize(p, action, clip_resource(p, &clip))?;
    Ok(clip)
}

/// A sheet or record id the user's service made: 1 to 64 ASCII letters, digits, `_` or `-`.
pub(super) fn outside_id(key: &str, raw: &str) -> Result<String, ApiError> {
    let ok = (1..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ok {
        return Err(ApiError::bad_request(
            key,
            format!("{key} must be 1 to 64 letters, digits, '_' or '-'"),
        ));
    }
    Ok(raw.to_owned())
}

/// Record ids, sorted and without repeats.
pub(super) fn record_ids(key: &str, raw: &[String]) -> Result<Vec<String>, ApiError> {
    let mut ids = raw
        .iter()
        .map(|r| outside_id(key, r))
        .collect::<Result<Vec<_>, _>>()?;
    ids.sort();
    ids.dedup();
    Ok(ids)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ReferenceConfig {
    sheet_id: String,
    record_ids: Vec<String>,
}

/// `CreateDataClipRequest` / `UpdateDataClipRequest`, with Latchkey's `workbookId` (create),
/// `recordIds` and `references`, which the official client has no fields for.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ClipConfig {
    name: Option<String>,
    description: Option<String>,
    source_sheet_id: Option<String>,
    status: Option<String>,
    collaborators: Option<Vec<String>>,
    shared_link_access: Option<String>,
    workbook_id: Option<String>,
    record_ids: Option<Vec<String>>,
    references: Option<Vec<ReferenceConfig>>,
}

impl ClipConfig {
    /// Applies every given field to `clip`; answers the guest list when `collaborators` is given.
    fn apply(
        self,
        state: &AppState,
        clip: &mut DataClip,
    ) -> Result<Option<Vec<GuestId>>, ApiError> {
        if let Some(name) = self.name {
            clip.name = super::limited_name("name", name, &state.limits.text)?;
        }
        if let Some(d) = self.description {
            clip.description = Some(super::bounded("description", d, 4096)?);
        }
        if let Some(status) = self.status {
            clip.status = outside_id("status", &status)?;
            if clip.status == "merged" && clip.merged_at.is_none() {
                clip.merged_at = Some(clip.updated_at);
            }
        }
        if let Some(access) = self.shared_link_access {
            if access != "public" && access != "restricted" {
                return Err(ApiError::bad_request(
                    "sharedLinkAccess",
                    "sharedLinkAccess is public or restricted",
                ));
            }
            clip.shared_link_access = access;
        }
        if let Some(raw) = &self.record_ids {
            clip.record_ids = record_ids("recordIds", raw)?;
        }
        if let Some(refs) = self.references {
            clip.references = references(refs, &clip.source_sheet_id)?;
        }
        let max = state.limits.records_per_data_clip;
        if clip.id_count() > max {
            return Err(ApiError::unprocessable(
                "recordIds",
                format!("a data clip names at most {max} records, clipped and referenced together (limits.records_per_data_clip)"),
            ));
        }
        self.collaborators
            .map(|list| collaborators(state, &list))
            .transpose()
    }
}

impl ClipConfig {
    /// 422 when the config names another sheet or workbook than `clip`'s.
    fn stays_in_place(&self, clip: &DataClip) -> Result<(), ApiError> {
        const MESSAGE: &str = "a data clip cannot move to another sheet or workbook";
        let sheet = self.source_sheet_id.as_deref();
        unchanged("sourceSheetId", sheet, &clip.source_sheet_id, MESSAGE)?;
        let workbook = self.workbook_id.as_deref();
        unchanged(
            "sourceSheetId",
            workbook,
            clip.workbook_id.as_str(),
            MESSAGE,
        )
    }
}

/// The `data-clip:updated` payload: the record count and, when the guest list was replaced
/// (`after`), who was added and removed.
fn update_payload(
    clip: &DataClip,
    before: &[GuestId],
    after: Option<&[GuestId]>,
) -> serde_json::Value {
    let mut payload = serde_json::json!({ "records": clip.record_ids.len() });
    if let Some(after) = after {
        let added: Vec<&GuestId> = after.iter().filter(|g| !before.contains(g)).collect();
        let removed: Vec<&GuestId> = before.iter().filter(|g| !after.contains(g)).collect();
        payload["collaboratorsAdded"] = serde_json::json!(added);
        payload["collaboratorsRemoved"] = serde_json::json!(removed);
    }
    payload
}

fn references(refs: Vec<ReferenceConfig>, source: &str) -> Result<Vec<ClipReference>, ApiError> {
    let mut out: Vec<ClipReference> = Vec::new();
    for r in refs {
        let sheet_id = outside_id("references.sheetId", &r.sheet_id)?;
        if sheet_id == source {
            return Err(ApiError::unprocessable(
                "references.sheetId",
                "references point to other sheets of the workbook; clip the source sheet's records with recordIds",
            ));
        }
        let mut ids = record_ids("references.recordIds", &r.record_ids)?;
        if let Some(same) = out.iter_mut().find(|o| o.sheet_id == sheet_id) {
            same.record_ids.append(&mut ids);
            same.record_ids.sort();
            same.record_ids.dedup();
        } else {
            out.push(ClipReference {
                sheet_id,
                record_ids: ids,
            });
        }
    }
    out.retain(|r| !r.record_ids.is_empty());
    out.sort_by(|a, b| a.sheet_id.cmp(&b.sheet_id));
    Ok(out)
}

/// `collaborators`: guest ids, without repeats, at most `limits.guests_per_data_clip`.
fn collaborators(state: &AppState, raw: &[String]) -> Result<Vec<GuestId>, ApiError> {
    let mut guests = raw
        .iter()
        .map(|g| GuestId::parse(g))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            ApiError::bad_request("collaborators", "collaborators are guest ids (us_g_…)")
        })?;
    guests.sort();
    guests.dedup();
    let max = state.limits.guests_per_data_clip;
    if guests.len() > max {
        return Err(ApiError::unprocessable(
            "collaborators",
            format!("a data clip has at most {max} guests (limits.guests_per_data_clip)"),
        ));
    }
    Ok(guests)
}

/// The workbook a new clip's sheet belongs to: the given `workbookId`, or the one workbook in
/// reach whose sheets list the sheet with that `id`. Then `ManageDataClips` must be allowed.
fn locate_workbook(
    state: &AppState,
    p: &Principal,
    workbook: Option<&str>,
    sheet: &str,
) -> Result<Workbook, ApiError> {
    let found = match workbook {
        Some(raw) => {
            let id = WorkbookId::parse(raw)?;
            state.store
                .workbook(&id)?
                .filter(|w| w.account_id == p.account_id)
                .ok_or_else(|| ApiError::NotFound(format!("workbook {id} not found")))?
        }
        None => find_sheet(state, p, sheet)?.ok_or_else(|| {
            ApiError::NotFound(format!(
                "sheet {sheet} not found: no workbook lists it among its sheets' ids; name its workbook with workbookId (Latchkey)"
            ))
        })?,
    };
    authorize(
        p,
        Action::ManageDataClips,
        Resource::space(&p.account_id, &found.environment_id, &found.space_id).workbook(&found.id),
    )?;
    Ok(found)
}

fn find_sheet(state: &AppState, p: &Principal, sheet: &str) -> Result<Option<Workbook>, ApiError> {
    for env in environments_in_reach(state, p)? {
        for space in state.store.spaces_in(&env)? {
            for wb in state.store.workbooks_of(&space.id)? {
                if wb.sheets.contains(sheet) && lists_sheet(&wb.sheets, sheet) {
                    return Ok(Some(wb));
                }
            }
        }
    }
    Ok(None)
}

fn lists_sheet(sheets: &str, sheet: &str) -> bool {
    serde_json::from_str::<Vec<serde_json::Value>>(sheets)
        .is_ok_and(|list| list.iter().any(|s| s["id"] == sheet))
}

/// The audit event of a change to `clip`, naming it and its workbook.
pub(super) fn clip_event(
    state: &AppState,
    p: &Principal,
    topic: &str,
    clip: &DataClip,
    payload: serde_json::Value,
) -> Event {
    let mut payload = payload;
    payload["dataClipId"] = clip.id.as_str().into();
    payload["workbookId"] = clip.workbook_id.as_str().into();
    audit(state, p, topic, "data-clip")
        .in_environment(&clip.environment_id)
        .in_space(&clip.space_id)
        .with_payload(payload)
}

/// `POST /data-clips`: answers the bare `DataClip`, as the official client reads it.
pub(super) async fn create_data_clip(
    p: Principal,
    state: web::Data<AppState>,
    body: JsonBody<ClipConfig>,
) -> Result<HttpResponse, ApiError> {
    let mut config = body.0;
    let name = required("name", config.name.clone())?;
    let raw_sheet = required("sourceSheetId", config.source_sheet_id.take())?;
    let sheet = outside_id("sourceSheetId", &raw_sheet)?;
    let wb = locate_workbook(&state, &p, config.workbook_id.as_deref(), &sheet)?;
    let mut clip = new_clip(&state, &p, &wb, sheet, name);
    let guests = config.apply(&state, &mut clip)?.unwrap_or_default();
    let payload = serde_json::json!({ "sourceSheetId": clip.source_sheet_id, "records": clip.record_ids.len(), "collaborators": guests });
    let events = [clip_event(&state, &p, "data-clip:created", &clip, payload)];
    let max_per_space = state.limits.data_clips_per_space;
    let plan = ClipPlan {
        clip: &clip,
        guests: Some(&guests),
        max_per_space,
        previous: None,
    };
    state.store.put_data_clip(plan, true, &events).await?;
    Ok(HttpResponse::Ok().json(ClipBody::new(&clip, &guests)))
}

/// A new, open and restricted clip of `sheet` in `wb`, named `name`, with no records yet.
fn new_clip(
    state: &AppState,
    p: &Principal,
    wb: &Workbook,
    sheet: String,
    name: String,
) -> DataClip {
    let now = state.clock.now();
    DataClip {
        id: DataClipId::generate(),
        account_id: p.account_id.clone(),
        environment_id: wb.environment_id.clone(),
        space_id: wb.space_id.clone(),
        workbook_id: wb.id.clone(),
        source_sheet_id: sheet,
        clip_sheet_id: format!("us_sh_{}", crate::domain::random::base62(12)),
        name,
        description: None,
        status: "open".into(),
        shared_link_access: "restricted".into(),
        created_by: p.actor_id(),
        record_ids: Vec::new(),
        references: Vec::new(),
        resolutions: Vec::new(),
        merged_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// `GET /data-clips/{id}`: `{data: DataClip}`.
pub(super) async fn get_data_clip(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let clip = load(&state, &p, &path, Action::ReadDataClip)?;
    let guests = state.store.data_clip_guests(&clip.id)?;
    Ok(data(ClipBody::new(&clip, &guests)))
}

/// `GET /data-clips?spaceId=&sheetId=&status=`: `{data: [{data: DataClip}]}`, as the official
/// client's `ListDataClipResponse` has it; each clip the caller may read.
pub(super) async fn list_data_clips(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let named = q.optional("spaceId")?;
    let spaces = spaces_in_reach(
        &state,
        &p,
        named,
        Action::ListDataClips,
        Action::ListDataClips,
    )?;
    let (sheet, status) = (q.optional("sheetId")?, q.optional("status")?);
    let mut out = Vec::new();
    for space in spaces {
        for clip in state.store.data_clips_of_space(&space)? {
            let matches = sheet
                .is_none_or(|s| s == clip.source_sheet_id || s == clip.clip_sheet_id)
                && status.is_none_or(|s| s == clip.status);
            if matches && authorize(&p, Action::ReadDataClip, clip_resource(&p, &clip)).is_ok() {
                let guests = state.store.data_clip_guests(&clip.id)?;
                out.push(Listed {
                    data: ClipBody::new(&clip, &guests),
                });
            }
        }
    }
    Ok(data(out))
}

/// `PATCH /data-clips/{id}`: every given field replaces the stored one (`collaborators` the
/// whole guest list); `{data: DataClip}`.
pub(super) async fn update_data_clip(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<ClipConfig>,
) -> Result<HttpResponse, ApiError> {
    let mut clip = load(&state, &p, &path, Action::ManageDataClips)?;
    let original = clip.clone();
    let config = body.0;
    config.stays_in_place(&clip)?;
    clip.updated_at = state.clock.now();
    let before = state.store.data_clip_guests(&clip.id)?;
    let guests = config.apply(&state, &mut clip)?;
    let payload = update_payload(&clip, &before, guests.as_deref());
    let events = [clip_event(&state, &p, "data-clip:updated", &clip, payload)];
    let plan = ClipPlan {
        clip: &clip,
        guests: guests.as_deref(),
        max_per_space: 0,
        previous: Some(&original),
    };
    state.store.put_data_clip(plan, false, &events).await?;
    let guests = state.store.data_clip_guests(&clip.id)?;
    Ok(data(ClipBody::new(&clip, &guests)))
}

/// `DELETE /data-clips/{id}`: the clip and every guest's access through it.
pub(super) async fn delete_data_clip(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let clip = load(&state, &p, &path, Action::ManageDataClips)?;
    let event = clip_event(
        &state,
        &p,
        "data-clip:deleted",
        &clip,
        serde_json::json!({}),
    );
    state.store.delete_data_clip(&clip.id, &event).await?;
    Ok(success())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AddRecords {
    record_ids: Vec<String>,
}

/// `POST /data-clips/{id}/add-records {recordIds}`: answers the bare `RecordsResponseData`
/// (`{success: true}`, with Latchkey's `recordIds`, every record of the clip).
pub(super) async fn add_records_to_clip(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<AddRecords>,
) -> Result<HttpResponse, ApiError> {
    let clip = load(&state, &p, &path, Action::ManageDataClips)?;
    let records = record_ids("recordIds", &body.0.record_ids)?;
    let max = state.limits.records_per_data_clip;
    if records.len() > max {
        return Err(ApiError::unprocessable("recordIds", format!("a data clip names at most {max} records, clipped and referenced together (limits.records_per_data_clip)")));
    }
    let event = clip_event(
        &state,
        &p,
        "data-clip:updated",
        &clip,
        serde_json::json!({ "recordsAdded": records.len() }),
    );
    let clip = state
        .store
        .add_data_clip_records(&clip.id, &records, max, &event)
        .await?;
    Ok(HttpResponse::Ok().json(RecordsAdded {
        success: true,
        record_ids: clip.record_ids,
    }))
}
