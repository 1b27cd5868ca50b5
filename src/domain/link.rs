//! Single-use links and the outbox messages that carry them.

use super::{AccountId, Email, GuestId, MailSubject, SpaceId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// What a single-use link does when redeemed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LinkPurpose {
    /// An invited user sets a password.
    SetPassword(UserId),
    /// A guest signs in to a space (a magic link).
    GuestLogin {
        /// The guest.
        guest: GuestId,
        /// The space the link opens.
        space: SpaceId,
    },
    /// Someone joined a space's shared link with an existing guest's address: the link, mailed
    /// to that address, admits that guest to the space once redeemed.
    SharedLinkJoin {
        /// The guest the address belongs to.
        guest: GuestId,
        /// The space whose shared link was used.
        space: SpaceId,
    },
}

/// A single-use link, stored under the digest of its token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// What it does.
    pub purpose: LinkPurpose,
    /// Account.
    pub account_id: AccountId,
    /// Created.
    pub created_at: Timestamp,
    /// Stops working.
    pub expires_at: Timestamp,
}

/// A message in the outbox. The body holds a live link, so it is sealed under the master key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mail {
    /// Recipient.
    pub to: Email,
    /// Subject line: one line, whatever it was built from.
    pub subject: MailSubject,
    /// The body, sealed (AES-256-GCM) under the master key.
    pub sealed_body: Vec<u8>,
    /// Account.
    pub account_id: AccountId,
    /// Queued.
    pub created_at: Timestamp,
}
