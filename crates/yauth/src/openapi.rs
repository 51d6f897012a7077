//! The OpenAPI document's frame; the paths come from the router itself.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder};

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
