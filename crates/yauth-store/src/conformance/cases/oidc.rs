//! `OidcRepository`: nonces bound to authorization codes.

use std::sync::Arc;

use time::Duration;
use yauth_entity::{AuthorizationCode, OidcNonce, new_id};

use crate::conformance::fixtures::*;
use crate::{OidcRepository, Repositories};

fn repo(repos: &Repositories) -> Arc<dyn OidcRepository> {
    need(&repos.oidc, "oidc")
}

async fn stored_code(repos: &Repositories) -> AuthorizationCode {
    let client = create_oauth2_client(repos).await;
    let user = create_user(repos).await;
    let code = authorization_code(&client.client_id, user.id, now() + Duration::minutes(5));
    let server = need(&repos.oauth2_server, "oauth2-server");
    server
        .create_authorization_code(&code)
        .await
        .expect("create_authorization_code");
    code
}

fn nonce(code: &AuthorizationCode) -> OidcNonce {
    OidcNonce {
        id: new_id(),
        nonce_hash: token_hash(),
        authorization_code_id: code.id,
        created_at: now(),
    }
}

/// A nonce is found by its authorization code with every field.
pub async fn oidc_nonce_create_and_find(repos: Repositories) {
    let code = stored_code(&repos).await;
    let row = nonce(&code);
    repo(&repos)
        .create_oidc_nonce(&row)
        .await
        .expect("create_oidc_nonce");
    let found = repo(&repos)
        .find_oidc_nonce(code.id)
        .await
        .expect("find_oidc_nonce");
    assert_eq!(found, Some(row), "the stored nonce");
    let none = repo(&repos)
        .find_oidc_nonce(new_id())
        .await
        .expect("find_oidc_nonce");
    assert_eq!(none, None, "unknown code: none");
}

/// A nonce for an unknown authorization code is `NotFound`.
pub async fn oidc_nonce_unknown_code_not_found(repos: Repositories) {
    let orphan = OidcNonce {
        authorization_code_id: new_id(),
        ..nonce(&stored_code(&repos).await)
    };
    let result = repo(&repos).create_oidc_nonce(&orphan).await;
    assert_not_found(
        result,
        "create_oidc_nonce for an unknown authorization code",
    );
}

/// A nonce goes with its authorization code (deleted with the client).
pub async fn oidc_nonce_cascades_with_code(repos: Repositories) {
    let code = stored_code(&repos).await;
    repo(&repos)
        .create_oidc_nonce(&nonce(&code))
        .await
        .expect("create_oidc_nonce");
    let server = need(&repos.oauth2_server, "oauth2-server");
    server
        .delete_oauth2_client(&code.client_id)
        .await
        .expect("delete_oauth2_client");
    let found = repo(&repos)
        .find_oidc_nonce(code.id)
        .await
        .expect("find_oidc_nonce");
    assert_eq!(found, None, "nonces cascade with their authorization code");
}
