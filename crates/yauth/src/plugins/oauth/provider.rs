//! The identity providers a deployment signs in with: the built-in ones, a generic OpenID Connect
//! provider found by discovery, and a generic OAuth 2 provider with a user-info mapping.

use url::Url;

/// How the client authenticates to a provider's token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// HTTP Basic (`client_secret_basic`, the OAuth 2 default).
    #[default]
    Basic,
    /// The id and secret in the form body (`client_secret_post`).
    Post,
}

/// How the provider returns the authorization response to the callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseMode {
    /// In the query of a GET (the default).
    #[default]
    Query,
    /// In a form POSTed by the browser (`response_mode=form_post`; Apple needs it when the
    /// `name` or `email` scope is requested).
    FormPost,
}

/// Where a plain OAuth 2 provider's user profile is and how to read it. Fields are JSON
/// pointers (RFC 6901) into the profile document, such as `/id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfoMapping {
    /// The profile endpoint, called with the access token.
    pub url: String,
    /// The provider's stable id of the user (a string or a number).
    pub subject: String,
    /// The user's email address, if the profile carries one.
    pub email: Option<String>,
    /// A boolean saying the provider verified that address. Without it (and without
    /// `emails_url`) the address counts as unverified.
    pub email_verified: Option<String>,
    /// The user's display name.
    pub name: Option<String>,
    /// An endpoint listing the user's addresses as `[{"email", "primary", "verified"}]`
    /// (GitHub's shape); the primary verified address is then the user's email.
    pub emails_url: Option<String>,
}

/// The endpoints of a plain OAuth 2 provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2Endpoints {
    /// The authorization endpoint.
    pub authorization_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// How to read the user's profile.
    pub user_info: UserInfoMapping,
}

/// What kind of provider it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderKind {
    /// OpenID Connect: endpoints and signing keys from the issuer's discovery document; the
    /// identity comes from a validated id_token (and the userinfo endpoint when the id_token
    /// carries no email).
    OpenIdConnect {
        /// The issuer URL, exactly as the provider's `iss` claim spells it.
        issuer: String,
    },
    /// Plain OAuth 2: explicit endpoints; the identity comes from the profile endpoint.
    OAuth2(OAuth2Endpoints),
}

/// One identity provider, configured in code. Build it with a constructor such as
/// [`ProviderConfig::google`] or [`ProviderConfig::oidc`] and adjust the public fields.
#[derive(Clone)]
pub struct ProviderConfig {
    /// The name in the routes (`/oauth/{name}/authorize`): lowercase letters, digits and `-`.
    pub name: String,
    /// The client id registered at the provider.
    pub client_id: String,
    /// The client secret registered at the provider (for Apple, the signed client-secret JWT).
    pub client_secret: String,
    /// The callback URL registered at the provider: where yauth's
    /// `/oauth/{name}/callback` is served.
    pub redirect_url: String,
    /// Scopes to request.
    pub scopes: Vec<String>,
    /// OpenID Connect or plain OAuth 2.
    pub kind: ProviderKind,
    /// How to authenticate at the token endpoint.
    pub client_auth: ClientAuth,
    /// How the provider answers the callback.
    pub response_mode: ResponseMode,
    /// Extra query parameters for the authorization request (for example `prompt`).
    pub extra_authorize_params: Vec<(String, String)>,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

impl ProviderConfig {
    /// A generic OpenID Connect provider, found by discovery at
    /// `<issuer>/.well-known/openid-configuration`. Scopes: `openid email profile`.
    pub fn oidc(
        name: impl Into<String>,
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_url: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_url: redirect_url.into(),
            scopes: strings(&["openid", "email", "profile"]),
            kind: ProviderKind::OpenIdConnect {
                issuer: issuer.into(),
            },
            client_auth: ClientAuth::Basic,
            response_mode: ResponseMode::Query,
            extra_authorize_params: Vec::new(),
        }
    }

    /// A generic plain OAuth 2 provider with explicit endpoints.
    pub fn oauth2(
        name: impl Into<String>,
        endpoints: OAuth2Endpoints,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_url: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_url: redirect_url.into(),
            scopes: Vec::new(),
            kind: ProviderKind::OAuth2(endpoints),
            client_auth: ClientAuth::Basic,
            response_mode: ResponseMode::Query,
            extra_authorize_params: Vec::new(),
        }
    }

    /// Google (OpenID Connect).
    pub fn google(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_url: impl Into<String>,
    ) -> Self {
        Self::oidc(
            "google",
            "https://accounts.google.com",
            client_id,
            client_secret,
            redirect_url,
        )
    }

    /// Microsoft Entra ID for one tenant (OpenID Connect). `tenant` is the directory (tenant)
    /// id: the multi-tenant aliases `common`, `organizations` and `consumers` are refused by
    /// `build()`, because their tokens carry each tenant's own issuer.
    pub fn microsoft(
        tenant: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_url: impl Into<String>,
    ) -> Self {
        Self::oidc(
            "microsoft",
            format!("https://login.microsoftonline.com/{tenant}/v2.0"),
            client_id,
            client_secret,
            redirect_url,
        )
    }

    /// Sign in with Apple (OpenID Connect, answering by form POST). `client_secret` is the
    /// client-secret JWT that Apple requires, signed by the application.
    pub fn apple(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_url: impl Into<String>,
    ) -> Self {
        let mut config = Self::oidc(
            "apple",
            "https://appleid.apple.com",
            client_id,
            client_secret,
            redirect_url,
        );
        config.scopes = strings(&["openid", "email", "name"]);
        config.client_auth = ClientAuth::Post;
        config.response_mode = ResponseMode::FormPost;
        config
    }

    /// GitLab.com (OpenID Connect). For a self-managed instance, use [`oidc`](Self::oidc)
    /// with its URL.
    pub fn gitlab(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_url: impl Into<String>,
    ) -> Self {
        Self::oidc(
            "gitlab",
            "https://gitlab.com",
            client_id,
            client_secret,
            redirect_url,
        )
    }

    /// GitHub (plain OAuth 2). The email is the primary verified address from
    /// `/user/emails`.
    pub fn github(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_url: impl Into<String>,
    ) -> Self {
        Self::github_at(
            "https://github.com",
            "https://api.github.com",
            client_id,
            client_secret,
            redirect_url,
        )
    }

    /// GitHub at other addresses: GitHub Enterprise Server (`https://host`, `https://host/api/v3`).
    pub fn github_at(
        web: &str,
        api: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_url: impl Into<String>,
    ) -> Self {
        let (web, api) = (web.trim_end_matches('/'), api.trim_end_matches('/'));
        let endpoints = OAuth2Endpoints {
            authorization_url: format!("{web}/login/oauth/authorize"),
            token_url: format!("{web}/login/oauth/access_token"),
            user_info: UserInfoMapping {
                url: format!("{api}/user"),
                subject: "/id".into(),
                email: None,
                email_verified: None,
                name: Some("/name".into()),
                emails_url: Some(format!("{api}/user/emails")),
            },
        };
        let mut config = Self::oauth2("github", endpoints, client_id, client_secret, redirect_url);
        config.scopes = strings(&["read:user", "user:email"]);
        config
    }

    /// Discord (plain OAuth 2).
    pub fn discord(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_url: impl Into<String>,
    ) -> Self {
        let endpoints = OAuth2Endpoints {
            authorization_url: "https://discord.com/oauth2/authorize".into(),
            token_url: "https://discord.com/api/oauth2/token".into(),
            user_info: UserInfoMapping {
                url: "https://discord.com/api/users/@me".into(),
                subject: "/id".into(),
                email: Some("/email".into()),
                email_verified: Some("/verified".into()),
                name: Some("/global_name".into()),
                emails_url: None,
            },
        };
        let mut config = Self::oauth2("discord", endpoints, client_id, client_secret, redirect_url);
        config.scopes = strings(&["identify", "email"]);
        config.client_auth = ClientAuth::Post;
        config
    }

    /// Whether this is an OpenID Connect provider.
    pub fn is_oidc(&self) -> bool {
        matches!(self.kind, ProviderKind::OpenIdConnect { .. })
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        let name = &self.name;
        let valid_name = !name.is_empty()
            && name.len() <= 32
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid_name {
            return Err(format!(
                "provider name {name:?} must be 1 to 32 lowercase letters, digits or '-'"
            ));
        }
        if self.client_id.is_empty() || self.client_secret.is_empty() {
            return Err(format!(
                "provider {name}: client_id and client_secret are required"
            ));
        }
        endpoint(name, "redirect_url", &self.redirect_url)?;
        match &self.kind {
            ProviderKind::OpenIdConnect { issuer } => {
                endpoint(name, "issuer", issuer)?;
                if !self.scopes.iter().any(|s| s == "openid") {
                    return Err(format!(
                        "provider {name}: OpenID Connect needs the openid scope"
                    ));
                }
                let multi_tenant = ["common", "organizations", "consumers"]
                    .iter()
                    .any(|alias| issuer.contains(&format!("login.microsoftonline.com/{alias}/")));
                if multi_tenant {
                    return Err(format!(
                        "provider {name}: a multi-tenant Microsoft issuer cannot be validated; \
                         configure the tenant id"
                    ));
                }
            }
            ProviderKind::OAuth2(endpoints) => {
                endpoint(name, "authorization_url", &endpoints.authorization_url)?;
                endpoint(name, "token_url", &endpoints.token_url)?;
                endpoint(name, "user_info.url", &endpoints.user_info.url)?;
                if let Some(url) = &endpoints.user_info.emails_url {
                    endpoint(name, "user_info.emails_url", url)?;
                }
                let pointers = [
                    Some(&endpoints.user_info.subject),
                    endpoints.user_info.email.as_ref(),
                    endpoints.user_info.email_verified.as_ref(),
                    endpoints.user_info.name.as_ref(),
                ];
                if pointers.into_iter().flatten().any(|p| !p.starts_with('/')) {
                    return Err(format!(
                        "provider {name}: user_info fields are JSON pointers starting with '/'"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Provider URLs are https, except on loopback (development and tests).
fn endpoint(provider: &str, field: &str, value: &str) -> Result<(), String> {
    let url = Url::parse(value)
        .map_err(|e| format!("provider {provider}: {field} {value:?} is not a URL: {e}"))?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "provider {provider}: {field} must use https (http only on loopback)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_providers_are_valid() {
        for provider in [
            ProviderConfig::google("id", "secret", "https://app.example/cb"),
            ProviderConfig::microsoft("7d2c", "id", "secret", "https://app.example/cb"),
            ProviderConfig::apple("id", "secret", "https://app.example/cb"),
            ProviderConfig::gitlab("id", "secret", "https://app.example/cb"),
            ProviderConfig::github("id", "secret", "https://app.example/cb"),
            ProviderConfig::discord("id", "secret", "https://app.example/cb"),
        ] {
            assert_eq!(provider.validate(), Ok(()), "{}", provider.name);
        }
    }

    #[test]
    fn plain_http_outside_loopback_and_multi_tenant_issuers_are_refused() {
        let plain = ProviderConfig::oidc("x", "http://idp.example", "id", "s", "https://a/cb");
        assert!(plain.validate().unwrap_err().contains("https"));
        let local =
            ProviderConfig::oidc("x", "http://127.0.0.1:9", "id", "s", "http://localhost/cb");
        assert_eq!(local.validate(), Ok(()));
        let common = ProviderConfig::microsoft("common", "id", "s", "https://a/cb");
        assert!(common.validate().unwrap_err().contains("tenant"));
        let mut bad_name = local.clone();
        bad_name.name = "Bad Name".into();
        assert!(bad_name.validate().is_err());
        let mut no_openid = local;
        no_openid.scopes = vec!["email".into()];
        assert!(no_openid.validate().unwrap_err().contains("openid"));
    }
}
