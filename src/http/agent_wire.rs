//! Wire shapes of `/v1/agents`: the contract's `Agent` and `AgentVersion` bodies (each saying
//! that Latchkey never runs agents), and the `AgentConfig` a deploy sends, read within the agent
//! body limit and parsed into the stored configuration.

use super::bodies::strip_nulls;
use super::extract::parse_json;
use super::{bounded, limited_metadata, ApiError};
use crate::domain::limits::TextLimits;
use crate::store::{Agent, AgentConfig, AgentVersion};
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// What every agent body says about execution.
pub(super) const RUNTIME_NOTE: &str = "Latchkey stores agents and their versions but never runs them; run your listener yourself (for example with @flatfile/listener)";

/// The slug an agent deployed without one gets (as the hosted service names it).
const DEFAULT_SLUG: &str = "default";
const MAX_SLUG: usize = 128;
const MAX_TOPICS: usize = 256;
const MAX_TOPIC: usize = 128;

fn parse_json_text(text: &Option<String>) -> Option<Value> {
    text.as_deref().and_then(|t| serde_json::from_str(t).ok())
}

/// The configuration fields of `c`, with the code only when `with_source`.
fn config_fields(out: &mut Map<String, Value>, c: &AgentConfig, with_source: bool) {
    out.insert("topics".into(), json!(c.topics));
    out.insert("compiler".into(), json!(c.compiler));
    if with_source {
        out.insert("source".into(), json!(c.source));
        out.insert("sourceMap".into(), json!(c.source_map));
    }
    out.insert("options".into(), json!(parse_json_text(&c.options)));
    out.insert("template".into(), json!(c.template));
    out.insert(
        "templateOptions".into(),
        json!(parse_json_text(&c.template_options)),
    );
    out.insert("isSystem".into(), json!(c.is_system));
    out.insert("namespace".into(), json!(c.namespace));
    out.insert(
        "packageVersions".into(),
        json!(parse_json_text(&c.package_versions)),
    );
    out.insert("commitInfo".into(), json!(parse_json_text(&c.commit_info)));
}

/// The contract's `Agent`: identity, slug and the current version's configuration.
pub(super) fn agent_body(a: &Agent, current: &AgentVersion, with_source: bool) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(a.id.as_str()));
    out.insert("accountId".into(), json!(a.account_id.as_str()));
    out.insert("environmentId".into(), json!(a.environment_id.as_str()));
    out.insert("slug".into(), json!(a.slug));
    config_fields(&mut out, &current.config, with_source);
    out.insert("createdAt".into(), json!(a.created_at.to_rfc3339()));
    out.insert("updatedAt".into(), json!(a.updated_at.to_rfc3339()));
    out.insert("currentVersion".into(), json!(current.version));
    out.insert("currentVersionId".into(), json!(current.id.as_str()));
    out.insert("running".into(), json!(false));
    out.insert("runtimeNote".into(), json!(RUNTIME_NOTE));
    strip_nulls(Value::Object(out))
}

/// The contract's `AgentVersion` (`agent_id` is how the client reads the agent's id).
pub(super) fn version_body(v: &AgentVersion, slug: &str, with_source: bool) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(v.id.as_str()));
    out.insert("agent_id".into(), json!(v.agent_id.as_str()));
    out.insert("version".into(), json!(v.version));
    out.insert("origin".into(), json!(v.origin));
    out.insert("slug".into(), json!(slug));
    config_fields(&mut out, &v.config, with_source);
    out.insert("createdAt".into(), json!(v.created_at.to_rfc3339()));
    out.insert("updatedAt".into(), json!(v.created_at.to_rfc3339()));
    out.insert("running".into(), json!(false));
    strip_nulls(Value::Object(out))
}

/// `AgentConfig` as sent; unknown keys are ignored (the client strips them anyway).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AgentConfigBody {
    topics: Option<Vec<String>>,
    compiler: Option<String>,
    source: Option<String>,
    source_map: Option<String>,
    slug: Option<String>,
    options: Option<Map<String, Value>>,
    template: Option<String>,
    template_options: Option<Map<String, Value>>,
    is_system: Option<bool>,
    namespace: Option<String>,
    package_versions: Option<Map<String, Value>>,
    commit_info: Option<Map<String, Value>>,
}

fn document(
    key: &'static str,
    value: Option<Map<String, Value>>,
    text: &TextLimits,
) -> Result<Option<String>, ApiError> {
    value
        .map(|m| limited_metadata(key, Value::Object(m).to_string(), text))
        .transpose()
}

fn code(key: &str, value: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    match value {
        Some(text) if text.len() > max => Err(ApiError::PayloadTooLarge(format!(
            "{key} is larger than {max} bytes (limits.max_agent_source_bytes)"
        ))),
        other => Ok(other),
    }
}

fn slug(raw: Option<String>) -> Result<String, ApiError> {
    let slug = raw.unwrap_or_else(|| DEFAULT_SLUG.to_owned());
    let valid = !slug.is_empty()
        && slug.len() <= MAX_SLUG
        && slug
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if !valid {
        return Err(ApiError::unprocessable(
            "slug",
            format!("slug must have 1 to {MAX_SLUG} ASCII letters, digits or - _ . :"),
        ));
    }
    Ok(slug)
}

impl AgentConfigBody {
    /// The slug and stored configuration, each field within its limit.
    pub(super) fn parse(
        self,
        max_source: usize,
        text: &TextLimits,
    ) -> Result<(String, AgentConfig), ApiError> {
        let topics = self.topics.unwrap_or_default();
        if topics.len() > MAX_TOPICS
            || topics
                .iter()
                .any(|t| t.is_empty() || t.len() > MAX_TOPIC || t.chars().any(char::is_control))
        {
            return Err(ApiError::unprocessable(
                "topics",
                format!("topics holds at most {MAX_TOPICS} topics of 1 to {MAX_TOPIC} characters"),
            ));
        }
        if self.compiler.as_deref().is_some_and(|c| c != "js") {
            return Err(ApiError::unprocessable(
                "compiler",
                "compiler must be \"js\"",
            ));
        }
        let config = AgentConfig {
            topics,
            compiler: self.compiler,
            source: code("source", self.source, max_source)?,
            source_map: code("sourceMap", self.source_map, max_source)?,
            options: document("options", self.options, text)?,
            template: self
                .template
                .map(|t| bounded("template", t, 64))
                .transpose()?,
            template_options: document("templateOptions", self.template_options, text)?,
            is_system: self.is_system.unwrap_or(false),
            namespace: self
                .namespace
                .map(|n| bounded("namespace", n, 256))
                .transpose()?,
            package_versions: document("packageVersions", self.package_versions, text)?,
            commit_info: document("commitInfo", self.commit_info, text)?,
        };
        Ok((slug(self.slug)?, config))
    }
}

/// Reads a JSON body of at most `limit` bytes (413 past it) and parses it.
pub(super) async fn read_body<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<T, ApiError> {
    let too_large = || {
        ApiError::PayloadTooLarge(format!(
            "an agent body is at most {limit} bytes (twice limits.max_agent_source_bytes plus limits.max_body_bytes)"
        ))
    };
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|_| ApiError::bad_request("body", "the request body could not be read"))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    parse_json(&body)
}
