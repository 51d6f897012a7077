//! Backup codes: random one-time codes, shown once, stored only as hashes.

use uuid::Uuid;
use yauth_entity::{BackupCode, new_id};

use crate::crypto::hash_token;

/// Letters and digits that cannot be mistaken for each other (no 0/o, 1/l/i).
const ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// Characters per code: 10 from 31 symbols, about 49.5 bits.
const LEN: usize = 10;

/// `count` fresh codes as shown to the user (`xxxxx-xxxxx`), and their rows for `user_id`.
pub(crate) fn generate(
    user_id: Uuid,
    count: usize,
    now: time::OffsetDateTime,
) -> (Vec<String>, Vec<BackupCode>) {
    let mut shown = Vec::with_capacity(count);
    let mut rows = Vec::with_capacity(count);
    for _ in 0..count {
        let raw: String = (0..LEN)
            .map(|_| {
                // Rejection sampling keeps every symbol equally likely.
                loop {
                    let byte: u8 = rand::random();
                    if usize::from(byte) < 248 {
                        break char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]);
                    }
                }
            })
            .collect();
        rows.push(BackupCode {
            id: new_id(),
            user_id,
            code_hash: hash_token(&raw),
            used: false,
            used_at: None,
            created_at: now,
        });
        shown.push(format!("{}-{}", &raw[..LEN / 2], &raw[LEN / 2..]));
    }
    (shown, rows)
}

/// The stored hash of what a user typed, or `None` when it cannot be a backup code. Dashes,
/// spaces and case are forgiven.
pub(crate) fn hash_of(typed: &str) -> Option<String> {
    let raw: String = typed
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let valid = raw.len() == LEN && raw.bytes().all(|b| ALPHABET.contains(&b));
    valid.then(|| hash_token(&raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_their_hashes_match_what_users_type() {
        let now = time::OffsetDateTime::now_utc();
        let (shown, rows) = generate(Uuid::nil(), 10, now);
        assert_eq!(shown.len(), 10);
        let unique: std::collections::HashSet<_> = shown.iter().collect();
        assert_eq!(unique.len(), 10);
        for (code, row) in shown.iter().zip(&rows) {
            assert_eq!(code.len(), 11, "{code}");
            assert_eq!(hash_of(code).as_deref(), Some(row.code_hash.as_str()));
            let typed = code.to_uppercase().replace('-', " ");
            assert_eq!(hash_of(&typed).as_deref(), Some(row.code_hash.as_str()));
        }
        assert_eq!(hash_of("123456"), None);
        assert_eq!(hash_of("0000000000"), None, "0 is not in the alphabet");
    }
}
