//! The span of every request yauth serves.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing::field::Empty;

/// Wraps the request in an INFO span (target `yauth::http`) with OpenTelemetry's HTTP server
/// attributes: `http.request.method`, `http.route` (the route template, never the path, which
/// can carry tokens) and `http.response.status_code`; a 5xx marks the span failed. Nothing from
/// the query, the headers or the body is recorded.
pub(crate) async fn trace_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned());
    let span = tracing::info_span!(
        target: "yauth::http",
        "request",
        otel.name = %OtelName(&method, route.as_deref()),
        otel.kind = "server",
        http.request.method = %method,
        http.route = route.as_deref(),
        http.response.status_code = Empty,
        error.type = Empty,
        otel.status_code = Empty,
    );
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    span.record("http.response.status_code", i64::from(status.as_u16()));
    if status.is_server_error() {
        span.record("error.type", status.as_str());
        span.record("otel.status_code", "ERROR");
    }
    response
}

/// `{method} {route}`, or the method alone when no route matched.
struct OtelName<'a>(&'a axum::http::Method, Option<&'a str>);

impl std::fmt::Display for OtelName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.1 {
            Some(route) => write!(f, "{} {route}", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}
