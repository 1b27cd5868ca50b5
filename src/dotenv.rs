//! The `.env` block the official Flatfile clients read (`FLATFILE_API_URL`, `FLATFILE_API_KEY`,
//! `FLATFILE_ENVIRONMENT_ID`), for the startup banner and `latchkey env`.

use crate::auth::crypto::MasterKey;
use crate::domain::{ApiKey, ApiKeyType, Environment, Timestamp};
use crate::store::Store;
use std::fmt;

/// One of an environment's keys: its raw value where the master key is at hand and showing it
/// is wanted, else only its id.
#[derive(Clone, PartialEq, Eq)]
pub enum ShownKey {
    /// The raw `sk_…`/`pk_…` value.
    Raw(String),
    /// The key's `us_key_…` id.
    Id(String),
}

/// What a client needs to reach one environment.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientEnv {
    /// The server's URL without `/v1` (the clients append it).
    pub api_url: String,
    /// `us_env_…`.
    pub environment_id: String,
    /// The environment's name.
    pub environment_name: String,
    /// The newest active secret key.
    pub secret: Option<ShownKey>,
    /// The newest active publishable key.
    pub publishable: Option<ShownKey>,
}

impl fmt::Debug for ShownKey {
    /// Never the raw value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Raw(_) => f.write_str("Raw(…)"),
            Self::Id(id) => write!(f, "Id({id})"),
        }
    }
}

impl fmt::Debug for ClientEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientEnv")
            .field("api_url", &self.api_url)
            .field("environment_id", &self.environment_id)
            .field("environment_name", &self.environment_name)
            .finish_non_exhaustive()
    }
}

impl ClientEnv {
    /// Whether both keys are shown raw (the block can be pasted as it is).
    pub fn is_complete(&self) -> bool {
        matches!(
            (&self.secret, &self.publishable),
            (Some(ShownKey::Raw(_)), Some(ShownKey::Raw(_)))
        )
    }

    /// One line naming the environment and its key ids, for starts after the first.
    pub fn summary(&self) -> String {
        let id = |k: &Option<ShownKey>| match k {
            Some(ShownKey::Id(id)) => id.clone(),
            Some(ShownKey::Raw(_)) => "(shown above)".into(),
            None => "none".into(),
        };
        format!(
            "{} {}: secret key {}, publishable key {}",
            self.environment_name,
            self.environment_id,
            id(&self.secret),
            id(&self.publishable)
        )
    }

    /// The block for `environment` with its newest active keys, raw when `master` is given.
    pub fn of(
        environment: &Environment,
        keys: &[ApiKey],
        now: Timestamp,
        api_url: &str,
        master: Option<&MasterKey>,
    ) -> Self {
        let newest = |t: ApiKeyType| {
            let key = keys
                .iter()
                .filter(|k| k.key_type == t && k.is_active_at(now))
                .max_by_key(|k| k.created_at)?;
            let raw = master.and_then(|m| {
                let plain = m.open(key.id.as_str().as_bytes(), &key.sealed_raw).ok()?;
                String::from_utf8(plain).ok()
            });
            Some(raw.map_or_else(|| ShownKey::Id(key.id.to_string()), ShownKey::Raw))
        };
        Self {
            api_url: api_url.trim_end_matches('/').to_owned(),
            environment_id: environment.id.to_string(),
            environment_name: environment.name.as_str().to_owned(),
            secret: newest(ApiKeyType::Secret),
            publishable: newest(ApiKeyType::Publishable),
        }
    }

    /// The block for the environment named (or with the id) `selector`, read from `store`.
    pub fn from_store(
        store: &Store,
        selector: &str,
        now: Timestamp,
        api_url: &str,
        master: Option<&MasterKey>,
    ) -> Result<Self, String> {
        let environments = store.environments().map_err(|e| e.to_string())?;
        let environment = environments
            .iter()
            .find(|e| e.id.as_str() == selector || e.name.as_str() == selector)
            .ok_or_else(|| {
                let names: Vec<&str> = environments.iter().map(|e| e.name.as_str()).collect();
                format!(
                    "no environment named '{selector}' (there are: {})",
                    names.join(", ")
                )
            })?;
        let keys = store
            .api_keys_of(&environment.id)
            .map_err(|e| e.to_string())?;
        Ok(Self::of(environment, &keys, now, api_url, master))
    }
}

impl fmt::Display for ClientEnv {
    /// `KEY=value` lines, ready for a `.env` file; a key shown only by id is a comment line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "FLATFILE_API_URL={}", self.api_url)?;
        let mut line = |name: &str, key: &Option<ShownKey>| {
            match key {
            Some(ShownKey::Raw(raw)) => writeln!(f, "{name}={raw}"),
            Some(ShownKey::Id(id)) => writeln!(
                f,
                "# {name}: key {id}; its raw value needs the master key (latchkey env with the server's config)"
            ),
            None => writeln!(f, "# {name}: the environment has no active key of this type"),
        }
        };
        line("FLATFILE_API_KEY", &self.secret)?;
        writeln!(f, "FLATFILE_ENVIRONMENT_ID={}", self.environment_id)?;
        let mut line = |name: &str, key: &Option<ShownKey>| match key {
            Some(ShownKey::Raw(raw)) => write!(f, "{name}={raw}"),
            Some(ShownKey::Id(id)) => write!(f, "# {name}: key {id}"),
            None => write!(f, "# {name}: none"),
        };
        line("FLATFILE_PUBLISHABLE_KEY", &self.publishable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(secret: Option<ShownKey>) -> ClientEnv {
        ClientEnv {
            api_url: "http://127.0.0.1:8080/".trim_end_matches('/').into(),
            environment_id: "us_env_abc".into(),
            environment_name: "development".into(),
            secret,
            publishable: Some(ShownKey::Raw("pk_x".into())),
        }
    }

    #[test]
    fn a_block_with_raw_keys_is_a_pasteable_env_file() {
        let text = block(Some(ShownKey::Raw("sk_x".into()))).to_string();
        assert_eq!(
            text,
            "FLATFILE_API_URL=http://127.0.0.1:8080\nFLATFILE_API_KEY=sk_x\n\
             FLATFILE_ENVIRONMENT_ID=us_env_abc\nFLATFILE_PUBLISHABLE_KEY=pk_x"
        );
    }

    #[test]
    fn a_key_known_only_by_id_is_a_comment_and_never_a_value() {
        let b = block(Some(ShownKey::Id("us_key_1".into())));
        assert!(!b.is_complete());
        let text = b.to_string();
        assert!(text.contains("# FLATFILE_API_KEY: key us_key_1"), "{text}");
        assert!(!text.contains("FLATFILE_API_KEY=us_key"), "{text}");
        assert!(format!("{b:?}").contains("us_env_abc"));
    }
}
