//! The input layer: every string a client sends is checked here before any of it reaches a
//! database, a rate-limit key or an email.
//!
//! Request types implement [`Validate`]; the [`Json`](crate::extract::Json) extractor calls it,
//! so a handler only ever sees a body that passed. The rules are the same for every plugin:
//!
//! - every string field has a length cap ([`limits`]), counted in characters;
//! - control characters (NUL, escape, line breaks, ...) are refused, except in passwords, where
//!   tab is allowed, and in free text, where tab and line breaks are;
//! - refusals are 400 with a stable code: `input_too_long` or `invalid_characters`, and a
//!   message naming the field.
//!
//! PostgreSQL refuses NUL in text, and MySQL truncates or refuses over-long values, so without
//! this layer such input came back as 500 on some backends only.
//!
//! ```
//! use yauth::input::{Validate, check_text, limits};
//! use yauth::ApiError;
//!
//! struct Note {
//!     title: String,
//! }
//!
//! impl Validate for Note {
//!     fn validate(&self) -> Result<(), ApiError> {
//!         check_text("title", &self.title, limits::NAME)
//!     }
//! }
//!
//! assert!(Note { title: "ok".into() }.validate().is_ok());
//! let err = Note { title: "a\u{0}b".into() }.validate().unwrap_err();
//! assert_eq!(err.code(), "invalid_characters");
//! ```

use crate::error::ApiError;

/// Length caps, in characters.
pub mod limits {
    /// An email address (RFC 5321 path limit).
    pub const EMAIL: usize = 254;
    /// A password. The policy's own maximum may be lower; it is never higher
    /// (`PasswordPolicyConfig::validate_config` refuses more).
    pub const PASSWORD: usize = 1024;
    /// A display name or another short label.
    pub const NAME: usize = 100;
    /// A token from an email link or another opaque credential.
    pub const TOKEN: usize = 512;
    /// Free text (a reason, a description).
    pub const FREE_TEXT: usize = 2000;
}

/// Deserialises a present field, `null` included, as `Some(..)`: with `#[serde(default)]` an
/// absent field stays `None`, so absent (keep) and `null` (clear) differ.
pub(crate) fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// A request body that checks its own fields. Implement it for every request type a plugin
/// deserialises; [`crate::extract::Json`] requires it.
pub trait Validate {
    /// `Ok` when every field is within its limits.
    fn validate(&self) -> Result<(), ApiError>;
}

/// What a field may contain besides printable characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Allowed {
    Nothing,
    Tab,
    TabAndNewlines,
}

fn check(field: &str, value: &str, max: usize, allowed: Allowed) -> Result<(), ApiError> {
    let forbidden = |c: char| {
        c.is_control()
            && !(c == '\t' && allowed != Allowed::Nothing
                || matches!(c, '\n' | '\r') && allowed == Allowed::TabAndNewlines)
    };
    if value.chars().any(forbidden) {
        return Err(ApiError::bad_request(
            "invalid_characters",
            format!("The field {field} must not contain control characters."),
        ));
    }
    // Count characters only when the byte length could exceed the cap: the common case is free.
    if value.len() > max && value.chars().count() > max {
        return Err(ApiError::bad_request(
            "input_too_long",
            format!("The field {field} is longer than {max} characters."),
        ));
    }
    Ok(())
}

/// A single-line text field: at most `max` characters, no control characters.
pub fn check_text(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    check(field, value, max, Allowed::Nothing)
}

/// An optional single-line text field.
pub fn check_optional_text(field: &str, value: Option<&str>, max: usize) -> Result<(), ApiError> {
    value.map_or(Ok(()), |v| check_text(field, v, max))
}

/// Free text: line breaks and tabs allowed, other control characters not.
pub fn check_free_text(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    check(field, value, max, Allowed::TabAndNewlines)
}

/// A password: at most [`limits::PASSWORD`] characters, tabs allowed, other control characters
/// not (no keyboard types them, and they break terminals and logs when echoed by mistake).
pub fn check_password(field: &str, value: &str) -> Result<(), ApiError> {
    check(field, value, limits::PASSWORD, Allowed::Tab)
}

/// An email address field (before normalisation).
pub fn check_email(field: &str, value: &str) -> Result<(), ApiError> {
    check_text(field, value, limits::EMAIL)
}

/// An opaque token field.
pub fn check_token(field: &str, value: &str) -> Result<(), ApiError> {
    check_text(field, value, limits::TOKEN)
}

/// A plausible email address: one `@`, non-empty parts, a dot in the domain, no spaces or
/// control characters, at most 254 characters.
pub fn check_email_syntax(email: &str) -> Result<(), ApiError> {
    let ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && local.len() <= 64
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "invalid_email",
            "This is not a valid email address.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_with_a_stable_code() {
        for bad in [
            "a\u{0}b",
            "x\u{1b}[31m",
            "line\nbreak",
            "del\u{7f}",
            "\u{85}",
        ] {
            let err = check_text("name", bad, 100).unwrap_err();
            assert_eq!(err.code(), "invalid_characters", "{bad:?}");
            assert_eq!(err.status(), 400);
        }
        assert!(check_free_text("reason", "two\nlines\tand a tab", 100).is_ok());
        assert!(check_free_text("reason", "nul\u{0}", 100).is_err());
        assert!(check_password("password", "tab\tinside").is_ok());
        assert!(check_password("password", "nul\u{0}").is_err());
    }

    #[test]
    fn lengths_are_counted_in_characters() {
        let accented = "é".repeat(100);
        assert_eq!(accented.len(), 200);
        assert!(check_text("name", &accented, 100).is_ok());
        let err = check_text("name", &"é".repeat(101), 100).unwrap_err();
        assert_eq!(err.code(), "input_too_long");
        assert!(err.message().contains("name"));
        assert!(check_email("email", &"a".repeat(255)).is_err());
        assert!(check_email("email", &"a".repeat(254)).is_ok());
    }
}
