//! `yauth.toml`: reading with precise error locations, and edits that keep comments and layout.

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use toml_edit::{Array, Document, DocumentMut, Item, Table, Value};
use yauth_migration::{DEFAULT_TABLE_PREFIX, Dialect, Generator, Orm, Plugin, SchemaConfig};

/// The settings of `yauth.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// ORM the files are written for.
    pub orm: Orm,
    /// SQL dialect.
    pub dialect: Dialect,
    /// Migrations directory, relative to the config file.
    pub migrations_dir: String,
    /// Table prefix.
    pub table_prefix: String,
    /// PostgreSQL schema.
    pub pg_schema: Option<String>,
    /// Enabled plugins, in file order.
    pub plugins: Vec<Plugin>,
}

impl Settings {
    /// The schema configuration.
    pub fn schema_config(&self) -> SchemaConfig {
        let config = SchemaConfig::new(self.dialect, self.plugins.iter().copied())
            .with_table_prefix(&self.table_prefix);
        match &self.pg_schema {
            Some(schema) => config.with_pg_schema(schema),
            None => config,
        }
    }

    /// The generator for a config file at `path`.
    pub fn generator(&self, path: &Path) -> Generator {
        let base = path.parent().unwrap_or(Path::new(""));
        Generator::new(
            self.orm,
            self.schema_config(),
            base.join(&self.migrations_dir),
        )
    }

    /// A new `yauth.toml`, with a comment on every setting.
    pub fn to_toml(&self) -> String {
        let schema = match &self.pg_schema {
            Some(s) => format!("pg_schema = \"{s}\"\n"),
            None => "# pg_schema = \"auth\"\n".to_owned(),
        };
        let plugins = self
            .plugins
            .iter()
            .map(|p| format!("\"{p}\""))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "# yauth configuration, read by `cargo yauth`. It holds no secrets: keep database URLs,\n\
             # signing keys and passwords in your environment.\n\
             \n\
             [migration]\n\
             # ORM the migration files are written for: \"diesel\" | \"sqlx\" | \"seaorm\" | \"toasty\"\n\
             orm = \"{}\"\n\
             # SQL dialect: \"postgres\" | \"mysql\" | \"sqlite\"\n\
             dialect = \"{}\"\n\
             # Where the migration files go, relative to this file\n\
             migrations_dir = \"{}\"\n\
             # Prefix of every yauth table\n\
             table_prefix = \"{}\"\n\
             # PostgreSQL schema holding the yauth tables (postgres only; default: the search path)\n\
             {schema}\
             \n\
             [plugins]\n\
             # Plugins with tables get migrations; see `cargo yauth status` for the list\n\
             enabled = [{plugins}]\n",
            self.orm, self.dialect, self.migrations_dir, self.table_prefix
        )
    }
}

/// A loaded `yauth.toml`.
pub struct ConfigFile {
    /// Its path.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
    /// The settings.
    pub settings: Settings,
}

/// `path:line:column` of a byte offset.
fn location(path: &Path, text: &str, span: Option<Range<usize>>) -> String {
    let Some(span) = span else {
        return path.display().to_string();
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{}:{line}:{column}", path.display())
}

const MIGRATION_KEYS: [&str; 5] = [
    "orm",
    "dialect",
    "migrations_dir",
    "table_prefix",
    "pg_schema",
];

fn looks_secret(key: &str) -> bool {
    ["url", "password", "secret", "token", "key"]
        .iter()
        .any(|s| key.to_ascii_lowercase().contains(s))
}

struct Reader<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Reader<'_> {
    fn err(&self, span: Option<Range<usize>>, msg: impl std::fmt::Display) -> anyhow::Error {
        anyhow!("{}: {msg}", location(self.path, self.text, span))
    }

    fn table<'t>(&self, root: &'t Table, name: &str) -> Result<Option<&'t Table>> {
        match root.get(name) {
            None => Ok(None),
            Some(Item::Table(t)) => Ok(Some(t)),
            Some(other) => {
                Err(self.err(other.span(), format!("`{name}` must be a table ([{name}])")))
            }
        }
    }

    fn string(&self, table: &Table, key: &str) -> Result<Option<(String, Option<Range<usize>>)>> {
        match table.get(key) {
            None => Ok(None),
            Some(item) => match item.as_str() {
                Some(s) => Ok(Some((s.to_owned(), item.span()))),
                None => Err(self.err(item.span(), format!("`{key}` must be a string"))),
            },
        }
    }

    fn unknown_keys(&self, table: &Table, known: &[&str], section: &str) -> Result<()> {
        for (key, item) in table.iter() {
            if known.contains(&key) {
                continue;
            }
            let span = table
                .key(key)
                .and_then(|k| k.span())
                .or_else(|| item.span());
            let hint = if looks_secret(key) {
                " (yauth.toml holds no secrets or connection settings: keep them in your environment)"
            } else {
                ""
            };
            let known = if known.is_empty() {
                String::new()
            } else {
                format!("; expected one of: {}", known.join(", "))
            };
            return Err(self.err(
                span,
                format!("unknown key `{key}` in {section}{known}{hint}"),
            ));
        }
        Ok(())
    }

    fn parsed<T: std::str::FromStr>(&self, table: &Table, key: &str) -> Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        match self.string(table, key)? {
            None => Ok(None),
            Some((s, span)) => s.parse().map(Some).map_err(|e| self.err(span, e)),
        }
    }

    fn settings(&self, doc: &Document<&str>) -> Result<Settings> {
        let root = doc.as_table();
        self.unknown_keys(root, &["migration", "plugins"], "yauth.toml")?;
        let migration = self
            .table(root, "migration")?
            .ok_or_else(|| self.err(None, "missing [migration] table"))?;
        self.unknown_keys(migration, &MIGRATION_KEYS, "[migration]")?;
        let missing =
            |key: &str| self.err(migration.span(), format!("[migration] is missing `{key}`"));
        let orm = self
            .parsed(migration, "orm")?
            .ok_or_else(|| missing("orm"))?;
        let dialect = self
            .parsed(migration, "dialect")?
            .ok_or_else(|| missing("dialect"))?;
        let migrations_dir = self
            .string(migration, "migrations_dir")?
            .map_or_else(|| "migrations".to_owned(), |(s, _)| s);
        let table_prefix = self
            .string(migration, "table_prefix")?
            .map_or_else(|| DEFAULT_TABLE_PREFIX.to_owned(), |(s, _)| s);
        let pg_schema = self.string(migration, "pg_schema")?.map(|(s, _)| s);
        let mut plugins = Vec::new();
        if let Some(table) = self.table(root, "plugins")? {
            self.unknown_keys(table, &["enabled"], "[plugins]")?;
            if let Some(item) = table.get("enabled") {
                let array = item.as_array().ok_or_else(|| {
                    self.err(item.span(), "`enabled` must be an array of plugin names")
                })?;
                for value in array {
                    let name = value
                        .as_str()
                        .ok_or_else(|| self.err(value.span(), "plugin names must be strings"))?;
                    let plugin: Plugin = name.parse().map_err(|e| {
                        self.err(value.span(), crate::commands::unknown_plugin_hint(e))
                    })?;
                    if !plugins.contains(&plugin) {
                        plugins.push(plugin);
                    }
                }
            }
        }
        let settings = Settings {
            orm,
            dialect,
            migrations_dir,
            table_prefix,
            pg_schema,
            plugins,
        };
        settings
            .schema_config()
            .validate()
            .map_err(|e| anyhow!("{}: {e}", self.path.display()))?;
        Ok(settings)
    }
}

impl ConfigFile {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read {} (run `cargo yauth init` to create it, or pass -f <path>)",
                path.display()
            )
        })?;
        let settings = Self::parse(path, &text)?;
        Ok(Self {
            path: path.to_path_buf(),
            text,
            settings,
        })
    }

    /// Parses `text`, reporting errors as `path:line:column: message`.
    pub fn parse(path: &Path, text: &str) -> Result<Settings> {
        let reader = Reader { path, text };
        let doc = Document::parse(text).map_err(|e| {
            reader.err(
                e.span(),
                format!("malformed TOML: {}", e.message().trim_end()),
            )
        })?;
        reader.settings(&doc)
    }

    /// Rewrites `[plugins] enabled` with `edit` applied, keeping everything else as written.
    pub fn edit_plugins(&self, edit: impl FnOnce(&mut Array)) -> Result<String> {
        let mut doc: DocumentMut = self
            .text
            .parse()
            .with_context(|| format!("{}: malformed TOML", self.path.display()))?;
        let plugins = doc
            .entry("plugins")
            .or_insert_with(|| Item::Table(Table::new()))
            .as_table_mut()
            .context("`plugins` must be a table")?;
        let enabled = plugins
            .entry("enabled")
            .or_insert_with(|| Item::Value(Value::Array(Array::new())))
            .as_array_mut()
            .context("`enabled` must be an array")?;
        edit(enabled);
        Ok(doc.to_string())
    }

    /// Writes new text after checking it still parses to valid settings.
    pub fn write(&self, text: &str) -> Result<Settings> {
        let settings = Self::parse(&self.path, text)?;
        std::fs::write(&self.path, text)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        Ok(settings)
    }
}

/// Appends plugin names, formatted like the last element (one per line stays one per line).
pub fn push_plugins(array: &mut Array, plugins: &[Plugin]) {
    for plugin in plugins {
        // Keep the last element's line break and indentation, not its comments.
        let prefix = array.iter().last().map_or_else(String::new, |v| {
            let prefix = v.decor().prefix().and_then(|p| p.as_str()).unwrap_or("");
            match prefix.rsplit_once('\n') {
                Some((_, indent)) => format!("\n{indent}"),
                None => " ".to_owned(),
            }
        });
        // A comment after the last element sits in the array's trailing text: it stays there,
        // before the new element.
        let trailing = array.trailing().as_str().unwrap_or("").to_owned();
        let prefix = match trailing.rsplit_once('\n') {
            Some((comment, close)) if prefix.starts_with('\n') => {
                array.set_trailing(format!("\n{close}"));
                format!("{comment}{prefix}")
            }
            _ => prefix,
        };
        let mut value = Value::from(plugin.name());
        value.decor_mut().set_prefix(prefix);
        array.push_formatted(value);
    }
}

/// Removes plugin names. A comment after an element is stored before the next one, so the next
/// element inherits the removed element's prefix: every comment stays beside the element it
/// follows.
pub fn remove_plugins(array: &mut Array, plugins: &[Plugin]) {
    let prefix_of = |v: &Value| {
        v.decor()
            .prefix()
            .and_then(|p| p.as_str())
            .unwrap_or("")
            .to_owned()
    };
    let mut i = array.len();
    while i > 0 {
        i -= 1;
        let remove = array
            .get(i)
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Plugin>().ok())
            .is_some_and(|p| plugins.contains(&p));
        if !remove {
            continue;
        }
        let prefix = array.get(i).map(prefix_of).unwrap_or_default();
        array.remove(i);
        if let Some(next) = array.get_mut(i) {
            next.decor_mut().set_prefix(prefix);
        } else if let Some((lines, _)) = prefix.rsplit_once('\n') {
            let trailing = array.trailing().as_str().unwrap_or("").to_owned();
            let indent = trailing.rsplit('\n').next().unwrap_or("").to_owned();
            if trailing.contains('\n') {
                array.set_trailing(format!("{lines}\n{indent}"));
            }
        }
    }
    if let Some(first) = array.get_mut(0) {
        let prefix = first
            .decor()
            .prefix()
            .and_then(|p| p.as_str())
            .unwrap_or("");
        if !prefix.contains('\n') {
            first.decor_mut().set_prefix("");
        }
    }
}

/// Fails when `path` exists.
pub fn refuse_overwrite(path: &Path) -> Result<()> {
    if path.exists() {
        bail!(
            "{} already exists; edit it, or use `cargo yauth add-plugin` / `remove-plugin`",
            path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn edit(text: &str, f: impl FnOnce(&mut Array)) -> String {
        let mut doc: DocumentMut = text.parse().unwrap();
        f(doc["plugins"]["enabled"].as_array_mut().unwrap());
        doc.to_string()
    }

    #[test]
    fn push_keeps_inline_and_multiline_layouts() {
        let inline = "[plugins]\nenabled = [\"mfa\"] # mine\n";
        assert_eq!(
            edit(inline, |a| push_plugins(
                a,
                &[Plugin::Passkey, Plugin::Oauth]
            )),
            "[plugins]\nenabled = [\"mfa\", \"passkey\", \"oauth\"] # mine\n"
        );
        let empty = "[plugins]\nenabled = []\n";
        assert_eq!(
            edit(empty, |a| push_plugins(a, &[Plugin::Mfa, Plugin::Passkey])),
            "[plugins]\nenabled = [\"mfa\", \"passkey\"]\n"
        );
        let multi = "[plugins]\nenabled = [\n  \"mfa\", # two factors\n]\n";
        assert_eq!(
            edit(multi, |a| push_plugins(a, &[Plugin::Passkey])),
            "[plugins]\nenabled = [\n  \"mfa\", # two factors\n  \"passkey\",\n]\n"
        );
    }

    #[test]
    fn remove_keeps_comments_beside_their_elements() {
        let multi =
            "[plugins]\nenabled = [\n  \"mfa\", # a\n  \"passkey\", # b\n  \"oauth\", # c\n]\n";
        assert_eq!(
            edit(multi, |a| remove_plugins(a, &[Plugin::Passkey])),
            "[plugins]\nenabled = [\n  \"mfa\", # a\n  \"oauth\", # c\n]\n"
        );
        assert_eq!(
            edit(multi, |a| remove_plugins(a, &[Plugin::Oauth])),
            "[plugins]\nenabled = [\n  \"mfa\", # a\n  \"passkey\", # b\n]\n"
        );
        assert_eq!(
            edit(multi, |a| remove_plugins(a, &[Plugin::Mfa])),
            "[plugins]\nenabled = [\n  \"passkey\", # b\n  \"oauth\", # c\n]\n"
        );
        let inline = "[plugins]\nenabled = [\"mfa\", \"passkey\", \"oauth\"]\n";
        assert_eq!(
            edit(inline, |a| remove_plugins(a, &[Plugin::Mfa, Plugin::Oauth])),
            "[plugins]\nenabled = [\"passkey\"]\n"
        );
    }

    #[test]
    fn locations_are_one_based() {
        let text = "a\nbc = 1\n";
        assert_eq!(location(Path::new("f"), text, Some(5..6)), "f:2:4");
        assert_eq!(location(Path::new("f"), text, None), "f");
    }
}
