//! Tokens already verified, by the SHA-256 of their text: a client sends the same access token
//! on every request for its lifetime, and checking a signature costs far more than the rest of
//! the request. A hit skips only the signature (and the `iss`/`aud` checks, fixed for a given
//! text); expiry and the revocation list are still checked on every request.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::jwt::AccessClaims;

/// Most tokens remembered. When full, expired ones go; if none has expired, all go.
const CAPACITY: usize = 65_536;

/// The digest a token is remembered by.
pub(crate) type TokenDigest = [u8; 32];

pub(crate) fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

#[derive(Default)]
pub(crate) struct VerifiedTokens {
    by_digest: RwLock<HashMap<TokenDigest, Arc<AccessClaims>>>,
}

impl VerifiedTokens {
    pub fn get(&self, digest: &TokenDigest) -> Option<Arc<AccessClaims>> {
        let map = self.by_digest.read().unwrap_or_else(|e| e.into_inner());
        map.get(digest).cloned()
    }

    pub fn insert(&self, digest: TokenDigest, claims: Arc<AccessClaims>, now: OffsetDateTime) {
        let mut map = self.by_digest.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CAPACITY {
            let now = now.unix_timestamp();
            map.retain(|_, claims| claims.exp > now);
            if map.len() >= CAPACITY {
                map.clear();
            }
        }
        map.insert(digest, claims);
    }
}
