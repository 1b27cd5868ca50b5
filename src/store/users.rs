//! Users, the email index, and the cascades that keep a deleted user's credentials from outliving it.

use super::{abort, Abort, Event, Link, Mail, Store, StoreError, Tx, TxResult, User, T};
use crate::domain::{Email, PasswordHash, Role, Timestamp, UserId};

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

    /// How many users there are, counting at most `max`.
    pub fn user_count(&self, max: usize) -> usize {
        self.count_prefix(T::Users, b"", max)
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

    /// Creates an invited user with the link that lets them set a password, and its mail.
    pub async fn invite_user(
        &self,
        user: &User,
        digest: &[u8; 32],
        link: &Link,
        mail: &Mail,
        event: &Event,
    ) -> Result<(), StoreError> {
        let seq = self.next_outbox_seq()?;
        self.write(std::slice::from_ref(event), |tx| {
            if tx
                .get_raw(T::UserEmails, user.email.as_str().as_bytes())?
                .is_some()
            {
                return abort(Abort::Conflict(format!(
                    "a user with email {} already exists",
                    user.email
                )));
            }
            tx.insert_user(user)?;
            tx.send_link(digest, link, mail, seq)
        })
        .await
    }

    /// Replaces a user; refuses to leave the account without an Administrator.
    pub async fn update_user(&self, user: &User, event: &Event) -> Result<(), StoreError> {
        let _guard = self.structure_lock().await;
        let current = self
            .user(&user.id)?
            .ok_or_else(|| StoreError::NotFound(format!("user {} not found", user.id)))?;
        if current.role == Role::Administrator && user.role != Role::Administrator {
            self.ensure_another_administrator(&user.id)?;
        }
        self.write_locked(_guard, std::slice::from_ref(event), |tx| {
            if tx.get_raw(T::Users, user.id.as_str().as_bytes())?.is_none() {
                return abort(Abort::NotFound(format!("user {} not found", user.id)));
            }
            tx.put(T::Users, user.id.as_str().as_bytes(), user)
        })
        .await
    }

    /// Sets the password of an invited user who has none yet (after a redeemed link). Once a
    /// password is set, every other invitation link of that user is dead.
    pub async fn set_first_password(
        &self,
        id: &UserId,
        hash: &PasswordHash,
        now: Timestamp,
        event: &Event,
    ) -> Result<User, StoreError> {
        self.write(std::slice::from_ref(event), |tx| {
            let Some(mut user) = tx.get::<User>(T::Users, id.as_str().as_bytes())? else {
                return abort(Abort::NotFound(format!("user {id} not found")));
            };
            if user.password.is_some() {
                return abort(Abort::Conflict(format!(
                    "user {id} has already set a password"
                )));
            }
            user.password = Some(hash.clone());
            user.updated_at = now;
            tx.put(T::Users, id.as_str().as_bytes(), &user)?;
            Ok(user)
        })
        .await
    }

    /// Deletes a user with every PAT, client pair and login session they hold, in one
    /// transaction.
    pub async fn delete_user(&self, id: &UserId, event: &Event) -> Result<(), StoreError> {
        let _guard = self.structure_lock().await;
        let user = self
            .user(id)?
            .ok_or_else(|| StoreError::NotFound(format!("user {id} not found")))?;
        if user.role == Role::Administrator {
            self.ensure_another_administrator(id)?;
        }
        let pats = self.pats_of(id)?;
        let clients = self.clients_of(id)?;
        let sessions = self.session_ids_of(id)?;
        self.pat_counts().remove(id);
        self.write_locked(_guard, std::slice::from_ref(event), |tx| {
            if !tx.remove(T::Users, id.as_str().as_bytes())? {
                return abort(Abort::NotFound(format!("user {id} not found")));
            }
            tx.remove(T::UserEmails, user.email.as_str().as_bytes())?;
            for pat in &pats {
                tx.remove_pat(&pat.id)?;
            }
            for client in &clients {
                tx.remove_client(&client.id)?;
            }
            for session in &sessions {
                tx.remove_session(id, session)?;
            }
            Ok(())
        })
        .await
    }

    /// Refuses unless another Administrator can sign in: an invited Administrator who has not
    /// set a password yet does not count, since nobody could use the account through them.
    fn ensure_another_administrator(&self, leaving: &UserId) -> Result<(), StoreError> {
        let others = self
            .users()?
            .into_iter()
            .filter(|u| u.role == Role::Administrator && u.id != *leaving && u.password.is_some())
            .count();
        if others == 0 {
            return Err(StoreError::Conflict(
                "the last Administrator who can sign in cannot be removed or demoted (invited Administrators count once they have set a password); make another user Administrator first".into(),
            ));
        }
        Ok(())
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
