//! Password hashing with PBKDF2-HMAC-SHA256, run on the blocking pool, a few at a time.

pub use crate::domain::PasswordHash;
use std::num::NonZeroU32;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Hashes and verifies passwords off the request workers with bounded concurrency.
#[derive(Clone)]
pub struct PasswordHasher {
    iterations: NonZeroU32,
    permits: Arc<Semaphore>,
    /// Verified against when an email is unknown, so that case costs the same as a wrong password.
    decoy: Arc<PasswordHash>,
}

/// The blocking pool refused the work (the server is shutting down).
#[derive(Debug, thiserror::Error)]
#[error("password hashing is unavailable")]
pub struct HasherUnavailable;

impl PasswordHasher {
    /// A hasher using `iterations` rounds and at most `concurrency` hashes at once.
    pub fn new(iterations: NonZeroU32, concurrency: usize) -> Self {
        // Verifying costs the same whatever the stored bytes are, so the decoy needs no
        // derivation of its own: deriving one was nearly all of a cold start (97% of its
        // instructions, callgrind; bench/README.md).
        let decoy = PasswordHash {
            iterations: iterations.get(),
            salt: crate::domain::random::bytes(),
            hash: crate::domain::random::bytes(),
        };
        Self {
            iterations,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            decoy: Arc::new(decoy),
        }
    }

    /// Hashes `password` with a fresh salt.
    pub async fn hash(&self, password: String) -> Result<PasswordHash, HasherUnavailable> {
        let iterations = self.iterations;
        self.run(move || derive(iterations, crate::domain::random::bytes(), &password))
            .await
    }

    /// True when `password` matches `stored`; with `None` it spends the same time and says false.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<PasswordHash>,
    ) -> Result<bool, HasherUnavailable> {
        let known = stored.is_some();
        let target = stored.unwrap_or_else(|| (*self.decoy).clone());
        let ok = self.run(move || verify(&target, &password)).await?;
        Ok(ok && known)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HasherUnavailable> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| HasherUnavailable)?;
        actix_web::web::block(work)
            .await
            .map_err(|_| HasherUnavailable)
    }
}

fn derive(iterations: NonZeroU32, salt: [u8; 16], password: &str) -> PasswordHash {
    let mut hash = [0u8; 32];
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        &salt,
        password.as_bytes(),
        &mut hash,
    );
    PasswordHash {
        iterations: iterations.get(),
        salt,
        hash,
    }
}

fn verify(stored: &PasswordHash, password: &str) -> bool {
    let Some(iterations) = NonZeroU32::new(stored.iterations) else {
        return false;
    };
    ring::pbkdf2::verify(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        &stored.salt,
        password.as_bytes(),
        &stored.hash,
    )
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_hashes_verify_only_the_same_password() {
        let h = derive(NonZeroU32::new(1000).unwrap(), [1; 16], "correct horse");
        assert!(verify(&h, "correct horse"));
        assert!(!verify(&h, "correct horsf"));
        assert!(!format!("{h:?}").contains("correct"));
    }
}
