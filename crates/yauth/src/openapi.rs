//! The OpenAPI document's frame; the paths come from the router itself.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Ref, RefOr, ResponseBuilder,
};
use utoipa_axum::router::OpenApiRouter;

use crate::state::YAuthState;

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

/// Adds the security schemes (the session cookie, under the name the deployment really uses,
/// and every plugin's) and the errors every operation of a kind can answer, once every route is
/// in.
pub(crate) fn finish(doc: &mut OpenApi, state: &YAuthState) {
    document_common_errors(doc);
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
            state.derived().cookie_name.clone(),
        ))),
    );
    for plugin in state.plugins() {
        for (name, scheme) in plugin.security_schemes() {
            components.add_security_scheme(name, scheme);
        }
    }
}

/// Marks every operation of the protected router as requiring authentication: the session
/// cookie, or any scheme a plugin's authenticator accepts (bearer tokens, API keys), each an
/// alternative, so generated clients know which calls need which credential.
pub(crate) fn require_authentication(router: OpenApiRouter, state: &YAuthState) -> OpenApiRouter {
    let mut schemes = vec!["session"];
    for plugin in state.plugins() {
        schemes.extend(plugin.security_schemes().into_iter().map(|(name, _)| name));
    }
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
            let security = operation.security.get_or_insert_with(Vec::new);
            for scheme in &schemes {
                security.push(SecurityRequirement::new(*scheme, Vec::<String>::new()));
            }
        }
    }
    router
}

/// The statuses that come from the shared layers rather than from a handler, added to every
/// operation they apply to, so the document lists every status a route can answer:
///
/// - a JSON body: 400 (malformed or invalid input), 413 (too large), 415 (not JSON);
/// - a path parameter: 400 (`invalid_path`);
/// - authentication required: 401, and for unsafe methods 403 (`csrf_rejected`);
/// - every operation: 503 (storage unavailable, or password hashing at capacity).
fn document_common_errors(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let methods = [
            (&mut item.get, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.patch, true),
            (&mut item.delete, true),
        ];
        for (operation, unsafe_method) in methods {
            let Some(operation) = operation else { continue };
            if operation.request_body.is_some() {
                add_error(
                    operation,
                    "400",
                    "The request is malformed or fails validation.",
                );
                add_error(operation, "413", "The request body is too large.");
                add_error(operation, "415", "The request body is not JSON.");
            }
            let has_path_param = operation
                .parameters
                .iter()
                .flatten()
                .any(|p| p.parameter_in == ParameterIn::Path);
            if has_path_param {
                add_error(
                    operation,
                    "400",
                    "The request is malformed or fails validation.",
                );
            }
            if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                add_error(operation, "401", "Authentication is required.");
                if unsafe_method {
                    add_error(
                        operation,
                        "403",
                        "Refused: cross-site request, or not allowed for this account.",
                    );
                }
            }
            add_error(operation, "503", "The service is temporarily unavailable.");
        }
    }
}

/// Adds an error response with the [`ErrorBody`](crate::error::ErrorBody) schema unless the
/// handler already documents that status.
fn add_error(operation: &mut Operation, status: &str, description: &str) {
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        });
}
