//! The authorization request (RFC 6749 §4.1.1, with PKCE and OpenID Connect's `nonce`,
//! `prompt` and `max_age`), checked in the RFC's order: an unknown client or redirect URI is
//! shown to the user and never redirected to (§4.1.2.1); every later error goes back to the
//! client's redirect URI. Then the code: issued for a signed-in, consenting user, bound to the
//! client, the redirect URI, the PKCE challenge and the sign-in it reports.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use url::Url;
use utoipa::{IntoParams, ToSchema};
use yauth_entity::{AuthorizationCode, Consent, new_id};

use super::clients::{self, Client, GrantType};
use super::error::OAuthError;
use super::{Server, pkce, redirect_uri};
use crate::auth::{AuthMethod, AuthUser};
use crate::crypto::{hash_token, random_token};
use crate::state::YAuthState;

/// The parameters of an authorization request, as the client put them in the URL.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct AuthorizationRequest {
    /// `code`, the only response type.
    pub response_type: Option<String>,
    /// The client.
    pub client_id: Option<String>,
    /// One of the client's registered redirect URIs, exactly; may be left out when it has one.
    pub redirect_uri: Option<String>,
    /// The scopes asked for, space-separated; default the client's.
    pub scope: Option<String>,
    /// Opaque value the client gets back with the answer.
    pub state: Option<String>,
    /// PKCE (RFC 7636): BASE64URL(SHA-256(code_verifier)). Required.
    pub code_challenge: Option<String>,
    /// `S256`. Required; `plain` is refused.
    pub code_challenge_method: Option<String>,
    /// OpenID Connect nonce, echoed in the id_token.
    pub nonce: Option<String>,
    /// `none`, `login` or `consent`, space-separated (`none` alone).
    pub prompt: Option<String>,
    /// The oldest sign-in accepted, in seconds.
    pub max_age: Option<i64>,
}

/// How the client asked the user to be prompted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Prompt {
    /// Show nothing: fail instead of asking to sign in or consent.
    pub none: bool,
    /// Ask to sign in again.
    pub login: bool,
    /// Ask for consent even when it was given before.
    pub consent: bool,
}

/// A request that passed every check.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub client: Client,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub code_challenge: String,
    pub nonce: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<Duration>,
}

/// A refused request.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Shown to the user: the client or its redirect URI cannot be trusted with the answer.
    Show(OAuthError),
    /// Sent back to the client: the redirect URI with `error`, `error_description`, `state`
    /// and `iss`.
    Redirect(String),
}

impl From<OAuthError> for Refusal {
    fn from(error: OAuthError) -> Self {
        Self::Show(error)
    }
}

/// The longest `state` echoed back, and the longest `nonce` stored.
const MAX_STATE: usize = 1024;
const MAX_NONCE: usize = 255;

/// `prompt=login` asks for a sign-in again; one this recent counts as that sign-in (the user
/// was sent to sign in and came back).
pub(crate) const FRESH_SIGN_IN: Duration = Duration::minutes(1);

/// Checks a request for the server `server` whose tokens name `issuer`.
pub(crate) async fn check(
    server: &Server,
    issuer: &str,
    request: &AuthorizationRequest,
) -> Result<Checked, Refusal> {
    let client_id = request
        .client_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("client_id is required"))?;
    let client = clients::find(&server.repo, client_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_request("unknown client_id"))?;
    let registered = || client.redirect_uris.iter().map(String::as_str);
    let redirect_uri = match request.redirect_uri.as_deref() {
        Some(uri) if redirect_uri::matches(registered(), uri) => uri.to_owned(),
        Some(_) => {
            return Err(Refusal::Show(OAuthError::invalid_request(
                "redirect_uri is not one the client registered",
            )));
        }
        None => match client.redirect_uris.as_slice() {
            [only] => only.clone(),
            _ => {
                return Err(Refusal::Show(OAuthError::invalid_request(
                    "redirect_uri is required",
                )));
            }
        },
    };
    if request.state.as_ref().is_some_and(|s| s.len() > MAX_STATE) {
        return Err(Refusal::Show(OAuthError::invalid_request(
            "state is too long",
        )));
    }
    let state = request.state.clone();
    let back = |error: &'static str, description: &str| {
        Refusal::Redirect(error_redirect(
            &redirect_uri,
            error,
            description,
            state.as_deref(),
            issuer,
        ))
    };
    match request.response_type.as_deref() {
        Some("code") => {}
        Some(_) => {
            return Err(back(
                "unsupported_response_type",
                "response_type must be code",
            ));
        }
        None => return Err(back("invalid_request", "response_type is required")),
    }
    if !client.allows(GrantType::AuthorizationCode) {
        return Err(back(
            "unauthorized_client",
            "the client is not registered for the authorization code grant",
        ));
    }
    let code_challenge = pkce::check_challenge(
        request.code_challenge.as_deref(),
        request.code_challenge_method.as_deref(),
    )
    .map_err(|e| back("invalid_request", e.describe()))?
    .to_owned();
    let scopes = client
        .scopes_for(request.scope.as_deref(), &server.config.scopes_supported)
        .map_err(|scope| back("invalid_scope", &format!("scope {scope:?} is not allowed")))?;
    if request.nonce.as_ref().is_some_and(|n| n.len() > MAX_NONCE) {
        return Err(back("invalid_request", "nonce is too long"));
    }
    let prompt = parse_prompt(request.prompt.as_deref()).map_err(|d| back("invalid_request", d))?;
    let max_age = match request.max_age {
        Some(secs) if secs < 0 => return Err(back("invalid_request", "max_age is negative")),
        Some(secs) => Some(Duration::seconds(secs)),
        None => None,
    };
    Ok(Checked {
        client,
        redirect_uri,
        scopes,
        state,
        code_challenge,
        nonce: request.nonce.clone(),
        prompt,
        max_age,
    })
}

fn parse_prompt(value: Option<&str>) -> Result<Prompt, &'static str> {
    let mut prompt = Prompt::default();
    for word in value
        .unwrap_or_default()
        .split(' ')
        .filter(|w| !w.is_empty())
    {
        match word {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            _ => return Err("prompt may be none, login or consent"),
        }
    }
    if prompt.none && (prompt.login || prompt.consent) {
        return Err("prompt=none cannot be combined with another value");
    }
    Ok(prompt)
}

impl Checked {
    /// Whether `user` may answer this request without signing in (again): a browser session
    /// recent enough for `max_age`, and for `prompt=login` one of the last minute.
    pub(crate) fn signed_in_freshly(&self, user: Option<&AuthUser>, now: OffsetDateTime) -> bool {
        let Some(user) = user.filter(|u| u.auth_method == AuthMethod::Session) else {
            return false;
        };
        let Some(signed_in_at) = user.authenticated_at else {
            return false;
        };
        let oldest = match (self.prompt.login, self.max_age) {
            (true, Some(max_age)) => Some(max_age.min(FRESH_SIGN_IN)),
            (true, None) => Some(FRESH_SIGN_IN),
            (false, max_age) => max_age,
        };
        oldest.is_none_or(|age| now - signed_in_at <= age)
    }

    /// The redirect of an error for this request.
    pub(crate) fn refuse(&self, error: &'static str, description: &str, issuer: &str) -> String {
        error_redirect(
            &self.redirect_uri,
            error,
            description,
            self.state.as_deref(),
            issuer,
        )
    }

    /// Whether the user's standing consent covers every scope asked for.
    pub(crate) async fn consented(
        &self,
        server: &Server,
        user: &AuthUser,
    ) -> Result<bool, OAuthError> {
        let consent = server.repo.find_consent(user.id, self.client.id()).await?;
        Ok(consent.is_some_and(|c| {
            let granted = json_strings(&c.scopes);
            self.scopes.iter().all(|s| granted.contains(s))
        }))
    }

    /// Records the user's consent to these scopes, on top of what they granted before.
    pub(crate) async fn record_consent(
        &self,
        server: &Server,
        core: &YAuthState,
        user: &AuthUser,
    ) -> Result<(), OAuthError> {
        let now = core.now();
        let before = server.repo.find_consent(user.id, self.client.id()).await?;
        let mut scopes = before.map(|c| json_strings(&c.scopes)).unwrap_or_default();
        for scope in &self.scopes {
            if !scopes.contains(scope) {
                scopes.push(scope.clone());
            }
        }
        let consent = Consent {
            id: new_id(),
            user_id: user.id,
            client_id: self.client.id().to_owned(),
            scopes: serde_json::json!(scopes),
            created_at: now,
            updated_at: now,
        };
        server.repo.upsert_consent(&consent).await?;
        Ok(())
    }

    /// Issues a code for `user` and answers the redirect that carries it. The code records the
    /// sign-in (its time and methods), which the tokens and the id_token report.
    pub(crate) async fn issue_code(
        &self,
        server: &Server,
        core: &YAuthState,
        user: &AuthUser,
        issuer: &str,
    ) -> Result<String, OAuthError> {
        let now = core.now();
        let code = random_token();
        let row = AuthorizationCode {
            id: new_id(),
            code_hash: hash_token(&code),
            client_id: self.client.id().to_owned(),
            user_id: user.id,
            scopes: Some(serde_json::json!(self.scopes)),
            redirect_uri: self.redirect_uri.clone(),
            code_challenge: self.code_challenge.clone(),
            code_challenge_method: pkce::S256.to_owned(),
            nonce: self.nonce.clone(),
            auth_time: user.authenticated_at.unwrap_or(now),
            amr: serde_json::json!(user.amr),
            expires_at: now + server.config.authorization_code_ttl,
            used: false,
            created_at: now,
        };
        server.repo.create_authorization_code(&row).await?;
        tracing::info!(client_id = self.client.id(), user_id = %user.id, "authorization code issued");
        Ok(with_query(
            &self.redirect_uri,
            &[
                ("code", Some(code.as_str())),
                ("state", self.state.as_deref()),
                ("iss", Some(issuer)),
            ],
        ))
    }
}

/// The strings of a JSON array; anything else is none.
pub(crate) fn json_strings(value: &serde_json::Value) -> Vec<String> {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

/// `uri` with an error answer in its query (RFC 6749 §4.1.2.1), `state` echoed and `iss`
/// naming this server (RFC 9207, against mix-up attacks).
fn error_redirect(
    uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
    issuer: &str,
) -> String {
    with_query(
        uri,
        &[
            ("error", Some(error)),
            ("error_description", Some(description)),
            ("state", state),
            ("iss", Some(issuer)),
        ],
    )
}

/// `uri` with these parameters appended to its query, keeping the query it has.
fn with_query(uri: &str, pairs: &[(&str, Option<&str>)]) -> String {
    match Url::parse(uri) {
        Ok(mut url) => {
            {
                let mut query = url.query_pairs_mut();
                for (name, value) in pairs {
                    if let Some(value) = value {
                        query.append_pair(name, value);
                    }
                }
            }
            url.into()
        }
        // Registration accepted only absolute URIs, so this is a corrupt row: send nothing.
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_parse_and_none_stands_alone() {
        assert_eq!(parse_prompt(None), Ok(Prompt::default()));
        let both = parse_prompt(Some("login consent")).unwrap();
        assert!(both.login && both.consent && !both.none);
        assert!(parse_prompt(Some("none")).unwrap().none);
        assert!(parse_prompt(Some("none login")).is_err());
        assert!(parse_prompt(Some("select_account")).is_err());
    }

    #[test]
    fn answers_keep_the_redirect_uris_query() {
        let url = with_query(
            "https://rp.example.com/cb?tenant=7",
            &[
                ("code", Some("abc")),
                ("state", None),
                ("iss", Some("https://id.example")),
            ],
        );
        assert_eq!(
            url,
            "https://rp.example.com/cb?tenant=7&code=abc&iss=https%3A%2F%2Fid.example"
        );
        let error = error_redirect(
            "https://rp.example.com/cb",
            "access_denied",
            "no",
            Some("s 1"),
            "x",
        );
        assert_eq!(
            error,
            "https://rp.example.com/cb?error=access_denied&error_description=no&state=s+1&iss=x"
        );
    }
}
