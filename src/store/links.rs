//! Single-use links (stored by digest) and the mail outbox.

use super::codec::{event_key, Record};
use super::{abort, Abort, Event, Link, LinkPurpose, Mail, Store, StoreError, Tx, TxResult, T};

impl Store {
    /// Redeems a link whose purpose `wanted` accepts: removes it and returns it in one
    /// transaction, so it works once. A link of another purpose is left alone.
    pub async fn take_link(
        &self,
        digest: &[u8; 32],
        wanted: impl Fn(&LinkPurpose) -> bool,
    ) -> Result<Option<Link>, StoreError> {
        self.write(&[], |tx| {
            let link = tx
                .get::<Link>(T::Links, digest)?
                .filter(|l| wanted(&l.purpose));
            if link.is_some() {
                tx.remove(T::Links, digest)?;
            }
            Ok(link)
        })
        .await
    }

    /// The newest `limit` mails after skipping `skip`, newest first, and the total.
    pub fn outbox(&self, skip: usize, limit: usize) -> Result<(Vec<Mail>, usize), StoreError> {
        let tree = self.tree(T::Outbox);
        let mails = tree
            .iter()
            .rev()
            .skip(skip)
            .take(limit)
            .map(|item| {
                let (_, v) = item?;
                Mail::decode(&v)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((mails, tree.len()))
    }

    /// A sequence number for outbox keys.
    pub(super) fn next_outbox_seq(&self) -> Result<u64, StoreError> {
        Ok(self.inner.db.generate_id()?)
    }

    /// Stores a link and queues its mail in one transaction.
    pub async fn send_link(
        &self,
        digest: &[u8; 32],
        link: &Link,
        mail: &Mail,
        event: &Event,
    ) -> Result<(), StoreError> {
        let seq = self.next_outbox_seq()?;
        self.write(std::slice::from_ref(event), |tx| {
            tx.send_link(digest, link, mail, seq)
        })
        .await
    }
}

impl Tx<'_> {
    pub(super) fn send_link(
        &self,
        digest: &[u8; 32],
        link: &Link,
        mail: &Mail,
        seq: u64,
    ) -> TxResult<()> {
        if self.get_raw(T::Links, digest)?.is_some() {
            return abort(Abort::Conflict("link token collision".into()));
        }
        self.put(T::Links, digest, link)?;
        self.put(T::Outbox, &event_key(mail.created_at.0, seq), mail)
    }
}
