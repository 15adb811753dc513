//! A read-only YAML tree of one document, built from granit-parser events:
//! values as the parser resolved them (escapes processed, no type
//! resolution), and each node's byte span, so edits can be spliced in place.

use std::borrow::Cow;

use granit_parser::{Event, Options, Parser, ScalarStyle, Span as ParserSpan, StructureStyle};

/// Where a node is: byte range in the document, and its start as line/column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Loc {
    /// Byte offsets of the node's first byte and just past its content (see [`Node::loc`]).
    pub start: usize,
    pub end: usize,
    /// `start`'s line (1-based, in the parsed text) and column (0-based, in characters).
    pub line: usize,
    pub col: usize,
}

/// A [`Loc`] as nodes store it: 32-bit fields halve its size, and trees are
/// kept from parse to splice (a document is at most 4 GiB: [`parse`]
/// refuses larger ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Span {
    start: u32,
    end: u32,
    line: u32,
    col: u32,
}

impl Span {
    fn of(span: &ParserSpan) -> Span {
        // Lossless: every offset, line and column is below the text's length.
        let start = span.start.byte_offset().unwrap_or(0);
        Span {
            start: start as u32,
            end: span.end.byte_offset().unwrap_or(start) as u32,
            line: span.start.line() as u32,
            col: span.start.col() as u32,
        }
    }

    fn loc(self) -> Loc {
        Loc {
            start: self.start as usize,
            end: self.end as usize,
            line: self.line as usize,
            col: self.col as usize,
        }
    }
}

/// A scalar with its resolved text and how it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar<'a> {
    pub value: Cow<'a, str>,
    pub style: ScalarStyle,
    /// The resolved tag (`tag:yaml.org,2002:str`, `!local`), if any.
    pub tag: Option<Box<str>>,
    pub anchor: AnchorId,
    span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub key: Node<'a>,
    pub value: Node<'a>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping<'a> {
    pub entries: Vec<Entry<'a>>,
    pub flow: bool,
    pub anchor: AnchorId,
    span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence<'a> {
    pub items: Vec<Node<'a>>,
    pub flow: bool,
    pub anchor: AnchorId,
    span: Span,
}

/// An alias (`*name`): where it stands and the id of the anchor it names
/// (0 when the anchor is not defined before it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias<'a> {
    span: Span,
    pub id: AnchorId,
    /// The scalar the anchor names, when it names a scalar: an alias of a
    /// scalar reads as that scalar (`name: *builder` is a name), as it does
    /// to Kubernetes. Aliases of collections are never expanded here.
    pub scalar: Option<Box<Scalar<'a>>>,
}

/// A YAML node. Aliases are kept as references, never expanded, so hostile
/// input cannot make the tree grow beyond the size of its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node<'a> {
    Scalar(Scalar<'a>),
    Mapping(Mapping<'a>),
    Sequence(Sequence<'a>),
    Alias(Alias<'a>),
}

/// The parser's id of an anchor, 0 for none: 32 bits, as each anchor takes
/// two bytes at least and documents are below 4 GiB.
pub type AnchorId = u32;

/// Each node's [`Loc`] (see [`Node::loc`]).
macro_rules! located {
    ($($node:ident),*) => {$(
        impl $node<'_> {
            pub fn loc(&self) -> Loc {
                self.span.loc()
            }
        }
    )*};
}
located!(Scalar, Mapping, Sequence, Alias);

impl<'a> Node<'a> {
    /// The node's location. For block collections `end` is the end of their
    /// last child; for block scalars it is the start of the line after their
    /// last content line (kept trailing blank lines included); otherwise it is
    /// just past the node's last character.
    pub fn loc(&self) -> Loc {
        match self {
            Node::Scalar(s) => s.loc(),
            Node::Mapping(m) => m.loc(),
            Node::Sequence(s) => s.loc(),
            Node::Alias(a) => a.loc(),
        }
    }

    /// The parser's id of the anchor defined on this node, 0 for none.
    pub fn anchor(&self) -> AnchorId {
        match self {
            Node::Scalar(s) => s.anchor,
            Node::Mapping(m) => m.anchor,
            Node::Sequence(s) => s.anchor,
            Node::Alias(_) => 0,
        }
    }

    /// The text of a scalar node (or of the scalar an alias names),
    /// whatever its style.
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(|s| &*s.value)
    }

    /// The scalar this node is, or the scalar its alias names.
    pub fn as_scalar(&self) -> Option<&Scalar<'a>> {
        match self {
            Node::Scalar(s) => Some(s),
            Node::Alias(a) => a.scalar.as_deref(),
            _ => None,
        }
    }

    pub fn as_mapping(&self) -> Option<&Mapping<'a>> {
        match self {
            Node::Mapping(m) => Some(m),
            _ => None,
        }
    }

    /// A plain, untagged scalar that YAML 1.1 reads as null (`~`, `null`, empty).
    pub fn is_null(&self) -> bool {
        matches!(self.as_scalar(), Some(s) if s.style == ScalarStyle::Plain && s.tag.is_none()
            && super::yaml11::plain_is_null(&s.value))
    }

    /// Follow a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node<'a>> {
        keys.iter().try_fold(self, |node, key| node.as_mapping()?.get(key))
    }

    /// The text at a path of mapping keys; `None` for a null (`~`, `null`,
    /// empty), which Kubernetes reads as no value at all.
    pub fn str_at(&self, keys: &[&str]) -> Option<&str> {
        self.path(keys).filter(|n| !n.is_null())?.as_str()
    }
}

impl<'a> Mapping<'a> {
    /// The value for `key` (see [`Mapping::entry`]).
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry whose key Kubernetes reads as `key`, however it is written
    /// (`!!binary bmFtZQ==` and `"n\x61me"` are `name`); the last one if the
    /// key is duplicated.
    pub fn entry(&self, key: &str) -> Option<&Entry<'a>> {
        self.entries
            .iter()
            .rev()
            .find(|e| super::yaml11::key_name(&e.key).as_deref() == Some(key))
    }
}

/// Call `f` on each node of the tree at `node`, in the order of the text,
/// to [`MAX_WALK_DEPTH`] levels below it.
pub fn each_node<'n, 'a>(node: &'n Node<'a>, depth: usize, f: &mut impl FnMut(&'n Node<'a>)) {
    f(node);
    if depth > MAX_WALK_DEPTH {
        return;
    }
    match node {
        Node::Mapping(m) => m.entries.iter().for_each(|e| {
            each_node(&e.key, depth + 1, f);
            each_node(&e.value, depth + 1, f);
        }),
        Node::Sequence(s) => s.items.iter().for_each(|i| each_node(i, depth + 1, f)),
        _ => {}
    }
}

/// A syntax error, located relative to the parsed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    /// 1-based line and column.
    pub line: usize,
    pub col: usize,
}

impl SyntaxError {
    fn new(message: impl Into<String>, line: usize, col: usize) -> Self {
        SyntaxError {
            message: message.into(),
            line,
            col,
        }
    }
}

/// What a document uses that makes a node's meaning depend on other nodes,
/// noted while parsing: readers skip whole-tree walks for what is absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Features {
    /// A node with an anchor (`&name`).
    pub anchors: bool,
    /// An alias (`*name`).
    pub aliases: bool,
    /// Nesting deeper than [`MAX_WALK_DEPTH`].
    pub deep: bool,
}

/// How deep the walks over a tree go before they stop (or refuse).
pub const MAX_WALK_DEPTH: usize = 256;

/// Parse one document (a chunk from [`super::split`]). Returns `Ok(None)` when
/// the text holds no node (empty, or only comments and markers).
pub fn parse(text: &str) -> Result<Option<Node<'_>>, SyntaxError> {
    parse_document(text).map(|parsed| parsed.map(|(root, _)| root))
}

/// [`parse`], with the document's [`Features`].
pub fn parse_document(text: &str) -> Result<Option<(Node<'_>, Features)>, SyntaxError> {
    if u32::try_from(text.len()).is_err() {
        return Err(SyntaxError::new("a single document larger than 4 GiB", 1, 1));
    }
    let mut builder = Builder {
        text,
        ..Builder::default()
    };
    // Comments are never needed: untouched text is copied, not re-emitted.
    // Anchor names are checked against YAML 1.1's (`Event::Anchor`).
    let mut options = Options::default();
    options.emit_comments = false;
    options.emit_anchor_events = true;
    for event in Parser::new_from_str_with_options(text, options) {
        let (event, span) = event.map_err(|e| SyntaxError::new(e.info(), e.marker().line(), e.marker().col() + 1))?;
        builder.push(event, span)?;
    }
    // `---` with nothing after it reads as a null node: no content either way.
    let features = builder.features;
    Ok(builder.root.filter(|root| !root.is_null()).map(|root| (root, features)))
}

/// A syntax error at the start of `span`.
fn error(span: &ParserSpan, message: &str) -> SyntaxError {
    SyntaxError::new(message, span.start.line(), span.start.col() + 1)
}

/// A second document in text read as one: a manifest's chunks are split at
/// `---` lines, so there it is one after `...` that lacks its own `---`; a
/// config file is not split, so there its `---` starts the second.
fn second_document(at: &str) -> &'static str {
    if at.starts_with("---") {
        "a second document starts at this `---` line: only one document is read here; remove the line (and what \
         follows it, or move that into the first document)"
    } else {
        "a second document starts here without a `---` line (after `...`); put `---` before it"
    }
}

/// A double-quoted scalar (`written`, as in the text) with `\/` or a `\u` of
/// a surrogate: YAML 1.2 reads both (pairing surrogates), go-yaml v2 knows
/// YAML 1.1's escapes only.
fn yaml11_escapes(written: &str) -> Result<(), &'static str> {
    let mut rest = written.as_bytes();
    while let Some(i) = memchr::memchr(b'\\', rest) {
        let hex = rest.get(i + 2..i + 6).and_then(|hex| std::str::from_utf8(hex).ok());
        let surrogate = hex.and_then(|hex| u32::from_str_radix(hex, 16).ok());
        match rest.get(i + 1) {
            Some(b'/') => return Err("the escape `\\/`, which Kubernetes (YAML 1.1) cannot read; write `/`"),
            Some(b'u') if surrogate.is_some_and(|c| (0xD800..0xE000).contains(&c)) => {
                return Err(
                    "a `\\u` escape of a surrogate, which Kubernetes (YAML 1.1) cannot read; \
                            write the character, or `\\U` and its eight hex digits",
                )
            }
            _ => {}
        }
        // Past the escaped character (a `\\` too).
        rest = rest.get(i + 2..).unwrap_or_default();
    }
    Ok(())
}

/// A block scalar whose content starts (at `start` of `text`) with a tab
/// after the spaces of its line, and whose header gives no indentation:
/// libyaml, finding the indentation on that line, refuses the tab ("found a
/// tab character where an indentation space is expected"); YAML 1.2 reads
/// it as content.
fn yaml11_block_indentation(text: &str, start: usize) -> Result<(), &'static str> {
    let before = text.get(..start).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    if text.as_bytes().get(start) != Some(&b'\t') || !before[line_start..].bytes().all(|b| b == b' ') {
        return Ok(());
    }
    // The header's line: the last before it that is not white space only.
    let header_line = before[..line_start]
        .trim_end_matches([' ', '\t', '\r', '\n'])
        .rsplit('\n')
        .next()
        .unwrap_or_default();
    // The header is the first `|` or `>` followed only by its indicators and
    // a comment (one in a key or a quoted scalar before it is not).
    let indicators = header_line.match_indices(['|', '>']).find_map(|(at, _)| {
        let rest = &header_line[at + 1..];
        let (indicators, tail) = rest.split_once([' ', '\t', '\r']).unwrap_or((rest, ""));
        let tail = tail.trim_start_matches([' ', '\t', '\r']);
        (indicators.bytes().all(|b| matches!(b, b'1'..=b'9' | b'+' | b'-'))
            && (tail.is_empty() || tail.starts_with('#')))
        .then_some(indicators)
    });
    match indicators {
        Some(i) if !i.bytes().any(|b| b.is_ascii_digit()) => Err(
            "a block scalar whose first line starts with a tab after its indentation, which Kubernetes \
             (YAML 1.1) cannot read; indent with spaces, or give the indentation in the header (`|2`)",
        ),
        _ => Ok(()),
    }
}

/// A collection still open. Its finished children wait on the builder's
/// scratch stacks, from `base` on, until it ends.
struct Open<'a> {
    sequence: bool,
    flow: bool,
    anchor: AnchorId,
    span: Span,
    /// A mapping's key, until its value comes.
    key: Option<Node<'a>>,
    base: usize,
}

#[derive(Default)]
struct Builder<'a> {
    text: &'a str,
    stack: Vec<Open<'a>>,
    /// Entries and items of the open collections, innermost last: each
    /// collection is allocated once, at its exact size, when it ends (a
    /// growing `Vec` per collection left a third of the tree's memory unused,
    /// and trees are kept from parse to splice).
    entries: Vec<Entry<'a>>,
    items: Vec<Node<'a>>,
    root: Option<Node<'a>>,
    documents: usize,
    /// Anchored scalars by anchor id, for the aliases that name them.
    scalars: std::collections::HashMap<usize, Scalar<'a>>,
    features: Features,
}

impl<'a> Builder<'a> {
    fn push(&mut self, event: Event<'a>, span: ParserSpan) -> Result<(), SyntaxError> {
        let sequence = matches!(event, Event::SequenceStart(..));
        match event {
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    let at = self.text.get(Span::of(&span).start as usize..).unwrap_or_default();
                    return Err(error(&span, second_document(at)));
                }
            }
            Event::Scalar(mut value, style, anchor, tag) => {
                let mut at = Span::of(&span);
                let (start, end) = (at.start as usize, at.end as usize);
                let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                let yaml11 = match style {
                    ScalarStyle::DoubleQuoted => yaml11_escapes(self.text.get(start..end).unwrap_or_default()),
                    _ if block => yaml11_block_indentation(self.text, start),
                    _ => Ok(()),
                };
                yaml11.map_err(|message| error(&span, message))?;
                if block {
                    if ends_input_without_line_break(self.text, end) && value.ends_with('\n') {
                        value.to_mut().pop();
                    }
                    at.end = block_scalar_end(self.text, end) as u32;
                }
                self.features.anchors |= anchor != 0;
                let scalar = Scalar {
                    value,
                    style,
                    tag: tag.map(|t| format!("{}{}", t.handle(), t.suffix()).into_boxed_str()),
                    anchor: anchor as AnchorId,
                    span: at,
                };
                if anchor != 0 {
                    self.scalars.insert(anchor, scalar.clone());
                }
                self.attach(Node::Scalar(scalar));
            }
            // go-yaml v2 (libyaml, YAML 1.1) ends an anchor or alias name at
            // the first character not a letter, a digit, `-` or `_`; YAML 1.2
            // only at white space or a flow indicator: `&a:b x` anchors `:b x`
            // to Kubernetes, `x` here, and `&a.b` is an error there. Refused,
            // never read otherwise (an alias names an anchor checked before).
            Event::Anchor(_, name) if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)) => {
                return Err(error(
                    &span,
                    "an anchor or alias name holds a character other than a letter, a digit, `-` or `_`, where \
                     Kubernetes (YAML 1.1) ends the name and reads the rest otherwise; rename it",
                ))
            }
            Event::Alias(id) => {
                self.features.aliases = true;
                let scalar = self.scalars.get(&id).cloned().map(Box::new);
                self.attach(Node::Alias(Alias {
                    span: Span::of(&span),
                    id: id as AnchorId,
                    scalar,
                }));
            }
            Event::MappingStart(style, anchor, _) | Event::SequenceStart(style, anchor, _) => {
                self.features.anchors |= anchor != 0;
                self.features.deep |= self.stack.len() >= MAX_WALK_DEPTH;
                // A collection anchor redefining a scalar's name.
                self.scalars.remove(&anchor);
                self.stack.push(Open {
                    sequence,
                    flow: style == StructureStyle::Flow,
                    anchor: anchor as AnchorId,
                    span: Span::of(&span),
                    key: None,
                    base: if sequence { self.items.len() } else { self.entries.len() },
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let Some(open) = self.stack.pop() else { return Ok(()) };
                let (sequence, flow, anchor, at, base) = (open.sequence, open.flow, open.anchor, open.span, open.base);
                // A block collection ends with its last child, a flow one at its bracket.
                let last = match sequence {
                    true => self.items[base..].last(),
                    false => self.entries[base..].last().map(|e| &e.value),
                };
                let end = match flow {
                    true => Span::of(&span).end,
                    false => last.map_or(at.start, |n| n.loc().end as u32),
                };
                let span = Span { end, ..at };
                let node = match sequence {
                    true => Node::Sequence(Sequence {
                        items: self.items.drain(base..).collect(),
                        flow,
                        anchor,
                        span,
                    }),
                    false => Node::Mapping(Mapping {
                        entries: self.entries.drain(base..).collect(),
                        flow,
                        anchor,
                        span,
                    }),
                };
                self.attach(node);
            }
            _ => {}
        }
        Ok(())
    }

    fn attach(&mut self, node: Node<'a>) {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(open) if open.sequence => self.items.push(node),
            Some(open) => match open.key.take() {
                None => open.key = Some(node),
                Some(key) => self.entries.push(Entry { key, value: node }),
            },
        }
    }
}

/// Whether a block scalar's content ends the input without a line break:
/// go-yaml then reads no final line break (`echo hi`), whatever its header,
/// where the YAML 1.2 parser adds one (clipping or keeping it).
fn ends_input_without_line_break(text: &str, end: usize) -> bool {
    let before = text.get(..end).unwrap_or_default();
    let last = before.trim_end_matches([' ', '\t', '\r', '\n']).len();
    !text[last..].contains(['\n', '\r'])
}

/// The parser ends a block scalar at the next token, after the indentation of
/// its line: step back to that line's start.
fn block_scalar_end(text: &str, end: usize) -> usize {
    let before = text.as_bytes().get(..end).unwrap_or(&[]);
    match before.iter().rposition(|&b| b != b' ' && b != b'\t') {
        Some(i) if matches!(before.get(i), Some(b'\n' | b'\r')) => i + 1,
        None => 0,
        _ => end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node<'_> {
        parse(text).unwrap().unwrap()
    }

    #[test]
    fn block_collections_end_at_their_last_child() {
        let t = "a:\n  b: 1\n  c: [x, y]\nd: 2\n";
        let r = root(t);
        let a = r.path(&["a"]).unwrap();
        assert_eq!(&t[a.loc().start..a.loc().end], "b: 1\n  c: [x, y]");
        assert_eq!(r.str_at(&["d"]), Some("2"));
    }

    #[test]
    fn block_scalars_end_at_the_start_of_the_next_line() {
        let t = "a: |+\n  hi\n\n  \nb: 1\n";
        let r = root(t);
        let a = r.path(&["a"]).unwrap();
        assert_eq!(a.as_str(), Some("hi\n\n\n"));
        assert_eq!(&t[a.loc().end..], "b: 1\n");
    }

    #[test]
    fn duplicate_keys_last_wins_and_aliases_stay_references() {
        let r = root("a: 1\na: 2\nb: &x {c: 1}\nd: *x\n");
        assert_eq!(r.str_at(&["a"]), Some("2"));
        assert!(matches!(r.path(&["d"]), Some(Node::Alias(_))));
    }

    #[test]
    fn an_alias_of_a_scalar_reads_as_that_scalar() {
        let r = root("a: &n deis-builder\nb: *n\nc: &z ~\nd: *z\ne: &n {f: 1}\ng: *n\n*n : 2\n");
        assert_eq!(r.str_at(&["b"]), Some("deis-builder"));
        assert!(r.path(&["d"]).is_some_and(Node::is_null));
        assert_eq!(r.str_at(&["d"]), None);
        // A collection anchor of the same name hides the scalar one.
        assert_eq!(r.str_at(&["g"]), None);
        let r = root("a: &k name\n*k : deis-builder\n");
        assert_eq!(r.str_at(&["name"]), Some("deis-builder"));
    }

    #[test]
    fn keys_are_found_by_what_they_decode_to() {
        let r = root("!!binary bmFtZQ==: a\n\"k\\x69nd\": b\n!!str yes: c\nyes: d\n");
        assert_eq!(r.str_at(&["name"]), Some("a"));
        assert_eq!(r.str_at(&["kind"]), Some("b"));
        assert_eq!(r.str_at(&["yes"]), Some("c"));
        assert_eq!(r.str_at(&["true"]), Some("d"));
    }

    #[test]
    fn empty_and_comment_only_documents_have_no_root() {
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("---\n# Source: x\n# HIDDEN\n").unwrap(), None);
        assert_eq!(parse("--- # c\n...\n").unwrap(), None);
    }

    #[test]
    fn errors_carry_line_and_column() {
        let e = parse("a: 1\nb: \"open\n").unwrap_err();
        assert_eq!(e.line, 2, "{e:?}");
        let e = parse("a: 1\n...\nb: 2\n").unwrap_err();
        assert!(e.message.contains("without a `---`"), "{e:?}");
        // Text read whole (a config file): its own `---` starts the second.
        let e = parse("a: 1\n---\n# more\n").unwrap_err();
        assert_eq!(e.line, 2, "{e:?}");
        assert!(
            e.message.contains("starts at this `---` line") && !e.message.contains("put `---`"),
            "{e:?}"
        );
    }

    #[test]
    fn anchor_names_that_kubernetes_cuts_short_are_refused() {
        assert!(parse("a: &x-1_B 1\nb: *x-1_B\n").is_ok());
        for t in [
            "a: &x:y 1\n",
            "a: &x.y 1\n",
            "a: &\u{e9} 1\n",
            "a: &x/y [1]\n",
            "- &x# {a: 1}\n",
        ] {
            let e = parse(t).unwrap_err();
            assert!(e.message.contains("anchor or alias name") && e.line == 1, "{t}: {e:?}");
        }
    }

    #[test]
    fn what_kubernetes_cannot_read_in_a_scalar_is_refused() {
        for t in [
            "a: \"\\/\"\n",
            "a: \"x\\uD83D\\uDE00\"\n",
            "a: !!str \"\\\\\\/\"\n",
            "a: |\n  \tx\n",
            "a: >- # x\n\n \n  \tx\n",
            "- |\n \t\n",
            "\"k|\": !!str |\n  \tx\n",
        ] {
            assert!(parse(t).is_err(), "{t:?}");
        }
        for t in [
            "a: \"\\\\/ \\u00e9 \\U0001F600 \\x41\"\n",
            "a: '\\/'\n",
            "a: |2\n  \tx\n",
            "a: |\n  x\n  \ty\n",
            "a: | # |\n  x\n",
            "a: |2-\n  \tx\n",
            "a: \"\\t|\"\nb: |\n  x\n",
        ] {
            assert!(parse(t).is_ok(), "{t:?}");
        }
    }

    #[test]
    fn features_note_what_makes_meaning_depend_on_other_nodes() {
        let features = |t: &str| parse_document(t).unwrap().unwrap().1;
        assert_eq!(features("a: 1\nb: [x, {c: d}]\n"), Features::default());
        assert!(features("a: &x 1\n").anchors);
        assert!(features("a: &x [1]\n").anchors);
        assert!(features("- &x {a: 1}\n").anchors);
        assert!(features("a: &x 1\nb: *x\n").aliases);
        // The parser allows 255 block and 255 flow levels: together, deeper
        // than the walks go.
        let nested =
            |block: usize, flow: usize| format!("{}{}{}\n", "- ".repeat(block), "[".repeat(flow), "]".repeat(flow));
        assert!(!features(&nested(200, 56)).deep);
        assert!(features(&nested(200, 57)).deep);
    }

    #[test]
    fn null_values() {
        let r = root("a:\nb: ~\nc: \"\"\n");
        assert!(r.path(&["a"]).unwrap().is_null());
        assert!(r.path(&["b"]).unwrap().is_null());
        assert!(!r.path(&["c"]).unwrap().is_null());
    }
}
