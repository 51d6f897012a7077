//! The yauth schema model, DDL per dialect, diff engine and migration file generators.
