//! Users and the email index.

use super::{Store, StoreError, Tx, TxResult, User, T};
use crate::domain::{Email, UserId};

impl Store {
    /// One user by id.
    pub fn user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        self.get(T::Users, id.as_str().as_bytes())
    }

    /// One user by email.
    pub fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        match self.tree(T::UserEmails).get(email.as_str().as_bytes())? {
            Some(id) => {
                let id = std::str::from_utf8(&id)
                    .ok()
                    .and_then(|s| UserId::parse(s).ok())
                    .ok_or_else(|| {
                        StoreError::Corrupt("user_emails holds a malformed id".into())
                    })?;
                self.user(&id)
            }
            None => Ok(None),
        }
    }

    /// Every user, oldest first.
    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        let mut all = self
            .scan::<User>(T::Users, b"")
            .map(|r| r.map(|(_, u)| u))
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(all)
    }
}

impl Tx<'_> {
    /// Writes a user and its email index entry.
    pub(super) fn insert_user(&self, user: &User) -> TxResult<()> {
        self.put(T::Users, user.id.as_str().as_bytes(), user)?;
        self.put_raw(
            T::UserEmails,
            user.email.as_str().as_bytes(),
            user.id.as_str().as_bytes(),
        )
    }
}
