//! The subcommands.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use yauth_migration::{DEFAULT_TABLE_PREFIX, Dialect, FileChange, Orm, Plan, Plugin, SchemaConfig};

use crate::config::{ConfigFile, Settings, push_plugins, refuse_overwrite, remove_plugins};
use crate::prompt;

/// `init`'s choices; each one missing is asked on a terminal, or takes its default.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// ORM: diesel, sqlx, seaorm or toasty [default: diesel].
    #[arg(long)]
    orm: Option<String>,
    /// SQL dialect: postgres, mysql or sqlite [default: postgres].
    #[arg(long)]
    dialect: Option<String>,
    /// Comma-separated plugins, e.g. email-password,passkey,mfa [default: email-password];
    /// an empty string enables none (core tables only).
    #[arg(long)]
    plugins: Option<String>,
    /// Directory for the migrations, relative to yauth.toml [default: migrations].
    #[arg(long)]
    migrations_dir: Option<String>,
    /// Prefix of every yauth table [default: yauth_].
    #[arg(long)]
    table_prefix: Option<String>,
    /// PostgreSQL schema for the yauth tables (postgres only) [default: none].
    #[arg(long)]
    pg_schema: Option<String>,
}

/// An unknown plugin name, with what to do when the yauth in use is newer than this CLI.
pub(crate) fn unknown_plugin_hint(error: yauth_migration::UnknownPlugin) -> String {
    format!(
        "{error}. This is cargo-yauth {}: if your yauth is newer, install the matching CLI \
         (`cargo install cargo-yauth --version <your yauth version>`, or \
         `cargo install --path crates/cargo-yauth` from a yauth checkout)",
        env!("CARGO_PKG_VERSION")
    )
}

/// Parses plugin names, each argument possibly comma-separated.
fn parse_plugins<S: AsRef<str>>(names: &[S]) -> Result<Vec<Plugin>> {
    let mut out = Vec::new();
    for name in names
        .iter()
        .flat_map(|n| n.as_ref().split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let plugin: Plugin = name
            .parse()
            .map_err(|e| anyhow::anyhow!(unknown_plugin_hint(e)))?;
        if !out.contains(&plugin) {
            out.push(plugin);
        }
    }
    Ok(out)
}

/// How a missing dependency can be fixed, for each command.
#[derive(Clone, Copy)]
enum Fix {
    Init,
    Add,
    Remove,
}

fn check_dependencies(plugins: &[Plugin], fix: Fix) -> Result<()> {
    Plugin::check_dependencies(plugins).map_err(|e| {
        let (plugin, requires) = (e.plugin, e.requires);
        match fix {
            Fix::Init => anyhow!("{e}; add `{requires}` to --plugins"),
            Fix::Add => anyhow!("{e}; enable both: cargo yauth add-plugin {requires} {plugin}"),
            Fix::Remove => anyhow!("{e}; remove `{plugin}` as well, or keep `{requires}`"),
        }
    })
}

/// A value from the flag, a prompt on a terminal, or the default.
/// Records, without a terminal, which choices took their default (`--flag=value`).
fn choose<T>(
    flag: Option<String>,
    (name, question): (&str, &str),
    default: &str,
    defaulted: &mut Vec<String>,
    parse: impl Fn(&str) -> Result<T>,
) -> Result<T> {
    match flag {
        Some(value) => parse(&value),
        None if prompt::interactive() => prompt::ask(question, default, parse),
        None => {
            defaulted.push(format!("--{name}={default}"));
            parse(default)
        }
    }
}

fn print_plan(plan: &Plan) {
    for change in &plan.changes {
        match change {
            FileChange::Write { path, .. } => println!("  wrote   {}", path.display()),
            FileChange::Delete { path } => println!("  deleted {}", path.display()),
        }
    }
}

fn apply(plan: &Plan, orm: Orm) -> Result<()> {
    plan.apply()?;
    print_plan(plan);
    match (&plan.migration, orm) {
        (Some(name), Orm::Toasty) => {
            println!("Schema changed ({name}); Toasty creates tables itself.")
        }
        (Some(name), _) => println!(
            "New migration {name}: review it, then apply it with your ORM's migration tool."
        ),
        (None, _) if plan.is_empty() => println!("Migrations are up to date."),
        (None, _) => println!("No schema change; generated files refreshed."),
    }
    Ok(())
}

/// `cargo yauth init`.
pub fn init(path: &Path, args: InitArgs) -> Result<()> {
    refuse_overwrite(path)?;
    let mut defaulted = Vec::new();
    let orm = choose(
        args.orm,
        ("orm", "ORM (diesel, sqlx, seaorm, toasty)"),
        "diesel",
        &mut defaulted,
        |s| Ok(s.parse::<Orm>()?),
    )?;
    let dialect = choose(
        args.dialect,
        ("dialect", "SQL dialect (postgres, mysql, sqlite)"),
        "postgres",
        &mut defaulted,
        |s| Ok(s.parse::<Dialect>()?),
    )?;
    let plugins = choose(
        args.plugins,
        (
            "plugins",
            "Plugins, comma-separated (see `cargo yauth status` for the list)",
        ),
        "email-password",
        &mut defaulted,
        |s| {
            let plugins = parse_plugins(&[s])?;
            check_dependencies(&plugins, Fix::Init)?;
            Ok(plugins)
        },
    )?;
    let migrations_dir = choose(
        args.migrations_dir,
        ("migrations-dir", "Migrations directory"),
        "migrations",
        &mut defaulted,
        |s| Ok(s.to_owned()),
    )?;
    let table_prefix = choose(
        args.table_prefix,
        ("table-prefix", "Table prefix"),
        DEFAULT_TABLE_PREFIX,
        &mut defaulted,
        |s| {
            let config = SchemaConfig::new(dialect, []).with_table_prefix(s);
            config.validate()?;
            Ok(s.to_owned())
        },
    )?;
    let pg_schema = match args.pg_schema {
        Some(s) => Some(s),
        None if dialect == Dialect::Postgres && prompt::interactive() => {
            let s = prompt::ask("PostgreSQL schema (`-` for the search path)", "-", |s| {
                Ok(s.to_owned())
            })?;
            (s != "-").then_some(s)
        }
        None => None,
    };
    let settings = Settings {
        orm,
        dialect,
        migrations_dir,
        table_prefix,
        pg_schema,
        plugins,
    };
    let text = settings.to_toml();
    // Validate and plan before anything is written.
    let settings = ConfigFile::parse(path, &text)?;
    let plan = settings.generator(path).plan()?;
    std::fs::write(path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    println!("Created {} ({orm}, {dialect}).", path.display());
    if !defaulted.is_empty() {
        println!(
            "Defaults used (no terminal to ask): {}. Change them in {} before applying the migrations.",
            defaulted.join(" "),
            path.display()
        );
    }
    apply(&plan, orm)
}

/// `cargo yauth add-plugin`.
pub fn add_plugin(path: &Path, names: &[String]) -> Result<()> {
    let file = ConfigFile::load(path)?;
    let requested = parse_plugins(names)?;
    let new: Vec<Plugin> = requested
        .iter()
        .copied()
        .filter(|p| !file.settings.plugins.contains(p))
        .collect();
    if new.is_empty() {
        println!("Already enabled: {}.", join(&requested));
        return Ok(());
    }
    let mut all = file.settings.plugins.clone();
    all.extend(&new);
    check_dependencies(&all, Fix::Add)?;
    let text = file.edit_plugins(|array| push_plugins(array, &new))?;
    let settings = ConfigFile::parse(path, &text)?;
    let plan = settings.generator(path).plan()?;
    file.write(&text)?;
    println!("Enabled {}.", join(&new));
    apply(&plan, settings.orm)
}

/// `cargo yauth remove-plugin`.
pub fn remove_plugin(path: &Path, names: &[String], yes: bool) -> Result<()> {
    let file = ConfigFile::load(path)?;
    let removed = parse_plugins(names)?;
    if let Some(p) = removed.iter().find(|p| !file.settings.plugins.contains(p)) {
        bail!("plugin `{p}` is not enabled in {}", path.display());
    }
    let remaining: Vec<Plugin> = file
        .settings
        .plugins
        .iter()
        .copied()
        .filter(|p| !removed.contains(p))
        .collect();
    check_dependencies(&remaining, Fix::Remove)?;
    let text = file.edit_plugins(|array| remove_plugins(array, &removed))?;
    let settings = ConfigFile::parse(path, &text)?;
    let plan = settings.generator(path).plan()?;
    if !plan.dropped_tables.is_empty() && !yes {
        let tables = plan.dropped_tables.join(", ");
        if !prompt::interactive() {
            bail!(
                "removing {} writes a migration that drops tables {tables} and their data; \
                 re-run with --yes to confirm (stdin is not a terminal, so cargo yauth cannot ask)",
                join(&removed)
            );
        }
        if !prompt::confirm(&format!(
            "The new migration drops tables {tables} and all their rows. Continue?"
        ))? {
            bail!("cancelled; nothing was changed");
        }
    }
    file.write(&text)?;
    println!("Disabled {}.", join(&removed));
    apply(&plan, settings.orm)
}

/// `cargo yauth status`.
pub fn status(path: &Path) -> Result<()> {
    let file = ConfigFile::load(path)?;
    let s = &file.settings;
    let generator = s.generator(path);
    let target = s.schema_config().target();
    println!("Config:         {}", path.display());
    println!("ORM:            {}", s.orm);
    println!("Dialect:        {}", s.dialect);
    println!("Migrations:     {}", generator.migrations_dir.display());
    println!("Table prefix:   {}", s.table_prefix);
    println!(
        "PG schema:      {}",
        s.pg_schema.as_deref().unwrap_or("(search path)")
    );
    println!("\nPlugins:");
    for plugin in Plugin::ALL {
        let mark = if s.plugins.contains(&plugin) {
            "[x]"
        } else {
            "[ ]"
        };
        let tables: Vec<String> = plugin
            .tables()
            .iter()
            .map(|t| target.table_name(t))
            .collect();
        let tables = if tables.is_empty() {
            "no tables".to_owned()
        } else {
            tables.join(", ")
        };
        let requires = if plugin.requires().is_empty() {
            String::new()
        } else {
            format!(" (requires {})", join(plugin.requires()))
        };
        println!("  {mark} {plugin:<16} {tables}{requires}");
    }
    let recorded = generator
        .snapshot()?
        .map(|s| s.migrations)
        .unwrap_or_default();
    println!("\nMigrations written: {}", recorded.len());
    for name in &recorded {
        println!("  {name}");
    }
    let plan = generator.plan()?;
    if plan.is_empty() {
        println!("\nUp to date.");
    } else {
        println!("\nOut of date: `cargo yauth generate` would change:");
        for change in &plan.changes {
            println!("  {}", change.path().display());
        }
    }
    Ok(())
}

/// `cargo yauth generate`.
pub fn generate(path: &Path, check: bool, dry_run: bool) -> Result<()> {
    let file = ConfigFile::load(path)?;
    let plan = file.settings.generator(path).plan()?;
    if check {
        if plan.is_empty() {
            println!("Migrations are up to date.");
            return Ok(());
        }
        let files: Vec<String> = plan
            .changes
            .iter()
            .map(|c| format!("  {}", c.path().display()))
            .collect();
        bail!(
            "migrations are out of date with {}; run `cargo yauth generate`. Files that would change:\n{}",
            path.display(),
            files.join("\n")
        );
    }
    if dry_run {
        if plan.is_empty() {
            println!("Migrations are up to date; nothing would be written.");
        }
        for change in &plan.changes {
            match change {
                FileChange::Write { path, contents } => {
                    println!("would write {}:\n{contents}", path.display());
                }
                FileChange::Delete { path } => println!("would delete {}", path.display()),
            }
        }
        return Ok(());
    }
    apply(&plan, file.settings.orm)
}

fn join(plugins: &[Plugin]) -> String {
    plugins
        .iter()
        .map(|p| p.name())
        .collect::<Vec<_>>()
        .join(", ")
}
