//! Documents of a stream as spanned trees, for the front ends that edit a whole stream themselves
//! (the KRM wrapper), and the errors that locate a problem in the input.

use crate::par;
use crate::yaml::split::{self, Chunk};
use crate::yaml::tree::{self, Features, Node};

/// One document of the input stream, as a spanned tree.
#[derive(Debug)]
pub struct Document<'a> {
    /// 0-based position in the stream (as in error messages: "document 3").
    pub index: usize,
    pub chunk: Chunk<'a>,
    /// `None` for documents with no content (empty, comments only).
    pub root: Option<Node<'a>>,
    /// What the tree uses (aliases, merge keys...), from the parse.
    pub features: Features,
}

/// Split and parse a whole stream; the first syntax error in stream order is reported, with its line.
pub fn parse_stream(stream: &str) -> Result<Vec<Document<'_>>, InputError> {
    let chunks: Vec<(usize, Chunk<'_>)> = split::split(stream).into_iter().enumerate().collect();
    par::try_map(&chunks, |&(index, chunk)| {
        let parsed = tree::parse_document(chunk.text).map_err(|e| InputError::syntax(index, chunk, e))?;
        let (root, features) = parsed.map_or((None, Features::default()), |(root, f)| (Some(root), f));
        Ok(Document {
            index,
            chunk,
            root,
            features,
        })
    })
}

impl Document<'_> {
    pub fn str_at(&self, path: &[&str]) -> Option<&str> {
        self.root.as_ref()?.str_at(path)
    }

    pub fn kind(&self) -> Option<&str> {
        self.str_at(&["kind"])
    }

    pub fn name(&self) -> Option<&str> {
        self.str_at(&["metadata", "name"])
    }

    /// The namespace the document names; `None` when absent, null or empty.
    pub fn namespace(&self) -> Option<&str> {
        self.str_at(&["metadata", "namespace"]).filter(|ns| !ns.is_empty())
    }

    pub fn describe(&self) -> String {
        describe(self.index, self.kind(), self.name(), self.chunk)
    }
}

/// `kind` and `metadata.name` read off the lines of a document that does not parse, so that its
/// error can still say whose it is. Only the usual layout (`kind:` at column 0, `name:` under `metadata:`).
fn identity_from_text(text: &str) -> (Option<&str>, Option<&str>) {
    fn value<'t>(line: &'t str, key: &str) -> Option<&'t str> {
        let v = line.strip_prefix(key)?;
        // A comment ends the value, and so does what Kubernetes reads as a line break.
        let comment = v
            .match_indices('#')
            .map(|(i, _)| i)
            .find(|&i| v[..i].ends_with([' ', '\t']));
        let v = comment.map_or(v, |i| &v[..i]);
        let v = v.split(['\u{85}', '\u{2028}', '\u{2029}']).next().unwrap_or(v);
        let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
        (!v.is_empty() && !v.starts_with(['{', '[', '&', '*', '!', '#', '|', '>'])).then_some(v)
    }
    let (mut kind, mut name, mut in_metadata) = (None, None, false);
    for line in text.lines() {
        if !line.starts_with([' ', '\t']) {
            in_metadata = line.trim_end() == "metadata:";
            kind = kind.or_else(|| value(line, "kind:"));
        } else if in_metadata {
            name = name.or_else(|| value(line.trim_start(), "name:"));
        }
    }
    (kind, name)
}

/// "document 3 (Deployment/deis-builder, from workflow/templates/builder.yaml)".
/// What comes from the input is escaped: a line break or terminal sequence cannot forge a line.
pub fn describe(index: usize, kind: Option<&str>, name: Option<&str>, chunk: Chunk<'_>) -> String {
    let escape = crate::escape::escape_controls;
    let what = kind.map(|k| match name {
        Some(n) => format!("{}/{}", escape(k), escape(n)),
        None => escape(k).into_owned(),
    });
    // The file named by Helm 3's `# Source:` comment.
    let head = |l: &&str| l.starts_with(['#', '%']) || l.starts_with("---") || split::is_blank_line(l);
    let source = chunk
        .text
        .lines()
        .take_while(head)
        .find_map(|l| l.strip_prefix("# Source: "));
    let from = source.map(|f| format!("from {}", escape(f.trim())));
    let parts: Vec<String> = what.into_iter().chain(from).collect();
    if parts.is_empty() {
        format!("document {index}")
    } else {
        format!("document {index} ({})", parts.join(", "))
    }
}

/// Bad input: which document, where in the stream, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{document}, line {line}{}: {message}", .col.map_or(String::new(), |c| format!(" column {c}")))]
pub struct InputError {
    /// "document 3 (Deployment/deis-builder)".
    pub document: String,
    /// 1-based line in the stream.
    pub line: usize,
    /// 1-based column, when known.
    pub col: Option<usize>,
    pub message: String,
}

impl InputError {
    /// An error about `document`, the one of `chunk`, at its document-relative `line`.
    pub fn new(document: String, chunk: Chunk<'_>, line: usize, message: impl Into<String>) -> Self {
        InputError {
            document,
            line: chunk.first_line + line.saturating_sub(1),
            col: None,
            message: message.into(),
        }
    }

    pub(crate) fn syntax(index: usize, chunk: Chunk<'_>, e: tree::SyntaxError) -> Self {
        InputError::in_text(index, chunk, e.line, e.col, format!("invalid YAML: {}", e.message))
    }

    /// An error about the text of a document that is not parsed (or whose
    /// parse cannot be trusted), at its document-relative `line` and `col`.
    pub(crate) fn in_text(index: usize, chunk: Chunk<'_>, line: usize, col: usize, message: String) -> Self {
        let (kind, name) = identity_from_text(chunk.text);
        InputError {
            col: Some(col),
            ..InputError::new(describe(index, kind, name, chunk), chunk, line, message)
        }
    }

    /// An error about a node of `doc`, at its document-relative `line`.
    pub fn at(doc: &Document<'_>, line: usize, message: impl Into<String>) -> Self {
        InputError::new(doc.describe(), doc.chunk, line, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_document_source_and_stream_line() {
        let s = "---\n# Source: wf/templates/a.yaml\nkind: A\n---\n# Source: wf/templates/b.yaml\nkind: B\nx: \"open\n";
        let e = parse_stream(s).unwrap_err();
        assert_eq!(e.document, "document 1 (B, from wf/templates/b.yaml)");
        assert_eq!(e.line, 7, "{e}");
        assert!(
            e.to_string()
                .starts_with("document 1 (B, from wf/templates/b.yaml), line 7 column"),
            "{e}"
        );
    }

    #[test]
    fn a_document_that_does_not_parse_is_named_without_its_comments() {
        let s = "kind: Deployment\t# note\nmetadata:\n  name: a#b # c\nx: \"open\n";
        assert_eq!(parse_stream(s).unwrap_err().document, "document 0 (Deployment/a#b)");
    }

    #[test]
    fn describes_and_locates_documents() {
        let s = "---\n# Source: wf/x.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    helm.sh/hook: pre-install\n";
        let docs = parse_stream(s).unwrap();
        let d = &docs[0];
        assert_eq!(d.describe(), "document 0 (Secret/s, from wf/x.yaml)");
    }

    #[test]
    fn null_and_empty_namespaces_are_no_namespace() {
        for (text, expected) in [
            ("metadata: {name: a, namespace: ~}", None),
            ("metadata: {name: a, namespace: }", None),
            ("metadata:\n  name: a\n  namespace:\n", None),
            ("metadata: {name: a, namespace: \"\"}", None),
            ("metadata: {name: a, namespace: null}", None),
            ("metadata: {name: a, namespace: \"~\"}", Some("~")),
            ("metadata: {name: a, namespace: deis}", Some("deis")),
        ] {
            let docs = parse_stream(text).unwrap();
            assert_eq!(docs[0].namespace(), expected, "{text}");
        }
    }
}
