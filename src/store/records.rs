//! How the records of `crate::domain` are stored: each as versioned bincode (see `codec`), with
//! conversions from older versions. They are never serialized straight to a client.

use super::codec::Record;
use crate::domain::*;
use serde::Deserialize;

impl Record for Account {
    const VERSION: u8 = 1;
    const NAME: &'static str = "account";
}

impl Record for Environment {
    const VERSION: u8 = 2;
    const NAME: &'static str = "environment";

    fn decode(bytes: &[u8]) -> Result<Self, super::StoreError> {
        match bytes.split_first() {
            Some((1, body)) => bincode::deserialize::<EnvironmentV1>(body)
                .map(Environment::from)
                .map_err(|e| {
                    super::StoreError::Corrupt(format!("environment record does not decode: {e}"))
                }),
            _ => super::codec::decode_current(bytes),
        }
    }
}

/// Version 1 of `Environment`: the same fields, without `allowed_origins`.
#[derive(Deserialize)]
struct EnvironmentV1 {
    id: EnvironmentId,
    account_id: AccountId,
    name: EnvironmentName,
    is_prod: bool,
    guest_authentication: Vec<GuestAuthentication>,
    metadata: String,
    translations_path: Option<String>,
    namespaces: Option<Vec<String>>,
    language_override: Option<String>,
    guests_can_invite: bool,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<EnvironmentV1> for Environment {
    fn from(v: EnvironmentV1) -> Self {
        Self {
            id: v.id,
            account_id: v.account_id,
            name: v.name,
            is_prod: v.is_prod,
            guest_authentication: v.guest_authentication,
            metadata: v.metadata,
            translations_path: v.translations_path,
            namespaces: v.namespaces,
            language_override: v.language_override,
            guests_can_invite: v.guests_can_invite,
            created_at: v.created_at,
            updated_at: v.updated_at,
            allowed_origins: Vec::new(),
        }
    }
}

impl Record for ApiKey {
    const VERSION: u8 = 1;
    const NAME: &'static str = "api key";
}

impl Record for User {
    const VERSION: u8 = 1;
    const NAME: &'static str = "user";
}

impl Record for CredentialRef {
    const VERSION: u8 = 1;
    const NAME: &'static str = "credential reference";
}

impl Record for Event {
    const VERSION: u8 = 1;
    const NAME: &'static str = "event";
}

impl Record for Pat {
    const VERSION: u8 = 1;
    const NAME: &'static str = "personal access token";
}

impl Record for Client {
    const VERSION: u8 = 1;
    const NAME: &'static str = "client credentials";
}

impl Record for Link {
    const VERSION: u8 = 1;
    const NAME: &'static str = "link";
}

impl Record for Mail {
    const VERSION: u8 = 1;
    const NAME: &'static str = "mail";
}

impl Record for Space {
    const VERSION: u8 = 1;
    const NAME: &'static str = "space";
}

impl Record for Workbook {
    const VERSION: u8 = 1;
    const NAME: &'static str = "workbook";
}

impl Record for Guest {
    const VERSION: u8 = 1;
    const NAME: &'static str = "guest";
}

impl Record for Grant {
    const VERSION: u8 = 1;
    const NAME: &'static str = "grant";
}

impl Record for Secret {
    const VERSION: u8 = 1;
    const NAME: &'static str = "secret";
}

#[cfg(test)]
mod environment_versions {
    use super::*;
    use serde::Serialize;

    fn sample() -> Environment {
        let mut env = Environment::new(
            AccountId::generate(),
            EnvironmentName::parse("development", &Default::default()).unwrap(),
            false,
            Timestamp(1_700_000_000_000),
        );
        env.allowed_origins = vec![WebOrigin::parse("https://app.example.com").unwrap()];
        env
    }

    #[test]
    fn environments_round_trip_with_their_allowed_origins() {
        let env = sample();
        assert_eq!(Environment::decode(&env.encode()).unwrap(), env);
    }

    #[test]
    fn version_1_environments_decode_with_no_allowed_origins() {
        #[derive(Serialize)]
        struct V1<'a>(
            &'a EnvironmentId,
            &'a AccountId,
            &'a EnvironmentName,
            bool,
            &'a [GuestAuthentication],
            &'a str,
            Option<String>,
            Option<Vec<String>>,
            Option<String>,
            bool,
            Timestamp,
            Timestamp,
        );
        let env = sample();
        let mut bytes = vec![1u8];
        bincode::serialize_into(
            &mut bytes,
            &V1(
                &env.id,
                &env.account_id,
                &env.name,
                env.is_prod,
                &env.guest_authentication,
                &env.metadata,
                None,
                None,
                None,
                true,
                env.created_at,
                env.updated_at,
            ),
        )
        .unwrap();
        let old = Environment::decode(&bytes).unwrap();
        assert_eq!(old.id, env.id);
        assert!(old.allowed_origins.is_empty());
        assert!(old.guests_can_invite);
    }
}
