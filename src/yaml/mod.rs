//! The YAML layer: split a stream into documents, read each into a tree that
//! remembers byte spans, and splice edits into the original text. Nothing here
//! re-serializes input: untouched bytes are copied as read, and generated
//! fragments are rendered by [`emit`] with YAML 1.1-safe quoting.

pub mod edit;
pub mod emit;
pub mod journal;
pub mod split;
pub mod tree;
pub mod yaml11;
