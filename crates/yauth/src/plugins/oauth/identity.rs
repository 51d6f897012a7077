//! What a provider tells yauth about the user, and how a provider exchange fails.

use time::OffsetDateTime;

/// The user as a provider asserts them, after the token exchange and its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProviderIdentity {
    /// The provider's stable id of the user (`sub`).
    pub subject: String,
    /// The user's email address, if the provider shared one.
    pub email: Option<String>,
    /// Whether the provider asserts it verified that address.
    pub email_verified: bool,
    /// Display name.
    pub name: Option<String>,
}

/// The provider's tokens, to store sealed.
#[derive(Clone)]
pub(crate) struct ProviderTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: Option<OffsetDateTime>,
}

impl ProviderTokens {
    /// The tokens of a token response (OAuth 2 or OpenID Connect) received at `now`.
    pub(crate) fn from_response(
        response: &impl oauth2::TokenResponse,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            access_token: response.access_token().secret().clone(),
            refresh_token: response.refresh_token().map(|t| t.secret().clone()),
            expires_at: response
                .expires_in()
                .and_then(|d| time::Duration::try_from(d).ok())
                .map(|d| now + d),
        }
    }
}

/// A failed exchange with a provider. Each kind is the stable `error` code the callback
/// redirects with; the details go to the log only.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProviderError {
    /// The provider could not be reached, or answered what is not a valid document.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// The token endpoint refused the code.
    #[error("token exchange refused: {0}")]
    TokenExchange(String),
    /// The id_token failed validation (signature, issuer, audience, expiry, nonce).
    #[error("invalid id_token: {0}")]
    InvalidIdToken(String),
    /// The profile could not be read or lacks the subject.
    #[error("invalid profile: {0}")]
    Profile(String),
}

impl ProviderError {
    /// The `error` value of the callback redirect.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "provider_unavailable",
            Self::TokenExchange(_) => "token_exchange_failed",
            Self::InvalidIdToken(_) => "invalid_id_token",
            Self::Profile(_) => "invalid_profile",
        }
    }
}
