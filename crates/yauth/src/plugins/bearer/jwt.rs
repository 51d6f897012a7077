//! Access tokens as JWTs (RFC 9068): the claims, the compact serialisation, and a verifier that
//! trusts nothing in the token it has not checked.
//!
//! The header is read only to find the key (`kid`) and its type (`typ: at+jwt`); the algorithm
//! comes from the key, and a token whose `alg` differs from it is refused before any signature
//! work. So `alg: none`, and HS256 keyed with the public key, never verify.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::keys::VerifyingKey;

/// The media type of access tokens (RFC 9068, section 2.1).
pub(crate) const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// The media type of id_tokens (OpenID Connect Core §2): plain `JWT`, so that neither kind
/// of token passes for the other.
#[cfg(feature = "oidc")]
pub(crate) const ID_TOKEN_TYPE: &str = "JWT";

/// Access tokens longer than this are refused unread (a real one is well under 1 KiB, RSA
/// signatures included).
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer.
    pub iss: String,
    /// The user id.
    pub sub: String,
    /// Audience: the resource servers the token is for.
    pub aud: Audience,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issue time.
    pub iat: i64,
    /// Not valid before.
    pub nbf: i64,
    /// Unique token id: the id of the refresh token issued with it, so revoking the refresh
    /// token's family can revoke this access token too.
    pub jti: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// Space-separated scopes; absent means the user's full rights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// When the user signed in, on tokens issued by a sign-in (not on refreshed ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// How the user signed in (RFC 8176), on tokens issued by a sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
}

impl AccessClaims {
    /// Times, issuer and audience: what a token must say besides a good signature.
    pub(crate) fn check(&self, expect: &Expectations<'_>) -> Result<(), TokenError> {
        self.check_times(expect.now, expect.leeway_secs)?;
        if self.iss != expect.issuer {
            return Err(TokenError::WrongIssuer);
        }
        if !self.aud.contains(expect.audience) {
            return Err(TokenError::WrongAudience);
        }
        Ok(())
    }

    /// `exp`, `nbf` and `iat` against `now`, with `leeway_secs` of clock skew.
    pub(crate) fn check_times(
        &self,
        now: OffsetDateTime,
        leeway_secs: i64,
    ) -> Result<(), TokenError> {
        let now = now.unix_timestamp();
        if self.exp <= now - leeway_secs {
            return Err(TokenError::Expired);
        }
        if self.nbf > now + leeway_secs || self.iat > now + leeway_secs {
            return Err(TokenError::NotYetValid);
        }
        Ok(())
    }
}

/// `aud`: one string or an array of them (RFC 7519, section 4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// A single audience.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl Audience {
    pub(crate) fn contains(&self, wanted: &str) -> bool {
        match self {
            Self::One(aud) => aud == wanted,
            Self::Many(auds) => auds.iter().any(|a| a == wanted),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    /// Extensions the verifier would have to understand (RFC 7515, section 4.1.11): none are.
    #[serde(default, skip_serializing)]
    crit: Option<serde_json::Value>,
}

/// The part of a token that is signed (`header.payload`), for the signer.
pub(crate) fn signing_input(alg: &str, kid: &str, claims: &AccessClaims) -> String {
    typed_signing_input(alg, kid, ACCESS_TOKEN_TYPE, claims)
}

/// The signing input of a JWT of media type `typ` (an access token, an id_token).
pub(crate) fn typed_signing_input<C: Serialize>(
    alg: &str,
    kid: &str,
    typ: &str,
    claims: &C,
) -> String {
    let header = Header {
        alg: alg.to_owned(),
        typ: Some(typ.to_owned()),
        kid: Some(kid.to_owned()),
        crit: None,
    };
    // The header and every claims type are structs of strings, integers and string lists,
    // which always serialise.
    let header = serde_json::to_vec(&header).unwrap_or_default();
    let claims = serde_json::to_vec(claims).unwrap_or_default();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    )
}

/// The compact token: the signing input and its signature.
pub(crate) fn assemble(signing_input: &str, signature: &[u8]) -> String {
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Why a token was refused. Every kind is a 401 to the client; the kind is for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three base64url parts of JSON, or too long.
    #[error("malformed token")]
    Malformed,
    /// `typ` is not `at+jwt`, or the header has `crit`.
    #[error("not an access token")]
    WrongType,
    /// No published key has this `kid`.
    #[error("unknown signing key")]
    UnknownKey,
    /// `alg` is not the key's own algorithm.
    #[error("algorithm does not match the key")]
    WrongAlgorithm,
    /// The signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// Past `exp` (beyond the leeway).
    #[error("token expired")]
    Expired,
    /// Before `nbf` or `iat` (beyond the leeway).
    #[error("token not yet valid")]
    NotYetValid,
    /// Another issuer.
    #[error("wrong issuer")]
    WrongIssuer,
    /// Not for this audience.
    #[error("wrong audience")]
    WrongAudience,
    /// The token was revoked (its jti is on the revocation list).
    #[error("token revoked")]
    Revoked,
}

/// What the claims must say, besides a good signature.
pub(crate) struct Expectations<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub now: OffsetDateTime,
    pub leeway_secs: i64,
}

/// A token split and its header read, not yet trusted.
pub(crate) struct Unverified<'a> {
    signing_input: &'a str,
    signature: Vec<u8>,
    payload: &'a str,
    alg: String,
    /// The key the token names.
    pub kid: String,
}

/// Splits an access token and reads its header.
pub(crate) fn parse(token: &str) -> Result<Unverified<'_>, TokenError> {
    parse_typed(token, ACCESS_TOKEN_TYPE)
}

/// Splits a token whose header must say `typ` and reads its header.
pub(crate) fn parse_typed<'a>(token: &'a str, typ: &str) -> Result<Unverified<'a>, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    let (signing_input, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let (header, payload) = signing_input.split_once('.').ok_or(TokenError::Malformed)?;
    if payload.contains('.') || header.is_empty() || payload.is_empty() || signature.is_empty() {
        return Err(TokenError::Malformed);
    }
    let header: Header = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(TokenError::Malformed)?;
    if header.crit.is_some() || header.typ.as_deref() != Some(typ) {
        return Err(TokenError::WrongType);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    Ok(Unverified {
        signing_input,
        signature,
        payload,
        alg: header.alg,
        kid: header.kid.ok_or(TokenError::UnknownKey)?,
    })
}

impl Unverified<'_> {
    /// Verifies the signature with `key` (pinning the algorithm to the key's), then the claims.
    pub fn verify(
        self,
        key: &VerifyingKey,
        expect: &Expectations<'_>,
    ) -> Result<AccessClaims, TokenError> {
        let claims: AccessClaims = self.verified_claims(key)?;
        claims.check(expect)?;
        Ok(claims)
    }

    /// Verifies the signature with `key` (pinning the algorithm to the key's) and reads the
    /// claims, leaving their checks to the caller.
    pub fn verified_claims<C: serde::de::DeserializeOwned>(
        self,
        key: &VerifyingKey,
    ) -> Result<C, TokenError> {
        if self.alg != key.algorithm().name() {
            return Err(TokenError::WrongAlgorithm);
        }
        if !key.verify(self.signing_input.as_bytes(), &self.signature) {
            return Err(TokenError::BadSignature);
        }
        URL_SAFE_NO_PAD
            .decode(self.payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(TokenError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::super::keys::{PrivateKey, SigningAlgorithm};
    use super::*;

    fn claims(now: i64) -> AccessClaims {
        AccessClaims {
            iss: "https://auth.example".into(),
            sub: "user".into(),
            aud: Audience::One("https://api.example".into()),
            exp: now + 900,
            iat: now,
            nbf: now,
            jti: "j1".into(),
            client_id: "yauth".into(),
            scope: None,
            auth_time: None,
            amr: None,
        }
    }

    fn expect(now: OffsetDateTime) -> Expectations<'static> {
        Expectations {
            issuer: "https://auth.example",
            audience: "https://api.example",
            now,
            leeway_secs: 5,
        }
    }

    #[test]
    fn a_signed_token_verifies_and_a_changed_one_does_not() {
        let now = OffsetDateTime::now_utc();
        let key = PrivateKey::generate(SigningAlgorithm::EdDSA).expect("key");
        let verifier = VerifyingKey::from_jwk(&key.public_jwk("k1")).expect("jwk");
        let input = signing_input("EdDSA", "k1", &claims(now.unix_timestamp()));
        let token = assemble(&input, &key.sign(input.as_bytes()));
        let verified = parse(&token)
            .and_then(|t| t.verify(&verifier, &expect(now)))
            .expect("valid token");
        assert_eq!(verified.jti, "j1");

        let mut other = claims(now.unix_timestamp());
        other.sub = "admin".into();
        let other_input = signing_input("EdDSA", "k1", &other);
        let (_, signature) = token.rsplit_once('.').expect("three parts");
        let spliced = format!("{other_input}.{signature}");
        let refused = parse(&spliced).and_then(|t| t.verify(&verifier, &expect(now)));
        assert_eq!(refused.err(), Some(TokenError::BadSignature));
    }

    #[test]
    fn extra_parts_and_missing_type_are_malformed() {
        assert_eq!(parse("a.b").err(), Some(TokenError::Malformed));
        assert_eq!(parse("a.b.c.d").err(), Some(TokenError::Malformed));
        assert_eq!(parse("..").err(), Some(TokenError::Malformed));
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA","kid":"k1"}"#);
        assert_eq!(
            parse(&format!("{header}.e30.c2ln")).err(),
            Some(TokenError::WrongType)
        );
    }
}
