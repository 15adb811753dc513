//! The manifest as a list of documents, each remembering its exact source
//! text, its position in the stream and its parsed tree.

mod document;
mod workload;

pub use document::{parse_stream, Document, InputError};
pub use workload::{containers, pod_spec, Container};
