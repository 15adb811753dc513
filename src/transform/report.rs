//! What a run changed, for `--verbose` and KRM results. Never holds a
//! secret value: entries name documents and containers only.

use std::fmt;

use super::plan::{Edit, Plan, Step};
use crate::manifest::Summary;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub location: String,
    pub namespace: Option<String>,
    /// How the namespace was found ("from --namespace", ...).
    pub namespace_source: String,
    /// "Deployment/deis-builder container deis-builder".
    pub injected: Vec<String>,
    pub added: Vec<String>,
    pub replaced: Vec<String>,
    pub removed: Vec<String>,
    /// Things the operator should know (never fatal).
    pub warnings: Vec<String>,
    /// Decisions worth a line in `--verbose` (a chart setting replaced, ...).
    pub notes: Vec<String>,
}

impl Report {
    pub fn is_unchanged(&self) -> bool {
        self.injected.is_empty() && self.added.is_empty() && self.replaced.is_empty() && self.removed.is_empty()
    }

    /// The report of a plan carried out on `docs`.
    pub fn of(docs: &[&Summary<'_>], plan: &Plan, location: &str) -> Report {
        let mut r = Report {
            location: location.to_owned(),
            namespace: plan.effective.namespace.name.clone(),
            namespace_source: plan.effective.namespace.source.to_string(),
            warnings: plan.warnings.clone(),
            notes: plan.notes.clone(),
            ..Report::default()
        };
        // Descriptions come from the plan, in document order.
        let mut described = plan.described.iter().peekable();
        for (d, step) in docs.iter().zip(&plan.steps) {
            let mut describe = || {
                while described.next_if(|(i, _)| *i < d.index).is_some() {}
                described
                    .next_if(|(i, _)| *i == d.index)
                    .map_or_else(|| d.describe(), |(_, text)| text.clone())
            };
            match step {
                Step::Keep => {}
                Step::Remove(_) => r.removed.push(describe()),
                Step::Rewrite(edits) => {
                    // One entry per container and per replaced document: the
                    // edits of one document come together, so only they are compared.
                    let what = describe();
                    let first_injected = r.injected.len();
                    let mut replaced = false;
                    for edit in edits {
                        match edit {
                            Edit::SetEnv { container, .. } | Edit::Refresher { container, .. } => {
                                let entry = format!("{what} container {container}");
                                if !r.injected[first_injected..].contains(&entry) {
                                    r.injected.push(entry);
                                }
                            }
                            Edit::RegistrySecret | Edit::Access(_) => replaced = true,
                        }
                    }
                    if replaced {
                        r.replaced.push(what);
                    }
                }
            }
        }
        r.added = plan
            .additions
            .iter()
            .map(|a| format!("{}/{}", a.kind, a.name))
            .collect();
        r
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.namespace.as_deref().unwrap_or("(unset: the release namespace)");
        writeln!(
            f,
            "workflow-registry: location {}, namespace {ns} ({})",
            self.location, self.namespace_source
        )?;
        for note in &self.notes {
            writeln!(f, "  note: {note}")?;
        }
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
