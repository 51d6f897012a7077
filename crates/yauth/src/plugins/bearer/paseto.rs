//! Access tokens as PASETO v4.public (feature `paseto`): the same claims as the JWTs, with
//! PASETO's RFC 3339 times, signed with Ed25519 over the pre-authentication encoding of header,
//! message and footer. The footer carries the `kid`, so keys rotate exactly as for JWTs, and
//! signing goes through the same [`TokenSigner`](super::TokenSigner): the private key may live
//! in a KMS here too.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::jwt::{AccessClaims, Audience, Expectations, TokenError};
use super::keys::{SigningAlgorithm, VerifyingKey};

/// Version and purpose of every token.
pub(crate) const HEADER: &str = "v4.public.";

const SIGNATURE_LEN: usize = 64;
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// PAE (PASETO's pre-authentication encoding): the piece count, then each piece's length, as
/// little-endian 64-bit integers with the top bit clear, each length followed by its piece.
fn pae(pieces: &[&[u8]]) -> Vec<u8> {
    let le64 = |n: usize| ((n as u64) & (u64::MAX >> 1)).to_le_bytes();
    let mut out = Vec::with_capacity(8 + pieces.iter().map(|p| 8 + p.len()).sum::<usize>());
    out.extend_from_slice(&le64(pieces.len()));
    for piece in pieces {
        out.extend_from_slice(&le64(piece.len()));
        out.extend_from_slice(piece);
    }
    out
}

/// The claims as PASETO writes them: times as RFC 3339 strings.
#[derive(Serialize, Deserialize)]
struct Wire {
    iss: String,
    sub: String,
    aud: String,
    exp: String,
    iat: String,
    nbf: String,
    jti: String,
    client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auth_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    amr: Option<Vec<String>>,
}

#[derive(Serialize, Deserialize)]
struct Footer {
    kid: String,
}

fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

fn unix(text: &str) -> Result<i64, TokenError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(OffsetDateTime::unix_timestamp)
        .map_err(|_| TokenError::Malformed)
}

/// What the signer signs, and the parts the token is assembled from afterwards.
pub(crate) struct ToSign {
    message: Vec<u8>,
    footer: Vec<u8>,
    /// The bytes to sign: PAE(header, message, footer, implicit assertion).
    pub input: Vec<u8>,
}

pub(crate) fn to_sign(claims: &AccessClaims, kid: &str) -> ToSign {
    let aud = match &claims.aud {
        Audience::One(aud) => aud.clone(),
        Audience::Many(auds) => auds.join(" "),
    };
    let wire = Wire {
        iss: claims.iss.clone(),
        sub: claims.sub.clone(),
        aud,
        exp: rfc3339(claims.exp),
        iat: rfc3339(claims.iat),
        nbf: rfc3339(claims.nbf),
        jti: claims.jti.clone(),
        client_id: claims.client_id.clone(),
        scope: claims.scope.clone(),
        auth_time: claims.auth_time.map(rfc3339),
        amr: claims.amr.clone(),
    };
    // Structs of strings always serialise.
    let message = serde_json::to_vec(&wire).unwrap_or_default();
    let footer = serde_json::to_vec(&Footer {
        kid: kid.to_owned(),
    })
    .unwrap_or_default();
    let input = pae(&[HEADER.as_bytes(), &message, &footer, b""]);
    ToSign {
        message,
        footer,
        input,
    }
}

pub(crate) fn assemble(parts: ToSign, signature: &[u8]) -> String {
    let mut body = parts.message;
    body.extend_from_slice(signature);
    format!(
        "{HEADER}{}.{}",
        URL_SAFE_NO_PAD.encode(body),
        URL_SAFE_NO_PAD.encode(parts.footer)
    )
}

/// A token split and its footer read, not yet trusted.
pub(crate) struct Unverified {
    message: Vec<u8>,
    signature: Vec<u8>,
    footer: Vec<u8>,
    /// The key the footer names.
    pub kid: String,
}

pub(crate) fn parse(token: &str) -> Result<Unverified, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    let rest = token.strip_prefix(HEADER).ok_or(TokenError::WrongType)?;
    let (body, footer) = rest.split_once('.').ok_or(TokenError::UnknownKey)?;
    if footer.contains('.') {
        return Err(TokenError::Malformed);
    }
    let body = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| TokenError::Malformed)?;
    let footer = URL_SAFE_NO_PAD
        .decode(footer)
        .map_err(|_| TokenError::Malformed)?;
    if body.len() <= SIGNATURE_LEN {
        return Err(TokenError::Malformed);
    }
    let kid = serde_json::from_slice::<Footer>(&footer)
        .map_err(|_| TokenError::UnknownKey)?
        .kid;
    let (message, signature) = body.split_at(body.len() - SIGNATURE_LEN);
    Ok(Unverified {
        message: message.to_vec(),
        signature: signature.to_vec(),
        footer,
        kid,
    })
}

impl Unverified {
    /// Verifies the Ed25519 signature (v4.public has no other algorithm), then the claims.
    pub fn verify(
        self,
        key: &VerifyingKey,
        expect: &Expectations<'_>,
    ) -> Result<AccessClaims, TokenError> {
        if key.algorithm() != SigningAlgorithm::EdDSA {
            return Err(TokenError::WrongAlgorithm);
        }
        let input = pae(&[HEADER.as_bytes(), &self.message, &self.footer, b""]);
        if !key.verify(&input, &self.signature) {
            return Err(TokenError::BadSignature);
        }
        let wire: Wire =
            serde_json::from_slice(&self.message).map_err(|_| TokenError::Malformed)?;
        let claims = AccessClaims {
            iss: wire.iss,
            sub: wire.sub,
            aud: Audience::One(wire.aud),
            exp: unix(&wire.exp)?,
            iat: unix(&wire.iat)?,
            nbf: unix(&wire.nbf)?,
            jti: wire.jti,
            client_id: wire.client_id,
            scope: wire.scope,
            auth_time: wire.auth_time.as_deref().map(unix).transpose()?,
            amr: wire.amr,
        };
        claims.check(expect)?;
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_specification_vectors() {
        // From the PASETO specification (docs/01-Protocol-Versions/Common.md).
        assert_eq!(pae(&[]), b"\x00\x00\x00\x00\x00\x00\x00\x00");
        assert_eq!(
            pae(&[b""]),
            b"\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
        );
        assert_eq!(
            pae(&[b"test"]),
            b"\x01\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00test"
        );
    }
}
