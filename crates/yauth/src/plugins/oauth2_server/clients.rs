//! Registered clients as the endpoints see them, and client authentication against them.

use std::sync::Arc;

use yauth_entity::Oauth2Client;
use yauth_store::Oauth2ServerRepository;

use super::client_auth::{AuthMethod, ClientCredentials};
use super::config::Oauth2ServerConfig;
use super::error::OAuthError;
use crate::crypto::{HashError, dummy_verify, verify_password};

/// A grant type a client may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GrantType {
    /// `authorization_code`, with PKCE.
    AuthorizationCode,
    /// `refresh_token`.
    RefreshToken,
    /// `client_credentials`: the client acting for itself; confidential clients only.
    ClientCredentials,
    /// `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628).
    DeviceCode,
}

impl GrantType {
    /// Every grant type, in the order the metadata lists them.
    pub(crate) const ALL: [Self; 4] = [
        Self::AuthorizationCode,
        Self::RefreshToken,
        Self::ClientCredentials,
        Self::DeviceCode,
    ];

    /// Whether the token endpoint accepts it under `config`: the device grant only when
    /// configured. Registration refuses the others, and the metadata leaves them out.
    pub(crate) fn is_offered(self, config: &Oauth2ServerConfig) -> bool {
        self != Self::DeviceCode || config.device.is_some()
    }

    /// The grant types offered under `config`, in the metadata's order.
    pub(crate) fn offered(config: &Oauth2ServerConfig) -> Vec<Self> {
        Self::ALL
            .into_iter()
            .filter(|g| g.is_offered(config))
            .collect()
    }

    /// The registered name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
        }
    }

    /// The grant type with this name.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.name() == name)
    }
}

/// A registered client, its JSON columns read.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub row: Oauth2Client,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    /// The scopes it may be granted; `None` means every supported scope.
    pub scopes: Option<Vec<String>>,
}

impl Client {
    /// Reads the stored row. A row whose JSON is not what registration writes is refused
    /// rather than guessed at.
    pub(crate) fn from_row(row: Oauth2Client) -> Result<Self, OAuthError> {
        let strings = |value: &serde_json::Value| -> Option<Vec<String>> {
            serde_json::from_value::<Vec<String>>(value.clone()).ok()
        };
        let corrupt = || {
            tracing::error!(client_id = %row.client_id, "stored client has malformed JSON columns");
            OAuthError::invalid_client(false)
        };
        let redirect_uris = strings(&row.redirect_uris).ok_or_else(corrupt)?;
        let grant_types = strings(&row.grant_types)
            .ok_or_else(corrupt)?
            .iter()
            .map(|g| GrantType::parse(g))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(corrupt)?;
        let scopes = match &row.scopes {
            Some(value) => Some(strings(value).ok_or_else(corrupt)?),
            None => None,
        };
        Ok(Self {
            row,
            redirect_uris,
            grant_types,
            scopes,
        })
    }

    /// The client id.
    pub(crate) fn id(&self) -> &str {
        &self.row.client_id
    }

    /// Whether it may use `grant`.
    pub(crate) fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// The scopes it gets when it asks for none: its own, within the server's.
    pub(crate) fn default_scopes(&self, supported: &[String]) -> Vec<String> {
        let own = self.scopes.clone().unwrap_or_else(|| supported.to_vec());
        own.into_iter().filter(|s| supported.contains(s)).collect()
    }

    /// The scopes of a space-separated request, each allowed for this client and the server,
    /// without repeats; the defaults when the request names none. `Err` names the first scope
    /// refused.
    pub(crate) fn scopes_for(
        &self,
        requested: Option<&str>,
        supported: &[String],
    ) -> Result<Vec<String>, String> {
        let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else {
            return Ok(self.default_scopes(supported));
        };
        let mut scopes: Vec<String> = Vec::new();
        for scope in requested.split(' ').filter(|s| !s.is_empty()) {
            if !self.may_have(scope, supported) {
                return Err(scope.to_owned());
            }
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
        Ok(scopes)
    }

    /// Whether it may be granted `scope`, given the server's `supported` scopes.
    pub(crate) fn may_have(&self, scope: &str, supported: &[String]) -> bool {
        supported.iter().any(|s| s == scope)
            && self
                .scopes
                .as_ref()
                .is_none_or(|own| own.iter().any(|s| s == scope))
    }
}

/// The client with this id, for routes where it only names itself (the authorization
/// endpoint); `None` when unknown.
pub(crate) async fn find(
    repo: &Arc<dyn Oauth2ServerRepository>,
    client_id: &str,
) -> Result<Option<Client>, OAuthError> {
    match repo.find_oauth2_client(client_id).await? {
        Some(row) => Client::from_row(row).map(Some),
        None => Ok(None),
    }
}

/// Authenticates a client at the token, introspection, revocation or device endpoint. A
/// confidential client must present its secret (Basic or form); a public client must present
/// none. An unknown client costs the same hash as a known one.
pub(crate) async fn authenticate(
    repo: &Arc<dyn Oauth2ServerRepository>,
    credentials: &ClientCredentials,
) -> Result<Client, OAuthError> {
    let basic = credentials.method == AuthMethod::SecretBasic;
    let refused = || OAuthError::invalid_client(basic);
    let client = find(repo, &credentials.client_id).await?;
    let Some(client) = client else {
        if let Some(secret) = &credentials.secret {
            dummy_verify(secret).await.map_err(hash_failure)?;
        }
        return Err(refused());
    };
    match (&client.row.client_secret_hash, &credentials.secret) {
        (None, None) if client.row.is_public => Ok(client),
        (Some(hash), Some(secret)) if !client.row.is_public => {
            if verify_password(hash, secret).await.map_err(hash_failure)? {
                Ok(client)
            } else {
                Err(refused())
            }
        }
        _ => Err(refused()),
    }
}

/// Hashing at capacity or failing: retryable, never a verdict on the secret.
fn hash_failure(error: HashError) -> OAuthError {
    if !matches!(error, HashError::Busy) {
        tracing::error!(%error, "client secret verification failed");
    }
    OAuthError::temporarily_unavailable()
}
