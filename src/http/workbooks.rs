//! `/v1/workbooks`: what workbook grants point at. Sheets are stored as given.

use super::bodies::{json_or_empty, unchanged};
use super::extract::{JsonBody, Query};
use super::required::required;
use super::spaces::{load as load_space, spaces_in_reach};
use super::{audit, data, success, ApiError, AppState};
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::Principal;
use crate::domain::{Environment, Event, Space, Workbook, WorkbookId};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

/// The wire `Workbook`; sheets are as given.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WorkbookBody {
    id: String,
    name: String,
    space_id: String,
    environment_id: String,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    sheets: serde_json::Value,
    labels: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    metadata: serde_json::Value,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    settings: serde_json::Value,
    created_at: String,
    updated_at: String,
}

impl From<&Workbook> for WorkbookBody {
    fn from(wb: &Workbook) -> Self {
        Self {
            id: wb.id.to_string(),
            name: wb.name.clone(),
            space_id: wb.space_id.to_string(),
            environment_id: wb.environment_id.to_string(),
            sheets: serde_json::from_str(&wb.sheets)
                .unwrap_or(serde_json::Value::Array(Vec::new())),
            labels: wb.labels.clone(),
            namespace: wb.namespace.clone(),
            metadata: json_or_empty(&wb.metadata),
            settings: json_or_empty(&wb.settings),
            created_at: wb.created_at.to_rfc3339(),
            updated_at: wb.updated_at.to_rfc3339(),
        }
    }
}

/// Loads a workbook after `action` is allowed on it (guests: only within their grant).
fn load(state: &AppState, p: &Principal, raw: &str, action: Action) -> Result<Workbook, ApiError> {
    let id = WorkbookId::parse(raw)?;
    let wb = state
        .store
        .workbook(&id)?
        .filter(|w| w.account_id == p.account_id)
        .ok_or_else(|| ApiError::NotFound(format!("workbook {id} not found")))?;
    let archived = state
        .store
        .space(&wb.space_id)?
        .is_none_or(|s| s.archived_at.is_some());
    authorize(
        p,
        action,
        Resource::space(&p.account_id, &wb.environment_id, &wb.space_id)
            .workbook(&wb.id)
            .archived(archived),
    )?;
    Ok(wb)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WorkbookConfig {
    name: Option<String>,
    space_id: Option<String>,
    environment_id: Option<String>,
    sheets: Option<Vec<serde_json::Value>>,
    labels: Option<Vec<String>>,
    namespace: Option<String>,
    metadata: Option<serde_json::Value>,
    settings: Option<serde_json::Map<String, serde_json::Value>>,
}

impl WorkbookConfig {
    fn apply(
        self,
        wb: &mut Workbook,
        text: &crate::domain::limits::TextLimits,
    ) -> Result<(), ApiError> {
        if let Some(name) = self.name {
            wb.name = super::limited_name("name", name, text)?;
        }
        if let Some(sheets) = self.sheets {
            if sheets.len() > 100 {
                return Err(ApiError::unprocessable("sheets", "at most 100 sheets"));
            }
            wb.sheets = serde_json::Value::Array(sheets).to_string();
        }
        if let Some(labels) = self.labels {
            if labels.len() > 32 {
                return Err(ApiError::unprocessable("labels", "at most 32 labels"));
            }
            wb.labels = labels
                .into_iter()
                .map(|l| super::bounded("labels", l, 128))
                .collect::<Result<_, _>>()?;
        }
        if let Some(namespace) = self.namespace {
            wb.namespace = Some(super::bounded("namespace", namespace, 128)?);
        }
        if let Some(metadata) = self.metadata {
            wb.metadata = super::limited_metadata("metadata", metadata.to_string(), text)?;
        }
        if let Some(settings) = self.settings {
            wb.settings = super::limited_metadata(
                "settings",
                serde_json::Value::Object(settings).to_string(),
                text,
            )?;
        }
        Ok(())
    }
}

/// `GET /workbooks?spaceId=&name=`: a leading `-` on `name` excludes that name.
pub(super) async fn list_workbooks(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let named = q.optional("spaceId")?;
    let spaces = spaces_in_reach(&state, &p, named, Action::ReadSpace, Action::ListWorkbooks)?;
    let name = q.optional("name")?;
    let mut out = Vec::new();
    for space in spaces {
        for wb in state.store.workbooks_of(&space)? {
            let resource =
                Resource::space(&p.account_id, &wb.environment_id, &wb.space_id).workbook(&wb.id);
            let named = match name {
                Some(n) if n.starts_with('-') => wb.name != n[1..],
                Some(n) => wb.name == n,
                None => true,
            };
            if named && authorize(&p, Action::ReadWorkbook, resource).is_ok() {
                out.push(WorkbookBody::from(&wb));
            }
        }
    }
    Ok(data(out))
}

pub(super) async fn create_workbook(
    p: Principal,
    state: web::Data<AppState>,
    body: JsonBody<WorkbookConfig>,
) -> Result<HttpResponse, ApiError> {
    let config = body.0;
    let raw_space = required("spaceId", config.space_id.clone())?;
    let (space, env) = load_space(&state, &p, &raw_space, Action::CreateWorkbook)?;
    let wb = build_workbook(&state, &p, &space, &env, config)?;
    let event = created_event(&state, &p, &wb);
    state.store.insert_workbook(&wb, &event).await?;
    Ok(data(WorkbookBody::from(&wb)))
}

/// A new workbook of `space` from `config`, after `CreateWorkbook` was allowed on the space.
pub(super) fn build_workbook(
    state: &AppState,
    p: &Principal,
    space: &Space,
    env: &Environment,
    config: WorkbookConfig,
) -> Result<Workbook, ApiError> {
    unchanged(
        "environmentId",
        config.environment_id.as_deref(),
        env.id.as_str(),
        "environmentId does not match the space's environment",
    )?;
    if config.name.is_none() {
        return Err(ApiError::bad_request("name", "name is required"));
    }
    let now = state.clock.now();
    let mut wb = Workbook {
        id: WorkbookId::generate(),
        account_id: p.account_id.clone(),
        environment_id: env.id.clone(),
        space_id: space.id.clone(),
        name: String::new(),
        sheets: "[]".into(),
        labels: Vec::new(),
        namespace: None,
        metadata: "{}".into(),
        settings: "{}".into(),
        created_at: now,
        updated_at: now,
    };
    config.apply(&mut wb, &state.limits.text)?;
    Ok(wb)
}

/// The `workbook:created` event of `wb`, by `p`.
pub(super) fn created_event(state: &AppState, p: &Principal, wb: &Workbook) -> Event {
    audit(state, p, "workbook:created", "workbook")
        .in_environment(&wb.environment_id)
        .in_space(&wb.space_id)
        .with_payload(serde_json::json!({ "workbookId": wb.id.as_str(), "name": wb.name }))
}

pub(super) async fn get_workbook(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let wb = load(&state, &p, &path, Action::ReadWorkbook)?;
    Ok(data(WorkbookBody::from(&wb)))
}

pub(super) async fn update_workbook(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<WorkbookConfig>,
) -> Result<HttpResponse, ApiError> {
    let mut wb = load(&state, &p, &path, Action::UpdateWorkbook)?;
    unchanged(
        "spaceId",
        body.0.space_id.as_deref(),
        wb.space_id.as_str(),
        "a workbook cannot move to another space",
    )?;
    body.0.apply(&mut wb, &state.limits.text)?;
    wb.updated_at = state.clock.now();
    let event = audit(&state, &p, "workbook:updated", "workbook")
        .in_environment(&wb.environment_id)
        .in_space(&wb.space_id)
        .with_payload(serde_json::json!({ "workbookId": wb.id.as_str() }));
    state.store.update_workbook(&wb, &event).await?;
    Ok(data(WorkbookBody::from(&wb)))
}

pub(super) async fn delete_workbook(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let wb = load(&state, &p, &path, Action::DeleteWorkbook)?;
    let event = audit(&state, &p, "workbook:deleted", "workbook")
        .in_environment(&wb.environment_id)
        .in_space(&wb.space_id)
        .with_payload(serde_json::json!({ "workbookId": wb.id.as_str() }));
    state.store.delete_workbook(&wb, &event).await?;
    Ok(success())
}
