//! Plain OAuth 2 providers (GitHub, Discord, ...): explicit endpoints, PKCE S256, and the
//! identity read from the profile endpoint through a [`UserInfoMapping`].

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use serde_json::Value;
use time::OffsetDateTime;
use url::Url;

use super::http::ProviderHttp;
use super::identity::{ProviderError, ProviderIdentity, ProviderTokens};
use super::provider::{ClientAuth, OAuth2Endpoints, ProviderConfig, ResponseMode, UserInfoMapping};

type ConfiguredClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// A plain OAuth 2 provider.
pub(crate) struct PlainProvider {
    config: ProviderConfig,
    endpoints: OAuth2Endpoints,
    client: ConfiguredClient,
}

impl PlainProvider {
    pub(crate) fn new(config: ProviderConfig, endpoints: OAuth2Endpoints) -> Result<Self, String> {
        let client = BasicClient::new(ClientId::new(config.client_id.clone()))
            .set_client_secret(ClientSecret::new(config.client_secret.clone()))
            .set_auth_uri(
                AuthUrl::new(endpoints.authorization_url.clone()).map_err(|e| e.to_string())?,
            )
            .set_token_uri(TokenUrl::new(endpoints.token_url.clone()).map_err(|e| e.to_string())?)
            .set_redirect_uri(
                RedirectUrl::new(config.redirect_url.clone()).map_err(|e| e.to_string())?,
            )
            .set_auth_type(match config.client_auth {
                ClientAuth::Basic => AuthType::BasicAuth,
                ClientAuth::Post => AuthType::RequestBody,
            });
        Ok(Self {
            config,
            endpoints,
            client,
        })
    }

    /// The URL to send the browser to: authorization code flow with PKCE S256.
    pub(crate) fn authorize_url(&self, state: &str, code_verifier: &str) -> Url {
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
            code_verifier.into(),
        ));
        let state = state.to_owned();
        let mut request = self
            .client
            .authorize_url(move || CsrfToken::new(state))
            .set_pkce_challenge(challenge)
            .add_scopes(self.config.scopes.iter().cloned().map(Scope::new));
        if self.config.response_mode == ResponseMode::FormPost {
            request = request.add_extra_param("response_mode", "form_post");
        }
        for (name, value) in &self.config.extra_authorize_params {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        request.url().0
    }

    /// Exchanges the code, then reads the profile (and the address list, when configured).
    pub(crate) async fn exchange(
        &self,
        http: &ProviderHttp,
        code: &str,
        code_verifier: &str,
        now: OffsetDateTime,
    ) -> Result<(ProviderIdentity, ProviderTokens), ProviderError> {
        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(code_verifier.to_owned()))
            .request_async(http)
            .await
            .map_err(|e| ProviderError::TokenExchange(e.to_string()))?;
        let identity = self.profile(http, response.access_token().secret()).await?;
        Ok((identity, ProviderTokens::from_response(&response, now)))
    }

    async fn profile(
        &self,
        http: &ProviderHttp,
        access_token: &str,
    ) -> Result<ProviderIdentity, ProviderError> {
        let mapping = &self.endpoints.user_info;
        let (status, profile) = http
            .get_json(&mapping.url, access_token)
            .await
            .map_err(|e| ProviderError::Unavailable(format!("profile: {e}")))?;
        if !status.is_success() {
            return Err(ProviderError::Profile(format!(
                "profile endpoint answered {status}"
            )));
        }
        let mut identity = read_profile(mapping, &profile)?;
        if let Some(url) = &mapping.emails_url {
            let (status, emails) = http
                .get_json(url, access_token)
                .await
                .map_err(|e| ProviderError::Unavailable(format!("emails: {e}")))?;
            if !status.is_success() {
                return Err(ProviderError::Profile(format!(
                    "emails endpoint answered {status}"
                )));
            }
            let (email, verified) = primary_verified_email(&emails);
            identity.email = email.or(identity.email);
            identity.email_verified = verified;
        }
        Ok(identity)
    }
}

/// Reads the identity out of a profile document.
fn read_profile(
    mapping: &UserInfoMapping,
    profile: &Value,
) -> Result<ProviderIdentity, ProviderError> {
    let subject = match profile.pointer(&mapping.subject) {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return Err(ProviderError::Profile(format!(
                "the profile has no subject at {}",
                mapping.subject
            )));
        }
    };
    let text = |pointer: &Option<String>| {
        pointer
            .as_deref()
            .and_then(|p| profile.pointer(p))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let email = text(&mapping.email);
    let email_verified = email.is_some()
        && mapping
            .email_verified
            .as_deref()
            .and_then(|p| profile.pointer(p))
            .is_some_and(|v| v == &Value::Bool(true) || v == "true");
    Ok(ProviderIdentity {
        subject,
        email,
        email_verified,
        name: text(&mapping.name),
    })
}

/// The primary address of a GitHub-style address list, and whether it is verified. Without a
/// verified primary address the first verified one serves; with no verified address at all,
/// the primary one is answered as unverified (so the refusal can say so).
fn primary_verified_email(list: &Value) -> (Option<String>, bool) {
    let entries = list.as_array().map(Vec::as_slice).unwrap_or_default();
    let field = |entry: &Value, name: &str| entry.get(name).and_then(Value::as_bool) == Some(true);
    let address = |entry: &Value| {
        entry
            .get("email")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let verified = entries
        .iter()
        .find(|e| field(e, "primary") && field(e, "verified"))
        .or_else(|| entries.iter().find(|e| field(e, "verified")))
        .and_then(address);
    match verified {
        Some(email) => (Some(email), true),
        None => (
            entries
                .iter()
                .find(|e| field(e, "primary"))
                .and_then(address),
            false,
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn mapping() -> UserInfoMapping {
        UserInfoMapping {
            url: "https://api.example/user".into(),
            subject: "/id".into(),
            email: Some("/email".into()),
            email_verified: Some("/verified".into()),
            name: Some("/name".into()),
            emails_url: None,
        }
    }

    #[test]
    fn profiles_map_numbers_strings_and_unverified_addresses() {
        let identity = read_profile(
            &mapping(),
            &json!({"id": 42, "email": "a@x.io", "verified": true}),
        )
        .unwrap();
        assert_eq!(identity.subject, "42");
        assert!(identity.email_verified);
        let unverified = read_profile(&mapping(), &json!({"id": "u", "email": "a@x.io"})).unwrap();
        assert!(!unverified.email_verified);
        let stringly = read_profile(
            &mapping(),
            &json!({"id": "u", "email": "a@x.io", "verified": "true"}),
        )
        .unwrap();
        assert!(stringly.email_verified);
        assert!(read_profile(&mapping(), &json!({"email": "a@x.io"})).is_err());
        assert!(read_profile(&mapping(), &json!({"id": ""})).is_err());
    }

    #[test]
    fn the_primary_verified_address_wins() {
        let list = json!([
            {"email": "old@x.io", "primary": false, "verified": true},
            {"email": "main@x.io", "primary": true, "verified": true},
        ]);
        assert_eq!(
            primary_verified_email(&list),
            (Some("main@x.io".into()), true)
        );
        let unverified_primary = json!([
            {"email": "main@x.io", "primary": true, "verified": false},
            {"email": "other@x.io", "primary": false, "verified": true},
        ]);
        assert_eq!(
            primary_verified_email(&unverified_primary),
            (Some("other@x.io".into()), true)
        );
        assert_eq!(
            primary_verified_email(&json!([{"email": "a@x.io", "verified": false}])),
            (None, false)
        );
        assert_eq!(
            primary_verified_email(
                &json!([{"email": "a@x.io", "primary": true, "verified": false}])
            ),
            (Some("a@x.io".into()), false)
        );
        assert_eq!(
            primary_verified_email(&json!({"message": "Bad credentials"})),
            (None, false)
        );
    }
}
