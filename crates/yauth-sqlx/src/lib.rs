//! sqlx storage backends for yauth (PostgreSQL, MySQL/MariaDB, SQLite). Filled by the SQL-backends work.
