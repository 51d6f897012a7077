//! Signing key material: generation per algorithm, signatures, and the public half as a JWK.
//!
//! Each algorithm has one private-key encoding, the one stored (sealed) in `signing_keys`:
//! the 32-byte seed for Ed25519, the 32-byte scalar for P-256, PKCS#8 DER for RSA.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// A JWS signing algorithm of access tokens. The verifier pins each key to its own algorithm:
/// a token whose header names another one is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum SigningAlgorithm {
    /// Ed25519 (RFC 8037). Small keys and signatures, fast, deterministic: the default.
    #[default]
    EdDSA,
    /// ECDSA over P-256 with SHA-256.
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 and a 2048-bit key, for verifiers that know nothing else.
    RS256,
}

impl SigningAlgorithm {
    /// The JOSE `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            Self::EdDSA => "EdDSA",
            Self::ES256 => "ES256",
            Self::RS256 => "RS256",
        }
    }

    /// The algorithm with this JOSE name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::EdDSA, Self::ES256, Self::RS256]
            .into_iter()
            .find(|a| a.name() == name)
    }
}

/// Why key material could not be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid {algorithm} key material: {reason}")]
pub struct KeyMaterialError {
    algorithm: &'static str,
    reason: String,
}

fn invalid(algorithm: SigningAlgorithm, reason: impl std::fmt::Display) -> KeyMaterialError {
    KeyMaterialError {
        algorithm: algorithm.name(),
        reason: reason.to_string(),
    }
}

/// A private signing key held in the process (the local signer's keys).
pub(crate) enum PrivateKey {
    Ed25519(Box<ed25519_dalek::SigningKey>),
    P256(Box<p256::ecdsa::SigningKey>),
    Rsa(Box<rsa::pkcs1v15::SigningKey<rsa::sha2::Sha256>>),
}

impl PrivateKey {
    /// A fresh random key.
    pub fn generate(algorithm: SigningAlgorithm) -> Result<Self, KeyMaterialError> {
        match algorithm {
            SigningAlgorithm::EdDSA => {
                let seed: Zeroizing<[u8; 32]> = Zeroizing::new(rand::random());
                Ok(Self::Ed25519(Box::new(
                    ed25519_dalek::SigningKey::from_bytes(&seed),
                )))
            }
            SigningAlgorithm::ES256 => {
                // A random 32-byte string is a valid scalar unless it is 0 or at least the group
                // order (probability about 2^-32); draw again in that case.
                for _ in 0..8 {
                    let scalar: Zeroizing<[u8; 32]> = Zeroizing::new(rand::random());
                    if let Ok(key) = p256::ecdsa::SigningKey::from_slice(scalar.as_slice()) {
                        return Ok(Self::P256(Box::new(key)));
                    }
                }
                Err(invalid(algorithm, "no valid scalar drawn"))
            }
            SigningAlgorithm::RS256 => {
                let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
                    .map_err(|e| invalid(algorithm, e))?;
                Ok(Self::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(key))))
            }
        }
    }

    /// The key from its stored encoding.
    pub fn from_bytes(algorithm: SigningAlgorithm, bytes: &[u8]) -> Result<Self, KeyMaterialError> {
        match algorithm {
            SigningAlgorithm::EdDSA => {
                let seed: &[u8; 32] = bytes
                    .try_into()
                    .map_err(|_| invalid(algorithm, "not 32 bytes"))?;
                Ok(Self::Ed25519(Box::new(
                    ed25519_dalek::SigningKey::from_bytes(seed),
                )))
            }
            SigningAlgorithm::ES256 => p256::ecdsa::SigningKey::from_slice(bytes)
                .map(|k| Self::P256(Box::new(k)))
                .map_err(|e| invalid(algorithm, e)),
            SigningAlgorithm::RS256 => {
                use rsa::pkcs8::DecodePrivateKey;
                let key =
                    rsa::RsaPrivateKey::from_pkcs8_der(bytes).map_err(|e| invalid(algorithm, e))?;
                Ok(Self::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(key))))
            }
        }
    }

    /// The stored encoding.
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>, KeyMaterialError> {
        match self {
            Self::Ed25519(key) => Ok(Zeroizing::new(key.to_bytes().to_vec())),
            Self::P256(key) => Ok(Zeroizing::new(key.to_bytes().to_vec())),
            Self::Rsa(key) => {
                use rsa::pkcs8::EncodePrivateKey;
                let key: &rsa::RsaPrivateKey = key.as_ref().as_ref();
                let der = key
                    .to_pkcs8_der()
                    .map_err(|e| invalid(SigningAlgorithm::RS256, e))?;
                Ok(Zeroizing::new(der.as_bytes().to_vec()))
            }
        }
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> SigningAlgorithm {
        match self {
            Self::Ed25519(_) => SigningAlgorithm::EdDSA,
            Self::P256(_) => SigningAlgorithm::ES256,
            Self::Rsa(_) => SigningAlgorithm::RS256,
        }
    }

    /// The JWS signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        use rsa::signature::{SignatureEncoding, Signer};
        match self {
            Self::Ed25519(key) => key.sign(message).to_bytes().to_vec(),
            Self::P256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(message);
                signature.to_bytes().to_vec()
            }
            Self::Rsa(key) => key.sign(message).to_vec(),
        }
    }

    /// The public half, as a JWK with this `kid`.
    pub fn public_jwk(&self, kid: &str) -> Jwk {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let mut jwk = Jwk {
            kty: String::new(),
            kid: kid.to_owned(),
            alg: self.algorithm().name().to_owned(),
            key_use: "sig".to_owned(),
            crv: None,
            x: None,
            y: None,
            n: None,
            e: None,
        };
        match self {
            Self::Ed25519(key) => {
                jwk.kty = "OKP".to_owned();
                jwk.crv = Some("Ed25519".to_owned());
                jwk.x = Some(b64(key.verifying_key().as_bytes()));
            }
            Self::P256(key) => {
                let point = key.verifying_key().to_encoded_point(false);
                jwk.kty = "EC".to_owned();
                jwk.crv = Some("P-256".to_owned());
                jwk.x = point.x().map(|x| b64(x));
                jwk.y = point.y().map(|y| b64(y));
            }
            Self::Rsa(key) => {
                use rsa::traits::PublicKeyParts;
                let key: &rsa::RsaPrivateKey = key.as_ref().as_ref();
                jwk.kty = "RSA".to_owned();
                jwk.n = Some(b64(&key.n().to_bytes_be()));
                jwk.e = Some(b64(&key.e().to_bytes_be()));
            }
        }
        jwk
    }
}

/// A public key as a JSON Web Key (RFC 7517), as published in the JWKS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwk {
    /// Key type: `OKP`, `EC` or `RSA`.
    pub kty: String,
    /// Key id, the `kid` of the tokens it verifies.
    pub kid: String,
    /// The one algorithm this key verifies.
    pub alg: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub key_use: String,
    /// Curve (`Ed25519`, `P-256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// Public point x (or the Ed25519 public key), base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// Public point y, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// RSA modulus, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA exponent, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

/// A JSON Web Key Set: what [`YAuth::jwks`](crate::YAuth::jwks) returns and the oidc plugin
/// serves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwks {
    /// The keys, newest first.
    pub keys: Vec<Jwk>,
}

/// A public key parsed once from its JWK, ready to verify signatures of its own algorithm only.
pub(crate) enum VerifyingKey {
    Ed25519(Box<ed25519_dalek::VerifyingKey>),
    P256(Box<p256::ecdsa::VerifyingKey>),
    Rsa(Box<rsa::pkcs1v15::VerifyingKey<rsa::sha2::Sha256>>),
}

impl VerifyingKey {
    /// Parses a JWK; its `alg` decides the key type, and the fields must match it.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, KeyMaterialError> {
        let algorithm = SigningAlgorithm::from_name(&jwk.alg).ok_or_else(|| KeyMaterialError {
            algorithm: "unknown",
            reason: format!("unsupported alg {:?}", jwk.alg),
        })?;
        let field = |value: &Option<String>, name: &str| {
            value
                .as_deref()
                .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
                .ok_or_else(|| invalid(algorithm, format!("missing or invalid {name}")))
        };
        match (algorithm, jwk.kty.as_str(), jwk.crv.as_deref()) {
            (SigningAlgorithm::EdDSA, "OKP", Some("Ed25519")) => {
                let x = field(&jwk.x, "x")?;
                let bytes: &[u8; 32] = x
                    .as_slice()
                    .try_into()
                    .map_err(|_| invalid(algorithm, "x is not 32 bytes"))?;
                ed25519_dalek::VerifyingKey::from_bytes(bytes)
                    .map(|k| Self::Ed25519(Box::new(k)))
                    .map_err(|e| invalid(algorithm, e))
            }
            (SigningAlgorithm::ES256, "EC", Some("P-256")) => {
                let (x, y) = (field(&jwk.x, "x")?, field(&jwk.y, "y")?);
                if x.len() != 32 || y.len() != 32 {
                    return Err(invalid(algorithm, "coordinates are not 32 bytes"));
                }
                let point = p256::EncodedPoint::from_affine_coordinates(
                    x.as_slice().into(),
                    y.as_slice().into(),
                    false,
                );
                p256::ecdsa::VerifyingKey::from_encoded_point(&point)
                    .map(|k| Self::P256(Box::new(k)))
                    .map_err(|e| invalid(algorithm, e))
            }
            (SigningAlgorithm::RS256, "RSA", None) => {
                let n = rsa::BigUint::from_bytes_be(&field(&jwk.n, "n")?);
                let e = rsa::BigUint::from_bytes_be(&field(&jwk.e, "e")?);
                let key = rsa::RsaPublicKey::new(n, e).map_err(|e| invalid(algorithm, e))?;
                Ok(Self::Rsa(Box::new(rsa::pkcs1v15::VerifyingKey::new(key))))
            }
            _ => Err(invalid(algorithm, "kty or crv does not match alg")),
        }
    }

    /// The algorithm this key verifies.
    pub fn algorithm(&self) -> SigningAlgorithm {
        match self {
            Self::Ed25519(_) => SigningAlgorithm::EdDSA,
            Self::P256(_) => SigningAlgorithm::ES256,
            Self::Rsa(_) => SigningAlgorithm::RS256,
        }
    }

    /// Whether `signature` is this key's signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        use rsa::signature::Verifier;
        match self {
            Self::Ed25519(key) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|s| key.verify_strict(message, &s).is_ok()),
            Self::P256(key) => p256::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|s| key.verify(message, &s).is_ok()),
            Self::Rsa(key) => rsa::pkcs1v15::Signature::try_from(signature)
                .is_ok_and(|s| key.verify(message, &s).is_ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_signs_verifies_and_round_trips_its_stored_encoding() {
        for algorithm in [
            SigningAlgorithm::EdDSA,
            SigningAlgorithm::ES256,
            SigningAlgorithm::RS256,
        ] {
            let key = PrivateKey::generate(algorithm).expect("generate");
            let stored = key.to_bytes().expect("encode");
            let again = PrivateKey::from_bytes(algorithm, &stored).expect("decode");
            let jwk = key.public_jwk("k1");
            assert_eq!(
                jwk,
                again.public_jwk("k1"),
                "{algorithm:?}: same public key"
            );
            let verifier = VerifyingKey::from_jwk(&jwk).expect("parse jwk");
            let signature = again.sign(b"header.payload");
            assert!(
                verifier.verify(b"header.payload", &signature),
                "{algorithm:?}"
            );
            assert!(
                !verifier.verify(b"header.payloaD", &signature),
                "{algorithm:?}: another message"
            );
            let mut forged = signature.clone();
            forged[0] ^= 1;
            assert!(
                !verifier.verify(b"header.payload", &forged),
                "{algorithm:?}"
            );
        }
    }

    #[test]
    fn a_jwk_whose_fields_do_not_match_its_alg_is_refused() {
        let key = PrivateKey::generate(SigningAlgorithm::EdDSA).expect("generate");
        let mut jwk = key.public_jwk("k1");
        jwk.alg = "ES256".to_owned();
        assert!(VerifyingKey::from_jwk(&jwk).is_err());
        jwk.alg = "HS256".to_owned();
        assert!(VerifyingKey::from_jwk(&jwk).is_err());
    }
}
