//! The stream split into documents, each read once, as Kubernetes decodes it, into its
//! [`Resource`]s. Documents keep their exact text (a slice of the input); trees and decoded values
//! are dropped, so memory stays a small multiple of the facts. Only a splice parses one again.

mod document;
pub mod resource;

pub use document::{describe, parse_stream, Document, InputError};
pub use resource::{Body, Container, EnvValue, EnvVar, Pod, Reading, Resource};

use crate::par;
use crate::yaml::edit::{detect_seq_indent, line_of};
use crate::yaml::split::{self, Chunk};
use crate::yaml::{tree, yaml11};

/// Chunks per parallel batch: every core busy, yet tiny documents never hold one entry per chunk.
const BATCH: usize = 16 * 1024;

/// A document that holds objects the registry configuration may involve.
#[derive(Debug)]
pub struct Doc<'a> {
    /// Position in the stream (as in messages: "document 3").
    pub index: usize,
    pub chunk: Chunk<'a>,
    pub resources: Vec<Resource>,
    /// The document's block sequence indentation, when it has one.
    pub seq_indent: Option<usize>,
}

impl Doc<'_> {
    pub fn describe(&self) -> String {
        let first = self.resources.first().filter(|r| r.path.is_empty());
        let kind = first.map(|r| r.kind.as_str()).filter(|k| !k.is_empty());
        let name = first.map(|r| r.name.as_str()).filter(|n| !n.is_empty());
        describe(self.index, kind, name, self.chunk)
    }

    /// An error about this document at the node `path` leads to.
    pub fn error_at(&self, path: &[yaml11::Seg], message: impl Into<String>) -> InputError {
        let root = tree::parse(self.chunk.text).ok().flatten();
        self.error_at_line(root.map_or(1, |root| line_of(&root, path)), message)
    }

    /// An error about this document at its (document-relative) `line`.
    pub fn error_at_line(&self, line: usize, message: impl Into<String>) -> InputError {
        InputError::new(self.describe(), self.chunk, line, message)
    }
}

/// A piece of the stream, in order.
#[derive(Debug)]
pub enum Piece<'a> {
    /// A run of documents that involve nothing of the registry configuration.
    Text {
        text: &'a str,
        offset: usize,
    },
    Doc(Doc<'a>),
}

/// The stream, read.
#[derive(Debug, Default)]
pub struct Manifest<'a> {
    pub pieces: Vec<Piece<'a>>,
    /// Whether any document has content (a node, not only comments).
    pub has_content: bool,
    /// Whether every object is a Helm hook, and there is one: the hooks-only pass of Helm 4's
    /// `separate` strategy. A document with no object (an empty List, a scalar) does not decide.
    pub hooks_only: bool,
    /// Whether the stream has a `\r\n` line break.
    pub crlf: bool,
    /// The first block sequence indentation of the stream.
    pub seq_indent: Option<usize>,
}

impl<'a> Manifest<'a> {
    /// Read `stream`. The first error in stream order is reported.
    pub fn read(stream: &'a str, reading: Reading<'_>) -> Result<Manifest<'a>, InputError> {
        let mut manifest = Manifest::default();
        let mut plain = false;
        let mut chunks = split::chunks(stream).enumerate().peekable();
        let mut batch = Vec::with_capacity(BATCH.min(1024));
        while chunks.peek().is_some() {
            batch.clear();
            batch.extend(chunks.by_ref().take(BATCH));
            for read in par::try_map(&batch, |&(index, chunk)| read_chunk(index, chunk, reading))? {
                plain |= read.plain;
                manifest.hooks_only |= read.hooks;
                manifest.push(read, stream);
            }
        }
        manifest.hooks_only &= !plain;
        // Kept for the whole run: no spare capacity.
        manifest.pieces.shrink_to_fit();
        Ok(manifest)
    }

    /// The documents that may matter, in order.
    pub fn docs(&self) -> impl Iterator<Item = &Doc<'a>> {
        self.pieces
            .iter()
            .filter_map(|p| if let Piece::Doc(d) = p { Some(d) } else { None })
    }

    fn push(&mut self, read: Read<'a>, stream: &'a str) {
        self.crlf |= read.crlf;
        self.has_content |= read.content;
        self.seq_indent = self.seq_indent.or(read.seq_indent);
        match (read.piece, self.pieces.last_mut()) {
            (Some(Piece::Text { text, offset }), Some(Piece::Text { text: run, offset: at }))
                if *at + run.len() == offset =>
            {
                *run = stream.get(*at..offset + text.len()).unwrap_or(run);
            }
            (piece, _) => self.pieces.extend(piece),
        }
    }
}

#[derive(Default)]
struct Read<'a> {
    /// `None` for markers and white space only: not written (it would be a `null` document).
    piece: Option<Piece<'a>>,
    content: bool,
    /// Whether it holds a Helm hook, or an object that is not one.
    hooks: bool,
    plain: bool,
    crlf: bool,
    seq_indent: Option<usize>,
}

fn read_chunk<'a>(index: usize, chunk: Chunk<'a>, reading: Reading<'_>) -> Result<Read<'a>, InputError> {
    let (text, offset) = (chunk.text, chunk.offset);
    let mut read = Read {
        piece: (!is_blank(text)).then_some(Piece::Text { text, offset }),
        crlf: memchr::memmem::find(text.as_bytes(), b"\r\n").is_some(),
        ..Read::default()
    };
    if let Some((at, c)) = yaml11::yaml11_line_break(chunk.text) {
        return Err(line_break_error(index, chunk, at, c));
    }
    if let Some(line) = split::directive_line(chunk.text) {
        let message = "a `%YAML` or `%TAG` directive: Kubernetes cuts the stream into documents at \
                       `---` lines, so a directive never applies to the document after it (a `%TAG` \
                       would change what this tool reads, not what Kubernetes reads), and one before \
                       the first `---` is a document Kubernetes cannot read; remove it";
        return Err(InputError::in_text(index, chunk, line, 1, message.into()));
    }
    if read.piece.is_none() {
        return Ok(read);
    }
    let Some((root, features)) = tree::parse_document(chunk.text).map_err(|e| InputError::syntax(index, chunk, e))?
    else {
        return Ok(read);
    };
    let unreadable = |line: usize, message: String| {
        let (kind, name) = (root.str_at(&["kind"]), root.str_at(&["metadata", "name"]));
        InputError::new(describe(index, kind, name, chunk), chunk, line, message)
    };
    let decoded = yaml11::decode_with(&root, features)
        .map_err(|e| unreadable(e.line, format!("Kubernetes cannot read this document: {}", e.message)))?;
    let resources =
        Resource::read_all(&decoded, reading).map_err(|e| unreadable(line_of(&root, &e.path), e.message))?;
    read.content = true;
    read.hooks = resources.iter().any(Resource::is_hook);
    read.plain = resources.iter().any(|r| !r.is_hook());
    read.seq_indent = detect_seq_indent(&root);
    if resources.iter().any(reading.matters) {
        read.piece = Some(Piece::Doc(Doc {
            index,
            chunk,
            resources,
            seq_indent: read.seq_indent,
        }));
    }
    Ok(read)
}

/// A character Kubernetes reads as a line break and the parser as text, at byte `at`: the two would
/// read different documents (a comment could hide a key, a `---`), so neither is trusted.
fn line_break_error(index: usize, chunk: Chunk<'_>, at: usize, c: char) -> InputError {
    let before = chunk.text.get(..at).unwrap_or_default();
    let line = 1 + memchr::memchr_iter(b'\n', before.as_bytes()).count();
    let col = 1 + before.rsplit('\n').next().unwrap_or_default().chars().count();
    let (name, escape) = match c {
        '\u{85}' => ("U+0085 (next line)", "\\N"),
        '\u{2028}' => ("U+2028 (line separator)", "\\L"),
        _ => ("U+2029 (paragraph separator)", "\\P"),
    };
    let message = format!(
        "{name} is a line break to Kubernetes (YAML 1.1, in comments and text too), not to this \
         tool's YAML 1.2 parser: the two would read this document differently; write a line \
         break, or `{escape}` inside double quotes"
    );
    InputError::in_text(index, chunk, line, col, message)
}

/// A document with neither content nor comments (`---` alone, `...`). Exact: it decides before
/// parsing, so ` ---` (a scalar) or `--- # note` (a comment to keep) are not blank.
fn is_blank(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim_start_matches('\u{feff}').trim_end_matches([' ', '\t', '\r']);
        crate::yaml::split::is_blank_line(l) || l == "---" || l == "..."
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Manifest<'_> {
        let reading = Reading {
            matters: &|r| r.kind == "Secret",
            ..Reading::PLAIN
        };
        Manifest::read(s, reading).unwrap()
    }

    #[test]
    fn merges_runs_of_documents_that_matter_not_and_drops_blank_ones() {
        let s = "---\na: 1\n---\nkind: ConfigMap\n---\n---\nkind: Secret\n---\n# note\nc: 3\n";
        let m = read(s);
        let shapes: Vec<String> = m
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Text { text, .. } => format!("text {text:?}"),
                Piece::Doc(d) => format!("doc {}", d.index),
            })
            .collect();
        assert_eq!(
            shapes,
            [
                "text \"---\\na: 1\\n---\\nkind: ConfigMap\\n\"",
                "doc 3",
                "text \"---\\n# note\\nc: 3\\n\""
            ]
        );
        assert!(m.has_content && !m.hooks_only);
        let blank = read("---\n---\n\n...\n\u{feff}---\r\n  \t\n");
        assert!(blank.pieces.is_empty() && !blank.has_content);
        // A no-break space is content to YAML (a plain scalar), not blank.
        for space in ["\u{a0}", "\u{3000}", "---\n \u{2003}\n"] {
            let stream = format!("a: 1\n---\n{space}\n");
            let kept = read(&stream);
            let texts = kept.pieces.iter().filter_map(|p| match p {
                Piece::Text { text, .. } => Some(text.to_string()),
                Piece::Doc(_) => None,
            });
            assert!(texts.collect::<String>().contains(space), "{space:?}");
        }
    }

    #[test]
    fn names_are_read_as_kubernetes_reads_them_whatever_the_spelling() {
        for s in [
            "kind: \"Sec\\x72et\"\nmetadata: {name: \"registry-\\\nsecret\"}\n",
            "kind: !!str Secret\nmetadata: {name: !!binary cmVnaXN0cnktc2VjcmV0}\n",
            "a: &k Secret\nkind: *k\nmetadata: {<<: {name: registry-secret}}\n",
        ] {
            let m = read(s);
            let r = &m.docs().next().unwrap_or_else(|| panic!("{s}")).resources[0];
            assert_eq!((r.kind.as_str(), r.name.as_str()), ("Secret", "registry-secret"), "{s}");
        }
    }

    #[test]
    fn documents_kubernetes_cannot_read_are_refused_at_their_line() {
        let e = Manifest::read("a: 1\n---\nkind: A\nmetadata:\n  namespace: 2\n", Reading::PLAIN).unwrap_err();
        assert_eq!((e.document.as_str(), e.line), ("document 1 (A)", 5), "{e}");
        let e = Manifest::read("kind: A\n? [x]\n: 1\n", Reading::PLAIN).unwrap_err();
        assert!(e.message.contains("Kubernetes cannot read"), "{e}");
    }

    #[test]
    fn a_stream_is_hooks_only_when_its_objects_are_all_hooks() {
        let hook = "kind: Job\nmetadata: {name: j, annotations: {helm.sh/hook: pre-install}}\n";
        assert!(read(hook).hooks_only);
        assert!(read(&format!("{hook}---\nkind: List\nitems: []\n---\nplain text\n")).hooks_only);
        assert!(!read(&format!("{hook}---\nkind: ConfigMap\n")).hooks_only);
        assert!(!read("kind: List\nitems: []\n").hooks_only);
    }

    #[test]
    fn a_crlf_anywhere_in_the_stream_is_noted() {
        for s in [
            "a: 1\n",
            "a: 1\r\n",
            "a: 1\n---\r\n---\nb: 2\n",
            "a: 1\n# c\r\n",
            "a: 1\rb: 2\r",
        ] {
            assert_eq!(read(s).crlf, s.contains("\r\n"), "{s:?}");
        }
    }
}
