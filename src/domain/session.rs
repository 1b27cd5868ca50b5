//! Login sessions: what a password login starts and its access tokens hang on. A session has
//! an absolute end that refreshing cannot move, and names the one token id that is current, so a
//! refresh retires the token it replaces.

use super::{AccountId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// A login session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// `us_ses_…`: the parent (`par`) of its access tokens.
    pub id: String,
    /// Whose session it is.
    pub user_id: UserId,
    /// Account.
    pub account_id: AccountId,
    /// When the password was proven.
    pub created_at: Timestamp,
    /// The absolute end; no refresh goes past it.
    pub expires_at: Timestamp,
    /// The `jti` of the one access token that is current.
    pub token_id: String,
}
