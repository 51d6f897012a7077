//! TOTP (RFC 6238 over RFC 4226 HOTP, HMAC-SHA1, 6 digits, 30-second steps), the base32 the
//! authenticator apps read, and the `otpauth://` URI they scan.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use crate::crypto::constant_time_eq;

/// Length of a TOTP secret: 160 bits, as RFC 4226 recommends for HMAC-SHA1.
pub(crate) const SECRET_LEN: usize = 20;
/// Seconds per time step.
pub(crate) const STEP_SECONDS: i64 = 30;
/// Digits per code.
pub(crate) const DIGITS: usize = 6;

/// The HOTP value of `secret` at `counter`, as `DIGITS` decimal digits.
fn hotp(secret: &[u8], counter: u64) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    // Dynamic truncation (RFC 4226, section 5.3).
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", binary % 1_000_000)
}

/// The time step of a Unix time.
pub(crate) fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The code of `secret` at time step `step`.
pub(crate) fn code_at(secret: &[u8], step: i64) -> String {
    hotp(secret, u64::try_from(step).unwrap_or(0))
}

/// The time step whose code `code` is, within `skew` steps either side of `step`; checked in
/// constant time against every candidate so the answer's timing says nothing.
pub(crate) fn matching_step(secret: &[u8], code: &str, step: i64, skew: i64) -> Option<i64> {
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut found = None;
    for candidate in (step - skew)..=(step + skew) {
        if constant_time_eq(code_at(secret, candidate).as_bytes(), code.as_bytes()) {
            found = found.or(Some(candidate));
        }
    }
    found
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as authenticator apps expect secrets.
pub(crate) fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Percent-encodes a URI path or query component (RFC 3986 unreserved characters stay).
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The `otpauth://totp/...` URI of a secret, for a QR code.
pub(crate) fn otpauth_uri(issuer: &str, account: &str, secret_base32: &str) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret_base32}&issuer={issuer}\
         &algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        account = percent_encode(account),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B, SHA-1 column (8-digit values, of which a 6-digit code is the tail).
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(secret, step_at(time)), expected[2..], "t = {time}");
        }
    }

    #[test]
    fn codes_match_within_the_skew_only() {
        let secret = [7u8; SECRET_LEN];
        let step = 1000;
        assert_eq!(
            matching_step(&secret, &code_at(&secret, 999), step, 1),
            Some(999)
        );
        assert_eq!(
            matching_step(&secret, &code_at(&secret, 1001), step, 1),
            Some(1001)
        );
        assert_eq!(
            matching_step(&secret, &code_at(&secret, 998), step, 1),
            None
        );
        assert_eq!(matching_step(&secret, "12345", step, 1), None);
        assert_eq!(matching_step(&secret, "12345a", step, 1), None);
    }

    #[test]
    fn base32_and_uri() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        let uri = otpauth_uri("Acme Inc", "ada@example.com", "MZXW6YTBOI");
        assert_eq!(
            uri,
            "otpauth://totp/Acme%20Inc:ada%40example.com?secret=MZXW6YTBOI&issuer=Acme%20Inc\
             &algorithm=SHA1&digits=6&period=30"
        );
    }
}
