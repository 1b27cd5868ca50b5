//! Wire shapes of `/v1/agents`: the contract's `Agent` and `AgentVersion` bodies (each saying
//! that Latchkey never runs agents), and the `AgentConfig` a deploy sends, read within the agent
//! body limit and parsed into the stored configuration.

use super::extract::parse_json;
use super::{bounded, limited_metadata, ApiError};
use crate::domain::limits::TextLimits;
use crate::store::{Agent, AgentConfig, AgentVersion};
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What every agent body says about execution.
pub(super) const RUNTIME_NOTE: &str = "Latchkey stores agents and their versions but never runs them; run your listener yourself (for example with @flatfile/listener)";

/// The slug an agent deployed without one gets (as the hosted service names it).
const DEFAULT_SLUG: &str = "default";
const MAX_SLUG: usize = 128;
const MAX_TOPICS: usize = 256;
const MAX_TOPIC: usize = 128;

/// A JSON document kept as text, as JSON (absent when missing, unreadable or null).
fn document_value(text: &Option<String>) -> Option<Value> {
    text.as_deref()
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
        .filter(|v| !v.is_null())
}

/// The configuration fields of an agent or version; the code only when asked for.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfigFields<'a> {
    topics: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    compiler: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_map: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    template_options: Option<Value>,
    is_system: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package_versions: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit_info: Option<Value>,
}

impl<'a> ConfigFields<'a> {
    fn new(c: &'a AgentConfig, with_source: bool) -> Self {
        Self {
            topics: &c.topics,
            compiler: c.compiler.as_deref(),
            source: c.source.as_deref().filter(|_| with_source),
            source_map: c.source_map.as_deref().filter(|_| with_source),
            options: document_value(&c.options),
            template: c.template.as_deref(),
            template_options: document_value(&c.template_options),
            is_system: c.is_system,
            namespace: c.namespace.as_deref(),
            package_versions: document_value(&c.package_versions),
            commit_info: document_value(&c.commit_info),
        }
    }
}

/// The contract's `Agent`: identity, slug and the current version's configuration.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AgentBody<'a> {
    id: &'a str,
    account_id: &'a str,
    environment_id: &'a str,
    slug: &'a str,
    #[serde(flatten)]
    config: ConfigFields<'a>,
    created_at: String,
    updated_at: String,
    current_version: u32,
    current_version_id: &'a str,
    running: bool,
    runtime_note: &'static str,
}

impl<'a> AgentBody<'a> {
    /// `a` at its `current` version, with the code only when `with_source`.
    pub(super) fn new(a: &'a Agent, current: &'a AgentVersion, with_source: bool) -> Self {
        Self {
            id: a.id.as_str(),
            account_id: a.account_id.as_str(),
            environment_id: a.environment_id.as_str(),
            slug: &a.slug,
            config: ConfigFields::new(&current.config, with_source),
            created_at: a.created_at.to_rfc3339(),
            updated_at: a.updated_at.to_rfc3339(),
            current_version: current.version,
            current_version_id: current.id.as_str(),
            running: false,
            runtime_note: RUNTIME_NOTE,
        }
    }
}

/// The contract's `AgentVersion` (`agent_id` is how the client reads the agent's id).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct VersionBody<'a> {
    id: &'a str,
    #[serde(rename = "agent_id")]
    agent_id: &'a str,
    version: u32,
    origin: u32,
    slug: &'a str,
    #[serde(flatten)]
    config: ConfigFields<'a>,
    created_at: String,
    updated_at: String,
    running: bool,
}

impl<'a> VersionBody<'a> {
    /// `v` of the agent `slug`, with the code only when `with_source`.
    pub(super) fn new(v: &'a AgentVersion, slug: &'a str, with_source: bool) -> Self {
        Self {
            id: v.id.as_str(),
            agent_id: v.agent_id.as_str(),
            version: v.version,
            origin: v.origin,
            slug,
            config: ConfigFields::new(&v.config, with_source),
            created_at: v.created_at.to_rfc3339(),
            updated_at: v.created_at.to_rfc3339(),
            running: false,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountId, AgentId, AgentVersionId, EnvironmentId, Timestamp};

    fn version(config: AgentConfig) -> AgentVersion {
        AgentVersion {
            id: AgentVersionId::generate(),
            agent_id: AgentId::generate(),
            version: 2,
            origin: 1,
            config,
            created_at: Timestamp(3_000),
        }
    }

    #[test]
    fn absent_and_null_fields_are_left_out_and_the_code_only_when_asked_for() {
        let config = AgentConfig {
            source: Some("code".into()),
            options: Some("null".into()),
            commit_info: Some("{\"sha\":\"abc\"}".into()),
            ..AgentConfig::default()
        };
        let v = version(config);
        let listed = serde_json::to_value(VersionBody::new(&v, "default", false)).unwrap();
        let keys: Vec<&str> = listed
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = vec![
            "id",
            "agent_id",
            "version",
            "origin",
            "slug",
            "topics",
            "isSystem",
            "commitInfo",
            "createdAt",
            "updatedAt",
            "running",
        ];
        expected.sort_unstable();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(listed["commitInfo"]["sha"], "abc");
        let full = serde_json::to_value(VersionBody::new(&v, "default", true)).unwrap();
        assert_eq!(full["source"], "code");
    }

    #[test]
    fn an_agent_says_it_does_not_run() {
        let v = version(AgentConfig::default());
        let agent = Agent {
            id: v.agent_id.clone(),
            account_id: AccountId::generate(),
            environment_id: EnvironmentId::generate(),
            slug: "default".into(),
            current: 2,
            latest: 2,
            roles: vec![],
            created_at: Timestamp(1_000),
            updated_at: Timestamp(2_000),
        };
        let body = serde_json::to_value(AgentBody::new(&agent, &v, true)).unwrap();
        assert_eq!(body["running"], false);
        assert_eq!(body["runtimeNote"], RUNTIME_NOTE);
        assert_eq!(body["currentVersionId"], v.id.as_str());
        assert!(body.get("compiler").is_none() && body.get("source").is_none());
    }
}
