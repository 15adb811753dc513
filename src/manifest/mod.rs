//! The manifest as a list of documents, each remembering its exact source
//! text, its position in the stream and its parsed tree.

mod document;
mod summary;
mod workload;

use document::parse_chunk;
pub use document::{describe, parse_stream, source_file, Document, InputError};
pub use summary::{scan, scan_with, Piece, Scan, Summary};
pub use workload::{containers, pod_spec, Container};
