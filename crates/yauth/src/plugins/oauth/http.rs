//! The HTTP client the OAuth 2 and OpenID Connect crates call providers with: yauth's one
//! reqwest, with redirects off (a redirect could point a back-channel request anywhere), a
//! timeout, and a cap on response bodies.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};

/// Largest provider response read (discovery documents, key sets, tokens, profiles).
const MAX_BODY: usize = 1024 * 1024;

/// A request to a provider failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HttpError {
    /// The transport failed (connection, TLS, timeout).
    #[error("request to the provider failed: {0}")]
    Transport(#[from] reqwest::Error),
    /// The provider's answer was larger than [`MAX_BODY`].
    #[error("the provider's response is larger than {MAX_BODY} bytes")]
    TooLarge,
    /// The answer could not be rebuilt as an HTTP response.
    #[error("invalid response from the provider: {0}")]
    Invalid(#[from] http::Error),
}

/// Provider HTTP client.
#[derive(Debug, Clone)]
pub(crate) struct ProviderHttp {
    client: reqwest::Client,
}

impl ProviderHttp {
    pub(crate) fn new(timeout: Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("yauth/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client })
    }

    /// GET with a bearer token, answering the JSON body (the profile endpoints).
    pub(crate) async fn get_json(
        &self,
        url: &str,
        access_token: &str,
    ) -> Result<(http::StatusCode, serde_json::Value), HttpError> {
        let response = self
            .client
            .get(url)
            .bearer_auth(access_token)
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await?;
        let status = response.status();
        let body = read_capped(response).await?;
        Ok((
            status,
            serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        ))
    }

    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let response = self
            .client
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers)
            .body(body)
            .send()
            .await?;
        let mut builder = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let body = read_capped(response).await?;
        Ok(builder.body(body)?)
    }
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, HttpError> {
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY as u64)
    {
        return Err(HttpError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(HttpError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl<'c> AsyncHttpClient<'c> for ProviderHttp {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.execute(request))
    }
}
