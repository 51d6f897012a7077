//! `cargo run -p yauth-example-full`: serves the full example (see the crate README for its
//! environment variables).

use std::net::SocketAddr;

use yauth_example_full::{API_PREFIX, Error, Settings, app, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let otlp = telemetry::init()?;
    let settings = Settings::from_env()?;
    let app = app(&settings).await?;
    let listener = tokio::net::TcpListener::bind(settings.addr).await?;
    tracing::info!(
        "yauth full example listening on {} (public URL {}, API under {API_PREFIX}, emails in {})",
        settings.addr,
        settings.base_url,
        settings.mail_log.display()
    );
    // Client addresses feed the per-IP rate limits and session binding.
    axum::serve(
        listener,
        app.router
            .clone()
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    // Only now: `app.yauth` runs the purge of expired rows for as long as the server serves.
    drop(app);
    // Flushes what is buffered; the exporters send on this runtime, so not from its thread.
    if let Some(otlp) = otlp {
        tokio::task::spawn_blocking(move || otlp.shutdown()).await??;
    }
    Ok(())
}
