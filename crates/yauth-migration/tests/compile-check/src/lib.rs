//! Compile check of the files `yauth-migration` generates.
