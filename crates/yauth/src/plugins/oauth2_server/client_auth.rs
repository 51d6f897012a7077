//! Who the client says it is: `client_secret_basic` (RFC 6749 §2.3.1), `client_secret_post`,
//! or `none` (a public client naming itself). A request uses one method, never two.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::error::OAuthError;

/// How the client authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthMethod {
    /// `Authorization: Basic`.
    SecretBasic,
    /// `client_id` and `client_secret` in the form body.
    SecretPost,
    /// Only `client_id`: a public client.
    None,
}

impl AuthMethod {
    /// The registered name of the method (RFC 7591 §2).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::SecretBasic => "client_secret_basic",
            Self::SecretPost => "client_secret_post",
            Self::None => "none",
        }
    }
}

/// The client's claimed identity, not yet checked against the registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientCredentials {
    pub client_id: String,
    pub secret: Option<String>,
    pub method: AuthMethod,
}

/// Reads the client's credentials from the `Authorization` header and the form's
/// `client_id` / `client_secret`. Refuses a request that uses two methods, or whose body names
/// another client than its header (RFC 6749 §2.3).
pub(crate) fn client_credentials(
    headers: &HeaderMap,
    form_client_id: Option<&str>,
    form_secret: Option<&str>,
) -> Result<ClientCredentials, OAuthError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let (client_id, secret) =
            basic(value.to_str().ok()).ok_or_else(|| OAuthError::invalid_client(true))?;
        if form_secret.is_some() {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not two",
            ));
        }
        if form_client_id.is_some_and(|id| id != client_id) {
            return Err(OAuthError::invalid_request(
                "client_id differs from the authenticated client",
            ));
        }
        return Ok(ClientCredentials {
            client_id,
            secret: Some(secret),
            method: AuthMethod::SecretBasic,
        });
    }
    let client_id = form_client_id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| OAuthError::invalid_client(false))?
        .to_owned();
    Ok(match form_secret {
        Some(secret) => ClientCredentials {
            client_id,
            secret: Some(secret.to_owned()),
            method: AuthMethod::SecretPost,
        },
        None => ClientCredentials {
            client_id,
            secret: None,
            method: AuthMethod::None,
        },
    })
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`. Both parts are form-urlencoded before
/// encoding (RFC 6749 §2.3.1), so a `:` inside either survives.
fn basic(value: Option<&str>) -> Option<(String, String)> {
    let value = value?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let id = form_decode(id)?;
    let secret = form_decode(secret)?;
    if id.is_empty() {
        return None;
    }
    Some((id, secret))
}

/// `application/x-www-form-urlencoded` decoding of one value.
fn form_decode(value: &str) -> Option<String> {
    let field = format!("v={value}");
    let (_, decoded) = url::form_urlencoded::parse(field.as_bytes()).next()?;
    Some(decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn basic_header(raw: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!("Basic {}", STANDARD.encode(raw));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&value).unwrap(),
        );
        headers
    }

    #[test]
    fn basic_credentials_are_url_decoded() {
        let creds = client_credentials(&basic_header("my%3Aapp:s%2Bcr%3At+x"), None, None).unwrap();
        assert_eq!(creds.client_id, "my:app");
        assert_eq!(creds.secret.as_deref(), Some("s+cr:t x"));
        assert_eq!(creds.method, AuthMethod::SecretBasic);
        let same_id = client_credentials(&basic_header("app:secret"), Some("app"), None).unwrap();
        assert_eq!(same_id.client_id, "app");
    }

    #[test]
    fn two_methods_or_two_identities_are_refused() {
        let both = client_credentials(&basic_header("app:secret"), Some("app"), Some("secret"));
        assert_eq!(both.unwrap_err().error(), "invalid_request");
        let other = client_credentials(&basic_header("app:secret"), Some("other"), None);
        assert_eq!(other.unwrap_err().error(), "invalid_request");
    }

    #[test]
    fn a_malformed_header_is_an_invalid_client_with_a_challenge() {
        let mut headers = HeaderMap::new();
        for value in ["Basic !!!", "Bearer abc", "Basic", "Basic OmFiYw=="] {
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            let error = client_credentials(&headers, None, None).unwrap_err();
            assert_eq!(error.error(), "invalid_client", "{value}");
            assert_eq!(error.status(), axum::http::StatusCode::UNAUTHORIZED);
        }
    }

    #[test]
    fn form_credentials_are_post_or_none() {
        let none = HeaderMap::new();
        let post = client_credentials(&none, Some("app"), Some("secret")).unwrap();
        assert_eq!(post.method, AuthMethod::SecretPost);
        let public = client_credentials(&none, Some("app"), None).unwrap();
        assert_eq!((public.method, public.secret), (AuthMethod::None, None));
        let nobody = client_credentials(&none, None, None).unwrap_err();
        assert_eq!(nobody.error(), "invalid_client");
        let empty = client_credentials(&none, Some(""), None).unwrap_err();
        assert_eq!(empty.error(), "invalid_client");
    }
}
