//! The id_token (OpenID Connect Core §2 and §3.1.3.6): who signed in, when and how, for which
//! client, signed with the bearer plugin's current key as a JWT whatever the access-token
//! format.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use sha2::{Digest, Sha256, Sha512};
use time::OffsetDateTime;

use super::config::OidcConfig;
use crate::error::ApiError;
use crate::plugins::bearer::{SigningAlgorithm, Tokens};
use crate::plugins::oauth2_server::CodeSignIn;

#[derive(Serialize)]
struct IdTokenClaims<'a> {
    iss: &'a str,
    sub: String,
    aud: &'a str,
    /// The party the token was issued to: the one audience.
    azp: &'a str,
    exp: i64,
    iat: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    at_hash: String,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    amr: &'a [String],
}

/// Signs the id_token of `sign_in`, issued beside `access_token` at `now`.
pub(crate) async fn issue(
    tokens: &Tokens,
    config: &OidcConfig,
    sign_in: &CodeSignIn<'_>,
    access_token: &str,
    now: OffsetDateTime,
) -> Result<String, ApiError> {
    let iat = now.unix_timestamp();
    tokens
        .sign_id_token(|algorithm| IdTokenClaims {
            iss: tokens.issuer(),
            sub: sign_in.user_id.to_string(),
            aud: sign_in.client_id,
            azp: sign_in.client_id,
            exp: iat + config.id_token_ttl.whole_seconds(),
            iat,
            auth_time: sign_in.auth_time.unix_timestamp(),
            nonce: sign_in.nonce,
            at_hash: at_hash(algorithm, access_token),
            amr: sign_in.amr,
        })
        .await
}

/// `at_hash` (OpenID Connect Core §3.1.3.6): the left half of the access token's hash, with
/// the hash of the id_token's algorithm (SHA-512 for Ed25519, whose signatures use it).
pub(crate) fn at_hash(algorithm: SigningAlgorithm, access_token: &str) -> String {
    let digest = match algorithm {
        SigningAlgorithm::EdDSA => Sha512::digest(access_token.as_bytes()).to_vec(),
        SigningAlgorithm::ES256 | SigningAlgorithm::RS256 => {
            Sha256::digest(access_token.as_bytes()).to_vec()
        }
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_is_the_left_half_of_the_algorithms_hash() {
        // OpenID Connect Core's example (RS256, §A.3 / §A.4).
        assert_eq!(
            at_hash(
                SigningAlgorithm::RS256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        let ed = at_hash(SigningAlgorithm::EdDSA, "token");
        let full = Sha512::digest(b"token");
        assert_eq!(URL_SAFE_NO_PAD.decode(&ed).unwrap(), full[..32].to_vec());
    }
}
