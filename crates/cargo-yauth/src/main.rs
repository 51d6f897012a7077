//! `cargo yauth`: writes yauth's migration files for your ORM from `yauth.toml`.
//!
//! It writes files only; it never connects to a database. Review the files, then apply them with
//! your ORM's tool (`diesel migration run`, `sqlx migrate run`, ...).

mod commands;
mod config;
mod prompt;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Generate yauth's database migrations for your ORM from `yauth.toml`.
#[derive(Debug, Parser)]
#[command(
    name = "cargo yauth",
    bin_name = "cargo yauth",
    version,
    about = "Generate yauth's database migrations for your ORM from yauth.toml",
    long_about = "Generate yauth's database migrations for your ORM from yauth.toml.\n\n\
        cargo yauth writes files only: it never connects to a database. Review the generated \
        migrations, then apply them with your ORM's tool (diesel migration run, sqlx migrate run, \
        sea-orm-cli, ...). Each run writes a new migration only for what changed since the last one."
)]
struct Cli {
    /// Path of the configuration file.
    #[arg(
        short = 'f',
        long = "file",
        global = true,
        default_value = "yauth.toml"
    )]
    file: PathBuf,
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Create yauth.toml and the first migration. Asks for missing choices on a terminal;
    /// otherwise uses the defaults. Never overwrites an existing yauth.toml.
    Init(commands::InitArgs),
    /// Enable plugins and write the migration that creates their tables.
    AddPlugin {
        /// Plugins to enable (e.g. passkey mfa).
        #[arg(required = true, value_name = "PLUGIN")]
        plugins: Vec<String>,
    },
    /// Disable plugins and write the migration that drops their tables (asks first).
    RemovePlugin {
        /// Plugins to disable.
        #[arg(required = true, value_name = "PLUGIN")]
        plugins: Vec<String>,
        /// Drop the plugins' tables without asking (required when stdin is not a terminal).
        #[arg(short, long)]
        yes: bool,
    },
    /// Show the configuration, the plugins and their tables, and whether migrations are up to date.
    Status,
    /// Write the migration for any change to yauth.toml, and refresh generated sources.
    Generate {
        /// Write nothing; fail if files are missing or out of date (for CI).
        #[arg(long, conflicts_with = "dry_run")]
        check: bool,
        /// Print what would be written instead of writing it.
        #[arg(long)]
        dry_run: bool,
    },
}

fn main() -> ExitCode {
    // `cargo yauth ...` runs `cargo-yauth yauth ...`: drop the extra argument.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "yauth") {
        args.remove(1);
    }
    let cli = Cli::parse_from(args);
    let result = match cli.command {
        Command::Init(args) => commands::init(&cli.file, args),
        Command::AddPlugin { plugins } => commands::add_plugin(&cli.file, &plugins),
        Command::RemovePlugin { plugins, yes } => commands::remove_plugin(&cli.file, &plugins, yes),
        Command::Status => commands::status(&cli.file),
        Command::Generate { check, dry_run } => commands::generate(&cli.file, check, dry_run),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
