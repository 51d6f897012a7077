//! What the token service issues to the OAuth clients of the oauth2-server plugin: client
//! credentials, user grants (codes, device approvals) and their refresh, revocation, and
//! introspection.

use std::sync::Arc;

use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{JtiRevocation, RefreshToken, new_id};
use yauth_store::{RefreshTokenSeed, RotateOutcome, StoreResult, UserRepository};

use super::{Grant, Tokens, VerifyError, scopes_of};
use crate::crypto::{hash_token, random_token};
use crate::error::ApiError;
use crate::plugins::bearer::jwt::AccessClaims;

/// What an OAuth client is granted for a user by the authorization code.
pub(crate) struct UserGrant<'a> {
    pub user_id: Uuid,
    pub client_id: &'a str,
    pub scopes: Vec<String>,
    /// When and how the user signed in, where the grant recorded it (a code does; a device
    /// approval does not).
    pub sign_in: Option<(OffsetDateTime, Vec<String>)>,
    /// The refresh family: the authorization code's id.
    pub family_id: Uuid,
    /// Issue a refresh token too.
    pub with_refresh: bool,
}

/// Tokens issued to an OAuth client.
pub(crate) struct ClientTokens {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: Option<String>,
    /// The scopes of the access token.
    pub scopes: Vec<String>,
}

/// Why a client's refresh was refused: RFC 6749 §5.2's `invalid_grant` (with a description)
/// or `invalid_scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientRefreshRefusal {
    InvalidGrant(&'static str),
    InvalidScope,
}

impl Tokens {
    /// An access token a client gets for itself (client credentials, RFC 6749 §4.4): `sub` and
    /// `client_id` name the client, there is no refresh token, and the `jti` is new. Returns
    /// the token and its lifetime in seconds.
    pub async fn issue_for_client(
        &self,
        client_id: &str,
        scopes: Vec<String>,
    ) -> Result<(String, i64), ApiError> {
        let grant = Grant {
            subject: client_id.to_owned(),
            client_id: Some(client_id),
            scopes: Some(scopes),
            sign_in: None,
        };
        let token = self
            .sign_access_token(&grant, new_id(), self.clock.now())
            .await?;
        Ok((token, self.config.access_token_ttl.whole_seconds()))
    }

    /// The tokens of an authorization-code grant: an access token for the user (with the
    /// sign-in's time and methods) and, when asked, the first refresh token of the family
    /// `family_id` (the code's id, so a replayed code finds what it issued). The access
    /// token's `jti` is the refresh token's id, or the family id without one.
    pub async fn issue_for_user_grant(
        &self,
        grant: UserGrant<'_>,
    ) -> Result<ClientTokens, ApiError> {
        let now = self.clock.now();
        let (jti, refresh_token) = if grant.with_refresh {
            let refresh = random_token();
            let row = RefreshToken {
                id: new_id(),
                user_id: grant.user_id,
                token_hash: hash_token(&refresh),
                family_id: grant.family_id,
                client_id: Some(grant.client_id.to_owned()),
                scopes: Some(serde_json::json!(grant.scopes)),
                expires_at: now + self.config.refresh_token_ttl,
                revoked: false,
                created_at: now,
            };
            self.repo.create_refresh_token(&row).await?;
            (row.id, Some(refresh))
        } else {
            (grant.family_id, None)
        };
        let claims = Grant {
            subject: grant.user_id.to_string(),
            client_id: Some(grant.client_id),
            scopes: Some(grant.scopes.clone()),
            sign_in: grant.sign_in,
        };
        let access_token = self.sign_access_token(&claims, jti, now).await?;
        Ok(ClientTokens {
            access_token,
            expires_in: self.config.access_token_ttl.whole_seconds(),
            refresh_token,
            scopes: grant.scopes,
        })
    }

    /// Rotates a refresh token of the OAuth client `client_id`, answering the new pair, with
    /// the access token narrowed to `requested` scopes when given (within the grant's). A
    /// reused token revokes its family, as on the first-party endpoint.
    pub async fn refresh_for_client(
        &self,
        refresh_token: &str,
        client_id: &str,
        requested: Option<&str>,
        users: &dyn UserRepository,
    ) -> Result<Result<ClientTokens, ClientRefreshRefusal>, ApiError> {
        use ClientRefreshRefusal::*;
        let now = self.clock.now();
        let hash = hash_token(refresh_token);
        let Some(found) = self.repo.find_refresh_token(&hash).await? else {
            return Ok(Err(InvalidGrant("unknown refresh token")));
        };
        if found.client_id.as_deref() != Some(client_id) {
            return Ok(Err(InvalidGrant(
                "the refresh token was issued to another client",
            )));
        }
        let granted = scopes_of(found.scopes.as_ref()).unwrap_or_default();
        let scopes = match requested.filter(|r| !r.trim().is_empty()) {
            None => granted,
            Some(requested) => {
                let narrowed: Vec<String> = requested
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                if narrowed.iter().any(|s| !granted.contains(s)) {
                    return Ok(Err(InvalidScope));
                }
                narrowed
            }
        };
        let refresh = random_token();
        let seed = RefreshTokenSeed {
            id: new_id(),
            token_hash: hash_token(&refresh),
            expires_at: now + self.config.refresh_token_ttl,
            created_at: now,
        };
        match self.repo.rotate_refresh_token(&hash, &seed, now).await? {
            RotateOutcome::Rotated { previous, issued } => {
                let user = users.find_user(previous.user_id).await?;
                if user.is_none_or(|u| u.is_banned_at(now)) {
                    self.revoke_family(previous.user_id, previous.family_id, now)
                        .await?;
                    return Ok(Err(InvalidGrant("the user can no longer sign in")));
                }
                let claims = Grant {
                    subject: previous.user_id.to_string(),
                    client_id: Some(client_id),
                    scopes: Some(scopes.clone()),
                    sign_in: None,
                };
                let access_token = self.sign_access_token(&claims, issued.id, now).await?;
                Ok(Ok(ClientTokens {
                    access_token,
                    expires_in: self.config.access_token_ttl.whole_seconds(),
                    refresh_token: Some(refresh),
                    scopes,
                }))
            }
            RotateOutcome::Reused { family_id, user_id } => {
                tracing::warn!(%user_id, %family_id, client_id, "client refresh token reused: family revoked");
                self.revoke_live_access_tokens(user_id, Some(family_id), now)
                    .await?;
                Ok(Err(InvalidGrant(
                    "the refresh token was already used; every token of its grant is revoked",
                )))
            }
            RotateOutcome::Invalid => Ok(Err(InvalidGrant("expired or revoked refresh token"))),
        }
    }

    /// Revokes what an authorization-code grant issued (its code was replayed): the refresh
    /// family, the access tokens issued with it, and the access token issued without a
    /// refresh token, whose `jti` is the family id.
    pub async fn revoke_user_grant(&self, user_id: Uuid, family_id: Uuid) -> StoreResult<()> {
        let now = self.clock.now();
        self.revoke_family(user_id, family_id, now).await?;
        self.repo
            .revoke_jti(&JtiRevocation {
                jti: family_id.to_string(),
                expires_at: now + self.access_lifetime(),
                created_at: now,
            })
            .await
    }

    /// Revokes the grant of a refresh token issued to `client_id` (RFC 7009): its family and
    /// the access tokens issued with it. `false` for an unknown token or another client's.
    pub async fn revoke_client_refresh(
        &self,
        refresh_token: &str,
        client_id: &str,
    ) -> StoreResult<bool> {
        let found = self
            .repo
            .find_refresh_token(&hash_token(refresh_token))
            .await?;
        let Some(token) = found.filter(|t| t.client_id.as_deref() == Some(client_id)) else {
            return Ok(false);
        };
        self.revoke_user_grant(token.user_id, token.family_id)
            .await?;
        Ok(true)
    }

    /// The refresh token, if it was issued to `client_id` and is live (not used, revoked or
    /// expired), for introspection.
    pub async fn live_client_refresh(
        &self,
        refresh_token: &str,
        client_id: &str,
    ) -> StoreResult<Option<RefreshToken>> {
        let now = self.clock.now();
        let found = self
            .repo
            .find_refresh_token(&hash_token(refresh_token))
            .await?;
        Ok(found.filter(|t| {
            t.client_id.as_deref() == Some(client_id) && !t.revoked && t.expires_at > now
        }))
    }

    /// Revokes every grant of `user_id` to the client `client_id` (the user withdrew consent).
    pub async fn revoke_client_grants(&self, user_id: Uuid, client_id: &str) -> StoreResult<()> {
        let issued = self
            .repo
            .list_user_refresh_tokens(user_id, OffsetDateTime::UNIX_EPOCH)
            .await?;
        let mut families: Vec<Uuid> = issued
            .iter()
            .filter(|t| t.client_id.as_deref() == Some(client_id))
            .map(|t| t.family_id)
            .collect();
        families.sort_unstable();
        families.dedup();
        for family in families {
            self.revoke_user_grant(user_id, family).await?;
        }
        Ok(())
    }

    /// Puts a verified access token on the revocation list until it would have expired.
    pub async fn revoke_access_token(&self, claims: &AccessClaims) -> StoreResult<()> {
        let now = self.clock.now();
        let expires = OffsetDateTime::from_unix_timestamp(claims.exp)
            .map_or(now + self.access_lifetime(), |exp| exp + self.config.leeway);
        self.repo
            .revoke_jti(&JtiRevocation {
                jti: claims.jti.clone(),
                expires_at: expires,
                created_at: now,
            })
            .await
    }

    /// The issuer and audience of the tokens this service issues.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The claims of `token` if it is active (RFC 7662): valid as [`verify`](Self::verify)
    /// checks it, and not revoked, whether or not `check_revocation` is on, since introspection
    /// is how a resource server learns of revocation. `None` for a bad, expired or revoked token.
    pub async fn introspect(&self, token: &str) -> Result<Option<Arc<AccessClaims>>, VerifyError> {
        let claims = match self.verify(token).await {
            Ok(claims) => claims,
            Err(VerifyError::Token(kind)) => {
                tracing::debug!(%kind, "introspected token inactive");
                return Ok(None);
            }
            Err(other) => return Err(other),
        };
        if !self.config.check_revocation
            && self
                .repo
                .is_jti_revoked(&claims.jti, self.clock.now())
                .await?
        {
            return Ok(None);
        }
        Ok(Some(claims))
    }
}
