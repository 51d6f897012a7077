//! The OpenAPI document's frame; the paths come from the router itself.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder};
use utoipa_axum::router::OpenApiRouter;

/// Title, version and security schemes.
pub(crate) fn base_document() -> OpenApi {
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("yauth")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Authentication API. Paths are relative to where the router is nested.",
                ))
                .build(),
        )
        .build()
}

/// Adds the security schemes once every route is in.
pub(crate) fn finish(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("yauth_session"))),
    );
}

/// Marks every operation of the protected router as requiring authentication, so generated
/// clients know which calls need the session cookie.
pub(crate) fn require_session(router: OpenApiRouter) -> OpenApiRouter {
    let mut router = router;
    for item in router.get_openapi_mut().paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            operation
                .security
                .get_or_insert_with(Vec::new)
                .push(SecurityRequirement::new("session", Vec::<String>::new()));
        }
    }
    router
}
