//! Web origins (`scheme://host[:port]`), as browsers send them in the `Origin` header.

use super::ParseError;

/// Origins one environment may list.
pub const MAX_ALLOWED_ORIGINS: usize = 32;

/// A web origin in its serialized form: `http` or `https`, a lower-case host, and a port only
/// when it is not the scheme's default. Compared byte for byte with a browser's `Origin`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct WebOrigin(String);

impl WebOrigin {
    /// Parses `scheme://host[:port]` (no path, query, user or fragment), normalising case and
    /// dropping a default port, the way browsers serialize an origin.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let bad = |why: &str| {
            ParseError::new(
                "allowedOrigins",
                format!("'{}' is not a web origin ({why}); write scheme://host[:port], for example https://app.example.com", raw.chars().take(80).collect::<String>()),
            )
        };
        let lower = raw.trim_end_matches('/').to_ascii_lowercase();
        let (scheme, rest) = lower.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let default_port = match scheme {
            "http" => "80",
            "https" => "443",
            _ => return Err(bad("only http and https")),
        };
        if rest.is_empty() || rest.len() > 253 + 6 {
            return Err(bad("no host"));
        }
        if rest.contains(['/', '?', '#', '@', ' ', '\\']) {
            return Err(bad("an origin has no path, query, fragment or user"));
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !rest.starts_with('[') || h.ends_with(']') => (h, Some(p)),
            _ => (rest, None),
        };
        if host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'))
        {
            return Err(bad("the host has characters a host cannot have"));
        }
        let port = match port {
            Some(p) if p.parse::<u16>().is_err() => return Err(bad("the port is not a number")),
            Some(p) if p == default_port => None,
            other => other,
        };
        Ok(Self(match port {
            Some(p) => format!("{scheme}://{host}:{p}"),
            None => format!("{scheme}://{host}"),
        }))
    }

    /// The serialized origin.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for WebOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::WebOrigin;

    #[test]
    fn origins_are_normalised_as_browsers_send_them() {
        let ok = |raw: &str| WebOrigin::parse(raw).unwrap().as_str().to_owned();
        assert_eq!(ok("https://App.Example.com"), "https://app.example.com");
        assert_eq!(
            ok("https://app.example.com:443/"),
            "https://app.example.com"
        );
        assert_eq!(ok("http://127.0.0.1:5173"), "http://127.0.0.1:5173");
        assert_eq!(ok("http://[::1]:8080"), "http://[::1]:8080");
    }

    #[test]
    fn anything_but_an_origin_is_refused() {
        for raw in [
            "",
            "*",
            "null",
            "app.example.com",
            "ftp://x.example",
            "https://x.example/path",
            "https://user@x.example",
            "https://x.example:99999",
            "https://x .example",
        ] {
            assert!(WebOrigin::parse(raw).is_err(), "{raw}");
        }
    }
}
