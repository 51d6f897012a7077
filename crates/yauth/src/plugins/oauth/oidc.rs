//! OpenID Connect providers: discovery (cached), the authorization request, the code exchange
//! and the id_token checks (signature against the provider's keys, issuer, audience, expiry,
//! nonce, access-token hash), with one key refetch when a token names an unknown key.

use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthType, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    SignatureVerificationError, TokenResponse,
};
use time::OffsetDateTime;
use tokio::sync::RwLock;
use url::Url;

use super::http::ProviderHttp;
use super::identity::{ProviderError, ProviderIdentity, ProviderTokens};
use super::provider::{ClientAuth, ProviderConfig, ResponseMode};

/// A client built from discovered metadata: authorization endpoint set, token and userinfo
/// endpoints as the provider published them.
type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The least time between two key refetches triggered by unknown key ids, so that tokens with
/// made-up `kid`s cannot make yauth hammer the provider.
const KEY_REFETCH_INTERVAL: Duration = Duration::from_secs(60);

struct Discovered {
    metadata: CoreProviderMetadata,
    fetched_at: Instant,
    /// The last refetch of the keys for an unknown key id (discovery's own fetch not counted,
    /// so a rotation right after start-up is picked up at once).
    last_key_refetch: Option<Instant>,
}

/// An OpenID Connect provider and its cached discovery document.
pub(crate) struct OidcProvider {
    config: ProviderConfig,
    issuer: IssuerUrl,
    ttl: Duration,
    cache: RwLock<Option<Discovered>>,
}

impl OidcProvider {
    pub(crate) fn new(config: ProviderConfig, issuer: &str, ttl: Duration) -> Result<Self, String> {
        let issuer = IssuerUrl::new(issuer.to_owned()).map_err(|e| e.to_string())?;
        Ok(Self {
            config,
            issuer,
            ttl,
            cache: RwLock::new(None),
        })
    }

    async fn metadata(&self, http: &ProviderHttp) -> Result<CoreProviderMetadata, ProviderError> {
        if let Some(found) = self.cache.read().await.as_ref()
            && found.fetched_at.elapsed() < self.ttl
        {
            return Ok(found.metadata.clone());
        }
        let mut cache = self.cache.write().await;
        // Another request may have refreshed it while this one waited.
        if let Some(found) = cache.as_ref()
            && found.fetched_at.elapsed() < self.ttl
        {
            return Ok(found.metadata.clone());
        }
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), http)
            .await
            .map_err(|e| ProviderError::Unavailable(format!("discovery: {e}")))?;
        let last_key_refetch = cache.as_ref().and_then(|found| found.last_key_refetch);
        *cache = Some(Discovered {
            metadata: metadata.clone(),
            fetched_at: Instant::now(),
            last_key_refetch,
        });
        Ok(metadata)
    }

    /// Refetches the provider's keys, unless an earlier unknown key did less than a minute ago. Answers the
    /// metadata with the fresh keys, or `None` when no refetch happened.
    async fn refetch_keys(
        &self,
        http: &ProviderHttp,
    ) -> Result<Option<CoreProviderMetadata>, ProviderError> {
        let mut cache = self.cache.write().await;
        let Some(found) = cache.as_mut() else {
            return Ok(None);
        };
        if found
            .last_key_refetch
            .is_some_and(|at| at.elapsed() < KEY_REFETCH_INTERVAL)
        {
            return Ok(None);
        }
        let keys = CoreJsonWebKeySet::fetch_async(found.metadata.jwks_uri(), http)
            .await
            .map_err(|e| ProviderError::Unavailable(format!("key set: {e}")))?;
        found.metadata = found.metadata.clone().set_jwks(keys);
        found.last_key_refetch = Some(Instant::now());
        Ok(Some(found.metadata.clone()))
    }

    fn client(&self, metadata: CoreProviderMetadata) -> Result<DiscoveredClient, ProviderError> {
        let redirect = RedirectUrl::new(self.config.redirect_url.clone())
            .map_err(|e| ProviderError::Unavailable(format!("redirect_url: {e}")))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(redirect)
        .set_auth_type(match self.config.client_auth {
            ClientAuth::Basic => AuthType::BasicAuth,
            ClientAuth::Post => AuthType::RequestBody,
        });
        Ok(client)
    }

    /// The URL to send the browser to: authorization code flow, PKCE S256, the nonce.
    pub(crate) async fn authorize_url(
        &self,
        http: &ProviderHttp,
        state: &str,
        code_verifier: &str,
        nonce: &str,
    ) -> Result<Url, ProviderError> {
        let client = self.client(self.metadata(http).await?)?;
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
            code_verifier.into(),
        ));
        let (state, nonce) = (state.to_owned(), nonce.to_owned());
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .set_pkce_challenge(challenge);
        for scope in self.config.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if self.config.response_mode == ResponseMode::FormPost {
            request = request.add_extra_param("response_mode", "form_post");
        }
        for (name, value) in &self.config.extra_authorize_params {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        Ok(request.url().0)
    }

    /// Whether an `iss` authorization-response parameter (RFC 9207) names this provider.
    pub(crate) fn issuer_matches(&self, iss: &str) -> bool {
        iss == self.issuer.as_str()
    }

    /// Exchanges the code and validates the id_token; the email comes from the id_token, or
    /// from the userinfo endpoint (checked to be about the same subject) when it has none.
    pub(crate) async fn exchange(
        &self,
        http: &ProviderHttp,
        code: &str,
        code_verifier: &str,
        nonce: &str,
        now: OffsetDateTime,
    ) -> Result<(ProviderIdentity, ProviderTokens), ProviderError> {
        let mut client = self.client(self.metadata(http).await?)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| ProviderError::Unavailable(format!("token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(code_verifier.to_owned()))
            .request_async(http)
            .await
            .map_err(|e| ProviderError::TokenExchange(e.to_string()))?;
        let id_token = response.id_token().ok_or_else(|| {
            ProviderError::InvalidIdToken("the token response has no id_token".into())
        })?;
        let nonce = Nonce::new(nonce.to_owned());
        let first = id_token
            .claims(&client.id_token_verifier(), &nonce)
            .cloned();
        let verified = match first {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => match self.refetch_keys(http).await? {
                Some(metadata) => {
                    client = self.client(metadata)?;
                    id_token
                        .claims(&client.id_token_verifier(), &nonce)
                        .cloned()
                }
                None => Err(ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::NoMatchingKey,
                )),
            },
            other => other,
        };
        let claims = verified.map_err(|e| ProviderError::InvalidIdToken(e.to_string()))?;
        if let Some(expected) = claims.access_token_hash() {
            let verifier = client.id_token_verifier();
            let invalid =
                |e: &dyn std::fmt::Display| ProviderError::InvalidIdToken(format!("at_hash: {e}"));
            let alg = id_token.signing_alg().map_err(|e| invalid(&e))?;
            let key = id_token.signing_key(&verifier).map_err(|e| invalid(&e))?;
            let actual = AccessTokenHash::from_token(response.access_token(), alg, key)
                .map_err(|e| invalid(&e))?;
            if actual != *expected {
                return Err(ProviderError::InvalidIdToken(
                    "at_hash does not match the access token".into(),
                ));
            }
        }
        let mut identity = ProviderIdentity {
            subject: claims.subject().as_str().to_owned(),
            email: claims.email().map(|e| e.as_str().to_owned()),
            email_verified: claims.email_verified().unwrap_or(false),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
        };
        if identity.email.is_none() {
            self.add_userinfo(http, &client, response.access_token(), &mut identity)
                .await?;
        }
        Ok((identity, ProviderTokens::from_response(&response, now)))
    }

    async fn add_userinfo(
        &self,
        http: &ProviderHttp,
        client: &DiscoveredClient,
        access_token: &openidconnect::AccessToken,
        identity: &mut ProviderIdentity,
    ) -> Result<(), ProviderError> {
        let subject = openidconnect::SubjectIdentifier::new(identity.subject.clone());
        let Ok(request) = client.user_info(access_token.clone(), Some(subject)) else {
            // No userinfo endpoint: the identity has no email.
            return Ok(());
        };
        let info: CoreUserInfoClaims = request
            .request_async(http)
            .await
            .map_err(|e| ProviderError::Profile(format!("userinfo: {e}")))?;
        identity.email = info.email().map(|e| e.as_str().to_owned());
        identity.email_verified = info.email_verified().unwrap_or(false);
        if identity.name.is_none() {
            identity.name = info
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned());
        }
        Ok(())
    }
}
