//! Splitting a stream into documents on column-0 `---` lines.
//!
//! The YAML spec forbids a column-0 `---` followed by white space or a line end
//! inside any scalar (`c-forbidden`), so such a line always starts a document.
//! Splitting first lets every document be parsed on its own (and in parallel),
//! and lets untouched documents be copied byte for byte.

use memchr::memmem;

/// One document of the stream, exactly as read, starting with its `---` line
/// (except for a first document that had none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a> {
    /// The document's bytes, including its `---` line and trailing newline.
    pub text: &'a str,
    /// Byte offset of `text` in the stream.
    pub offset: usize,
    /// 1-based line number of the chunk's first line in the stream.
    pub first_line: usize,
}

impl Chunk<'_> {
    /// Whether the chunk begins with a `---` marker line.
    pub fn has_marker(&self) -> bool {
        is_marker_at(self.text, skip_bom(self.text))
    }
}

const BOM: &str = "\u{feff}";

fn skip_bom(text: &str) -> usize {
    if text.starts_with(BOM) {
        BOM.len()
    } else {
        0
    }
}

/// `---` at `pos` followed by a blank, a line end or the end of input.
fn is_marker_at(text: &str, pos: usize) -> bool {
    let bytes = text.as_bytes();
    bytes.get(pos..).is_some_and(|rest| rest.starts_with(b"---"))
        && matches!(bytes.get(pos + 3), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
}

/// Directives (`%YAML 1.1`, `%TAG ...`) belong to the document whose `---`
/// follows them: the start of the first directive line in the block of
/// directive, comment and blank lines just before the marker at `marker`
/// (the marker itself when there is none).
fn directives_start(stream: &str, marker: usize) -> usize {
    let bytes = stream.as_bytes();
    let mut start = marker;
    let mut line_end = marker;
    while line_end > 0 {
        // The line before `line_end` (which is just past a `\n`).
        let Some(line_start) = bytes
            .get(..line_end - 1)
            .map(|b| memchr::memrchr(b'\n', b).map_or(0, |i| i + 1))
        else {
            break;
        };
        let line = stream
            .get(line_start..line_end - 1)
            .unwrap_or("")
            .trim_end_matches('\r');
        if line.starts_with('%') {
            start = line_start;
        } else if !(line.trim().is_empty() || line.trim_start().starts_with('#')) {
            break;
        }
        line_end = line_start;
    }
    start
}

/// Split `stream` into chunks. Concatenating the chunks' texts gives back the
/// stream exactly. A stream without content gives one empty chunk.
pub fn split(stream: &str) -> Vec<Chunk<'_>> {
    let mut starts = vec![0];
    for nl in memmem::find_iter(stream.as_bytes(), b"\n---") {
        if is_marker_at(stream, nl + 1) {
            let start = directives_start(stream, nl + 1);
            if start > starts.last().copied().unwrap_or(0) {
                starts.push(start);
            }
        }
    }
    let mut chunks = Vec::with_capacity(starts.len());
    let mut line = 1;
    let mut prev = 0;
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(stream.len());
        line += memchr::memchr_iter(b'\n', &stream.as_bytes()[prev..start]).count();
        prev = start;
        chunks.push(Chunk {
            text: &stream[start..end],
            offset: start,
            first_line: line,
        });
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<&str> {
        split(s).iter().map(|c| c.text).collect()
    }

    #[test]
    fn splits_on_column_zero_markers_only() {
        let s = "---\na: 1\n---\nb: |\n  --- not a marker\n---\nc: 3\n";
        assert_eq!(
            texts(s),
            ["---\na: 1\n", "---\nb: |\n  --- not a marker\n", "---\nc: 3\n"]
        );
    }

    #[test]
    fn first_chunk_without_marker_and_line_numbers() {
        let s = "# head\na: 1\n--- # comment\nb: 2\n---\n";
        let c = split(s);
        assert_eq!(c.len(), 3);
        assert!(!c[0].has_marker());
        assert!(c[1].has_marker());
        assert_eq!((c[0].first_line, c[1].first_line, c[2].first_line), (1, 3, 5));
        assert_eq!(c.iter().map(|c| c.text).collect::<String>(), s);
    }

    #[test]
    fn directives_go_with_the_document_they_precede() {
        assert_eq!(
            texts("a: 1\n...\n%YAML 1.1\n# c\n---\nb: 2\n"),
            ["a: 1\n...\n", "%YAML 1.1\n# c\n---\nb: 2\n"]
        );
        assert_eq!(texts("%YAML 1.1\n---\nb: 2\n"), ["%YAML 1.1\n---\nb: 2\n"]);
        assert_eq!(texts("# c\n---\nb: 2\n"), ["# c\n", "---\nb: 2\n"]);
    }

    #[test]
    fn dashes_followed_by_text_are_not_markers() {
        assert_eq!(texts("a: 1\n----\n---x\n"), ["a: 1\n----\n---x\n"]);
    }

    #[test]
    fn crlf_bom_and_empty_input() {
        assert_eq!(
            texts("\u{feff}---\r\na: 1\r\n---\r\nb: 2\r\n"),
            ["\u{feff}---\r\na: 1\r\n", "---\r\nb: 2\r\n"]
        );
        assert!(split("\u{feff}---\n").first().unwrap().has_marker());
        assert_eq!(texts(""), [""]);
        assert_eq!(texts("---"), ["---"]);
    }
}
