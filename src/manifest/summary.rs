//! One parse of the whole stream, in parallel batches. A document that cannot
//! matter to the caller (its predicate says so from the text alone) is only
//! validated and kept as text; consecutive ones are one slice of the input,
//! and documents with neither content nor comments (`---` alone) are not kept
//! at all. Every other document keeps its tree, so that nothing is parsed
//! twice. Memory stays a small multiple of the documents that matter, plus
//! one batch.

use rayon::prelude::*;

use super::document::PARALLEL_THRESHOLD;
use super::{describe, parse_chunk, Document, InputError};
use crate::yaml::split::{self, Chunk};

/// Chunks handled per parallel batch: enough to keep every core busy, few
/// enough that a stream of tiny documents never holds one entry per document.
const BATCH: usize = 16 * 1024;

/// A document that may matter, with its tree.
#[derive(Debug)]
pub struct Summary<'a> {
    pub index: usize,
    pub chunk: Chunk<'a>,
    pub doc: Document<'a>,
}

impl<'a> Summary<'a> {
    pub fn kind(&self) -> Option<&str> {
        self.doc.kind()
    }

    pub fn name(&self) -> Option<&str> {
        self.doc.name()
    }

    /// The document's namespace; `None` when absent, null or empty.
    pub fn namespace(&self) -> Option<&str> {
        self.doc.namespace()
    }

    pub fn is_hook(&self) -> bool {
        self.doc.is_hook()
    }

    /// "document 3 (Deployment/deis-builder, from workflow/templates/builder.yaml)".
    pub fn describe(&self) -> String {
        describe(self.index, self.kind(), self.name(), self.chunk)
    }
}

/// A piece of the stream, in order.
#[derive(Debug)]
pub enum Piece<'a> {
    /// Consecutive documents that cannot matter, as one slice of the input
    /// starting at byte `offset`.
    Text {
        text: &'a str,
        offset: usize,
        has_content: bool,
    },
    /// A document that may matter.
    Doc(Summary<'a>),
}

/// The stream as pieces, without the documents that hold nothing.
#[derive(Debug)]
pub struct Scan<'a> {
    stream: &'a str,
    pub pieces: Vec<Piece<'a>>,
    /// Whether any document has content (a node, not only comments).
    pub has_content: bool,
    /// Whether the stream has a `\r\n` line break (noted chunk by chunk
    /// while each is in the cache: the chunks cover the stream, and split only
    /// after a `\n`).
    pub crlf: bool,
}

impl<'a> Scan<'a> {
    /// The documents that may matter, in order.
    pub fn docs(&self) -> impl Iterator<Item = &Summary<'a>> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Doc(d) => Some(d),
            Piece::Text { .. } => None,
        })
    }

    fn push(&mut self, piece: Piece<'a>) {
        let stream = self.stream;
        match (self.pieces.last_mut(), piece) {
            (
                Some(Piece::Text {
                    text,
                    offset,
                    has_content,
                }),
                Piece::Text {
                    text: next,
                    offset: next_offset,
                    has_content: next_content,
                },
            ) if *offset + text.len() == next_offset => {
                // One run of the input: chunk boundaries are character boundaries.
                *text = stream.get(*offset..next_offset + next.len()).unwrap_or(text);
                *has_content |= next_content;
            }
            (_, piece) => self.pieces.push(piece),
        }
    }
}

/// What one chunk becomes. A kept document's reading is boxed: a batch holds
/// one of these per chunk, and most chunks are not kept.
enum One<'a, X> {
    Blank,
    Piece(Piece<'a>),
    Doc(Summary<'a>, Box<X>),
}

/// Parse every chunk of `stream`, keeping the trees of those for which
/// `may_matter` (given the chunk's text) is true; the first syntax error (in
/// stream order) wins.
pub fn scan<'a>(stream: &'a str, may_matter: &(dyn Fn(&str) -> bool + Sync)) -> Result<Scan<'a>, InputError> {
    scan_with(stream, may_matter, &|_| ()).map(|(scan, _)| scan)
}

/// [`scan`], also reading each kept document with `inspect` right after its
/// parse, while its tree is still in the cache: one result per document of
/// [`Scan::docs`], in the same order. A later pass over thousands of trees
/// would find each of them evicted.
pub fn scan_with<'a, X: Send>(
    stream: &'a str,
    may_matter: &(dyn Fn(&str) -> bool + Sync),
    inspect: &(dyn Fn(&Document<'a>) -> X + Sync),
) -> Result<(Scan<'a>, Vec<X>), InputError> {
    let read_chunk = |(index, chunk): (usize, Chunk<'a>)| -> Result<One<'a, X>, InputError> {
        if is_blank(chunk.text) {
            // Markers and white space only: nothing to parse, nothing to keep.
            return Ok(One::Blank);
        }
        if may_matter(chunk.text) {
            let doc = parse_chunk((index, chunk))?;
            if doc.root.is_some() {
                let seen = Box::new(inspect(&doc));
                return Ok(One::Doc(Summary { index, chunk, doc }, seen));
            }
            return Ok(text_piece(chunk, false));
        }
        let has_content = crate::yaml::tree::validate(chunk.text).map_err(|e| InputError::syntax(index, chunk, e))?;
        Ok(text_piece(chunk, has_content))
    };
    let one = |(index, chunk): (usize, Chunk<'a>)| -> Result<(One<'a, X>, bool), InputError> {
        let one = read_chunk((index, chunk))?;
        Ok((one, memchr::memmem::find(chunk.text.as_bytes(), b"\r\n").is_some()))
    };
    let mut out = Scan {
        stream,
        pieces: Vec::new(),
        has_content: false,
        crlf: false,
    };
    let mut seen = Vec::new();
    let mut chunks = split::chunks(stream).enumerate().peekable();
    let mut batch = Vec::with_capacity(BATCH.min(1024));
    while chunks.peek().is_some() {
        batch.clear();
        batch.extend(chunks.by_ref().take(BATCH));
        let results: Vec<(One<'a, X>, bool)> = if batch.len() < PARALLEL_THRESHOLD {
            batch.iter().copied().map(one).collect::<Result<_, _>>()?
        } else {
            match batch.par_iter().copied().map(one).collect::<Result<_, _>>() {
                Ok(results) => results,
                // Report the first error in stream order, whichever thread met one first.
                Err(_) => batch.iter().copied().map(one).collect::<Result<_, _>>()?,
            }
        };
        for (r, crlf) in results {
            out.crlf |= crlf;
            let piece = match r {
                One::Blank => continue,
                One::Piece(piece) => piece,
                One::Doc(summary, x) => {
                    seen.push(*x);
                    Piece::Doc(summary)
                }
            };
            out.has_content |= matches!(piece, Piece::Doc(_) | Piece::Text { has_content: true, .. });
            out.push(piece);
        }
    }
    Ok((out, seen))
}

fn text_piece<X>(chunk: Chunk<'_>, has_content: bool) -> One<'_, X> {
    if !has_content && is_blank(chunk.text) {
        One::Blank
    } else {
        One::Piece(Piece::Text {
            text: chunk.text,
            offset: chunk.offset,
            has_content,
        })
    }
}

/// A document with neither content nor comments (`---` alone, `...`): it
/// would be a `null` document, so it is not written.
/// Exact on purpose: it decides before parsing, so ` ---` (a scalar) or
/// `--- # note` (a comment to keep) are not blank.
fn is_blank(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim_start_matches('\u{feff}').trim_end();
        l.trim_start().is_empty() || l == "---" || l == "..."
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_untouched_runs_and_drops_blank_documents() {
        let s = "---\na: 1\n---\nb: 2\n---\n---\nkind: deis\n---\n# note\nc: 3\n";
        let scan = scan(s, &|t| t.contains("deis")).unwrap();
        let shapes: Vec<String> = scan
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
                "text \"---\\na: 1\\n---\\nb: 2\\n\"",
                "doc 3",
                "text \"---\\n# note\\nc: 3\\n\""
            ]
        );
        assert!(scan.has_content);
        let blank = super::scan("---\n---\n\n...\n\u{feff}---\r\n  \t\n", &|_| true).unwrap();
        assert!(blank.pieces.is_empty() && !blank.has_content);
        for kept in ["--- # note\n", "---\n ---\n", "---\n...x\n", "# c\n"] {
            let s = super::scan(kept, &|_| true);
            assert!(s.map_or(true, |s| !s.pieces.is_empty()), "{kept:?}");
        }
    }

    #[test]
    fn a_crlf_anywhere_in_the_stream_is_noted() {
        for s in [
            "a: 1\n",
            "a: 1\r\n",
            "a: 1\n---\r\n---\nb: 2\n",
            "%YAML 1.1\r\n---\na: 1\n",
            "a: 1\n# c\r\n",
            "a: \"x\r\ny\"\n",
            "a: 1\rb: 2\r",
            "a: 1\n---\n\r\n",
        ] {
            assert_eq!(scan(s, &|_| false).unwrap().crlf, s.contains("\r\n"), "{s:?}");
            assert_eq!(scan(s, &|_| true).unwrap().crlf, s.contains("\r\n"), "{s:?}");
        }
    }

    #[test]
    fn the_first_error_in_stream_order_wins_across_batches() {
        let mut s = String::new();
        for i in 0..(BATCH + 100) {
            s.push_str(&format!("---\na{i}: 1\n"));
        }
        s.push_str("---\nb: [\n---\nc: {\n");
        let e = scan(&s, &|_| false).unwrap_err();
        assert!(e.document.starts_with(&format!("document {}", BATCH + 100)), "{e}");
    }
}
