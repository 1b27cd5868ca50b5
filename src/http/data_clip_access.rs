//! A data clip's guests, records and resolutions: the official client's `getResolutions`,
//! `getResolutionIndex`, `updateResolution` and `refreshResolutions`, and Latchkey's
//! `/v1/latchkey/data-clips/{id}/guests` and `/records` (who and what a clip reaches, so that a
//! user's own service can check a caller before it serves record data).

use super::bodies::flag;
use super::data_clips::{clip_event, clip_resource, load, outside_id, ReferenceBody};
use super::extract::{JsonBody, Query};
use super::{data, success, ApiError, AppState};
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::Principal;
use crate::domain::{ClipGrant, ClipResolution, DataClip, Guest, GuestId, RecordAccess};
use crate::store::ClipPlan;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

/// `GET /latchkey/data-clips/{id}/guests`: the clip's guests (a guest caller sees itself only).
pub(super) async fn list_clip_guests(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let clip = load(&state, &p, &path, Action::ReadDataClip)?;
    let mut out = Vec::new();
    for id in state.store.data_clip_guests(&clip.id)? {
        let visible = Resource::environment(&p.account_id, &clip.environment_id).guest(&id);
        if authorize(&p, Action::ReadGuest, visible).is_err() {
            continue;
        }
        if let Some(g) = state.store.guest(&id)? {
            out.push(ClipGuestBody::from(&g));
        }
    }
    Ok(data(out))
}

/// A clip's guest, as its guest listing shows it.
#[derive(Serialize)]
struct ClipGuestBody {
    id: String,
    email: String,
    name: String,
}

impl From<&Guest> for ClipGuestBody {
    fn from(g: &Guest) -> Self {
        Self {
            id: g.id.to_string(),
            email: g.email.as_str().to_owned(),
            name: g.name.as_str().to_owned(),
        }
    }
}

/// What adding a guest to a clip answers.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GuestAdded {
    data_clip_id: String,
    guest_id: String,
    added: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AddGuest {
    guest_id: String,
}

/// `POST /latchkey/data-clips/{id}/guests {guestId}`: the guest reaches the clip from its next
/// request on.
pub(super) async fn add_clip_guest(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<AddGuest>,
) -> Result<HttpResponse, ApiError> {
    let clip = load(&state, &p, &path, Action::ManageDataClips)?;
    let guest = GuestId::parse(&body.0.guest_id)?;
    let e = clip_event(
        &state,
        &p,
        "data-clip:collaborator-updated",
        &clip,
        serde_json::json!({ "added": [guest.as_str()] }),
    );
    let max = state.limits.guests_per_data_clip;
    let added = state
        .store
        .add_data_clip_guest(&clip, &guest, max, &e)
        .await?;
    Ok(data(GuestAdded {
        data_clip_id: clip.id.to_string(),
        guest_id: guest.to_string(),
        added,
    }))
}

/// `DELETE /latchkey/data-clips/{id}/guests/{guestId}`: its access ends on its next request.
pub(super) async fn remove_clip_guest(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (clip_id, guest) = path.into_inner();
    let clip = load(&state, &p, &clip_id, Action::ManageDataClips)?;
    let guest = GuestId::parse(&guest)?;
    let e = clip_event(
        &state,
        &p,
        "data-clip:collaborator-updated",
        &clip,
        serde_json::json!({ "removed": [guest.as_str()] }),
    );
    state
        .store
        .remove_data_clip_guest(&clip.id, &guest, &e)
        .await?;
    Ok(success())
}

/// `GET /latchkey/data-clips/{id}/records`: the clipped records and the referenced ones.
pub(super) async fn list_clip_records(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let clip = load(&state, &p, &path, Action::ReadClipRecords)?;
    Ok(data(ClipRecordsBody {
        data_clip_id: clip.id.to_string(),
        workbook_id: clip.workbook_id.to_string(),
        sheet_id: clip.source_sheet_id.clone(),
        clip_sheet_id: clip.clip_sheet_id.clone(),
        record_ids: clip.record_ids.clone(),
        references: clip.references.iter().map(ReferenceBody::from).collect(),
    }))
}

/// The records a clip reaches: its own and the referenced ones.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClipRecordsBody {
    data_clip_id: String,
    workbook_id: String,
    sheet_id: String,
    clip_sheet_id: String,
    record_ids: Vec<String>,
    references: Vec<ReferenceBody>,
}

/// What the caller may do with one record through a clip.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RecordAccessBody {
    id: String,
    sheet_id: String,
    data_clip_id: String,
    access: &'static str,
}

/// `GET /latchkey/data-clips/{id}/records/{recordId}?sheetId=`: what the caller may do with one
/// record through the clip (`write` for clipped records, `read` for referenced ones); 403 for a
/// guest the clip does not give the record to, 404 when the clip does not name it at all.
/// `sheetId` defaults to the clipped sheet.
pub(super) async fn get_clip_record(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let (clip_id, record) = path.into_inner();
    let clip = load(&state, &p, &clip_id, Action::ReadClipRecords)?;
    let record = outside_id("recordId", &record)?;
    let sheet = match q.optional("sheetId")? {
        Some(s) => outside_id("sheetId", s)?,
        None => clip.source_sheet_id.clone(),
    };
    let access = record_access(&p, &clip, &sheet, &record)?;
    Ok(data(RecordAccessBody {
        id: record,
        sheet_id: sheet,
        data_clip_id: clip.id.to_string(),
        access,
    }))
}

/// `write` or `read`: what `p` may do with `record` of `sheet` through `clip`, after
/// `ReadClipRecords` is allowed on it; 404 when the clip does not name it.
fn record_access(
    p: &Principal,
    clip: &DataClip,
    sheet: &str,
    record: &str,
) -> Result<&'static str, ApiError> {
    let resource = || clip_resource(p, clip).record(sheet, record);
    authorize(p, Action::ReadClipRecords, resource())?;
    let access = ClipGrant::from(clip).covers(sheet, record).ok_or_else(|| {
        ApiError::NotFound(format!(
            "data clip {} neither clips nor references record {record} of sheet {sheet}",
            clip.id
        ))
    })?;
    let writable =
        access == RecordAccess::Write && authorize(p, Action::WriteClipRecords, resource()).is_ok();
    Ok(if writable { "write" } else { "read" })
}

fn resolves_of(clip: &DataClip, record: &str) -> serde_json::Value {
    clip.resolutions
        .iter()
        .find(|r| r.record_id == record)
        .and_then(|r| serde_json::from_str(&r.resolves).ok())
        .unwrap_or_else(|| serde_json::json!([]))
}

/// The clip's records that pass `filterConflicts` and `filterColumn`, in id order.
fn filtered<'a>(clip: &'a DataClip, q: &Query) -> Result<Vec<&'a String>, ApiError> {
    let conflicts = flag(q, "filterConflicts")?.unwrap_or(false);
    let column = q.optional("filterColumn")?;
    Ok(clip
        .record_ids
        .iter()
        .filter(|id| {
            let resolves = resolves_of(clip, id);
            let list = resolves.as_array().cloned().unwrap_or_default();
            (!conflicts || list.iter().any(|r| r["type"] == "conflict"))
                && column.is_none_or(|c| list.iter().any(|r| r["field"] == c))
        })
        .collect())
}

/// `GET /data-clips/{id}/resolutions`: `{data: DiffRecord[]}`, one per clipped record, with no
/// `values` (the record data is the user's) and the stored `resolves`.
pub(super) async fn get_resolutions(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let clip = load(&state, &p, &path, Action::ReadClipRecords)?;
    let max = state.limits.records_per_data_clip;
    let page = q.page(1000.min(max), max)?;
    let records = filtered(&clip, &q)?;
    if q.optional("includeRecords")? == Some("false") {
        return Ok(data(Vec::<DiffRecord>::new()));
    }
    let (rows, _) = page.slice(records);
    let out: Vec<DiffRecord> = rows
        .into_iter()
        .map(|id| DiffRecord {
            id: id.clone(),
            values: serde_json::Map::new(),
            resolves: resolves_of(&clip, id),
        })
        .collect();
    Ok(data(out))
}

/// The wire `DiffRecord`, without the record's values (they are the user's).
#[derive(Serialize)]
struct DiffRecord {
    id: String,
    values: serde_json::Map<String, serde_json::Value>,
    resolves: serde_json::Value,
}

/// Where a record stands in the filtered resolutions.
#[derive(Serialize)]
struct ResolutionIndex {
    index: usize,
}

/// `GET /data-clips/{id}/resolutions/index?id=&filterConflicts=`: the bare
/// `{index}` of the record in the filtered list.
pub(super) async fn get_resolution_index(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let clip = load(&state, &p, &path, Action::ReadClipRecords)?;
    let record = outside_id("id", q.required("id")?)?;
    authorize(
        &p,
        Action::ReadClipRecords,
        clip_resource(&p, &clip).record(&clip.source_sheet_id, &record),
    )?;
    let index = filtered(&clip, &q)?
        .iter()
        .position(|r| **r == record)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "record {record} is not among data clip {}'s resolutions",
                clip.id
            ))
        })?;
    Ok(HttpResponse::Ok().json(ResolutionIndex { index }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ResolvedRecord {
    record_id: String,
    resolves: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdateResolution {
    resolved_records: Vec<ResolvedRecord>,
}

/// `PATCH /data-clips/{id}/resolutions {resolvedRecords}`: replaces each named record's
/// resolutions; every record must be one the clip clips (guests: one they may write).
pub(super) async fn update_resolution(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<UpdateResolution>,
) -> Result<HttpResponse, ApiError> {
    let mut clip = load(&state, &p, &path, Action::WriteClipRecords)?;
    let original = clip.clone();
    let records = body.0.resolved_records;
    let max = state.limits.records_per_data_clip;
    if records.len() > max {
        return Err(ApiError::unprocessable(
            "resolvedRecords",
            format!("at most {max} records per request (limits.records_per_data_clip)"),
        ));
    }
    let changed = resolve(&p, &mut clip, records, &state.limits.text)?;
    clip.updated_at = state.clock.now();
    let payload = serde_json::json!({ "recordIds": changed });
    let e = clip_event(&state, &p, "data-clip:resolutions-updated", &clip, payload);
    save(&state, &clip, &original, e).await
}

/// Replaces the resolutions of each of `records` in `clip`, each a record the clip clips and
/// `p` may write; answers the records changed.
fn resolve(
    p: &Principal,
    clip: &mut DataClip,
    records: Vec<ResolvedRecord>,
    text: &crate::domain::limits::TextLimits,
) -> Result<Vec<String>, ApiError> {
    let mut changed = Vec::new();
    for r in records {
        let record = outside_id("resolvedRecords.recordId", &r.record_id)?;
        authorize(
            p,
            Action::WriteClipRecords,
            clip_resource(p, clip).record(&clip.source_sheet_id, &record),
        )?;
        if clip.record_ids.binary_search(&record).is_err() {
            return Err(ApiError::unprocessable(
                "resolvedRecords.recordId",
                format!("record {record} is not clipped by data clip {}", clip.id),
            ));
        }
        let resolves = super::limited_metadata(
            "resolvedRecords.resolves",
            serde_json::Value::Array(r.resolves).to_string(),
            text,
        )?;
        clip.resolutions.retain(|x| x.record_id != record);
        clip.resolutions.push(ClipResolution {
            record_id: record.clone(),
            resolves,
        });
        changed.push(record);
    }
    clip.resolutions
        .sort_by(|a, b| a.record_id.cmp(&b.record_id));
    Ok(changed)
}

/// Writes `clip`'s changed resolutions with `event`, unless it changed since it was read as
/// `original` (409); answers success.
async fn save(
    state: &AppState,
    clip: &DataClip,
    original: &DataClip,
    event: crate::domain::Event,
) -> Result<HttpResponse, ApiError> {
    let plan = ClipPlan {
        clip,
        guests: None,
        max_per_space: 0,
        previous: Some(original),
    };
    state.store.put_data_clip(plan, false, &[event]).await?;
    Ok(success())
}

/// `PATCH /data-clips/{id}/refresh-resolutions`: Latchkey has no record data to compare, so this
/// only drops resolutions of records the clip no longer clips.
pub(super) async fn refresh_resolutions(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut clip = load(&state, &p, &path, Action::WriteClipRecords)?;
    let original = clip.clone();
    let records = clip.record_ids.clone();
    clip.resolutions
        .retain(|r| records.binary_search(&r.record_id).is_ok());
    clip.updated_at = state.clock.now();
    let e = clip_event(
        &state,
        &p,
        "data-clip:resolutions-refreshed",
        &clip,
        serde_json::json!({}),
    );
    save(&state, &clip, &original, e).await
}
