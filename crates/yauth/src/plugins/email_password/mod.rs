//! The email-password plugin: registration, login, verification and password management.

pub mod hibp;
mod plugin;
pub mod policy;
mod routes;

pub use crate::login::LoginResponse;
pub use plugin::{EmailPasswordConfig, EmailPasswordPlugin};
pub use routes::{
    ChangePasswordRequest, EmailRequest, LoginRequest, RegisterRequest, ResetPasswordRequest,
    TokenRequest,
};
