//! One parse of the whole stream, in parallel. A document that cannot matter
//! to the caller (its predicate says so from the text alone) is validated and
//! kept as text only; every other document keeps its tree, so that nothing is
//! parsed twice and memory stays near the size of the documents that matter.

use rayon::prelude::*;

use super::document::PARALLEL_THRESHOLD;
use super::{describe, parse_chunk, Document, InputError};
use crate::yaml::split::Chunk;

/// A document of the stream: its text, and its tree when it may matter.
#[derive(Debug)]
pub struct Summary<'a> {
    pub index: usize,
    pub chunk: Chunk<'a>,
    /// Whether the document has a node (not only comments or markers).
    pub has_content: bool,
    /// The parsed document, kept for documents that may matter. Boxed: most
    /// documents of a large stream have none, and their slot stays small.
    pub tree: Option<Box<Document<'a>>>,
}

impl<'a> Summary<'a> {
    pub fn kind(&self) -> Option<&str> {
        self.tree.as_ref()?.kind()
    }

    pub fn name(&self) -> Option<&str> {
        self.tree.as_ref()?.name()
    }

    /// The document's namespace; `None` when absent, null or empty.
    pub fn namespace(&self) -> Option<&str> {
        self.tree.as_ref()?.namespace()
    }

    pub fn is_hook(&self) -> bool {
        self.tree.as_ref().is_some_and(|d| d.is_hook())
    }

    /// "document 3 (Deployment/deis-builder, from workflow/templates/builder.yaml)".
    pub fn describe(&self) -> String {
        describe(self.index, self.kind(), self.name(), self.chunk)
    }
}

/// Parse every chunk, keeping the trees of those for which `may_matter`
/// (given the chunk's text) is true; the first syntax error (in stream order)
/// wins.
pub fn summarize<'a>(
    chunks: Vec<Chunk<'a>>,
    may_matter: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Vec<Summary<'a>>, InputError> {
    let one = |(index, chunk): (usize, Chunk<'a>)| {
        if may_matter(chunk.text) {
            parse_chunk((index, chunk)).map(|doc| Summary {
                index,
                chunk,
                has_content: doc.root.is_some(),
                tree: doc.root.is_some().then(|| Box::new(doc)),
            })
        } else {
            crate::yaml::tree::validate(chunk.text)
                .map(|has_content| Summary {
                    index,
                    chunk,
                    has_content,
                    tree: None,
                })
                .map_err(|e| InputError::syntax(index, chunk, e))
        }
    };
    if chunks.len() < PARALLEL_THRESHOLD {
        chunks.into_iter().enumerate().map(one).collect()
    } else {
        chunks.into_par_iter().enumerate().map(one).collect()
    }
}
