//! Login sessions: what a password login starts and its access tokens hang on. A session has
//! an absolute end that refreshing cannot move, and names the one token id that is current, so a
//! refresh retires the token it replaces.

use super::codec::{pair, pair_prefix, pair_second, Record};
use super::{abort, Abort, Event, Store, StoreError, Tx, TxResult, T};
use crate::domain::{Session, Timestamp, UserId};

impl Record for Session {
    const VERSION: u8 = 1;
    const NAME: &'static str = "session";
}

impl Store {
    /// One session by id.
    pub fn session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        self.get(T::Sessions, id.as_bytes())
    }

    /// Stores a new session; the user's ended sessions are removed, and the oldest beyond
    /// `max_per_user` too.
    pub async fn insert_session(
        &self,
        session: &Session,
        max_per_user: usize,
    ) -> Result<(), StoreError> {
        let guard = self.structure_lock().await;
        let mut mine = self.sessions_of(&session.user_id)?;
        mine.sort_by_key(|s| s.created_at);
        let ended = mine.len().saturating_sub(max_per_user.saturating_sub(1));
        let stale: Vec<String> = mine
            .iter()
            .enumerate()
            .filter(|(i, s)| *i < ended || s.expires_at <= session.created_at)
            .map(|(_, s)| s.id.clone())
            .collect();
        self.write_locked(guard, &[], |tx| {
            for id in &stale {
                tx.remove_session(&session.user_id, id)?;
            }
            tx.put(T::Sessions, session.id.as_bytes(), session)?;
            tx.put_raw(
                T::UserSessions,
                &pair(session.user_id.as_str(), &session.id),
                &[],
            )
        })
        .await
    }

    /// Makes `new_token` the session's current token if `old_token` still is (a refresh);
    /// `false` when the session is gone or the old token was already replaced.
    pub async fn rotate_session(
        &self,
        id: &str,
        old_token: &str,
        new_token: &str,
    ) -> Result<bool, StoreError> {
        self.write(&[], |tx| {
            let Some(mut session) = tx.get::<Session>(T::Sessions, id.as_bytes())? else {
                return Ok(false);
            };
            if session.token_id != old_token {
                return Ok(false);
            }
            session.token_id = new_token.to_owned();
            tx.put(T::Sessions, id.as_bytes(), &session)?;
            Ok(true)
        })
        .await
    }

    /// Ends one session of `user`, recording `event`; `false` if it was already gone.
    pub async fn end_session(
        &self,
        user: &UserId,
        id: &str,
        event: &Event,
    ) -> Result<bool, StoreError> {
        self.write(std::slice::from_ref(event), |tx| {
            tx.remove(T::UserSessions, &pair(user.as_str(), id))?;
            tx.remove(T::Sessions, id.as_bytes())
        })
        .await
    }

    /// Ends the user's sessions (all, or all but `keep`), recording `event`.
    pub async fn end_sessions(
        &self,
        user: &UserId,
        keep: Option<&str>,
        event: &Event,
    ) -> Result<usize, StoreError> {
        let ids = self.session_ids_except(user, keep)?;
        self.write(std::slice::from_ref(event), |tx| {
            for id in &ids {
                tx.remove_session(user, id)?;
            }
            Ok(ids.len())
        })
        .await
    }

    /// Sets a user's password and ends every session but `keep`, in one transaction.
    pub async fn change_password(
        &self,
        user: &UserId,
        hash: &crate::domain::PasswordHash,
        keep: Option<&str>,
        now: Timestamp,
        event: &Event,
    ) -> Result<(), StoreError> {
        let ids = self.session_ids_except(user, keep)?;
        self.write(std::slice::from_ref(event), |tx| {
            let Some(mut record) = tx.get::<super::User>(T::Users, user.as_str().as_bytes())?
            else {
                return abort(Abort::NotFound(format!("user {user} not found")));
            };
            record.password = Some(hash.clone());
            record.updated_at = now;
            tx.put(T::Users, user.as_str().as_bytes(), &record)?;
            for id in &ids {
                tx.remove_session(user, id)?;
            }
            Ok(())
        })
        .await
    }

    /// The ids of a user's sessions but `keep`.
    fn session_ids_except(
        &self,
        user: &UserId,
        keep: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        Ok(self
            .sessions_of(user)?
            .into_iter()
            .map(|s| s.id)
            .filter(|id| Some(id.as_str()) != keep)
            .collect())
    }

    /// The ids of a user's sessions.
    pub(super) fn session_ids_of(&self, user: &UserId) -> Result<Vec<String>, StoreError> {
        Ok(self.sessions_of(user)?.into_iter().map(|s| s.id).collect())
    }

    fn sessions_of(&self, user: &UserId) -> Result<Vec<Session>, StoreError> {
        let mut out = Vec::new();
        for key in self
            .tree(T::UserSessions)
            .scan_prefix(pair_prefix(user.as_str()))
            .keys()
        {
            let key = key?;
            let id = pair_second(&key)
                .ok_or_else(|| StoreError::Corrupt("user_sessions holds a malformed key".into()))?;
            if let Some(session) = self.session(id)? {
                out.push(session);
            }
        }
        Ok(out)
    }
}

impl Tx<'_> {
    /// Removes one session of `user` and its index entry.
    pub(super) fn remove_session(&self, user: &UserId, id: &str) -> TxResult<()> {
        self.remove(T::Sessions, id.as_bytes())?;
        self.remove(T::UserSessions, &pair(user.as_str(), id))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;

    #[test]
    fn sessions_round_trip() {
        let session = Session {
            id: "us_ses_abc".into(),
            user_id: UserId::generate(),
            account_id: AccountId::generate(),
            created_at: Timestamp(1),
            expires_at: Timestamp(2),
            token_id: "jti".into(),
        };
        assert_eq!(Session::decode(&session.encode()).unwrap(), session);
    }
}
