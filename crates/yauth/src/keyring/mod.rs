//! The key ring: every secret yauth stores and must read again (TOTP secrets, OAuth provider
//! tokens, webhook signing secrets, private signing keys) is sealed here, and nowhere else.
//!
//! - XChaCha20-Poly1305 with a random 192-bit nonce per value, so random nonces never collide
//!   in practice however many values a key seals.
//! - A sealed value is text: `y1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`. The format
//!   version and key id come first, so a store can tell (and count) which key sealed a value
//!   without opening it.
//! - The associated data binds the value to its place: format, key id, table, column and row. A
//!   ciphertext copied into another row, column or table does not open.
//! - The newest key (the last one given) seals; any key of the ring opens what it sealed. Rotate
//!   by adding a key, re-encrypt with [`Reencryption`], then drop the old key once
//!   [`YAuth::sealed_values_under`](crate::YAuth::sealed_values_under) reports 0 for it.
//!
//! ```
//! use yauth::keyring::{KeyRing, SealedPlace, SecretKey};
//! use yauth::store::SealedColumn;
//!
//! let ring = KeyRing::new([SecretKey::from_base64("k2026", &"A".repeat(43)).unwrap()]).unwrap();
//! let place = SealedPlace::new(SealedColumn::WebhookSecret, "0b5a6a90-6a4e-4c5e-9a53-0d3b7b2a2f11");
//! let sealed = ring.seal(&place, b"whsec");
//! assert!(sealed.starts_with("y1.k2026."));
//! assert_eq!(&ring.open(&place, &sealed).unwrap()[..], b"whsec");
//! ```

mod rotation;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

pub use rotation::{Reencryption, ReencryptionReport};
pub use yauth_store::SealedColumn;

/// The format tag every sealed value starts with.
const FORMAT: &str = "y1";
/// Key length: 256 bits.
pub const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Longest key id; ids are part of every sealed value.
const MAX_KEY_ID_LEN: usize = 32;

/// Why a key or a key ring was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A key id is empty, too long, or has characters other than `a-z`, `0-9` and `-`.
    #[error(
        "key id {0:?} is invalid: use 1 to 32 characters from a-z, 0-9 and '-' (it is stored \
         in front of every value the key seals)"
    )]
    InvalidKeyId(String),
    /// A key is not 32 bytes long.
    #[error("key {id:?} is {len} bytes long; keys are exactly 32 bytes (256 bits)")]
    WrongLength {
        /// The key's id.
        id: String,
        /// Its length in bytes.
        len: usize,
    },
    /// A key's base64 does not decode.
    #[error("key {0:?} is not valid base64 (standard or URL-safe, padded or not)")]
    InvalidBase64(String),
    /// The ring has no key.
    #[error("the key ring needs at least one key")]
    Empty,
    /// Two keys share an id.
    #[error("key id {0:?} appears twice in the key ring")]
    DuplicateKeyId(String),
}

/// Why a sealed value did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Not a value this key ring's format wrote.
    #[error("not a sealed value")]
    Malformed,
    /// Sealed under a key the ring does not hold (removed too early, or never configured).
    #[error("sealed under key {0:?}, which the key ring does not hold")]
    UnknownKey(String),
    /// Authentication failed: a wrong key, a tampered value, or one moved from another place.
    #[error("the sealed value does not authenticate (tampered, or moved from another row)")]
    Forged,
}

/// One 256-bit key and its id. Its bytes are wiped from memory when it is dropped, and `Debug`
/// never shows them.
pub struct SecretKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl SecretKey {
    /// A key from its raw 32 bytes.
    pub fn new(id: impl Into<String>, bytes: &[u8]) -> Result<Self, KeyError> {
        let id = checked_key_id(id.into())?;
        if bytes.len() != KEY_LEN {
            return Err(KeyError::WrongLength {
                id,
                len: bytes.len(),
            });
        }
        // `new_from_slice` only fails on a wrong length, checked just above.
        let cipher =
            XChaCha20Poly1305::new_from_slice(bytes).map_err(|_| KeyError::WrongLength {
                id: id.clone(),
                len: bytes.len(),
            })?;
        Ok(Self { id, cipher })
    }

    /// A key from base64 (standard or URL-safe alphabet, padded or not), as it would come from
    /// an environment variable or a secret manager.
    pub fn from_base64(id: impl Into<String>, encoded: &str) -> Result<Self, KeyError> {
        let id = id.into();
        let encoded = encoded.trim();
        let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(encoded).ok())
            .map(Zeroizing::new)
            .ok_or_else(|| KeyError::InvalidBase64(id.clone()))?;
        Self::new(id, &bytes)
    }

    /// A fresh random key (for tests and for generating a key to store in a secret manager).
    pub fn generate(id: impl Into<String>) -> Result<Self, KeyError> {
        let bytes = Zeroizing::new(rand::random::<[u8; KEY_LEN]>());
        Self::new(id, bytes.as_slice())
    }

    /// 32 fresh random bytes in standard base64: a new key to keep in a secret store and give
    /// to [`from_base64`](Self::from_base64).
    pub fn generate_base64() -> String {
        let bytes = Zeroizing::new(rand::random::<[u8; KEY_LEN]>());
        STANDARD.encode(bytes.as_slice())
    }

    /// The key's id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

fn checked_key_id(id: String) -> Result<String, KeyError> {
    let valid = !id.is_empty()
        && id.len() <= MAX_KEY_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(id)
    } else {
        Err(KeyError::InvalidKeyId(id))
    }
}

/// Where a sealed value lives: its column (hence table) and row. Part of the associated data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedPlace<'a> {
    column: SealedColumn,
    row: &'a str,
}

impl<'a> SealedPlace<'a> {
    /// The value of `column` in the row whose key is `row` (a UUID's text, or a signing key id).
    pub fn new(column: SealedColumn, row: &'a str) -> Self {
        Self { column, row }
    }

    fn associated_data(&self, key_id: &str) -> Vec<u8> {
        // Length-prefixed fields, so no choice of row key can make two places collide.
        let mut aad = Vec::with_capacity(64);
        for field in [
            FORMAT,
            key_id,
            self.column.table(),
            self.column.column(),
            self.row,
        ] {
            aad.extend_from_slice(&(field.len() as u32).to_be_bytes());
            aad.extend_from_slice(field.as_bytes());
        }
        aad
    }
}

/// Several keys; the newest seals, each opens what it sealed.
#[derive(Debug)]
pub struct KeyRing {
    /// Oldest first; the last one is current.
    keys: Vec<SecretKey>,
}

impl KeyRing {
    /// A ring of `keys`, oldest first: the last one seals every new value.
    pub fn new(keys: impl IntoIterator<Item = SecretKey>) -> Result<Self, KeyError> {
        let keys: Vec<SecretKey> = keys.into_iter().collect();
        if keys.is_empty() {
            return Err(KeyError::Empty);
        }
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].iter().any(|k| k.id == key.id) {
                return Err(KeyError::DuplicateKeyId(key.id.clone()));
            }
        }
        Ok(Self { keys })
    }

    fn current(&self) -> &SecretKey {
        // `new` refuses an empty ring and nothing removes keys, so there is always a last key.
        &self.keys[self.keys.len() - 1]
    }

    pub(crate) fn into_keys(self) -> Vec<SecretKey> {
        self.keys
    }

    /// The id of the key that seals new values.
    pub fn current_key_id(&self) -> &str {
        &self.current().id
    }

    /// Every key id, oldest first.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.id.as_str())
    }

    /// The prefix of every value sealed under `key_id` (what stores match on).
    pub fn prefix_of(key_id: &str) -> String {
        format!("{FORMAT}.{key_id}.")
    }

    /// The id of the key that sealed `sealed`, without opening it.
    pub fn key_id_of(sealed: &str) -> Option<&str> {
        let rest = sealed.strip_prefix(FORMAT)?.strip_prefix('.')?;
        let (id, _) = rest.split_once('.')?;
        Some(id)
    }

    /// Seals `plaintext` for `place` under the current key.
    pub fn seal(&self, place: &SealedPlace<'_>, plaintext: &[u8]) -> String {
        let key = self.current();
        let nonce: [u8; NONCE_LEN] = rand::random();
        let aad = place.associated_data(&key.id);
        let payload = Payload {
            msg: plaintext,
            aad: &aad,
        };
        // XChaCha20-Poly1305 encryption only fails for messages beyond 256 GiB, which no secret
        // comes near; an empty ciphertext would then fail to open rather than pass.
        let ciphertext = key
            .cipher
            .encrypt(&XNonce::from(nonce), payload)
            .unwrap_or_default();
        let mut body = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        body.extend_from_slice(&nonce);
        body.extend_from_slice(&ciphertext);
        format!(
            "{}{}",
            Self::prefix_of(&key.id),
            URL_SAFE_NO_PAD.encode(body)
        )
    }

    /// Opens a value sealed for `place` by any key of the ring.
    pub fn open(
        &self,
        place: &SealedPlace<'_>,
        sealed: &str,
    ) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let key_id = Self::key_id_of(sealed).ok_or(OpenError::Malformed)?;
        let encoded = &sealed[Self::prefix_of(key_id).len()..];
        let body = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| OpenError::Malformed)?;
        if body.len() < NONCE_LEN + TAG_LEN {
            return Err(OpenError::Malformed);
        }
        let key = self
            .keys
            .iter()
            .find(|k| k.id == key_id)
            .ok_or_else(|| OpenError::UnknownKey(key_id.to_owned()))?;
        let (nonce, ciphertext) = body.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| OpenError::Malformed)?;
        let aad = place.associated_data(key_id);
        key.cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| OpenError::Forged)
    }

    /// Opens a sealed UTF-8 secret (tokens, base32 TOTP secrets, PEM keys).
    pub fn open_string(
        &self,
        place: &SealedPlace<'_>,
        sealed: &str,
    ) -> Result<Zeroizing<String>, OpenError> {
        let mut bytes = self.open(place, sealed)?;
        match String::from_utf8(std::mem::take(&mut *bytes)) {
            Ok(text) => Ok(Zeroizing::new(text)),
            Err(error) => {
                drop(Zeroizing::new(error.into_bytes()));
                Err(OpenError::Malformed)
            }
        }
    }
}

/// Whether a built-in plugin stores secrets (and so needs the key ring).
pub(crate) fn stores_secrets(id: crate::PluginId) -> bool {
    SealedColumn::ALL.iter().any(|c| c.plugin() == id.name())
}

/// The sealed columns that the enabled plugins (by name) write.
pub(crate) fn columns_of(enabled: &[&str]) -> Vec<SealedColumn> {
    SealedColumn::ALL
        .into_iter()
        .filter(|c| enabled.contains(&c.plugin()))
        .collect()
}

#[cfg(test)]
mod tests;
