//! Tokens, hashes and password hashing.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// A new 256-bit random token, base64url without padding (43 characters).
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Lowercase hex SHA-256 of a token: what the store keeps instead of the token.
pub fn hash_token(token: &str) -> String {
    TokenHash::of(token).as_str().to_owned()
}

/// [`hash_token`] on the stack: the session check of every request needs it only for the
/// duration of one lookup.
pub(crate) struct TokenHash([u8; 64]);

impl TokenHash {
    pub(crate) fn of(token: &str) -> Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 64];
        for (i, b) in Sha256::digest(token.as_bytes()).iter().enumerate() {
            out[2 * i] = DIGITS[usize::from(b >> 4)];
            out[2 * i + 1] = DIGITS[usize::from(b & 0x0f)];
        }
        Self(out)
    }

    pub(crate) fn as_str(&self) -> &str {
        // Hex digits only, so always UTF-8; the fallback is unreachable.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// Constant-time equality of two byte strings of possibly different lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Argon2id parameters: OWASP's recommendation (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    // ok: these constants are within Argon2's documented bounds, so `Params::new` cannot fail;
    // the fallback keeps the function total anyway.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Errors of password hashing.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Too many hashes are running or waiting: the caller should answer 503 with `Retry-After`.
    #[error("password hashing is at capacity")]
    Busy,
    /// Hashing itself failed (a bug).
    #[error("password hashing failed: {0}")]
    Failed(String),
}

impl From<HashError> for crate::ApiError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy => Self::overloaded(1),
            HashError::Failed(detail) => Self::internal(detail),
        }
    }
}

/// Bounds the memory that password hashing can take. Each Argon2id run holds 19 MiB, and the
/// blocking pool has hundreds of threads, so without a bound a login flood takes gigabytes.
/// At most one hash per core runs at a time; a short queue absorbs bursts; past it, callers get
/// [`HashError::Busy`] at once instead of piling up.
struct HashLimiter {
    running: tokio::sync::Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
    max_waiting: usize,
}

/// How many hashes may wait per running one before new ones are refused.
const QUEUE_PER_SLOT: usize = 8;

static LIMITER: LazyLock<HashLimiter> = LazyLock::new(|| {
    let slots = max_concurrent_hashes();
    HashLimiter {
        running: tokio::sync::Semaphore::new(slots),
        waiting: std::sync::atomic::AtomicUsize::new(0),
        max_waiting: slots * QUEUE_PER_SLOT,
    }
});

/// The number of hashes that may run at once (one per core).
pub fn max_concurrent_hashes() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
}

/// Runs one Argon2 computation on the blocking pool, within the limiter's bounds.
async fn run_limited<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashError> {
    use std::sync::atomic::Ordering;
    let limiter = &*LIMITER;
    let permit = match limiter.running.try_acquire() {
        Ok(permit) => permit,
        Err(_) => {
            if limiter.waiting.fetch_add(1, Ordering::AcqRel) >= limiter.max_waiting {
                limiter.waiting.fetch_sub(1, Ordering::AcqRel);
                tracing::warn!("password hashing at capacity: request refused with 503");
                return Err(HashError::Busy);
            }
            let acquired = limiter.running.acquire().await;
            limiter.waiting.fetch_sub(1, Ordering::AcqRel);
            acquired.map_err(|e| HashError::Failed(e.to_string()))?
        }
    };
    let result = tokio::task::spawn_blocking(move || {
        // The permit lives as long as the computation, even if the request is cancelled.
        let _permit = permit;
        work()
    })
    .await
    .map_err(|e| HashError::Failed(e.to_string()))?;
    Ok(result)
}

/// Hashes a password with Argon2id on the blocking thread pool (it takes tens of milliseconds on
/// purpose and must not stall the async runtime). [`HashError::Busy`] when hashing is at
/// capacity.
pub async fn hash_password(password: &str) -> Result<String, HashError> {
    let password = password.to_owned();
    run_limited(move || hash_password_blocking(&password)).await?
}

fn hash_password_blocking(password: &str) -> Result<String, HashError> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| HashError::Failed(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError::Failed(e.to_string()))
}

/// Verifies a password against a PHC string, on the blocking pool. A malformed hash is a
/// mismatch; [`HashError::Busy`] when hashing is at capacity.
pub async fn verify_password(hash: &str, password: &str) -> Result<bool, HashError> {
    let hash = hash.to_owned();
    let password = password.to_owned();
    run_limited(move || verify_password_blocking(&hash, &password)).await
}

fn verify_password_blocking(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of a random password with the same parameters as real ones.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password_blocking(&random_token()).unwrap_or_default());

/// Spends the same time as [`verify_password`] for an account that does not exist, so response
/// times do not reveal which emails are registered. `Ok(false)`, or [`HashError::Busy`] exactly
/// as a real verification would be.
pub async fn dummy_verify(password: &str) -> Result<bool, HashError> {
    let password = password.to_owned();
    run_limited(move || verify_password_blocking(&DUMMY_HASH, &password)).await?;
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hashes_use_argon2id_at_owasp_parameters() {
        let hash = hash_password_blocking("a password").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password_blocking(&hash, "a password"));
        assert!(!verify_password_blocking(&hash, "another password"));
    }

    #[test]
    fn tokens_are_long_random_and_hash_to_hex() {
        let a = random_token();
        let b = random_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        let h = hash_token(&a);
        assert_eq!(h.len(), 64);
        assert!(
            h.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(hash_token("abc"), hash_token("abc"));
    }

    #[tokio::test]
    async fn passwords_verify_only_with_the_right_password() {
        let hash = hash_password("correct horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(&hash, "correct horse").await.unwrap());
        assert!(!verify_password(&hash, "wrong horse").await.unwrap());
        assert!(
            !verify_password("not a hash", "correct horse")
                .await
                .unwrap()
        );
        assert!(!dummy_verify("anything").await.unwrap());
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn token_hashes_are_lowercase_hex_sha256() {
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(TokenHash::of("abc").as_str(), expected);
        assert_eq!(hash_token("abc"), expected);
    }
}

#[cfg(test)]
mod limiter_tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flood_of_hashes_is_bounded_and_the_excess_refused() {
        let slots = max_concurrent_hashes();
        let flood = slots * (QUEUE_PER_SLOT + 1) + 32;
        let tasks: Vec<_> = (0..flood)
            .map(|_| tokio::spawn(async { dummy_verify("x").await }))
            .collect();
        let mut busy = 0;
        let mut done = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(false) => done += 1,
                Err(HashError::Busy) => busy += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(busy > 0, "some of {flood} concurrent hashes are refused");
        assert!(done >= slots, "at least the running ones finish");
        assert!(done <= slots * (QUEUE_PER_SLOT + 1) + slots);
        // Once the flood is over, hashing works again.
        assert!(!dummy_verify("x").await.unwrap());
    }
}
