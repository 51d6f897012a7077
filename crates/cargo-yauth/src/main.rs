//! `cargo yauth`: generates migration files for the user's ORM from `yauth.toml`.

fn main() {}
