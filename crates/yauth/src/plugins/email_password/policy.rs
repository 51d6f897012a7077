//! The password policy: length, character classes, common passwords and the email address.
//!
//! ```
//! use yauth::plugins::email_password::policy::PasswordPolicyConfig;
//!
//! let policy = PasswordPolicyConfig::default();
//! assert!(policy.check("correct horse battery staple", "ada@example.com").is_ok());
//!
//! let violations = policy.check("qwerty123", "ada@example.com").unwrap_err();
//! assert_eq!(violations[0].code(), "common_password");
//! ```
//!
//! The common-password list (`common_passwords.txt`, 30,000 entries) is the `passwords`
//! frequency list of the zxcvbn project, ranked by frequency in leaked password sets; see
//! `common_passwords.SOURCE.md` next to this file for its origin and license.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// The largest `max_length` a configuration may set. Hashing is deliberately expensive, so an
/// unbounded length would let a client make the server hash megabytes.
pub const MAX_LENGTH_LIMIT: usize = 1024;

/// The largest `password_history_count` a configuration may set.
pub const MAX_PASSWORD_HISTORY: u32 = 100;

static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
});

/// Whether `password` is on the built-in list of common passwords (compared case-insensitively).
pub fn is_common_password(password: &str) -> bool {
    COMMON_PASSWORDS.contains(password.to_lowercase().as_str())
}

/// How many passwords the built-in common-password list holds.
pub fn common_password_count() -> usize {
    COMMON_PASSWORDS.len()
}

/// The rules a new password must follow (registration, reset and change).
///
/// Lengths count Unicode characters (`char`s), not bytes. The defaults follow NIST SP 800-63B:
/// at least 8 characters, no composition rules, and common passwords refused. Breached passwords
/// are checked separately (see the `hibp` module).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordPolicyConfig {
    /// Minimum length in characters (default 8, at least 1).
    pub min_length: usize,
    /// Maximum length in characters (default 128, at most [`MAX_LENGTH_LIMIT`]).
    pub max_length: usize,
    /// Require at least one uppercase letter (default `false`).
    pub require_uppercase: bool,
    /// Require at least one lowercase letter (default `false`).
    pub require_lowercase: bool,
    /// Require at least one digit (default `false`).
    pub require_digit: bool,
    /// Require at least one character that is neither a letter nor a digit, such as punctuation,
    /// a symbol or a space (default `false`).
    pub require_special: bool,
    /// Refuse passwords on the built-in list of common passwords, whatever their case
    /// (default `true`).
    pub disallow_common_passwords: bool,
    /// Refuse the user's last N passwords (default 0: disabled; at most
    /// [`MAX_PASSWORD_HISTORY`]). Enforced by the email-password plugin, which keeps the history.
    pub password_history_count: u32,
}

impl Default for PasswordPolicyConfig {
    fn default() -> Self {
        Self {
            min_length: 8,
            max_length: 128,
            require_uppercase: false,
            require_lowercase: false,
            require_digit: false,
            require_special: false,
            disallow_common_passwords: true,
            password_history_count: 0,
        }
    }
}

/// One rule a password broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicyViolation {
    /// Shorter than `min` characters.
    TooShort {
        /// The configured minimum length.
        min: usize,
    },
    /// Longer than `max` characters.
    TooLong {
        /// The configured maximum length.
        max: usize,
    },
    /// No uppercase letter although one is required.
    MissingUppercase,
    /// No lowercase letter although one is required.
    MissingLowercase,
    /// No digit although one is required.
    MissingDigit,
    /// No special character although one is required.
    MissingSpecial,
    /// On the list of common passwords.
    CommonPassword,
    /// Contains the account's email address or the part of it before the `@`.
    ContainsEmail,
}

impl PolicyViolation {
    /// A stable, machine-readable code, e.g. `too_short` or `common_password`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "too_short",
            Self::TooLong { .. } => "too_long",
            Self::MissingUppercase => "missing_uppercase",
            Self::MissingLowercase => "missing_lowercase",
            Self::MissingDigit => "missing_digit",
            Self::MissingSpecial => "missing_special",
            Self::CommonPassword => "common_password",
            Self::ContainsEmail => "contains_email",
        }
    }

    /// A sentence explaining the rule to the user.
    pub fn message(&self) -> String {
        match self {
            Self::TooShort { min } => format!("Password must be at least {min} characters long."),
            Self::TooLong { max } => format!("Password must be at most {max} characters long."),
            Self::MissingUppercase => "Password must contain an uppercase letter.".into(),
            Self::MissingLowercase => "Password must contain a lowercase letter.".into(),
            Self::MissingDigit => "Password must contain a digit.".into(),
            Self::MissingSpecial => {
                "Password must contain a character that is not a letter or a digit.".into()
            }
            Self::CommonPassword => {
                "This password is too common and easy to guess; choose another one.".into()
            }
            Self::ContainsEmail => "Password must not contain your email address.".into(),
        }
    }
}

impl fmt::Display for PolicyViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// The shortest local part (before the `@`) that `ContainsEmail` looks for: shorter ones
/// ("al", "jo") would refuse too many unrelated passwords.
const MIN_LOCAL_PART_CHARS: usize = 3;

fn contains_email(password_lower: &str, email: &str) -> bool {
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return false;
    }
    if password_lower.contains(&email) {
        return true;
    }
    match email.split_once('@') {
        Some((local, _)) if local.chars().count() >= MIN_LOCAL_PART_CHARS => {
            password_lower.contains(local)
        }
        _ => false,
    }
}

impl PasswordPolicyConfig {
    /// Checks that the settings make sense together. Called when yauth is built.
    ///
    /// # Errors
    ///
    /// A description of the first problem found: `min_length` of 0, `min_length` above
    /// `max_length`, `max_length` above [`MAX_LENGTH_LIMIT`], more required character classes
    /// than `max_length` allows, or `password_history_count` above [`MAX_PASSWORD_HISTORY`].
    pub fn validate_config(&self) -> Result<(), String> {
        if self.min_length < 1 {
            return Err("password policy: min_length must be at least 1".into());
        }
        if self.min_length > self.max_length {
            return Err(format!(
                "password policy: min_length ({}) is greater than max_length ({})",
                self.min_length, self.max_length
            ));
        }
        if self.max_length > MAX_LENGTH_LIMIT {
            return Err(format!(
                "password policy: max_length ({}) is above the limit of {MAX_LENGTH_LIMIT}",
                self.max_length
            ));
        }
        let required_classes = [
            self.require_uppercase,
            self.require_lowercase,
            self.require_digit,
            self.require_special,
        ]
        .into_iter()
        .filter(|required| *required)
        .count();
        if required_classes > self.max_length {
            return Err(format!(
                "password policy: {required_classes} required character classes cannot fit in \
                 max_length ({})",
                self.max_length
            ));
        }
        if self.password_history_count > MAX_PASSWORD_HISTORY {
            return Err(format!(
                "password policy: password_history_count ({}) is above the limit of \
                 {MAX_PASSWORD_HISTORY}",
                self.password_history_count
            ));
        }
        Ok(())
    }

    /// Checks `password` for the account `email` against every rule (not the password history,
    /// which the plugin checks against stored hashes).
    ///
    /// # Errors
    ///
    /// Every rule the password breaks, in a stable order: length, character classes, common
    /// password, email.
    pub fn check(&self, password: &str, email: &str) -> Result<(), Vec<PolicyViolation>> {
        let mut violations = Vec::new();
        let length = password.chars().count();
        if length < self.min_length {
            violations.push(PolicyViolation::TooShort {
                min: self.min_length,
            });
        }
        if length > self.max_length {
            violations.push(PolicyViolation::TooLong {
                max: self.max_length,
            });
            // Don't spend time on the other rules for an oversized input.
            return Err(violations);
        }
        if self.require_uppercase && !password.chars().any(char::is_uppercase) {
            violations.push(PolicyViolation::MissingUppercase);
        }
        if self.require_lowercase && !password.chars().any(char::is_lowercase) {
            violations.push(PolicyViolation::MissingLowercase);
        }
        if self.require_digit && !password.chars().any(char::is_numeric) {
            violations.push(PolicyViolation::MissingDigit);
        }
        if self.require_special && !password.chars().any(|c| !c.is_alphanumeric()) {
            violations.push(PolicyViolation::MissingSpecial);
        }
        let lower = password.to_lowercase();
        if self.disallow_common_passwords && COMMON_PASSWORDS.contains(lower.as_str()) {
            violations.push(PolicyViolation::CommonPassword);
        }
        if contains_email(&lower, email) {
            violations.push(PolicyViolation::ContainsEmail);
        }
        if violations.is_empty() {
            Ok(())
        } else {
            Err(violations)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const EMAIL: &str = "ada.lovelace@example.com";

    fn codes(result: Result<(), Vec<PolicyViolation>>) -> Vec<&'static str> {
        result
            .err()
            .unwrap_or_default()
            .iter()
            .map(PolicyViolation::code)
            .collect()
    }

    #[test]
    fn the_common_list_is_real() {
        assert!(
            common_password_count() >= 10_000,
            "only {} common passwords",
            common_password_count()
        );
        let raw = include_str!("common_passwords.txt");
        // One per line, lowercase, no duplicates (so the count is the file's line count).
        assert_eq!(raw.lines().count(), common_password_count());
        assert!(raw.lines().all(|l| l == l.to_lowercase() && !l.is_empty()));
    }

    #[test]
    fn common_passwords_are_rejected_whatever_their_case() {
        let policy = PasswordPolicyConfig {
            min_length: 1,
            ..PasswordPolicyConfig::default()
        };
        for password in [
            "password", "123456", "qwerty", "PASSWORD", "Qwerty", "iloveyou", "letmein",
            "trustno1", "baseball", "football", "12345678", "sunshine",
        ] {
            assert!(is_common_password(password), "{password}");
            assert!(
                codes(policy.check(password, EMAIL)).contains(&"common_password"),
                "{password}"
            );
        }
    }

    #[test]
    fn a_random_twenty_character_password_passes_the_default_policy() {
        let policy = PasswordPolicyConfig::default();
        assert_eq!(policy.check("vT8#qLw2$zR!pN6^xK0m", EMAIL), Ok(()));
        assert_eq!(policy.check("correct horse battery staple", EMAIL), Ok(()));
        assert!(!is_common_password("vT8#qLw2$zR!pN6^xK0m"));
    }

    #[test]
    fn common_check_can_be_disabled() {
        let policy = PasswordPolicyConfig {
            disallow_common_passwords: false,
            ..PasswordPolicyConfig::default()
        };
        assert_eq!(policy.check("password", EMAIL), Ok(()));
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let policy = PasswordPolicyConfig {
            min_length: 8,
            max_length: 10,
            ..PasswordPolicyConfig::default()
        };
        // 8 characters, 16 bytes.
        assert_eq!(policy.check("ééééàààà", EMAIL), Ok(()));
        // 7 characters, 28 bytes.
        assert_eq!(codes(policy.check("🔒🔒🔒🔒🔒🔒🔒", EMAIL)), ["too_short"]);
        assert_eq!(codes(policy.check("abcdefghijk", EMAIL)), ["too_long"]);
        assert_eq!(
            policy.check("abcdefghijk", EMAIL).unwrap_err()[0],
            PolicyViolation::TooLong { max: 10 }
        );
    }

    #[test]
    fn character_classes() {
        let policy = PasswordPolicyConfig {
            require_uppercase: true,
            require_lowercase: true,
            require_digit: true,
            require_special: true,
            ..PasswordPolicyConfig::default()
        };
        assert_eq!(
            codes(policy.check("zzzzzzzzzz", EMAIL)),
            ["missing_uppercase", "missing_digit", "missing_special"]
        );
        assert_eq!(
            codes(policy.check("ZZZZZZZZZZ", EMAIL)),
            ["missing_lowercase", "missing_digit", "missing_special"]
        );
        assert_eq!(codes(policy.check("Zz1 zzzzzz", EMAIL)), Vec::<&str>::new());
        assert_eq!(policy.check("Zz1!zzzzzz", EMAIL), Ok(()));
        // Non-ASCII letters count as letters.
        assert_eq!(policy.check("Ünïcødé-9x", EMAIL), Ok(()));
    }

    #[test]
    fn passwords_containing_the_email_are_rejected() {
        let policy = PasswordPolicyConfig::default();
        assert_eq!(
            codes(policy.check("x-Ada.Lovelace-2024", EMAIL)),
            ["contains_email"]
        );
        assert_eq!(
            codes(policy.check("ada.lovelace@example.com!", EMAIL)),
            ["contains_email"]
        );
        // A very short local part is not searched for.
        assert_eq!(policy.check("jojo-rabbit-99x", "jo@example.com"), Ok(()));
        assert_eq!(policy.check("unrelated-strong-pass", ""), Ok(()));
    }

    #[test]
    fn several_violations_are_all_reported() {
        let policy = PasswordPolicyConfig {
            require_digit: true,
            ..PasswordPolicyConfig::default()
        };
        assert_eq!(
            codes(policy.check("qwerty", EMAIL)),
            ["too_short", "missing_digit", "common_password"]
        );
    }

    #[test]
    fn codes_and_messages_are_stable() {
        let all = [
            (PolicyViolation::TooShort { min: 8 }, "too_short"),
            (PolicyViolation::TooLong { max: 128 }, "too_long"),
            (PolicyViolation::MissingUppercase, "missing_uppercase"),
            (PolicyViolation::MissingLowercase, "missing_lowercase"),
            (PolicyViolation::MissingDigit, "missing_digit"),
            (PolicyViolation::MissingSpecial, "missing_special"),
            (PolicyViolation::CommonPassword, "common_password"),
            (PolicyViolation::ContainsEmail, "contains_email"),
        ];
        for (violation, code) in all {
            assert_eq!(violation.code(), code);
            assert!(!violation.message().is_empty());
            assert_eq!(violation.to_string(), violation.message());
        }
        assert!(
            PolicyViolation::TooShort { min: 12 }
                .message()
                .contains("12")
        );
    }

    #[test]
    fn config_validation() {
        assert_eq!(PasswordPolicyConfig::default().validate_config(), Ok(()));
        let bad = [
            PasswordPolicyConfig {
                min_length: 0,
                ..Default::default()
            },
            PasswordPolicyConfig {
                min_length: 20,
                max_length: 10,
                ..Default::default()
            },
            PasswordPolicyConfig {
                max_length: MAX_LENGTH_LIMIT + 1,
                ..Default::default()
            },
            PasswordPolicyConfig {
                min_length: 1,
                max_length: 3,
                require_uppercase: true,
                require_lowercase: true,
                require_digit: true,
                require_special: true,
                ..Default::default()
            },
            PasswordPolicyConfig {
                password_history_count: MAX_PASSWORD_HISTORY + 1,
                ..Default::default()
            },
        ];
        for config in bad {
            assert!(config.validate_config().is_err(), "{config:?}");
        }
        let edge = PasswordPolicyConfig {
            min_length: 1,
            max_length: MAX_LENGTH_LIMIT,
            password_history_count: MAX_PASSWORD_HISTORY,
            ..Default::default()
        };
        assert_eq!(edge.validate_config(), Ok(()));
    }

    #[test]
    fn config_deserializes_with_defaults() {
        let config: PasswordPolicyConfig =
            serde_json::from_str(r#"{"min_length": 12, "require_digit": true}"#).unwrap();
        assert_eq!(config.min_length, 12);
        assert!(config.require_digit);
        assert_eq!(config.max_length, 128);
        assert!(config.disallow_common_passwords);
    }
}
