//! Writes the OpenAPI document of yauth with every compiled plugin enabled.
//!
//! ```sh
//! cargo run -p yauth --example openapi --features full -- packages/client/openapi.json
//! ```
//!
//! Without a path it prints to stdout.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let json = yauth::full_openapi_json().await?;
    match std::env::args().nth(1) {
        Some(path) => std::fs::write(&path, json)?,
        None => print!("{json}"),
    }
    Ok(())
}
