//! Device-flow user codes (RFC 8628 §6.1): eight letters from an alphabet without vowels
//! (no words) and without look-alikes, shown as `BCDF-GHJK` and accepted in any case, with or
//! without the dash or spaces. 20^8 ≈ 2^34.6 codes, against a guess budget bounded by the
//! code's lifetime and the verification route's rate limit.

use rand::RngExt;

/// The letters of a user code.
const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// The letters of a code.
const LENGTH: usize = 8;

/// A new user code, in its stored (normalised) form: eight letters, no dash.
pub(crate) fn generate() -> String {
    let mut rng = rand::rng();
    (0..LENGTH)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// The code as the user sees it: `BCDF-GHJK`.
pub(crate) fn display(code: &str) -> String {
    match code.split_at_checked(LENGTH / 2) {
        Some((head, tail)) => format!("{head}-{tail}"),
        None => code.to_owned(),
    }
}

/// What the user typed, normalised to the stored form; `None` when it cannot be a code.
pub(crate) fn normalise(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid = code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b));
    valid.then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_eight_alphabet_letters_and_differ() {
        let codes: std::collections::HashSet<String> = (0..200).map(|_| generate()).collect();
        assert_eq!(codes.len(), 200, "no repeats in 200 draws of 2^34 codes");
        for code in &codes {
            assert_eq!(normalise(code).as_deref(), Some(code.as_str()));
        }
        let used: std::collections::HashSet<u8> = codes.iter().flat_map(|c| c.bytes()).collect();
        assert_eq!(used.len(), ALPHABET.len(), "every letter is drawn");
    }

    #[test]
    fn typed_codes_are_normalised_and_junk_is_refused() {
        assert_eq!(display("BCDFGHJK"), "BCDF-GHJK");
        for typed in [
            "BCDF-GHJK",
            "bcdf-ghjk",
            "bcdf ghjk",
            " BCDFGHJK ",
            "bc-df-gh-jk",
        ] {
            assert_eq!(normalise(typed).as_deref(), Some("BCDFGHJK"), "{typed:?}");
        }
        for junk in [
            "BCDF-GHJ",
            "BCDF-GHJKL",
            "ABCD-EFGH",
            "BCDF-GHJ1",
            "",
            "ßCDF-GHJK",
        ] {
            assert_eq!(normalise(junk), None, "{junk:?}");
        }
    }
}
