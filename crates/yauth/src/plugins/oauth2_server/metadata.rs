//! The authorization server metadata (RFC 8414): what is implemented, and nothing else.

use serde::Serialize;
use utoipa::ToSchema;

use super::clients::GrantType;
use super::config::{Oauth2ServerConfig, RegistrationPolicy};

/// `GET /.well-known/oauth-authorization-server`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServerMetadata {
    /// The issuer: the `iss` of every token issued here.
    pub issuer: String,
    /// The authorization endpoint.
    pub authorization_endpoint: String,
    /// The token endpoint.
    pub token_endpoint: String,
    /// How clients authenticate at the token, introspection and revocation endpoints.
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    /// The grant types the token endpoint accepts.
    pub grant_types_supported: Vec<&'static str>,
    /// The response types of the authorization endpoint: `code`.
    pub response_types_supported: Vec<&'static str>,
    /// How the authorization endpoint answers: in the redirect URI's query.
    pub response_modes_supported: Vec<&'static str>,
    /// PKCE methods: `S256` only, and PKCE is required.
    pub code_challenge_methods_supported: Vec<&'static str>,
    /// The authorization response carries `iss` (RFC 9207).
    pub authorization_response_iss_parameter_supported: bool,
    /// The scopes clients may ask for.
    pub scopes_supported: Vec<String>,
    /// The JWKS with the keys that sign access tokens.
    pub jwks_uri: String,
    /// Token introspection (RFC 7662).
    pub introspection_endpoint: String,
    /// Authentication methods at the introspection endpoint.
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    /// Token revocation (RFC 7009).
    pub revocation_endpoint: String,
    /// Authentication methods at the revocation endpoint.
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    /// The device authorization endpoint (RFC 8628), when the device grant is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<String>,
    /// Dynamic client registration (RFC 7591), when the policy allows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
}

/// Client authentication methods of a confidential client.
const SECRET_METHODS: [&str; 2] = ["client_secret_basic", "client_secret_post"];

/// The metadata of a server whose routes are mounted at `base` (the core base URL and the
/// router's mount path) and whose tokens name `issuer`.
pub(crate) fn document(config: &Oauth2ServerConfig, base: &str, issuer: &str) -> ServerMetadata {
    let endpoint = |path: &str| format!("{}{path}", base.trim_end_matches('/'));
    ServerMetadata {
        issuer: issuer.to_owned(),
        authorization_endpoint: endpoint("/oauth/authorize"),
        token_endpoint: endpoint("/oauth/token"),
        token_endpoint_auth_methods_supported: [SECRET_METHODS.as_slice(), &["none"]].concat(),
        grant_types_supported: GrantType::offered(config)
            .into_iter()
            .map(GrantType::name)
            .collect(),
        response_types_supported: vec!["code"],
        response_modes_supported: vec!["query"],
        code_challenge_methods_supported: vec![super::pkce::S256],
        authorization_response_iss_parameter_supported: true,
        scopes_supported: config.scopes_supported.clone(),
        jwks_uri: endpoint("/.well-known/jwks.json"),
        introspection_endpoint: endpoint("/oauth/introspect"),
        introspection_endpoint_auth_methods_supported: SECRET_METHODS.to_vec(),
        revocation_endpoint: endpoint("/oauth/revoke"),
        revocation_endpoint_auth_methods_supported: SECRET_METHODS.to_vec(),
        device_authorization_endpoint: config
            .device
            .as_ref()
            .map(|_| endpoint("/oauth/device/code")),
        registration_endpoint: (config.registration != RegistrationPolicy::Closed)
            .then(|| endpoint("/oauth/register")),
    }
}
