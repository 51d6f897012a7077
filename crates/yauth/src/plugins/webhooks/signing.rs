//! The Standard Webhooks signature (<https://www.standardwebhooks.com/>), so that receivers can
//! verify deliveries with any of its libraries.
//!
//! - The secret is 32 random bytes, shown once as `whsec_<base64>`.
//! - Each request carries `webhook-id` (the delivery's id, the same on every retry, so a
//!   receiver can drop duplicates), `webhook-timestamp` (Unix seconds of this attempt) and
//!   `webhook-signature`: `v1,<base64 HMAC-SHA256 over "id.timestamp.body">`. The product's
//!   `X-Webhook-Signature` header carries the same value.
//! - Receivers should refuse a timestamp more than five minutes from their clock (the replay
//!   window the Standard Webhooks libraries apply), and remember ids inside it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// The prefix of a secret as shown to the administrator.
pub(crate) const SECRET_PREFIX: &str = "whsec_";
/// Length of a generated secret.
pub(crate) const SECRET_LEN: usize = 32;

/// A fresh signing key.
pub(crate) fn generate_secret() -> Zeroizing<[u8; SECRET_LEN]> {
    Zeroizing::new(rand::random())
}

/// The key as the administrator copies it into the receiver.
pub(crate) fn display_secret(key: &[u8]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The `webhook-signature` value for one attempt.
pub(crate) fn signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    // ok: HMAC takes keys of every length (longer ones are hashed), so this cannot fail.
    #[allow(clippy::expect_used)]
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Standard Webhooks specification (its reference libraries' tests use
    // the same secret, id, timestamp and body).
    #[test]
    fn matches_the_specification_example() {
        let key = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn every_part_is_signed() {
        let key = [7u8; 32];
        let base = signature(&key, "a", 1, b"{}");
        assert_ne!(base, signature(&key, "b", 1, b"{}"));
        assert_ne!(base, signature(&key, "a", 2, b"{}"));
        assert_ne!(base, signature(&key, "a", 1, b"[]"));
        assert_ne!(base, signature(&[8u8; 32], "a", 1, b"{}"));
        assert!(display_secret(&key).starts_with(SECRET_PREFIX));
    }
}
