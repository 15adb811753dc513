//! A credential that never prints itself.

use std::fmt;

/// A secret value. `Debug` and `Display` show only whether it is set and its
/// length, so it cannot leak through an error, warning or log line; it leaves
/// only through [`Secret::expose`], into the registry Secret's `data`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself: for the registry Secret's data only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.chars().count() {
            0 => f.write_str("(empty)"),
            n => write!(f, "(secret, {n} characters)"),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret{self}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_formats_the_value() {
        let s = Secret::new("hunter2-s3cr3t");
        for shown in [
            format!("{s}"),
            format!("{s:?}"),
            format!("{s:#?}"),
            format!("{:?}", Some(&s)),
        ] {
            assert!(!shown.contains("hunter2"), "{shown}");
        }
        assert_eq!(s.expose(), "hunter2-s3cr3t");
        assert_eq!(Secret::default().to_string(), "(empty)");
    }
}
