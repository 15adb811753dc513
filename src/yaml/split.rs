//! Splitting a stream into documents on column-0 `---` lines, which YAML
//! forbids inside any scalar (`c-forbidden`) when followed by white space or a
//! line end. So every document is parsed on its own (and in parallel), and
//! untouched ones are copied byte for byte.

use memchr::memmem;

/// One document of the stream, exactly as read, starting with its `---` line
/// (except for a first document that had none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub text: &'a str,
    /// Byte offset of `text` in the stream.
    pub offset: usize,
    /// 1-based line number of the chunk's first line in the stream.
    pub first_line: usize,
}

impl Chunk<'_> {
    /// Whether the chunk begins with a `---` marker line.
    pub fn has_marker(&self) -> bool {
        is_marker_at(without_bom(self.text), 0)
    }
}

fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// `---` at `pos` followed by a blank, a line end or the end of input.
fn is_marker_at(text: &str, pos: usize) -> bool {
    let bytes = text.as_bytes();
    bytes.get(pos..).is_some_and(|rest| rest.starts_with(b"---"))
        && matches!(bytes.get(pos + 3), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
}

/// Whether a line holds only YAML's white space (spaces, tabs, a carriage
/// return): not Unicode's, for a no-break space is content to YAML.
pub fn is_blank_line(line: &str) -> bool {
    line.trim_matches([' ', '\t', '\r']).is_empty()
}

fn is_blank_or_comment(line: &str) -> bool {
    is_blank_line(line) || line.trim_start_matches([' ', '\t']).starts_with('#')
}

/// Directives (`%YAML`, `%TAG`) belong, in YAML, to the document whose `---`
/// follows them (Kubernetes leaves them in the one before: [`directive_line`]):
/// the start of the first `%` line among the directive, comment and blank
/// lines just before the marker at `marker` (the marker itself when none).
fn directives_start(stream: &str, marker: usize) -> usize {
    let (mut start, mut line_start) = (marker, marker);
    for line in stream.get(..marker).unwrap_or("").split_inclusive('\n').rev() {
        line_start -= line.len();
        let line = line.strip_suffix('\n').unwrap_or(line).trim_end_matches('\r');
        if line.starts_with('%') {
            start = line_start;
        } else if !is_blank_or_comment(line) {
            break;
        }
    }
    start
}

/// The 1-based line of a chunk's first directive: a `%` line among the
/// blank and comment lines before its first other line (a `%` line after
/// content is content, or no YAML at all). Why Kubernetes cannot read one:
/// docs/editing.md, "What is refused, and why".
pub fn directive_line(chunk: &str) -> Option<usize> {
    let (i, line) = without_bom(chunk)
        .split('\n')
        .enumerate()
        .find(|(_, l)| !is_blank_or_comment(l))?;
    line.starts_with('%').then_some(i + 1)
}

/// Split `stream` into chunks. Concatenating the chunks' texts gives back the
/// stream exactly. A stream without content gives one empty chunk.
pub fn split(stream: &str) -> Vec<Chunk<'_>> {
    chunks(stream).collect()
}

/// [`split`], one chunk at a time: a caller working in batches never holds
/// every document of a huge stream.
pub fn chunks(stream: &str) -> Chunks<'_> {
    Chunks {
        stream,
        start: Some(0),
        line: 1,
    }
}

#[derive(Debug, Clone)]
pub struct Chunks<'a> {
    stream: &'a str,
    /// Where the next chunk starts; `None` when done.
    start: Option<usize>,
    /// 1-based line of `start`.
    line: usize,
}

impl<'a> Iterator for Chunks<'a> {
    type Item = Chunk<'a>;

    fn next(&mut self) -> Option<Chunk<'a>> {
        let start = self.start?;
        let bytes = self.stream.as_bytes();
        let end = memmem::find_iter(bytes.get(start..).unwrap_or_default(), b"\n---")
            .map(|at| start + at + 1)
            // The directives just before a marker go with its document; a
            // marker whose directives open this chunk is its own.
            .find_map(|at| {
                Some(directives_start(self.stream, at)).filter(|&next| is_marker_at(self.stream, at) && next > start)
            })
            .unwrap_or(self.stream.len());
        let chunk = Chunk {
            text: self.stream.get(start..end).unwrap_or_default(),
            offset: start,
            first_line: self.line,
        };
        self.line += memchr::memchr_iter(b'\n', bytes.get(start..end).unwrap_or_default()).count();
        self.start = (end < self.stream.len()).then_some(end);
        Some(chunk)
    }
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
    fn directives_are_found_before_the_first_other_line() {
        assert_eq!(directive_line("%YAML 1.1\n---\na: 1\n"), Some(1));
        assert_eq!(directive_line("\u{feff}# c\n\n%TAG ! tag:x,2000:\n---\n"), Some(3));
        assert_eq!(directive_line("---\na: 1\n"), None);
        assert_eq!(directive_line("--- |\n%x\n"), None);
        assert_eq!(directive_line("a: 1\n"), None);
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
