//! The email-password plugin: registration, login, verification and password management.

pub mod hibp;
mod plugin;
pub mod policy;
mod routes;

pub use plugin::{EmailPasswordConfig, EmailPasswordPlugin};
pub use routes::{
    ChangePasswordRequest, EmailRequest, LoginRequest, LoginResponse, RegisterRequest,
    ResetPasswordRequest, TokenRequest,
};
