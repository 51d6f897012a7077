//! The OpenID Provider metadata (OpenID Connect Discovery 1.0 §3): the authorization server's
//! (RFC 8414) and what OpenID Connect adds, listing only what is implemented.

use serde::Serialize;
use utoipa::ToSchema;

use super::config::OidcConfig;
use crate::plugins::bearer::SigningAlgorithm;
use crate::plugins::oauth2_server::{Server, ServerMetadata};

/// `GET /.well-known/openid-configuration`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderMetadata {
    /// The authorization server's metadata: issuer, endpoints, grants, scopes, methods.
    #[serde(flatten)]
    pub server: ServerMetadata,
    /// The UserInfo endpoint.
    pub userinfo_endpoint: String,
    /// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).
    pub end_session_endpoint: String,
    /// `public`: a user's `sub` is the same for every client.
    pub subject_types_supported: Vec<&'static str>,
    /// The algorithm of the key that signs id_tokens now.
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
    /// The user claims that may be released.
    pub claims_supported: Vec<String>,
    /// The `claims` request parameter is not supported.
    pub claims_parameter_supported: bool,
    /// Request objects (`request`) are not supported.
    pub request_parameter_supported: bool,
    /// `request_uri` is not supported.
    pub request_uri_parameter_supported: bool,
}

pub(crate) fn document(
    config: &OidcConfig,
    server: &Server,
    issuer: &str,
    algorithm: SigningAlgorithm,
) -> ProviderMetadata {
    ProviderMetadata {
        server: server.metadata(issuer),
        userinfo_endpoint: server.endpoint("/userinfo"),
        end_session_endpoint: server.endpoint("/oauth/end_session"),
        subject_types_supported: vec!["public"],
        id_token_signing_alg_values_supported: vec![algorithm.name()],
        claims_supported: config.claims_supported.clone(),
        claims_parameter_supported: false,
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
    }
}
