//! First start and the server's own secrets (signing key, master-key check).

use super::{
    abort, Abort, Account, ApiKey, Environment, Event, Store, StoreError, User, FORMAT_VERSION, T,
};

const FORMAT: &[u8] = b"format";
const ACCOUNT: &[u8] = b"account";
const SIGNING_KEY: &[u8] = b"signing_key";
const MASTER_CHECK: &[u8] = b"master_check";
const CLEAN_SHUTDOWN: &[u8] = b"clean_shutdown";

/// Everything first start writes, in one transaction.
pub struct Bootstrap {
    /// The account.
    pub account: Account,
    /// The first Administrator.
    pub admin: User,
    /// The default environments with their keys.
    pub environments: Vec<(Environment, Vec<ApiKey>)>,
    /// The server's sealed secrets.
    pub secrets: Secrets,
    /// The audit event.
    pub event: Event,
}

/// Sealed server secrets kept in `meta`.
pub struct Secrets {
    /// Ed25519 PKCS#8, sealed under the master key.
    pub sealed_signing_key: Vec<u8>,
    /// A known text sealed under the master key, to detect a wrong master key at startup.
    pub master_check: Vec<u8>,
}

impl Store {
    /// The account, or `None` on an empty store.
    pub fn account(&self) -> Result<Option<Account>, StoreError> {
        self.get(T::Meta, ACCOUNT)
    }

    /// The sealed secrets, or `None` on an empty store.
    pub fn secrets(&self) -> Result<Option<Secrets>, StoreError> {
        let meta = self.tree(T::Meta);
        match (meta.get(SIGNING_KEY)?, meta.get(MASTER_CHECK)?) {
            (Some(k), Some(c)) => Ok(Some(Secrets {
                sealed_signing_key: k.to_vec(),
                master_check: c.to_vec(),
            })),
            (None, None) => Ok(None),
            _ => Err(StoreError::Corrupt(
                "only one of the server secrets is stored".into(),
            )),
        }
    }

    /// The layout version written at first start, if any.
    pub fn format_version(&self) -> Result<Option<u32>, StoreError> {
        match self.tree(T::Meta).get(FORMAT)? {
            None => Ok(None),
            Some(v) => {
                let bytes: [u8; 4] = v
                    .as_ref()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("format version is not 4 bytes".into()))?;
                Ok(Some(u32::from_be_bytes(bytes)))
            }
        }
    }

    /// Writes first-start state; refuses when an account already exists.
    pub async fn bootstrap(&self, b: &Bootstrap) -> Result<(), StoreError> {
        self.write(std::slice::from_ref(&b.event), |tx| {
            if tx.get_raw(T::Meta, ACCOUNT)?.is_some() {
                return abort(Abort::Conflict("the store is already initialised".into()));
            }
            tx.put_raw(T::Meta, FORMAT, &FORMAT_VERSION.to_be_bytes())?;
            tx.put(T::Meta, ACCOUNT, &b.account)?;
            tx.put_raw(T::Meta, SIGNING_KEY, &b.secrets.sealed_signing_key)?;
            tx.put_raw(T::Meta, MASTER_CHECK, &b.secrets.master_check)?;
            tx.insert_user(&b.admin)?;
            for (env, keys) in &b.environments {
                tx.put(T::Environments, env.id.as_str().as_bytes(), env)?;
                for key in keys {
                    tx.insert_api_key(key)?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Replaces the account record.
    pub async fn update_account(&self, account: &Account, event: &Event) -> Result<(), StoreError> {
        self.write(std::slice::from_ref(event), |tx| {
            tx.put(T::Meta, ACCOUNT, account)
        })
        .await
    }

    /// Durably marks a clean shutdown (the next start may run the bounded check).
    pub fn mark_clean_shutdown(&self) -> Result<(), StoreError> {
        self.tree(T::Meta).insert(CLEAN_SHUTDOWN, &[1u8])?;
        self.flush()?;
        self.tighten_permissions();
        Ok(())
    }

    /// Whether the last run ended cleanly; clears the mark durably, so a crash during this run
    /// makes the next start run the full check.
    pub fn take_clean_shutdown(&self) -> Result<bool, StoreError> {
        let clean = self.tree(T::Meta).remove(CLEAN_SHUTDOWN)?.is_some();
        if clean {
            self.flush()?;
        }
        Ok(clean)
    }
}
