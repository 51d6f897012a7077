//! Enums named in `yauth.toml`: `Display` prints the name, `FromStr` parses it.

/// Implements `Display` (the name, padded like a string) and `FromStr` (one of `ALL` by name,
/// else the given error holding the input) for an enum with `ALL` and `name()`.
macro_rules! named_enum {
    ($ty:ty, $err:ident) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.name())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $err;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|v| v.name() == s)
                    .ok_or_else(|| $err(s.to_owned()))
            }
        }
    };
}

pub(crate) use named_enum;
