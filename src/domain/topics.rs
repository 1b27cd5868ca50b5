//! Event topics: Latchkey's own are reserved, so that a client cannot forge an audit entry.

/// The topic domains (the part before `:`) Latchkey writes its own audit events under. A client
/// may not create an event whose topic starts with one of them.
pub const RESERVED_TOPIC_DOMAINS: [&str; 13] = [
    "account",
    "api-key",
    "auth",
    "client-credentials",
    "environment",
    "guest",
    "latchkey",
    "pat",
    "secret",
    "space",
    "user",
    "webhook",
    "workbook",
];

/// Whether `topic` belongs to Latchkey itself (compared without regard to case).
pub fn is_reserved_topic(topic: &str) -> bool {
    let domain = topic.split(':').next().unwrap_or(topic).trim();
    RESERVED_TOPIC_DOMAINS
        .iter()
        .any(|d| d.eq_ignore_ascii_case(domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latchkeys_own_topics_are_reserved_and_others_are_not() {
        for topic in [
            "api-key:deleted",
            "Auth:login-failed",
            "space:created",
            "latchkey",
        ] {
            assert!(is_reserved_topic(topic), "{topic}");
        }
        for topic in [
            "job:ready",
            "custom:fixture",
            "records:created",
            "commit:completed",
        ] {
            assert!(!is_reserved_topic(topic), "{topic}");
        }
    }
}
