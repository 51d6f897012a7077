//! The key format, `yauth_<prefix>_<secret>`: a 12-character lookup prefix (stored, indexed)
//! and a 256-bit secret (stored only as its SHA-256).

use crate::crypto::{constant_time_eq, hash_token, hex};

pub(crate) use crate::auth::API_KEY_PREFIX as KEY_PREFIX;

const LOOKUP_LEN: usize = 12;
const SECRET_LEN: usize = 64;
const LOOKUP_ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// A new key: the full key to show once, its lookup prefix, and the hash to store.
pub(crate) struct NewKey {
    pub key: String,
    pub lookup: String,
    pub secret_hash: String,
}

pub(crate) fn generate() -> NewKey {
    let picks: [u8; LOOKUP_LEN] = rand::random();
    let lookup: String = picks
        .iter()
        .map(|b| LOOKUP_ALPHABET[usize::from(b % 32)] as char)
        .collect();
    let secret = hex(&rand::random::<[u8; 32]>());
    NewKey {
        key: format!("{KEY_PREFIX}{lookup}_{secret}"),
        secret_hash: hash_token(&secret),
        lookup,
    }
}

/// A presented key, split: its lookup prefix and its secret. `None` when it does not have the
/// key format (then it is no API key at all).
pub(crate) fn parse(presented: &str) -> Option<(&str, &str)> {
    let rest = presented.strip_prefix(KEY_PREFIX)?;
    let (lookup, secret) = rest.split_once('_')?;
    let well_formed = lookup.len() == LOOKUP_LEN
        && lookup.bytes().all(|b| LOOKUP_ALPHABET.contains(&b))
        && secret.len() == SECRET_LEN
        && secret.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then_some((lookup, secret))
}

/// Whether `secret` is the one whose hash is stored, in constant time.
pub(crate) fn secret_matches(secret: &str, stored_hash: &str) -> bool {
    constant_time_eq(hash_token(secret).as_bytes(), stored_hash.as_bytes())
}

/// A scope token (RFC 6749, section 3.3, restricted to a safe set): 1 to 64 of `A-Z a-z 0-9`
/// and `: . _ - /`.
pub(crate) fn is_scope(scope: &str) -> bool {
    (1..=64).contains(&scope.len())
        && scope
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":._-/".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_parses_back_and_matches_only_its_own_secret() {
        let key = generate();
        let (lookup, secret) = parse(&key.key).expect("own format");
        assert_eq!(lookup, key.lookup);
        assert!(secret_matches(secret, &key.secret_hash));
        let other = generate();
        let (_, other_secret) = parse(&other.key).expect("own format");
        assert!(!secret_matches(other_secret, &key.secret_hash));
    }

    #[test]
    fn other_strings_are_not_keys() {
        let key = generate().key;
        for bad in [
            "",
            "yauth_",
            "eyJhbGciOiJFZERTQSJ9.e30.sig",
            &key[..key.len() - 1],
            &format!("{key}0"),
            &key.replacen("yauth_", "yauth-", 1),
            &key.to_uppercase(),
        ] {
            assert!(parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn scopes_are_short_safe_tokens() {
        assert!(is_scope("reports:read"));
        assert!(is_scope("api/v1.write"));
        assert!(!is_scope(""));
        assert!(!is_scope("a b"));
        assert!(!is_scope("é"));
        assert!(!is_scope(&"a".repeat(65)));
    }
}
