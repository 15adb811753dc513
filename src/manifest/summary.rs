//! What the transform needs to know about every document, kept without its
//! tree: a 50,000-document stream is parsed in parallel, each tree dropped as
//! soon as it is summarised, and only the few documents that need edits are
//! parsed again. Memory stays near the size of the input.

use rayon::prelude::*;

use super::document::PARALLEL_THRESHOLD;
use super::{describe, parse_chunk, Document, InputError};
use crate::transform::Targeting;
use crate::yaml::edit::detect_seq_indent;
use crate::yaml::split::Chunk;

/// A document's identity and the facts the planner reads.
#[derive(Debug, Clone)]
pub struct Summary<'a> {
    pub index: usize,
    pub chunk: Chunk<'a>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// Whether the document has a node (not only comments or markers).
    pub has_content: bool,
    pub is_hook: bool,
    /// Sequence indentation style, when the document has a block sequence.
    pub seq_indent: Option<usize>,
    /// Whether any container of the document is a target.
    pub has_targets: bool,
    /// Which `--target`s (by index) name a container of this document.
    pub matched_targets: Vec<usize>,
}

impl<'a> Summary<'a> {
    fn of(doc: &Document<'a>, targeting: &Targeting) -> Self {
        Summary {
            index: doc.index,
            chunk: doc.chunk,
            kind: doc.kind().map(str::to_owned),
            name: doc.name().map(str::to_owned),
            namespace: doc.namespace().map(str::to_owned),
            has_content: doc.root.is_some(),
            is_hook: doc.is_hook(),
            seq_indent: doc.root.as_ref().and_then(detect_seq_indent),
            has_targets: !targeting.containers(doc).is_empty(),
            matched_targets: targeting
                .targets
                .iter()
                .enumerate()
                .filter(|(_, t)| t.found_in(doc))
                .map(|(i, _)| i)
                .collect(),
        }
    }

    /// Whether this is `kind`/`name`, in `namespace` when both are known.
    pub fn is(&self, kind: &str, name: &str, namespace: Option<&str>) -> bool {
        self.kind.as_deref() == Some(kind)
            && self.name.as_deref() == Some(name)
            && match (self.namespace.as_deref(), namespace) {
                (Some(own), Some(wanted)) => own == wanted,
                _ => true,
            }
    }

    /// "document 3 (Deployment/deis-builder, from workflow/templates/builder.yaml)".
    pub fn describe(&self) -> String {
        describe(self.index, self.kind.as_deref(), self.name.as_deref(), self.chunk)
    }

    /// Parse the document again, for editing.
    pub fn document(&self) -> Result<Document<'a>, InputError> {
        parse_chunk((self.index, self.chunk))
    }
}

/// Whether a document could matter to the transform. One that mentions no
/// Workflow component, registry variable, registry Secret, Helm hook or
/// `--target` name can only be passed through: it is validated, not read.
fn may_matter(text: &str, targeting: &Targeting) -> bool {
    let has = |needle: &str| memchr::memmem::find(text.as_bytes(), needle.as_bytes()).is_some();
    !targeting.selectors.is_empty()
        || has("deis")
        || has("DEIS_REGISTRY")
        || has("registry-secret")
        || has("helm.sh/hook")
        || targeting.targets.iter().any(|t| has(&t.name))
}

impl<'a> Summary<'a> {
    /// A document that cannot matter (see [`may_matter`]), after validation.
    fn pass_through(index: usize, chunk: Chunk<'a>, has_content: bool) -> Self {
        Summary {
            index,
            chunk,
            kind: None,
            name: None,
            namespace: None,
            has_content,
            is_hook: false,
            seq_indent: None,
            has_targets: false,
            matched_targets: Vec::new(),
        }
    }
}

/// Parse and summarise every chunk; the first syntax error (in stream order) wins.
pub fn summarize<'a>(chunks: Vec<Chunk<'a>>, targeting: &Targeting) -> Result<Vec<Summary<'a>>, InputError> {
    let one = |(index, chunk): (usize, Chunk<'a>)| {
        if may_matter(chunk.text, targeting) {
            parse_chunk((index, chunk)).map(|doc| Summary::of(&doc, targeting))
        } else {
            crate::yaml::tree::validate(chunk.text)
                .map(|content| Summary::pass_through(index, chunk, content))
                .map_err(|e| InputError::syntax(index, chunk, e))
        }
    };
    if chunks.len() < PARALLEL_THRESHOLD {
        chunks.into_iter().enumerate().map(one).collect()
    } else {
        chunks.into_par_iter().enumerate().map(one).collect()
    }
}
