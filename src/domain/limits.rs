//! Text limits from `[limits]`: how long a name, a metadata document and a secret may be.
//!
//! They are process-wide, set once by `Application::build` from the configuration before the
//! server accepts a request, and read by the parsers; a process serves one configuration.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The longest display name (environments, people, tokens, spaces, workbooks), in characters.
pub const DEFAULT_NAME_LENGTH: usize = 256;
/// The largest metadata or settings document, in bytes of JSON.
pub const DEFAULT_METADATA_BYTES: usize = 16 * 1024;
/// The longest secret name or value, in characters.
pub const DEFAULT_SECRET_LENGTH: usize = 1024;

static NAME_LENGTH: AtomicUsize = AtomicUsize::new(DEFAULT_NAME_LENGTH);
static METADATA_BYTES: AtomicUsize = AtomicUsize::new(DEFAULT_METADATA_BYTES);
static SECRET_LENGTH: AtomicUsize = AtomicUsize::new(DEFAULT_SECRET_LENGTH);

/// The configurable text limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimits {
    /// `limits.max_name_length`.
    pub name_length: usize,
    /// `limits.max_metadata_bytes`.
    pub metadata_bytes: usize,
    /// `limits.max_secret_length`.
    pub secret_length: usize,
}

/// Installs the limits every parser reads from now on.
pub fn set(limits: TextLimits) {
    NAME_LENGTH.store(limits.name_length, Ordering::Relaxed);
    METADATA_BYTES.store(limits.metadata_bytes, Ordering::Relaxed);
    SECRET_LENGTH.store(limits.secret_length, Ordering::Relaxed);
}

/// `limits.max_name_length`.
pub fn name_length() -> usize {
    NAME_LENGTH.load(Ordering::Relaxed)
}

/// Refuses a display name longer than `limits.max_name_length`, naming the setting.
pub fn check_name_length(field: &'static str, name: &str) -> Result<(), super::ParseError> {
    let max = name_length();
    if name.chars().count() > max {
        return Err(super::ParseError::over_limit(
            field,
            format!("{field} is longer than {max} characters (limits.max_name_length)"),
        ));
    }
    Ok(())
}

/// `limits.max_metadata_bytes`.
pub fn metadata_bytes() -> usize {
    METADATA_BYTES.load(Ordering::Relaxed)
}

/// `limits.max_secret_length`.
pub fn secret_length() -> usize {
    SECRET_LENGTH.load(Ordering::Relaxed)
}
