//! PKCE (RFC 7636), S256 only. `plain` sends the verifier itself through the browser, so it
//! guards against nothing S256 does not, and RFC 9700 §2.1.1 tells servers to refuse it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::crypto::constant_time_eq;

/// The one method accepted.
pub(crate) const S256: &str = "S256";

/// Why an authorization request's PKCE parameters are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PkceError {
    /// No `code_challenge`: every client must use PKCE.
    MissingChallenge,
    /// A method other than `S256`, or none (which RFC 7636 §4.3 reads as `plain`).
    UnsupportedMethod,
    /// Not 43 base64url characters, so not the encoding of a SHA-256 digest.
    MalformedChallenge,
}

impl PkceError {
    /// The `error_description` of the refusal.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::MissingChallenge => "code_challenge is required (PKCE with S256)",
            Self::UnsupportedMethod => "code_challenge_method must be S256",
            Self::MalformedChallenge => "code_challenge must be a base64url SHA-256 digest",
        }
    }
}

/// The challenge of an authorization request, checked: present, S256, shaped like a digest.
pub(crate) fn check_challenge<'a>(
    challenge: Option<&'a str>,
    method: Option<&str>,
) -> Result<&'a str, PkceError> {
    let challenge = challenge
        .filter(|c| !c.is_empty())
        .ok_or(PkceError::MissingChallenge)?;
    if method != Some(S256) {
        return Err(PkceError::UnsupportedMethod);
    }
    if challenge.len() != 43 || !challenge.bytes().all(is_base64url) {
        return Err(PkceError::MalformedChallenge);
    }
    Ok(challenge)
}

/// Whether `verifier` is well formed (43 to 128 unreserved characters, RFC 7636 §4.1) and its
/// S256 transform is `challenge`.
pub(crate) fn verify(verifier: &str, challenge: &str) -> bool {
    if !(43..=128).contains(&verifier.len()) || !verifier.bytes().all(is_unreserved) {
        return false;
    }
    let transformed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    constant_time_eq(transformed.as_bytes(), challenge.as_bytes())
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfc_example_verifies_and_nothing_else_does() {
        assert!(verify(VERIFIER, CHALLENGE));
        let mut other = VERIFIER.to_owned();
        other.replace_range(0..1, "e");
        assert!(!verify(&other, CHALLENGE), "another verifier");
        assert!(
            !verify(CHALLENGE, CHALLENGE),
            "the challenge as verifier (plain)"
        );
        assert!(!verify(VERIFIER, VERIFIER), "plain comparison");
    }

    #[test]
    fn verifiers_outside_the_grammar_are_refused() {
        let short = &VERIFIER[..42];
        assert!(!verify(
            short,
            &URL_SAFE_NO_PAD.encode(Sha256::digest(short))
        ));
        let long = "a".repeat(129);
        assert!(!verify(
            &long,
            &URL_SAFE_NO_PAD.encode(Sha256::digest(&long))
        ));
        let longest = "a".repeat(128);
        assert!(verify(
            &longest,
            &URL_SAFE_NO_PAD.encode(Sha256::digest(&longest))
        ));
        let spaced = format!("{} ", &VERIFIER[..43]);
        assert!(!verify(
            &spaced,
            &URL_SAFE_NO_PAD.encode(Sha256::digest(&spaced))
        ));
    }

    #[test]
    fn every_refusal_is_described() {
        let all = [
            PkceError::MissingChallenge,
            PkceError::UnsupportedMethod,
            PkceError::MalformedChallenge,
        ];
        let described: std::collections::HashSet<&str> = all.iter().map(|e| e.describe()).collect();
        assert_eq!(
            described.len(),
            all.len(),
            "each refusal says what is wrong"
        );
    }

    #[test]
    fn only_a_present_s256_digest_challenge_is_accepted() {
        assert_eq!(
            check_challenge(Some(CHALLENGE), Some("S256")),
            Ok(CHALLENGE)
        );
        assert_eq!(
            check_challenge(None, Some("S256")),
            Err(PkceError::MissingChallenge)
        );
        assert_eq!(
            check_challenge(Some(""), Some("S256")),
            Err(PkceError::MissingChallenge)
        );
        assert_eq!(
            check_challenge(Some(CHALLENGE), Some("plain")),
            Err(PkceError::UnsupportedMethod)
        );
        assert_eq!(
            check_challenge(Some(CHALLENGE), None),
            Err(PkceError::UnsupportedMethod),
            "an absent method means plain"
        );
        assert_eq!(
            check_challenge(Some(CHALLENGE), Some("s256")),
            Err(PkceError::UnsupportedMethod),
            "method names are case-sensitive"
        );
        assert_eq!(
            check_challenge(Some(&CHALLENGE[..42]), Some("S256")),
            Err(PkceError::MalformedChallenge)
        );
        let padded = format!("{}=", &CHALLENGE[..42]);
        assert_eq!(
            check_challenge(Some(&padded), Some("S256")),
            Err(PkceError::MalformedChallenge)
        );
    }
}
