//! The email-password plugin: registration, login, verification and password management.

mod config;
pub mod hibp;
mod plugin;
pub mod policy;
mod routes;
pub mod templates;

pub use crate::login::LoginResponse;
pub use config::{EmailPasswordConfig, EmailPasswordRateLimits};
pub use plugin::EmailPasswordPlugin;
#[cfg(feature = "bearer")]
pub use routes::PasswordTokenRequest;
pub use routes::{
    ChangePasswordRequest, EmailRequest, LoginRequest, RegisterRequest, ResetPasswordRequest,
    TokenRequest,
};
