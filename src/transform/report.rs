//! What a run changed, derived from the plan, for `--verbose`, the log and
//! KRM results. Never holds a secret value: entries name objects and
//! containers only.

use super::plan::{About, Plan, Step};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub location: String,
    pub namespace: Option<String>,
    /// How the namespace was found ("from --namespace", ...).
    pub namespace_source: String,
    /// "document 1 (Deployment/deis-builder) container deis-builder".
    pub injected: Vec<String>,
    pub added: Vec<String>,
    pub replaced: Vec<String>,
    pub removed: Vec<String>,
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
}

impl Report {
    /// Each list of changes, with the word the summary and KRM results give it.
    pub fn changes(&self) -> [(&'static str, &[String]); 4] {
        [
            ("configured", &self.injected),
            ("added", &self.added),
            ("replaced", &self.replaced),
            ("removed", &self.removed),
        ]
    }

    pub fn of(plan: &Plan, location: &str) -> Report {
        let mut r = Report {
            location: location.to_owned(),
            namespace: plan.effective.namespace.name.clone(),
            namespace_source: plan.effective.namespace.source.to_string(),
            warnings: plan.warnings.clone(),
            notes: plan.notes.clone(),
            ..Report::default()
        };
        let push = |list: &mut Vec<String>, item: String| {
            if !list.contains(&item) {
                list.push(item);
            }
        };
        for change in &plan.changes {
            let Step::Rewrite(edits) = &change.step else {
                r.removed.push(change.document.clone());
                continue;
            };
            for edit in edits {
                match &edit.about {
                    About::Container { object, container } => {
                        push(&mut r.injected, format!("{object} container {container}"))
                    }
                    About::Object(object) => push(&mut r.replaced, object.clone()),
                    About::Removed(objects) => objects.iter().for_each(|o| push(&mut r.removed, o.clone())),
                }
            }
        }
        r.added = plan.additions.iter().map(|a| a.what.to_string()).collect();
        r
    }
}
