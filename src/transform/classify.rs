//! Step 1: what each document is. Whose it is (Workflow's, or someone
//! else's in another namespace, or this tool's own left behind there), its
//! role among the registry components, and which of its containers consume
//! the registry. Pure reads, one document at a time: [`read`] runs inside
//! the parse ([`crate::manifest::scan_with`]), while the document's tree is
//! still in the cache, and [`classify_all`] settles whose each document is
//! once Workflow's namespace is known. Later steps read what they need of a
//! document here rather than walking thousands of evicted trees again.

use std::borrow::Cow;

use super::components::{Role, GENERATED_LABEL, GENERATED_VALUE};
use super::refresher;
use super::targets::{Targeting, PREFIX_VAR};
use crate::manifest::{containers, Document};
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
    /// Whose the document is: settled by [`classify_all`] (a class fresh
    /// from [`read`] says `Foreign` until then).
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
    /// The container names of `targets`, in the same order.
    pub target_names: Vec<String>,
    /// The non-empty `DEIS_REGISTRY_SECRET_PREFIX` values of `targets`.
    pub prefixes: Vec<String>,
    /// Whether a container runs one of Hephy's images.
    pub hephy_image: bool,
    /// "document 3 (Deployment/deis-builder, from ...)".
    pub description: String,
    /// The document's own namespace (none when absent, null or empty).
    namespace: Option<String>,
}

/// Settle whose each document is, given Workflow's namespace (if known).
pub fn classify_all(mut classes: Vec<Class>, namespace: Option<&str>) -> Vec<Class> {
    for class in &mut classes {
        let in_workflow_namespace = match class.namespace.as_deref() {
            None => true,
            Some(own) => namespace == Some(own),
        };
        class.owner = match (
            in_workflow_namespace,
            class.generated && class.role.is_registry_component(),
        ) {
            (true, _) => Owner::Workflow,
            (false, true) => Owner::Orphan,
            (false, false) => Owner::Foreign,
        };
    }
    classes
}

/// What a document is, all but whose (see [`classify_all`]).
pub fn read(doc: &Document<'_>, targeting: &Targeting) -> Class {
    let role = Role::of(doc.kind(), doc.name());
    let generated = doc
        .root
        .as_ref()
        .and_then(|r| r.str_at(&["metadata", "labels", GENERATED_LABEL]))
        == Some(GENERATED_VALUE);
    let all = containers(doc);
    let chosen = targeting.containers(doc);
    let targets: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, c)| chosen.iter().any(|t| t.node.loc() == c.node.loc()))
        .map(|(i, _)| i)
        .collect();
    let target_containers = || targets.iter().filter_map(|&i| all.get(i));
    Class {
        owner: Owner::Foreign,
        role,
        target_names: target_containers().map(|c| c.name.to_owned()).collect(),
        prefixes: target_containers()
            .filter_map(|c| c.env_value(PREFIX_VAR))
            .filter(|p| !p.is_empty())
            .map(Cow::into_owned)
            .collect(),
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
        hephy_image: all
            .iter()
            .any(|c| c.image().is_some_and(|i| refresher::is_hephy_image(&i))),
        description: doc.describe(),
        namespace: doc.namespace().map(str::to_owned),
    }
}
