//! Step 1: what each document is. Whose it is (Workflow's, or someone
//! else's in another namespace, or this tool's own left behind there), its
//! role among the registry components, and which of its containers consume
//! the registry. Pure reads, one document at a time (so in parallel).

use rayon::prelude::*;

use super::components::{Role, GENERATED_LABEL, GENERATED_VALUE};
use super::targets::Targeting;
use crate::manifest::{containers, Document, Summary};
use crate::yaml::edit::detect_seq_indent;

/// Whose a document is. See docs/semantics.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Without a namespace, or in Workflow's namespace.
    Workflow,
    /// In an explicit namespace other than Workflow's (or any explicit
    /// namespace while Workflow's is unknown): never touched.
    Foreign,
    /// A registry component this tool generated, in a namespace that is no
    /// longer Workflow's: removed.
    Orphan,
}

/// What the planner knows about one document.
#[derive(Debug, Clone)]
pub struct Class {
    pub owner: Owner,
    pub role: Role,
    /// Indices (in [`containers`] order) of the registry-consuming containers.
    pub targets: Vec<usize>,
    /// Which `--target`s (by index) name a container of this document.
    pub matched_targets: Vec<usize>,
    /// Whether a `--select` query selects this document.
    pub selected: bool,
    pub is_hook: bool,
    pub generated: bool,
    /// Sequence indentation, when the document has a block sequence.
    pub seq_indent: Option<usize>,
}

/// Classify every document against the Workflow namespace (if known).
pub fn classify_all(docs: &[&Summary<'_>], namespace: Option<&str>, targeting: &Targeting) -> Vec<Class> {
    let one = |d: &&Summary<'_>| classify(&d.doc, namespace, targeting);
    if docs.len() < 8 {
        docs.iter().map(one).collect()
    } else {
        docs.par_iter().map(one).collect()
    }
}

fn classify(doc: &Document<'_>, namespace: Option<&str>, targeting: &Targeting) -> Class {
    let role = Role::of(doc.kind(), doc.name());
    let generated = doc
        .root
        .as_ref()
        .and_then(|r| r.str_at(&["metadata", "labels", GENERATED_LABEL]))
        == Some(GENERATED_VALUE);
    let in_workflow_namespace = match doc.namespace() {
        None => true,
        Some(own) => namespace == Some(own),
    };
    let owner = match (in_workflow_namespace, generated && role.is_registry_component()) {
        (true, _) => Owner::Workflow,
        (false, true) => Owner::Orphan,
        (false, false) => Owner::Foreign,
    };
    let all = containers(doc);
    let chosen = targeting.containers(doc);
    let targets = all
        .iter()
        .enumerate()
        .filter(|(_, c)| chosen.iter().any(|t| t.node.loc() == c.node.loc()))
        .map(|(i, _)| i)
        .collect();
    Class {
        owner,
        role,
        targets,
        matched_targets: targeting
            .targets
            .iter()
            .enumerate()
            .filter(|(_, t)| t.found_in(doc))
            .map(|(i, _)| i)
            .collect(),
        selected: targeting.selects(doc),
        is_hook: doc.is_hook(),
        generated,
        seq_indent: doc.root.as_ref().and_then(detect_seq_indent),
    }
}
