//! diesel-libsql storage backend for yauth. Lives alone: libsql links its own SQLite. Filled by the SQL-backends work.
