//! What a run changed, for `--verbose` and KRM results. Never holds a
//! secret value: entries name documents and containers only.

use std::fmt;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub location: String,
    pub namespace: Option<String>,
    /// "Deployment/deis-builder container deis-builder".
    pub injected: Vec<String>,
    pub added: Vec<String>,
    pub replaced: Vec<String>,
    pub removed: Vec<String>,
    /// Things the operator should know (never fatal).
    pub warnings: Vec<String>,
}

impl Report {
    pub fn is_unchanged(&self) -> bool {
        self.injected.is_empty() && self.added.is_empty() && self.replaced.is_empty() && self.removed.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.namespace.as_deref().unwrap_or("(unset: the release namespace)");
        writeln!(f, "workflow-registry: location {}, namespace {ns}", self.location)?;
        for (label, items) in [
            ("configured", &self.injected),
            ("added", &self.added),
            ("replaced", &self.replaced),
            ("removed", &self.removed),
        ] {
            if items.is_empty() {
                writeln!(f, "  {label}: none")?;
            }
            for item in items {
                writeln!(f, "  {label}: {item}")?;
            }
        }
        Ok(())
    }
}
