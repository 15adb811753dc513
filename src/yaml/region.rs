//! Reading back only the lines an edit changed.
//!
//! The meaning check ([`super::journal`]) must know what the whole edited
//! document means. Parsing all of it again costs as much as the first parse,
//! although an edit usually changes a line or two. This module finds, when it
//! can prove it safe, the smallest block collection N of the original whose
//! lines hold every splice, parses N's edited lines on their own, and says
//! what they mean. The edited document then means the original with N
//! replaced by that value. When it cannot prove it, it says nothing
//! (`None`), and the caller parses the whole edited document as before.
//!
//! Why the part means what the whole would. Let `c` be N's column. N's
//! edited lines are parsed as a document of their own, with the text before
//! N on its first line (indentation and `- ` entry indicators) written as
//! spaces, so that N still starts at column `c`.
//! - Inside the document, N and every ancestor are block collections (no
//!   flow context), N's span starts at its own first token (its first key,
//!   or its first `- `; an indentless sequence's starts at its first item's
//!   content, so one is never N), and the text before N on its line is
//!   indentation and `- ` only: the parser meets N's first line in block
//!   context, with no key pending, opening a collection at column `c` as the
//!   standalone parse does.
//! - Every line of the edited part after the first is blank or indented by
//!   `c` spaces at least. The block scanner closes a collection only on a
//!   line indented less than it, so no line of the part closes an ancestor:
//!   above column `c` the two parses hold the same open collections. A line
//!   the standalone parse could not place is a syntax error there: no answer.
//! - The part cannot reach past its end: a standalone parse that succeeds
//!   has closed every quote, bracket and flow collection by then, a plain
//!   scalar does not continue onto a line indented less than `c` (the first
//!   line after the part is one, or a comment or blank line, or there is
//!   none), and a part whose last
//!   node is a block scalar, which would take in the indented comments or
//!   blank lines after it, gets no answer. Nor can it end the document: no
//!   line of the part may be a `---` or `...` marker.
//! - Neither the original part nor the edited one holds an explicit key
//!   (`? `): the parser places the empty value of a `? key` without a `:`
//!   line at the next token, which may be on an ancestor's line, so N's span
//!   would reach past N's own lines; and the original part's lines, too,
//!   must be indented `c` spaces at least.
//! - The part has no tag (no `!` anywhere in it), so `%TAG` directives
//!   cannot read it differently in place; the document has no alias or
//!   merge key and the part has none either, so what a node means depends on
//!   that node alone; and N and each ancestor are reached by the last
//!   occurrence of their key, so the decoded document reads N itself, not a
//!   duplicate that hides it.
//!
//! [`super::journal`] checks in debug builds and under the fuzzer that the
//! whole-document check agrees whenever this one accepts, and
//! `tests/region.rs` tries hostile splices against the lemma itself (it holds
//! the counterexamples a first review found with explicit keys; a second
//! review, 13 million generated splices, found none).

use serde_json::Value as Json;

use super::tree::{self, Features, Node, MAX_WALK_DEPTH};
use super::yaml11::{self, key_name, Seg};

/// What the edited lines of one collection mean.
#[derive(Debug)]
pub struct Reread<'n, 'a> {
    /// The nodes from the root down to N, the collection that holds every
    /// splice: `chain[k]` is at `path[..k]`.
    pub chain: Vec<&'n Node<'a>>,
    /// N's path from the root, as Kubernetes names it.
    pub path: Vec<Seg>,
    /// What N's edited lines mean.
    pub value: Json,
}

/// The edited document is `original[..changed.0]`, new text, then
/// `original[changed.1..]` (the splices' union). Says what the smallest
/// block collection holding that change means once edited, when that is
/// provably what it means inside the whole edited document.
pub fn reread<'n, 'a>(
    original: &str,
    root: &'n Node<'a>,
    features: Features,
    changed: (usize, usize),
    edited: &str,
) -> Option<Reread<'n, 'a>> {
    if !features.is_local() {
        return None;
    }
    let (lo, hi) = changed;
    let delta = edited.len() as isize - original.len() as isize;
    // The block collections holding the change, outermost first, each with
    // its path; the root itself is never one (that is the whole document).
    let mut chain = vec![root];
    let mut path = Vec::new();
    let mut candidates: Vec<usize> = Vec::new();
    let mut node = root;
    while chain.len() < MAX_WALK_DEPTH / 4 {
        // A key hidden by a later one of the same name: nothing below it is
        // what the decoded document reads.
        let Some((child, Some(seg))) = child_holding(node, original, lo, hi) else {
            break;
        };
        path.push(seg);
        chain.push(child);
        candidates.push(chain.len() - 1);
        node = child;
    }
    for &depth in candidates.iter().rev() {
        let n = chain[depth];
        let start = n.loc().start;
        let line = line_start(original, start);
        let end = lines_end(original, n.loc().end);
        let prefix = original.get(line..start)?;
        let column = start - line;
        if !is_entry_indent(prefix) || !starts_with_own_token(n, original) {
            continue;
        }
        let edited_end = usize::try_from(end as isize + delta).ok()?;
        let (Some(part), Some(was)) = (edited.get(start..edited_end), original.get(start..end)) else {
            continue;
        };
        // A part that lost its last line break would join the line after it.
        let joins = edited_end < edited.len() && !part.ends_with(['\n', '\r']);
        // The original's lines must fit too: a span that ends past N's own
        // lines (as after a valueless `? key`) would let a splice reach a
        // line of an ancestor.
        if joins || !fits_column(part, column) || !fits_column(was, column) {
            continue;
        }
        if has_explicit_key(part) || has_explicit_key(was) {
            continue;
        }
        let standalone = format!("{:column$}{part}", "");
        let value = read_alone(&standalone, column, n, depth)?;
        chain.truncate(depth + 1);
        path.truncate(depth);
        return Some(Reread { chain, path, value });
    }
    None
}

/// The block collection among `node`'s values whose lines hold `lo..hi`,
/// with its path step (`None` inside when the key is not the last of its
/// name, or not one Kubernetes can name: then nothing below can be read).
fn child_holding<'n, 'a>(node: &'n Node<'a>, text: &str, lo: usize, hi: usize) -> Option<(&'n Node<'a>, Option<Seg>)> {
    let holds = |n: &Node<'_>| {
        let block = match n {
            Node::Mapping(m) => !m.flow,
            Node::Sequence(s) => !s.flow,
            _ => false,
        };
        block && n.loc().start <= lo && hi <= lines_end(text, n.loc().end)
    };
    match node {
        Node::Mapping(m) if !m.flow => {
            let (i, entry) = m.entries.iter().enumerate().find(|(_, e)| holds(&e.value))?;
            let name = key_name(&entry.key);
            let last = name.as_ref().is_some_and(|k| {
                m.entries
                    .get(i + 1..)
                    .unwrap_or(&[])
                    .iter()
                    .all(|e| key_name(&e.key).as_ref() != Some(k))
            });
            Some((&entry.value, name.filter(|_| last).map(Seg::Key)))
        }
        Node::Sequence(s) if !s.flow => {
            let (i, item) = s.items.iter().enumerate().find(|(_, n)| holds(n))?;
            Some((item, Some(Seg::Index(i))))
        }
        _ => None,
    }
}

/// Parse the part on its own and decode it; `None` unless it is one block
/// collection of N's kind at N's column, without alias, merge key or block
/// scalar at its end, shallow enough to decode at N's depth.
fn read_alone(standalone: &str, column: usize, n: &Node<'_>, depth: usize) -> Option<Json> {
    if standalone.contains('!') {
        return None;
    }
    let (root, features) = tree::parse_document(standalone).ok()??;
    let same_kind = match (&root, n) {
        (Node::Mapping(a), Node::Mapping(_)) => !a.flow,
        (Node::Sequence(a), Node::Sequence(_)) => !a.flow,
        _ => false,
    };
    if !same_kind || root.loc().start != column || !features.is_local() || features.anchors {
        return None;
    }
    if ends_in_block_scalar(&root) || depth + nesting(&root, 0) >= MAX_WALK_DEPTH / 2 {
        return None;
    }
    yaml11::decode_with(&root, features).ok()
}

/// Whether a collection's span starts at its own first token: its first key,
/// or its first `- `. An indentless sequence's span starts at its first
/// item's content instead, so the text before it on the line would hold its
/// own indicator: read alone, it would lose a level.
fn starts_with_own_token(n: &Node<'_>, text: &str) -> bool {
    let start = n.loc().start;
    match n {
        Node::Mapping(m) => m.entries.first().is_some_and(|e| e.key.loc().start == start),
        Node::Sequence(s) => {
            text.as_bytes().get(start) == Some(&b'-') && s.items.first().is_some_and(|i| i.loc().start > start)
        }
        _ => false,
    }
}

/// Indentation and `- ` entry indicators only.
fn is_entry_indent(prefix: &str) -> bool {
    let bytes = prefix.as_bytes();
    bytes
        .iter()
        .enumerate()
        .all(|(i, b)| *b == b' ' || (*b == b'-' && bytes.get(i + 1) == Some(&b' ')))
}

/// Whether a `?` could be an explicit key's indicator (followed by white
/// space, a line break or the end). The empty value of a `? key` without a
/// `:` line is placed by the parser at the next token, possibly on a line of
/// an ancestor, and a block scalar written as such a key is no collection's
/// last value: rather than reason about either, a part with one is not read
/// alone.
fn has_explicit_key(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'?', bytes).any(|i| matches!(bytes.get(i + 1), None | Some(b' ' | b'\t' | b'\n' | b'\r')))
}

/// Whether every line of `part` after its first is blank (spaces only) or
/// indented `column` spaces at least, and none is a document marker.
fn fits_column(part: &str, column: usize) -> bool {
    let mut lines = Lines(part);
    let Some(first) = lines.next() else { return false };
    if column == 0 && is_marker(first) {
        return false;
    }
    lines.all(|line| {
        let spaces = line.bytes().take_while(|b| *b == b' ').count();
        spaces == line.len() || (spaces >= column && !(column == 0 && is_marker(line)))
    })
}

fn is_marker(line: &str) -> bool {
    line.starts_with("---") || line.starts_with("...")
}

/// The lines of a text, split at `\n`, `\r\n` and a lone `\r` (as YAML
/// splits them), without their breaks.
struct Lines<'t>(&'t str);

impl<'t> Iterator for Lines<'t> {
    type Item = &'t str;

    fn next(&mut self) -> Option<&'t str> {
        if self.0.is_empty() {
            return None;
        }
        let bytes = self.0.as_bytes();
        let (line, rest) = match memchr::memchr2(b'\n', b'\r', bytes) {
            Some(i) => {
                let skip = if bytes.get(i) == Some(&b'\r') && bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                (self.0.get(..i)?, self.0.get(i + skip..)?)
            }
            None => (self.0, ""),
        };
        self.0 = rest;
        Some(line)
    }
}

/// The start of the line holding `pos`.
fn line_start(text: &str, pos: usize) -> usize {
    let bytes = text.as_bytes();
    bytes
        .get(..pos.min(bytes.len()))
        .and_then(|b| memchr::memrchr2(b'\n', b'\r', b))
        .map_or(0, |i| i + 1)
}

/// The end of the lines a node ends on: `end` itself when it is a line
/// start (block scalars end there), else past the break of its line.
fn lines_end(text: &str, end: usize) -> usize {
    let bytes = text.as_bytes();
    let before = end.checked_sub(1).and_then(|i| bytes.get(i));
    match before {
        None => return 0,
        Some(b'\r') if bytes.get(end) == Some(&b'\n') => return end + 1,
        Some(b'\n' | b'\r') => return end,
        _ => {}
    }
    match bytes.get(end..).and_then(|b| memchr::memchr2(b'\n', b'\r', b)) {
        Some(i) if bytes.get(end + i) == Some(&b'\r') && bytes.get(end + i + 1) == Some(&b'\n') => end + i + 2,
        Some(i) => end + i + 1,
        None => bytes.len(),
    }
}

/// Whether the last node of `node`, following last entries and items down,
/// is a block scalar.
fn ends_in_block_scalar(node: &Node<'_>) -> bool {
    let mut node = node;
    for _ in 0..MAX_WALK_DEPTH {
        node = match node {
            Node::Mapping(m) => match m.entries.last() {
                Some(e) => &e.value,
                None => return false,
            },
            Node::Sequence(s) => match s.items.last() {
                Some(i) => i,
                None => return false,
            },
            Node::Scalar(s) => {
                return matches!(
                    s.style,
                    granit_parser::ScalarStyle::Literal | granit_parser::ScalarStyle::Folded
                )
            }
            Node::Alias(_) => return false,
        };
    }
    true
}

/// How deep `node` nests, up to [`MAX_WALK_DEPTH`].
fn nesting(node: &Node<'_>, depth: usize) -> usize {
    if depth >= MAX_WALK_DEPTH {
        return depth;
    }
    match node {
        Node::Mapping(m) => m
            .entries
            .iter()
            .map(|e| nesting(&e.key, depth + 1).max(nesting(&e.value, depth + 1)))
            .max()
            .unwrap_or(depth),
        Node::Sequence(s) => s.items.iter().map(|i| nesting(i, depth + 1)).max().unwrap_or(depth),
        _ => depth,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reread_of(original: &str, edited: &str) -> Option<(Vec<Seg>, Json)> {
        let (root, features) = tree::parse_document(original).unwrap().unwrap();
        let lo = original.bytes().zip(edited.bytes()).take_while(|(a, b)| a == b).count();
        let common_end = original
            .bytes()
            .rev()
            .zip(edited.bytes().rev())
            .take_while(|(a, b)| a == b)
            .count()
            .min(original.len() - lo)
            .min(edited.len() - lo);
        let hi = original.len() - common_end;
        reread(original, &root, features, (lo, hi), edited).map(|r| (r.path, r.value))
    }

    #[test]
    fn a_changed_value_is_read_in_the_smallest_block_collection_holding_it() {
        let original = "a:\n  env:\n    - name: X\n      value: \"on\"\n    - name: Y\n      value: b\nz: 1\n";
        let edited = original.replace("\"on\"", "\"off\"");
        let (path, value) = reread_of(original, &edited).unwrap();
        assert_eq!(path, [Seg::Key("a".into()), Seg::Key("env".into()), Seg::Index(0)]);
        assert_eq!(value, serde_json::json!({"name": "X", "value": "off"}));
    }

    #[test]
    fn lines_less_indented_than_the_collection_get_no_answer_from_it() {
        let original = "a:\n  b:\n    c: 1\n  d: 2\n";
        // New key of `a`, spliced at the end of `b`'s lines.
        let edited = "a:\n  b:\n    c: 1\n  e: 3\n  d: 2\n";
        let (path, value) = reread_of(original, edited).unwrap();
        assert_eq!(path, [Seg::Key("a".into())], "read in `a`, not `b`");
        assert_eq!(value, serde_json::json!({"b": {"c": 1}, "e": 3, "d": 2}));
        // A key at the root: no block collection below the root holds it.
        assert!(reread_of(original, "a:\n  b:\n    c: 1\nx: 1\n  d: 2\n").is_none());
    }

    #[test]
    fn what_could_read_otherwise_in_place_gets_no_answer() {
        let original = "a:\n  b:\n    c: 1\n    # note\n  d: 2\n";
        for edited in [
            // A block scalar last: in place it would take in the comment.
            "a:\n  b:\n    c: |\n      x\n    # note\n  d: 2\n",
            // A tag (a `%TAG` directive could read it otherwise).
            "a:\n  b:\n    c: !!str 1\n    # note\n  d: 2\n",
            // An alias.
            "a:\n  b:\n    c: *x\n    # note\n  d: 2\n",
            // Flow collections are not cut into.
            "a: {b: {c: 2}}\n",
        ] {
            assert!(reread_of(original, edited).is_none(), "{edited:?}");
        }
        let duplicated = "a:\n  b:\n    c: 1\na:\n  b:\n    c: 5\n";
        assert!(reread_of(duplicated, &duplicated.replacen("c: 1", "c: 2", 1)).is_none());
        let (path, _) = reread_of(duplicated, &duplicated.replacen("c: 5", "c: 6", 1)).unwrap();
        assert_eq!(path, [Seg::Key("a".into()), Seg::Key("b".into())]);
    }

    #[test]
    fn entries_and_crlf_lines() {
        let original = "x:\r\n- - name: a\r\n    value: 1\r\n- b\r\n";
        let edited = original.replace("value: 1", "value: 2\r\n    more: 3");
        let (path, value) = reread_of(original, &edited).unwrap();
        assert_eq!(path, [Seg::Key("x".into()), Seg::Index(0), Seg::Index(0)]);
        assert_eq!(value, serde_json::json!({"name": "a", "value": 2, "more": 3}));
    }

    #[test]
    fn an_indentless_sequence_is_never_read_alone() {
        // Its span starts at its first item's content: `- ` would be lost.
        let original = "x:\n- - a: 1\n    b: 2\n  - c\n- d: 4\n";
        let edited = "x:\n- - a: 1\n    b: 2\n  - c\n";
        assert!(reread_of(original, edited).is_none());
        let edited = original.replace("c\n", "e\n");
        let (path, _) = reread_of(original, &edited).unwrap();
        assert_eq!(
            path,
            [Seg::Key("x".into()), Seg::Index(0)],
            "the inner sequence is indented"
        );
    }

    #[test]
    fn lines_and_their_ends() {
        assert_eq!(Lines("a\nb\r\nc\rd").collect::<Vec<_>>(), ["a", "b", "c", "d"]);
        assert_eq!(Lines("a\n\n").collect::<Vec<_>>(), ["a", ""]);
        assert_eq!(lines_end("ab\ncd", 1), 3);
        assert_eq!(lines_end("ab\r\ncd", 1), 4);
        assert_eq!(lines_end("ab\r\ncd", 3), 4);
        assert_eq!(lines_end("ab\ncd", 3), 3);
        assert_eq!(lines_end("ab\ncd", 4), 5);
        assert!(is_entry_indent("  - - "));
        assert!(!is_entry_indent("  -x"));
        assert!(!is_entry_indent("? "));
    }
}
