//! The limits `[limits]` sets, as values: built once from the configuration at startup, carried in
//! the application state, and passed to the parsers that need them (so two servers in one process
//! may have different limits).

/// The longest display name (environments, people, tokens, spaces, workbooks), in characters.
pub const DEFAULT_NAME_LENGTH: usize = 256;
/// The largest metadata or settings document, in bytes of JSON.
pub const DEFAULT_METADATA_BYTES: usize = 16 * 1024;
/// The longest secret name or value, in characters.
pub const DEFAULT_SECRET_LENGTH: usize = 1024;

/// The configurable text limits: how long a name, a metadata document and a secret may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimits {
    /// `limits.max_name_length`.
    pub name_length: usize,
    /// `limits.max_metadata_bytes`.
    pub metadata_bytes: usize,
    /// `limits.max_secret_length`.
    pub secret_length: usize,
}

impl Default for TextLimits {
    fn default() -> Self {
        Self {
            name_length: DEFAULT_NAME_LENGTH,
            metadata_bytes: DEFAULT_METADATA_BYTES,
            secret_length: DEFAULT_SECRET_LENGTH,
        }
    }
}

impl TextLimits {
    /// Refuses a display name longer than `limits.max_name_length`, naming the setting.
    pub fn check_name_length(
        &self,
        field: &'static str,
        name: &str,
    ) -> Result<(), super::ParseError> {
        let max = self.name_length;
        if name.chars().count() > max {
            return Err(super::ParseError::over_limit(
                field,
                format!("{field} is longer than {max} characters (limits.max_name_length)"),
            ));
        }
        Ok(())
    }
}

/// The size and count limits `[limits]` sets, as the handlers and the store use them: built once
/// from the configuration at startup and carried in the application state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest `pageSize`.
    pub max_page_size: usize,
    /// Keys an environment may hold, expiring ones included.
    pub keys_per_environment: usize,
    /// Environments an account may hold.
    pub environments: usize,
    /// Longest grace a timed rotation may give the old key, in seconds.
    pub max_rotation_grace_seconds: i64,
    /// Personal access tokens (and, separately, client-credential pairs) per user.
    pub pats_per_user: usize,
    /// Users an account may hold.
    pub users: usize,
    /// Guests (and invitations) one request may carry.
    pub guests_per_request: usize,
    /// Secrets in one scope (an environment, or a space).
    pub secrets_per_scope: usize,
    /// Name, metadata and secret lengths.
    pub text: TextLimits,
    /// Largest agent `source` (and, separately, `sourceMap`), in bytes.
    pub max_agent_source_bytes: usize,
    /// Agents one environment may hold.
    pub agents_per_environment: usize,
    /// Versions kept per agent.
    pub agent_versions_kept: usize,
    /// Guides one environment may hold.
    pub guides_per_environment: usize,
    /// Largest guide, in bytes of JSON.
    pub max_guide_bytes: usize,
    /// Versions kept per guide.
    pub guide_versions: usize,
    /// Data clips one space may hold.
    pub data_clips_per_space: usize,
    /// Records one data clip may name.
    pub records_per_data_clip: usize,
    /// Guests one data clip may have.
    pub guests_per_data_clip: usize,
    /// Spaces one environment may hold.
    pub spaces_per_environment: usize,
}
