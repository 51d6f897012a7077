//! Client registration: the metadata a client asks for (RFC 7591 §2), checked against the
//! server's policy, becomes a stored client with a generated id and, for a confidential
//! client, a secret shown once.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::client_auth::AuthMethod;
use super::clients::GrantType;
use super::config::{Oauth2ServerConfig, is_scope_token};
use super::redirect_uri;

/// A client's registration request (RFC 7591 §2). Also what
/// [`YAuth::register_oauth2_client`](crate::YAuth::register_oauth2_client) takes.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ClientRegistration {
    /// Where the authorization endpoint may send the user back; compared exactly.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// `client_secret_basic` (default), `client_secret_post`, or `none` for a public client
    /// (a browser or native app that cannot keep a secret).
    pub token_endpoint_auth_method: Option<String>,
    /// Grant types it will use; default `["authorization_code"]`.
    pub grant_types: Option<Vec<String>>,
    /// Response types; only `code` is supported (the default).
    pub response_types: Option<Vec<String>>,
    /// The name shown on the consent screen.
    pub client_name: Option<String>,
    /// The scopes it may ask for, space-separated; default every supported scope.
    pub scope: Option<String>,
}

/// The registered client (RFC 7591 §3.2.1).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegisteredClient {
    /// The generated client id.
    pub client_id: String,
    /// The secret of a confidential client, shown this once; it is stored hashed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// When the id was issued (seconds since the epoch).
    pub client_id_issued_at: i64,
    /// `0`: the secret does not expire. Present with a secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    /// The registered redirect URIs.
    pub redirect_uris: Vec<String>,
    /// The registered authentication method.
    pub token_endpoint_auth_method: String,
    /// The registered grant types.
    pub grant_types: Vec<String>,
    /// `["code"]` when the client uses the authorization code grant, else empty.
    pub response_types: Vec<String>,
    /// The registered name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// The scopes it may ask for.
    pub scope: String,
}

/// Why a registration is refused: the RFC 7591 §3.2.2 error code and a description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegistrationError {
    /// `invalid_redirect_uri` or `invalid_client_metadata`.
    pub error: &'static str,
    pub description: String,
}

fn invalid_metadata(description: impl Into<String>) -> RegistrationError {
    RegistrationError {
        error: "invalid_client_metadata",
        description: description.into(),
    }
}

/// A registration that passed the policy, before its id and secret exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckedRegistration {
    pub redirect_uris: Vec<String>,
    pub auth_method: AuthMethod,
    pub grant_types: Vec<GrantType>,
    pub client_name: Option<String>,
    pub scopes: Vec<String>,
}

/// The most redirect URIs and the longest name a client may register.
const MAX_REDIRECT_URIS: usize = 10;
const MAX_URI_LENGTH: usize = 2048;
const MAX_NAME_LENGTH: usize = 100;

/// Checks a registration against the policy: https (or loopback) redirect URIs, a known
/// authentication method, grant types that fit it, and scopes the server supports.
pub(crate) fn check(
    request: &ClientRegistration,
    config: &Oauth2ServerConfig,
) -> Result<CheckedRegistration, RegistrationError> {
    let auth_method = match request.token_endpoint_auth_method.as_deref() {
        None | Some("client_secret_basic") => AuthMethod::SecretBasic,
        Some("client_secret_post") => AuthMethod::SecretPost,
        Some("none") => AuthMethod::None,
        Some(other) => {
            return Err(invalid_metadata(format!(
                "token_endpoint_auth_method {other:?} is not supported"
            )));
        }
    };
    let grant_types = match &request.grant_types {
        // RFC 7591 §2's default.
        None => vec![GrantType::AuthorizationCode],
        Some(names) if names.is_empty() => {
            return Err(invalid_metadata("grant_types must not be empty"));
        }
        Some(names) => {
            let mut grants = Vec::new();
            for name in names {
                let grant = GrantType::parse(name)
                    .filter(|g| g.is_offered(config))
                    .ok_or_else(|| {
                        invalid_metadata(format!("grant type {name:?} is not supported"))
                    })?;
                if !grants.contains(&grant) {
                    grants.push(grant);
                }
            }
            grants
        }
    };
    let uses_code = grant_types.contains(&GrantType::AuthorizationCode);
    match request.response_types.as_deref() {
        None => {}
        Some(types) if types.iter().all(|t| t == "code") && (types.is_empty() || uses_code) => {}
        Some(_) => {
            return Err(invalid_metadata(
                "response_types must be [\"code\"], with the authorization_code grant",
            ));
        }
    }
    if auth_method == AuthMethod::None && grant_types.contains(&GrantType::ClientCredentials) {
        return Err(invalid_metadata(
            "a public client (token_endpoint_auth_method none) cannot use client_credentials",
        ));
    }
    if grant_types == [GrantType::RefreshToken] {
        return Err(invalid_metadata(
            "refresh_token needs a grant that issues refresh tokens",
        ));
    }
    if uses_code && request.redirect_uris.is_empty() {
        return Err(RegistrationError {
            error: "invalid_redirect_uri",
            description: "the authorization_code grant needs at least one redirect URI".into(),
        });
    }
    if request.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(RegistrationError {
            error: "invalid_redirect_uri",
            description: format!("at most {MAX_REDIRECT_URIS} redirect URIs"),
        });
    }
    for uri in &request.redirect_uris {
        let checked = if uri.len() > MAX_URI_LENGTH {
            Err(format!(
                "a redirect URI is longer than {MAX_URI_LENGTH} characters"
            ))
        } else {
            redirect_uri::check_registrable(uri).map_err(|e| e.to_string())
        };
        checked.map_err(|description| RegistrationError {
            error: "invalid_redirect_uri",
            description,
        })?;
    }
    let client_name = match request.client_name.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(name)
            if name.chars().count() > MAX_NAME_LENGTH || name.chars().any(char::is_control) =>
        {
            return Err(invalid_metadata(format!(
                "client_name must be at most {MAX_NAME_LENGTH} printable characters"
            )));
        }
        Some(name) => Some(name.to_owned()),
    };
    let scopes = match request.scope.as_deref() {
        None => config.scopes_supported.clone(),
        Some(scope) => {
            let mut scopes: Vec<String> = Vec::new();
            for s in scope.split(' ').filter(|s| !s.is_empty()) {
                if !is_scope_token(s) || !config.scopes_supported.iter().any(|k| k == s) {
                    return Err(invalid_metadata(format!("scope {s:?} is not supported")));
                }
                if !scopes.iter().any(|k| k == s) {
                    scopes.push(s.to_owned());
                }
            }
            scopes
        }
    };
    Ok(CheckedRegistration {
        redirect_uris: request.redirect_uris.clone(),
        auth_method,
        grant_types,
        client_name,
        scopes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Oauth2ServerConfig {
        Oauth2ServerConfig {
            scopes_supported: vec!["reports:read".into(), "reports:write".into()],
            ..Default::default()
        }
    }

    fn machine() -> ClientRegistration {
        ClientRegistration {
            grant_types: Some(vec!["client_credentials".into()]),
            ..Default::default()
        }
    }

    #[test]
    fn a_machine_client_gets_the_defaults() {
        let checked = check(&machine(), &config()).unwrap();
        assert_eq!(checked.auth_method, AuthMethod::SecretBasic);
        assert_eq!(checked.grant_types, [GrantType::ClientCredentials]);
        assert_eq!(checked.scopes, config().scopes_supported);
        assert_eq!(checked.client_name, None);
    }

    #[test]
    fn a_web_app_gets_the_code_grant_by_default_and_needs_a_redirect_uri() {
        let web = ClientRegistration {
            redirect_uris: vec!["https://rp.example.com/cb".into()],
            ..Default::default()
        };
        let checked = check(&web, &config()).unwrap();
        assert_eq!(checked.grant_types, [GrantType::AuthorizationCode]);
        let nowhere = ClientRegistration::default();
        assert_eq!(
            check(&nowhere, &config()).unwrap_err().error,
            "invalid_redirect_uri"
        );
        let spa = ClientRegistration {
            token_endpoint_auth_method: Some("none".into()),
            grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
            ..web
        };
        assert_eq!(
            check(&spa, &config()).unwrap().auth_method,
            AuthMethod::None
        );
    }

    #[test]
    fn the_device_grant_is_refused_unless_it_is_configured() {
        let request = ClientRegistration {
            grant_types: Some(vec![
                "urn:ietf:params:oauth:grant-type:device_code".to_owned(),
                "refresh_token".to_owned(),
            ]),
            token_endpoint_auth_method: Some("none".into()),
            ..Default::default()
        };
        let error = check(&request, &config()).unwrap_err();
        assert_eq!(error.error, "invalid_client_metadata");
        let with_device = Oauth2ServerConfig {
            device: Some(super::super::config::DeviceFlowConfig::new("/device")),
            ..config()
        };
        let checked = check(&request, &with_device).expect("a public device client");
        assert_eq!(
            checked.grant_types,
            [GrantType::DeviceCode, GrantType::RefreshToken]
        );
        assert_eq!(checked.auth_method, AuthMethod::None);
    }

    #[test]
    fn non_https_redirect_uris_are_refused_but_loopback_is_not() {
        let config = config();
        for bad in [
            "http://rp.example.com/cb",
            "https://rp.example.com/cb#x",
            "/cb",
        ] {
            let request = ClientRegistration {
                redirect_uris: vec![bad.into()],
                ..machine()
            };
            let error = check(&request, &config).unwrap_err();
            assert_eq!(error.error, "invalid_redirect_uri", "{bad}");
        }
        let loopback = ClientRegistration {
            redirect_uris: vec!["http://127.0.0.1:8400/cb".into()],
            ..machine()
        };
        assert!(check(&loopback, &config).is_ok());
        let many = ClientRegistration {
            redirect_uris: vec!["https://rp.example.com/cb".into(); 11],
            ..machine()
        };
        assert_eq!(
            check(&many, &config).unwrap_err().error,
            "invalid_redirect_uri"
        );
    }

    #[test]
    fn inconsistent_metadata_is_refused() {
        let config = config();
        let cases = [
            ClientRegistration {
                token_endpoint_auth_method: Some("private_key_jwt".into()),
                ..machine()
            },
            ClientRegistration {
                grant_types: Some(vec!["implicit".into()]),
                ..machine()
            },
            ClientRegistration {
                grant_types: Some(vec!["password".into()]),
                ..machine()
            },
            ClientRegistration {
                grant_types: Some(vec![]),
                ..machine()
            },
            ClientRegistration {
                response_types: Some(vec!["code".into()]),
                ..machine()
            },
            ClientRegistration {
                response_types: Some(vec!["token".into()]),
                ..machine()
            },
            ClientRegistration {
                token_endpoint_auth_method: Some("none".into()),
                ..machine()
            },
            ClientRegistration {
                scope: Some("reports:read admin".into()),
                ..machine()
            },
            ClientRegistration {
                client_name: Some("x".repeat(101)),
                ..machine()
            },
            ClientRegistration {
                client_name: Some("bell\u{7}".into()),
                ..machine()
            },
        ];
        for request in cases {
            let error = check(&request, &config).unwrap_err();
            assert_eq!(error.error, "invalid_client_metadata", "{request:?}");
        }
    }

    #[test]
    fn scopes_are_deduplicated_and_names_trimmed() {
        let request = ClientRegistration {
            scope: Some("reports:read  reports:read reports:write".into()),
            client_name: Some("  Reports job ".into()),
            token_endpoint_auth_method: Some("client_secret_post".into()),
            ..machine()
        };
        let checked = check(&request, &config()).unwrap();
        assert_eq!(checked.scopes, ["reports:read", "reports:write"]);
        assert_eq!(checked.client_name.as_deref(), Some("Reports job"));
        assert_eq!(checked.auth_method, AuthMethod::SecretPost);
    }
}
