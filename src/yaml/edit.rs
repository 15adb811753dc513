//! Splicing edits into a document's text: each replaces a byte range found
//! through the spanned tree, and nothing outside the edited ranges moves
//! (docs/editing.md, "The editing model").

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde_json::Value as Json;

use super::emit::{self, Layout, Value};
use super::journal::{self, locate, Items, Op};
pub use super::journal::{line_of, EditError};
use super::split::is_blank_line;
use super::tree::{Entry, Features, Mapping, Node, Scalar, Sequence};
use super::yaml11;
use granit_parser::ScalarStyle;

/// Edits collected against one document's text, applied at once.
#[derive(Debug, Default)]
pub struct Editor<'a> {
    text: &'a str,
    layout: Layout,
    /// (start, end, text): replace `start..end` with `text`.
    splices: Vec<(usize, usize, String)>,
    /// What the splices mean, checked against the result in [`Editor::apply`].
    journal: Vec<Op>,
    /// Elements to add to flow collections, by closing bracket: their
    /// separators depend on the removals, known only at the end.
    flow_inserts: Vec<(usize, String)>,
    /// (start, end, removed) of the elements of each flow collection edited,
    /// by closing bracket: read once, so many edits to one cost linear time.
    flow_elements: HashMap<usize, Vec<(usize, usize, bool)>>,
}

impl<'a> Editor<'a> {
    pub fn new(text: &'a str, layout: Layout) -> Self {
        Editor {
            text,
            layout,
            ..Editor::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.splices.is_empty() && self.flow_inserts.is_empty()
    }

    fn replace(&mut self, start: usize, end: usize, text: String) {
        self.splices.push((start, end, text));
    }

    /// Splice `op` in at the mapping its path names in `root` (this text's
    /// tree), and journal it for the check.
    pub fn edit(&mut self, root: &Node<'_>, op: &Op) -> Result<(), EditError> {
        let node = locate(root, op.at())?;
        let Node::Mapping(map) = node else {
            return Err(journal::refuse(node.loc().line, "the place to edit is not a mapping"));
        };
        match op {
            Op::Set { key, value, .. } => self.entry_splice(map, key, value),
            // The entry the decoder reads: the last of those named `key`.
            Op::Unset { key, .. } => map.entry(key).into_iter().for_each(|e| self.entry_removal(map, e)),
            Op::Upsert {
                list, items, exclusive, ..
            } => self.upsert_named(map, list, items, exclusive)?,
            Op::Remove { list, which, .. } => self.remove_items(map, list, which)?,
        }
        self.journal.push(op.clone());
        Ok(())
    }

    /// The edited text, checked: it must decode as the original with the
    /// journaled edits applied; anything else (an edit through an alias or
    /// merge key, a splice that changes too much) is an [`EditError`].
    pub fn apply(self) -> Result<String, EditError> {
        if self.is_empty() {
            return Ok(self.text.to_owned());
        }
        let parsed = super::tree::parse_document(self.text)
            .map_err(|e| journal::refuse(e.line, format!("the document does not parse: {}", e.message)))?;
        let Some((root, features)) = parsed else {
            return Err(journal::refuse(1, "the document has no content to edit"));
        };
        self.apply_decoded(&root, features).map(|(pieces, _)| pieces.concat())
    }

    /// [`Editor::apply`] with the tree and features the caller already parsed
    /// from the same text, as pieces (the unchanged ones borrowed), and what
    /// the edited text decodes to (`None` when there was nothing to edit).
    pub fn apply_decoded(
        mut self,
        root: &Node<'_>,
        features: Features,
    ) -> Result<(Vec<Cow<'a, str>>, Option<Json>), EditError> {
        if self.is_empty() {
            return Ok((vec![Cow::Borrowed(self.text)], None));
        }
        let cuts: Vec<(usize, usize)> = self.splices.iter().filter(|s| s.0 < s.1).map(|s| (s.0, s.1)).collect();
        let pieces = self.splice();
        let text = pieces.concat();
        let edited = journal::Edited {
            original: self.text,
            text: &text,
            cuts: &cuts,
        };
        let decoded = journal::check(root, features, edited, &self.journal)?;
        Ok((pieces, Some(decoded)))
    }

    /// The edited text without the check, as pieces. Inserts at one position
    /// go deepest first (an outer key would close an inner list before its
    /// lines); equal depths keep the order they were made in.
    fn splice(&mut self) -> Vec<Cow<'a, str>> {
        self.place_flow_inserts();
        self.splices.sort_by_key(|s| (s.0, std::cmp::Reverse(insert_depth(s))));
        let mut out = Vec::with_capacity(2 * self.splices.len() + 1);
        let mut at = 0;
        for (start, end, text) in std::mem::take(&mut self.splices) {
            // Overlapping deletions delete their union.
            let start = start.max(at);
            out.push(Cow::Borrowed(self.slice(at, start)));
            out.push(Cow::Owned(text));
            at = end.max(start);
        }
        out.push(Cow::Borrowed(self.from(at)));
        out.retain(|p| !p.is_empty());
        out
    }

    /// The start of the line holding `pos`. YAML breaks lines at `\n`, `\r\n`
    /// and a lone `\r`; so does every line computation here.
    fn line_start(&self, pos: usize) -> usize {
        let before = &self.text.as_bytes()[..pos.min(self.text.len())];
        memchr::memrchr2(b'\n', b'\r', before).map_or(0, |i| i + 1)
    }

    /// `text[start..end]`, or "" for a bad range: no input may make this panic.
    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    fn from(&self, pos: usize) -> &'a str {
        self.slice(pos, self.text.len())
    }

    /// Where lines go after the line holding `pos`.
    fn after_line(&self, pos: usize) -> usize {
        let bytes = self.text.as_bytes();
        let past_break = |i: usize| i + if bytes.get(i..i + 2) == Some(b"\r\n") { 2 } else { 1 };
        if pos > 0 && matches!(bytes.get(pos - 1), Some(b'\n' | b'\r')) {
            // Already at a line start (block scalars end there), or inside a CRLF.
            return past_break(pos - 1);
        }
        let next = bytes.get(pos..).and_then(|rest| memchr::memchr2(b'\n', b'\r', rest));
        next.map_or(self.text.len(), |i| past_break(pos + i))
    }

    /// Insert whole lines (ending with a line break) after the line of `pos`.
    fn insert_lines_after(&mut self, pos: usize, lines: String) {
        let (at, newline) = (self.after_line(pos), self.layout.newline);
        let text = if at < self.text.len() || self.text.ends_with(['\n', '\r']) {
            lines
        } else {
            // Keep a document that ended without a line break ending without one.
            format!("{newline}{}", lines.strip_suffix(newline).unwrap_or(&lines))
        };
        self.replace(at, at, text);
    }

    /// Make the scalar value of `entry` read as `value`, in its style where
    /// that is safe. Its anchor stays; its tag only when it agrees with a
    /// string (`!!str`, a local `!tag`).
    fn scalar_splice(&mut self, entry: &Entry<'_>, scalar: &Scalar<'_>, value: &str) {
        if yaml11::decoded_str(&entry.value).is_some_and(|s| s == value) {
            return;
        }
        let (mut start, mut end) = (scalar.loc().start, scalar.loc().end);
        if matches!(scalar.style, ScalarStyle::Literal | ScalarStyle::Folded) {
            // A block scalar's span starts at its content, after its header
            // line, and ends at the next line: keep that line break.
            start = self.block_header_start(start).unwrap_or(start);
            end = self.trim_block_end(end);
        }
        if !scalar.tag.as_deref().is_none_or(tag_reads_as_string) {
            self.drop_tags(entry.key.loc().end, start);
        }
        self.replace(start, end.max(start), emit::scalar_like(value, scalar.style));
    }

    /// Remove the tags (and blanks after them) between a key's end `from` and
    /// its value at `to`, on any line (`value: !!int`, a comment, then `5`).
    fn drop_tags(&mut self, from: usize, to: usize) {
        let mut line_start = from;
        for line in self.slice(from, to).split_inclusive(['\n', '\r']) {
            let mut offset = 0;
            for token in without_comment(line.trim_end_matches(['\n', '\r'])).split([' ', '\t']) {
                let after = line.get(offset + token.len()..).unwrap_or("");
                if token.starts_with('!') {
                    let blanks = after.len() - after.trim_start_matches([' ', '\t']).len();
                    let start = line_start + offset;
                    self.replace(start, start + token.len() + blanks, String::new());
                }
                offset += token.len() + 1;
            }
            line_start += line.len();
        }
    }

    /// The start of the `|`/`>` header of a block scalar whose content starts
    /// at `content`: the last token of the nearest non-blank line above.
    fn block_header_start(&self, content: usize) -> Option<usize> {
        let mut line_start = self.line_start(content);
        while line_start > 0 {
            // Where the line break before this line starts.
            let brk = self.trim_block_end(line_start);
            let prev = self.line_start(brk);
            let line = without_comment(self.text.get(prev..brk)?);
            if !is_blank_line(line) {
                let token = line.rfind([' ', '\t']).map_or(0, |i| i + 1);
                return is_block_scalar_header(line.get(token..)?).then_some(prev + token);
            }
            line_start = prev;
        }
        None
    }

    /// The span of the token before `pos`, blanks (and, with `lines`, line
    /// breaks) aside. Tokens end at white space and at flow indicators
    /// (`{!!str a`), but not inside a verbatim tag (`!<tag:yaml.org,2002:str>`).
    fn token_before(&self, pos: usize, lines: bool) -> (usize, usize) {
        let bytes = self.text.as_bytes();
        let before = |i: usize| i.checked_sub(1).and_then(|i| bytes.get(i)).copied();
        let mut end = pos;
        while matches!(before(end), Some(b' ' | b'\t')) || lines && matches!(before(end), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        let verbatim = before(end) == Some(b'>');
        let mut start = end;
        while !(verbatim && self.from(start).starts_with("!<"))
            && before(start).is_some_and(|b| {
                !matches!(b, b' ' | b'\t' | b'\n' | b'\r') && (verbatim || !matches!(b, b'{' | b'[' | b','))
            })
        {
            start -= 1;
        }
        (start, end)
    }

    /// Where the properties (`&anchor`, `!tag`) written on the line just
    /// before `pos` start, and their anchors (each with a trailing space).
    fn properties_before(&self, pos: usize) -> (usize, String) {
        let (mut start, mut anchors) = (pos, String::new());
        loop {
            let (token_start, end) = self.token_before(start, false);
            let token = self.slice(token_start, end);
            if !token.starts_with(['&', '!']) {
                return (start, anchors);
            }
            if token.starts_with('&') {
                anchors.insert_str(0, &format!("{token} "));
            }
            start = token_start;
        }
    }

    /// Where the entry or element whose first node is at `node` starts, with
    /// its properties and `?` (docs/editing.md, "The editing model", step 3).
    fn entry_start(&self, node: usize) -> usize {
        let properties = self.properties_before(node).0;
        let mut at = properties;
        loop {
            let (start, end) = self.token_before(at, true);
            match self.slice(start, end) {
                "?" => return start,
                "" if self.slice(0, start).ends_with(['{', '[', ',']) => return at,
                token if token.starts_with(['&', '!']) => at = start,
                _ => return properties,
            }
        }
    }

    /// Make `map[key]` be `value`. Mappings are merged key by key, so that
    /// unrelated keys, comments and layout in them stay.
    fn entry_splice(&mut self, map: &Mapping<'_>, key: &str, value: &Value) {
        let Some(entry) = map.entry(key) else {
            return self.insert_entry(map, key, value);
        };
        match (value, &entry.value) {
            (Value::Str(s), Node::Scalar(scalar)) if !entry.value.is_null() => self.scalar_splice(entry, scalar, s),
            (Value::Map(fields), Node::Mapping(existing)) => {
                fields.iter().for_each(|(k, v)| self.entry_splice(existing, k, v))
            }
            (value, node) => {
                if scalar_matches(node, value) {
                    return;
                }
                let loc = node.loc();
                let block_collection =
                    matches!(node, Node::Mapping(m) if !m.flow) || matches!(node, Node::Sequence(s) if !s.flow);
                if loc.start == loc.end {
                    self.fill_empty_value(entry, loc.start, value, map.flow);
                } else if let (true, Some(colon)) = (block_collection, self.colon_after(entry.key.loc().end)) {
                    // A flow collection at the key's column would not be its
                    // value: it goes after the colon. The last line goes whole
                    // (an empty last value ends before its `:`), but not the
                    // line break a block scalar ends with.
                    let end = self.trim_block_end(loc.end);
                    let end = end + self.rest_of_line(end).len();
                    self.replace(colon, end, format!(" {}", emit::flow(value)));
                } else {
                    self.replace(loc.start, self.trim_block_end(loc.end), emit::flow(value));
                }
            }
        }
    }

    fn rest_of_line(&self, pos: usize) -> &'a str {
        self.from(pos).split(['\n', '\r']).next().unwrap_or("")
    }

    /// Just past the `:` that follows a key ending at `key_end` on its line.
    fn colon_after(&self, key_end: usize) -> Option<usize> {
        let line = self.rest_of_line(key_end);
        line.trim_start_matches([' ', '\t'])
            .starts_with(':')
            .then(|| key_end + line.find(':').unwrap_or(0) + 1)
    }

    /// Give an entry whose value is empty (a zero-width node at `at`: before
    /// the `:` when bare, after its anchor or tag if any) the value `value`;
    /// `: value` on a line of its own after `? key`, after the key in `{key}`.
    fn fill_empty_value(&mut self, entry: &Entry<'_>, at: usize, value: &Value, in_flow: bool) {
        let key_end = entry.key.loc().end;
        let Some(colon) = self.colon_after(key_end) else {
            if in_flow {
                // `{key}` is `key: null` in a flow mapping.
                self.replace(key_end, key_end, format!(": {}", emit::flow(value)));
                return;
            }
            let key_line = self.line_start(entry.key.loc().start);
            let question = self.slice(key_line, entry.key.loc().start).rfind('?').unwrap_or(0);
            let lines = format!("{}: {}{}", " ".repeat(question), emit::flow(value), self.layout.newline);
            self.insert_lines_after(key_end, lines);
            return;
        };
        // A bare empty value goes after the colon and the space after it.
        let at = at.max(colon + usize::from(self.from(colon).starts_with(' ')));
        let space = |wanted: bool| if wanted { " " } else { "" };
        let lead = space(!self.slice(0, at).ends_with([' ', '\t']));
        // Keep a following comment a comment: it needs white space before its `#`.
        let next = self.from(at).chars().next();
        let trail = space(next.is_some_and(|c| !matches!(c, ' ' | '\t' | '\r' | '\n')));
        self.replace(at, at, format!("{lead}{}{trail}", emit::flow(value)));
    }

    /// Replace a whole entry by `key: value` where it stands: used to turn
    /// `valueFrom: {...}` into `value: "..."`.
    fn replace_entry(&mut self, entry: &Entry<'_>, key: &str, value: &Value) {
        // The old key's tag goes with it (`!!binary dmFsdWVGcm9t:`), and its
        // `?`; an anchor on its line stays.
        let anchors = self.properties_before(entry.key.loc().start).1;
        let start = self.entry_start(entry.key.loc().start);
        let key_end = entry.key.loc().end;
        let mut end = entry.value.loc().end.max(key_end);
        if end == key_end {
            // A bare empty value (`valueFrom:`) is a zero-width node before
            // its `:`: the indicator goes with the entry it ends.
            end = self.colon_after(key_end).unwrap_or(end);
        }
        let text = format!("{anchors}{}: {}", emit::scalar(key), emit::flow(value));
        self.replace(start, self.trim_block_end(end), text);
    }

    /// A replacement that ends where a block scalar does (at the start of the
    /// next line) keeps that line break.
    fn trim_block_end(&self, end: usize) -> usize {
        match self.text.as_bytes().get(..end) {
            Some([.., b'\r', b'\n']) => end - 2,
            Some([.., b'\n' | b'\r']) => end - 1,
            _ => end,
        }
    }

    fn insert_entry(&mut self, map: &Mapping<'_>, key: &str, value: &Value) {
        if map.flow {
            let close = self.map_elements(map);
            let text = format!("{}: {}", emit::scalar(key), emit::flow(value));
            self.flow_inserts.push((close, text));
            return;
        }
        // The mapping's own column: a first key behind `? `, an anchor or a tag starts further right.
        let lines = emit::block_entries(&[(key.to_owned(), value.clone())], map.loc().col, self.layout);
        self.insert_lines_after(map.loc().end, lines);
    }

    /// Record a flow mapping's elements; returns its closing bracket's position.
    fn map_elements(&mut self, map: &Mapping<'_>) -> usize {
        let spans = map
            .entries
            .iter()
            .map(|e| (e.key.loc().start, e.value.loc().end.max(e.key.loc().end)));
        self.record_elements(map.loc().end, spans)
    }

    fn seq_elements(&mut self, seq: &Sequence<'_>) -> usize {
        self.record_elements(seq.loc().end, seq.items.iter().map(|i| (i.loc().start, i.loc().end)))
    }

    /// Record the elements of the flow collection that ends at `end`, each
    /// from its first node's properties (`!!str a: b`) or `?`.
    fn record_elements(&mut self, end: usize, spans: impl Iterator<Item = (usize, usize)>) -> usize {
        let close = end.saturating_sub(1);
        if !self.flow_elements.contains_key(&close) {
            let elements = spans.map(|(s, e)| (self.entry_start(s), e, false)).collect();
            self.flow_elements.insert(close, elements);
        }
        close
    }

    /// Turn the flow insertions into splices, now that every removal is known,
    /// right before the bracket (after the last element's `:` and empty
    /// value, trailing comma or comments).
    fn place_flow_inserts(&mut self) {
        let mut seen = HashSet::new();
        for (close, text) in std::mem::take(&mut self.flow_inserts) {
            let first = seen.insert(close);
            let elements = self.flow_elements.get(&close).map_or(&[][..], Vec::as_slice);
            let lead = match elements.iter().rposition(|e| !e.2) {
                // The element added before this one ends without a comma.
                _ if !first => ", ",
                None => "",
                // A removed element after it took what followed its comma, not the comma.
                Some(i) if i + 1 < elements.len() => "",
                Some(i) => {
                    let between = self.slice(elements[i].1.min(close), close);
                    let has_comma = between.split(['\n', '\r']).any(|l| without_comment(l).contains(','));
                    match (has_comma, between.ends_with([' ', '\n', '\r', '\t'])) {
                        (false, _) => ", ",
                        (true, false) => " ",
                        (true, true) => "",
                    }
                }
            };
            self.replace(close, close, format!("{lead}{text}"));
        }
    }

    /// Remove the element at `start` from the flow collection closed at
    /// `close`, with the text up to the next element (or the bracket): so
    /// removals never overlap, and a trailing comma left is valid.
    fn remove_flow_element(&mut self, close: usize, start: usize) {
        let Some(elements) = self.flow_elements.get_mut(&close) else {
            return;
        };
        let Ok(index) = elements.binary_search_by_key(&start, |e| e.0) else {
            return;
        };
        elements[index].2 = true;
        let until = elements.get(index + 1).map_or(close, |e| e.0);
        self.replace(start, until.max(start), String::new());
    }

    /// Append items to a sequence, in order, in one splice (so that flow
    /// items get their separators).
    fn append_items(&mut self, seq: &Sequence<'_>, items: &[Value]) {
        if items.is_empty() {
            return;
        }
        if seq.flow {
            let text = items.iter().map(emit::flow).collect::<Vec<_>>().join(", ");
            let close = self.seq_elements(seq);
            self.flow_inserts.push((close, text));
            return;
        }
        let first = seq.items.first().map_or(seq.loc(), Node::loc);
        // Every dash of a block sequence stands in one column: any item's will do.
        let dash_col = seq
            .items
            .iter()
            .find_map(|item| self.dash_at(item.loc().start).map(|(_, col)| col))
            .unwrap_or(first.col.saturating_sub(2));
        // New items' keys line up with the first item's when it is a mapping.
        let item_col = match seq.items.first() {
            Some(Node::Mapping(_)) => first.col,
            _ => dash_col + 2,
        };
        let lines: String = items
            .iter()
            .map(|item| emit::block_item(item, dash_col, item_col, self.layout))
            .collect();
        self.insert_lines_after(seq.loc().end, lines);
    }

    /// The start of the line holding the `-` of the block sequence item whose
    /// content starts at `pos` (on an earlier line when nothing but
    /// properties and a comment follow the dash), and the dash's column.
    fn dash_at(&self, pos: usize) -> Option<(usize, usize)> {
        let (mut start, mut end) = (self.line_start(pos), pos);
        loop {
            // Read from the line's end, the item's `-` is the last lone `-`
            // token, past the item's properties (`&anchor`, `!tag`, which may
            // hold dashes) and a block scalar's header.
            let line = without_comment(self.slice(start, end));
            let mut token_end = line.len();
            loop {
                let content = line[..token_end].trim_end_matches([' ', '\t']);
                let token_start = content.rfind([' ', '\t']).map_or(0, |i| i + 1);
                match &content[token_start..] {
                    // Only blanks and properties: the dash is further up.
                    "" if start > 0 => break,
                    "-" => return Some((start, line[..token_start].chars().count())),
                    t if t.starts_with(['&', '!']) || is_block_scalar_header(t) => token_end = token_start,
                    // Not a line of this item.
                    _ => return None,
                }
            }
            end = start - 1;
            start = self.line_start(end);
        }
    }

    /// Remove item `index` of a sequence, with its line(s) in block style:
    /// from the line of its dash, which may come before the one its content
    /// starts on (`- # comment`, then the content).
    fn remove_item(&mut self, seq: &Sequence<'_>, index: usize) {
        let Some(item) = seq.items.get(index).map(Node::loc) else {
            return;
        };
        if seq.flow {
            let close = self.seq_elements(seq);
            self.remove_flow_element(close, self.entry_start(item.start));
            return;
        }
        let start = self
            .dash_at(item.start)
            .map_or_else(|| self.line_start(item.start), |(line, _)| line);
        let end = self.after_line(item.end);
        self.replace(start, end, String::new());
    }

    /// Make the list at `parent[list_key]` hold, for each of `items`, exactly
    /// one mapping with its `name` and fields (missing ones appended). An
    /// existing alternative to a field (`exclusive`: `valueFrom` to `value`)
    /// is replaced in place by it.
    fn upsert_named(
        &mut self,
        parent: &Mapping<'_>,
        list_key: &str,
        items: &[Vec<(String, Value)>],
        exclusive: &[(&str, &str)],
    ) -> Result<(), EditError> {
        let Some(seq) = list_at(parent, list_key)? else {
            let all = Value::Seq(items.iter().map(|i| Value::Map(i.clone())).collect());
            self.entry_splice(parent, list_key, &all);
            return Ok(());
        };
        let mut missing = Vec::new();
        for item in items {
            // A caller's mistake, not the input's: refuse rather than panic.
            let name = journal::item_name(item).ok_or_else(|| {
                let message = format!("an item for `{list_key}` has no leading `name` (a bug in the caller)");
                journal::refuse(parent.loc().line, message)
            })?;
            let mut matches = seq
                .items
                .iter()
                .enumerate()
                .filter(|(_, n)| name_of(n).is_some_and(|n| n == name));
            let Some((_, Node::Mapping(existing))) = matches.next() else {
                missing.push(Value::Map(item.clone()));
                continue;
            };
            // The API server would keep only one of them; keep ours, in the first place.
            matches.for_each(|(i, _)| self.remove_item(seq, i));
            self.merge_item(existing, item.get(1..).unwrap_or(&[]), exclusive);
        }
        self.append_items(seq, &missing);
        Ok(())
    }

    fn merge_item(&mut self, existing: &Mapping<'_>, fields: &[(String, Value)], exclusive: &[(&str, &str)]) {
        for (key, value) in fields {
            let mut alternatives = exclusive
                .iter()
                .filter(|(field, alt)| field == key && alt != key)
                .filter_map(|(_, alt)| existing.entry(alt));
            // A field that is its own alternative is replaced whole, not
            // merged (`valueFrom` of another source).
            let whole = exclusive.contains(&(key.as_str(), key.as_str()));
            match existing.entry(key) {
                None => match alternatives.next() {
                    Some(alt) => self.replace_entry(alt, key, value),
                    None => self.entry_splice(existing, key, value),
                },
                Some(own) if whole => self.replace_entry(own, key, value),
                Some(_) => self.entry_splice(existing, key, value),
            }
            alternatives.for_each(|a| self.entry_removal(existing, a));
        }
    }

    /// Remove the items of the list at `parent[list_key]` that `which` names
    /// (by position or `name`). A block list left empty becomes `[]`, which
    /// Kubernetes reads alike.
    fn remove_items(&mut self, parent: &Mapping<'_>, list_key: &str, which: &Items) -> Result<(), EditError> {
        let Some(seq) = list_at(parent, list_key)? else {
            return Ok(());
        };
        let doomed: Vec<usize> = (0..seq.items.len())
            .filter(|&i| which.names(i, seq.items.get(i).and_then(name_of).as_deref()))
            .collect();
        if doomed.len() == seq.items.len() && !doomed.is_empty() && !seq.flow {
            self.entry_splice(parent, list_key, &Value::Seq(Vec::new()));
            return Ok(());
        }
        doomed.into_iter().for_each(|i| self.remove_item(seq, i));
        Ok(())
    }

    /// Remove an entry from a mapping, with its lines in block style, and
    /// with its key's own properties (`!!str key:`, `&a key:`) and `?`.
    fn entry_removal(&mut self, map: &Mapping<'_>, entry: &Entry<'_>) {
        let start = self.entry_start(entry.key.loc().start);
        if map.flow {
            let close = self.map_elements(map);
            self.remove_flow_element(close, start);
            return;
        }
        let from = Some(self.line_start(start))
            .filter(|&line| is_blank_line(self.slice(line, start)))
            .unwrap_or(start);
        let to = self.after_line(entry.value.loc().end.max(entry.key.loc().end));
        self.replace(from, to, String::new());
    }
}

/// The list at `parent[list_key]`, `None` when absent or null.
fn list_at<'m, 'a>(parent: &'m Mapping<'a>, list_key: &str) -> Result<Option<&'m Sequence<'a>>, EditError> {
    match parent.get(list_key) {
        Some(Node::Sequence(seq)) => Ok(Some(seq)),
        Some(node) if !node.is_null() => Err(journal::refuse(
            node.loc().line,
            format!("`{list_key}` is not a list (aliases and scalars cannot be edited in place)"),
        )),
        _ => Ok(None),
    }
}

/// What the `name` of a list item reads as, when the item is a mapping with one.
fn name_of<'n>(item: &'n Node<'_>) -> Option<Cow<'n, str>> {
    yaml11::decoded_str(item.as_mapping()?.get("name")?)
}

/// A line without its comment (`#` at its start or after white space) and
/// trailing blanks.
fn without_comment(line: &str) -> &str {
    let comment = |&i: &usize| i == 0 || line[..i].ends_with([' ', '\t']);
    let cut = line.match_indices('#').map(|(i, _)| i).find(comment);
    cut.map_or(line, |i| &line[..i]).trim_end_matches(['\r', ' ', '\t'])
}

/// `|`, `>`, `|-`, `>+2`...: the header of a block scalar, which may stand
/// between an item's dash and its content.
fn is_block_scalar_header(token: &str) -> bool {
    token.starts_with(['|', '>']) && token[1..].chars().all(|c| matches!(c, '+' | '-' | '1'..='9'))
}

/// How deep inserted lines sit: their indentation, then a `- ` item (compact
/// style) before a key. Replacements and inline text have depth zero.
fn insert_depth((start, end, text): &(usize, usize, String)) -> (usize, bool) {
    if start != end {
        return (0, false);
    }
    let text = text.trim_start_matches(['\r', '\n']);
    let content = text.trim_start_matches(' ');
    (text.len() - content.len(), content.starts_with('-'))
}

/// Whether a scalar with this (resolved) tag reads as its text: `!!str`,
/// and every tag Kubernetes' decoder does not resolve (local `!tags`).
fn tag_reads_as_string(tag: &str) -> bool {
    tag.strip_prefix("tag:yaml.org,2002:").is_none_or(|core| core == "str")
}

/// Whether `node` already reads as `value`: for a string, a scalar (or an
/// alias of one, `name: *loc`) that a YAML 1.1 reader takes for it.
fn scalar_matches(node: &Node<'_>, value: &Value) -> bool {
    match (node, value) {
        (Node::Scalar(s), Value::Bool(_) | Value::Int(_)) => {
            s.style == ScalarStyle::Plain && s.value == emit::flow(value)
        }
        (node, Value::Str(s)) => yaml11::decoded_str(node).is_some_and(|d| d == *s),
        _ => false,
    }
}

/// The sequence layout a document uses: the offset between a key and the
/// dashes of its block sequence, taken from the first one found.
pub fn detect_seq_indent(root: &Node<'_>) -> Option<usize> {
    match root {
        Node::Mapping(m) => m.entries.iter().find_map(|e| match &e.value {
            Node::Sequence(s) if !s.flow && !s.items.is_empty() => {
                let item_col = s.items.first().map_or(0, |i| i.loc().col);
                Some(item_col.saturating_sub(2).saturating_sub(e.key.loc().col))
            }
            v => detect_seq_indent(v),
        }),
        Node::Sequence(s) => s.items.iter().find_map(detect_seq_indent),
        _ => None,
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::tree::parse;
    use crate::yaml::yaml11::Seg;

    #[test]
    fn a_comment_starts_at_the_first_hash_after_a_space_or_a_tab() {
        assert_eq!(without_comment("v: |-\t# x # y"), "v: |-");
        assert_eq!(without_comment("v: |- # x\t# y"), "v: |-");
        assert_eq!(without_comment("  # all comment"), "");
        assert_eq!(without_comment("v: a#b # c"), "v: a#b");
    }

    fn upsert_op(
        at: &[&str],
        list: &str,
        items: Vec<Vec<(String, Value)>>,
        exclusive: &[(&'static str, &'static str)],
    ) -> Op {
        Op::Upsert {
            at: at.iter().map(|k| Seg::Key((*k).into())).collect(),
            list: list.into(),
            items,
            exclusive: exclusive.to_vec(),
        }
    }

    fn env_item(name: &str, value: &str) -> Vec<(String, Value)> {
        vec![("name".into(), Value::str(name)), ("value".into(), Value::str(value))]
    }

    /// Upsert `B=v` into the `env` of the root mapping of `text`.
    fn upsert_root(text: &str, layout: Layout) -> String {
        let root = parse(text).unwrap().unwrap();
        let mut ed = Editor::new(text, layout);
        ed.edit(&root, &upsert_op(&[], "env", vec![env_item("B", "v")], &[]))
            .unwrap();
        let out = ed.apply().unwrap();
        let reparsed = parse(&out)
            .unwrap_or_else(|e| panic!("{out:?} does not parse: {e:?}"))
            .unwrap();
        assert!(matches!(reparsed.path(&["env"]), Some(Node::Sequence(_))), "{out:?}");
        out
    }

    /// Upsert `name=value` into the `env` of the mapping at `path`.
    fn upsert(text: &str, path: &[&str], name: &str, value: &str) -> String {
        let root = parse(text).unwrap().unwrap();
        let layout = Layout {
            seq_indent: detect_seq_indent(&root).unwrap_or(2),
            newline: "\n",
        };
        let mut ed = Editor::new(text, layout);
        ed.edit(
            &root,
            &upsert_op(path, "env", vec![env_item(name, value)], &[("value", "valueFrom")]),
        )
        .unwrap();
        ed.apply().unwrap()
    }

    #[test]
    fn appends_to_indented_and_compact_block_lists() {
        let t = "c:\n  env:\n    - name: A\n      value: x # keep\n  image: i\n";
        assert_eq!(
            upsert(t, &["c"], "B", "on"),
            "c:\n  env:\n    - name: A\n      value: x # keep\n    - name: B\n      value: \"on\"\n  image: i\n"
        );
        let t = "c:\n  env:\n  - name: A\n    value: x\n";
        assert_eq!(
            upsert(t, &["c"], "B", "y"),
            "c:\n  env:\n  - name: A\n    value: x\n  - name: B\n    value: \"y\"\n"
        );
    }

    #[test]
    fn replaces_in_place_including_value_from() {
        let t = "c:\n  env:\n  - name: B\n    valueFrom:\n      fieldRef: {fieldPath: x}\n  - name: C\n";
        assert_eq!(
            upsert(t, &["c"], "B", "v"),
            "c:\n  env:\n  - name: B\n    value: v\n  - name: C\n"
        );
        let t = "c:\n  env:\n  - value: old # c\n    name: B\n";
        assert_eq!(
            upsert(t, &["c"], "B", "0777"),
            "c:\n  env:\n  - value: \"0777\" # c\n    name: B\n"
        );
        // An empty `valueFrom:` (null) before another key, and at the end
        // (found by the filter fuzz target: the `:` was left behind).
        let t = "c:\n  env:\n  - name: B\n    valueFrom:\n      # c\n    other: 1\n";
        assert_eq!(
            upsert(t, &["c"], "B", "v"),
            "c:\n  env:\n  - name: B\n    value: v\n      # c\n    other: 1\n"
        );
        let t = "c:\n  env:\n  - name: B\n    valueFrom: # c\n";
        assert_eq!(
            upsert(t, &["c"], "B", "v"),
            "c:\n  env:\n  - name: B\n    value: v # c\n"
        );
        let t = "c:\n  env:\n  - {name: B, valueFrom: , x: 1}\n";
        assert_eq!(
            upsert(t, &["c"], "B", "v"),
            "c:\n  env:\n  - {name: B, value: v , x: 1}\n"
        );
    }

    #[test]
    fn unchanged_when_already_right_and_fixes_plain_booleans() {
        let t = "c:\n  env:\n  - name: B\n    value: 'on'\n";
        assert_eq!(upsert(t, &["c"], "B", "on"), t);
        let t = "c:\n  env:\n  - name: B\n    value: on\n";
        assert_eq!(
            upsert(t, &["c"], "B", "on"),
            "c:\n  env:\n  - name: B\n    value: \"on\"\n"
        );
    }

    #[test]
    fn removes_duplicates_keeping_the_first_place() {
        let t = "c:\n  env:\n  - name: B\n    value: a\n  - name: X\n  - name: B\n    value: b\n";
        assert_eq!(
            upsert(t, &["c"], "B", "z"),
            "c:\n  env:\n  - name: B\n    value: z\n  - name: X\n"
        );
        let t = "c: {env: [{name: B, value: a}, {name: B}, {name: X}]}\n";
        assert_eq!(
            upsert(t, &["c"], "B", "a"),
            "c: {env: [{name: B, value: a}, {name: X}]}\n"
        );
    }

    #[test]
    fn several_items_into_an_empty_flow_list_are_separated() {
        let t = "c: {env: []}\n";
        let root = parse(t).unwrap().unwrap();
        let mut ed = Editor::new(t, Layout::default());
        ed.edit(
            &root,
            &upsert_op(&["c"], "env", vec![env_item("A", "1"), env_item("B", "2")], &[]),
        )
        .unwrap();
        assert_eq!(
            ed.apply().unwrap(),
            "c: {env: [{name: A, value: \"1\"}, {name: B, value: \"2\"}]}\n"
        );
    }

    #[test]
    fn flow_lists_and_maps() {
        assert_eq!(
            upsert("c: {env: []}\n", &["c"], "B", "v"),
            "c: {env: [{name: B, value: v}]}\n"
        );
        assert_eq!(
            upsert("c: {env: [{name: A, value: b}]}\n", &["c"], "B", "v"),
            "c: {env: [{name: A, value: b}, {name: B, value: v}]}\n"
        );
        assert_eq!(
            upsert("c: {image: x}\n", &["c"], "B", "v"),
            "c: {image: x, env: [{name: B, value: v}]}\n"
        );
        assert_eq!(upsert("c: {}\n", &["c"], "B", "v"), "c: {env: [{name: B, value: v}]}\n");
    }

    #[test]
    fn new_env_key_follows_the_document_layout() {
        let t = "containers:\n- name: c\n  image: i\n";
        assert_eq!(upsert(t, &[], "B", "v").lines().last(), Some("  value: v"));
        let root_text = "spec:\n  containers:\n    - name: c\n      image: |\n        x\n\n";
        let out = {
            let root = parse(root_text).unwrap().unwrap();
            let mut ed = Editor::new(
                root_text,
                Layout {
                    seq_indent: 2,
                    newline: "\n",
                },
            );
            let mut op = upsert_op(&["spec", "containers"], "env", vec![env_item("B", "v")], &[]);
            if let Op::Upsert { at, .. } = &mut op {
                at.push(Seg::Index(0));
            }
            ed.edit(&root, &op).unwrap();
            ed.apply().unwrap()
        };
        assert_eq!(out, "spec:\n  containers:\n    - name: c\n      image: |\n        x\n\n      env:\n        - name: B\n          value: v\n");
    }

    #[test]
    fn null_env_and_missing_final_newline() {
        assert_eq!(
            upsert("c:\n  env:\n  x: 1\n", &["c"], "B", "v"),
            "c:\n  env: [{name: B, value: v}]\n  x: 1\n"
        );
        assert_eq!(
            upsert("c:\n  env: ~\n", &["c"], "B", "v"),
            "c:\n  env: [{name: B, value: v}]\n"
        );
        assert_eq!(
            upsert("c:\n  x: 1", &["c"], "B", "v"),
            "c:\n  x: 1\n  env:\n    - name: B\n      value: v"
        );
    }

    #[test]
    fn non_list_env_is_an_error_with_a_line() {
        let t = "c:\n  env: *x\n";
        let t2 = format!("a: &x [1]\n{t}");
        let root = parse(&t2).unwrap().unwrap();
        let mut ed = Editor::new(&t2, Layout::default());
        let e = ed
            .edit(&root, &upsert_op(&["c"], "env", vec![env_item("B", "v")], &[]))
            .unwrap_err();
        assert_eq!(e.line, 3);
    }

    #[test]
    fn batches_items_and_orders_inserts_at_one_position_by_depth() {
        let t = "spec:\n  containers:\n  - name: c\n    volumeMounts:\n    - name: m\n";
        let root = parse(t).unwrap().unwrap();
        let c = vec![Seg::Key("spec".into()), Seg::Key("containers".into()), Seg::Index(0)];
        let mut ed = Editor::new(
            t,
            Layout {
                seq_indent: 0,
                newline: "\n",
            },
        );
        let upsert = |list: &str, items| Op::Upsert {
            at: c.clone(),
            list: list.into(),
            items,
            exclusive: vec![],
        };
        ed.edit(&root, &upsert("env", vec![env_item("A", "1"), env_item("B", "2")]))
            .unwrap();
        let mount = vec![("name".to_string(), Value::str("mnt"))];
        ed.edit(&root, &upsert("volumeMounts", vec![mount])).unwrap();
        let sa = Op::Set {
            at: vec![Seg::Key("spec".into())],
            key: "serviceAccountName".into(),
            value: Value::str("sa"),
        };
        ed.edit(&root, &sa).unwrap();
        assert_eq!(
            ed.apply().unwrap(),
            "spec:\n  containers:\n  - name: c\n    volumeMounts:\n    - name: m\n    - name: mnt\n    env:\n    - name: A\n      value: \"1\"\n    - name: B\n      value: \"2\"\n  serviceAccountName: sa\n"
        );
    }

    // Regressions found by the fuzz targets (fuzz/corpus/*/regression-*).

    #[test]
    fn new_keys_take_the_mapping_column_not_the_first_key_column() {
        // An explicit key (`?`), an anchored key, a tagged mapping.
        for (text, expected) in [
            ("? k", "? k\nenv:\n  - name: B\n    value: v"),
            ("&a k: 1\n", "&a k: 1\nenv:\n  - name: B\n    value: v\n"),
            ("!!map\nk: 1\n", "!!map\nk: 1\nenv:\n  - name: B\n    value: v\n"),
        ] {
            assert_eq!(upsert_root(text, Layout::default()), expected, "{text:?}");
        }
    }

    #[test]
    fn a_lone_carriage_return_breaks_lines_too() {
        let compact = Layout {
            seq_indent: 0,
            newline: "\n",
        };
        assert_eq!(
            upsert_root("env:\n- name: a\rb: c\n", compact),
            "env:\n- name: a\r- name: B\n  value: v\nb: c\n"
        );
    }

    #[test]
    fn an_empty_value_with_an_anchor_keeps_it() {
        for (text, expected) in [
            ("a: c\nenv:\n   &a\n", "a: c\nenv:\n   &a [{name: B, value: v}]\n"),
            ("env: &x\nb: 1\n", "env: &x [{name: B, value: v}]\nb: 1\n"),
        ] {
            assert_eq!(upsert_root(text, Layout::default()), expected, "{text:?}");
        }
    }

    fn item_dash(line: &str) -> Option<usize> {
        Editor::new(line, Layout::default())
            .dash_at(line.len())
            .map(|(_, col)| col)
    }

    #[test]
    fn item_dashes_are_found_past_properties() {
        assert_eq!(item_dash("- &\x01:- "), Some(0));
        assert_eq!(item_dash("  - !!str &a-b "), Some(2));
        assert_eq!(item_dash("- - "), Some(2));
        assert_eq!(item_dash("  "), None);
        // Anything else before the content (a key, a plain word) means the
        // content is not the item's first node: no dash is taken from
        // further left (it would be another item's, and the splice would
        // land in the wrong place; kills the mutant edit.rs:710:18).
        assert_eq!(item_dash("- a "), None);
        assert_eq!(item_dash("- key: "), None);
        assert_eq!(item_dash("- &a b "), None);
        // An anchor name such as `x:-` never reaches the editor: Kubernetes
        // ends the name at `:`, so the parse refuses it.
        assert!(parse("env:\n- &x:- on\n   off\n").is_err());
    }

    #[test]
    fn item_dashes_are_found_on_an_earlier_line() {
        for (text, expected) in [
            (
                "env:\n- # first\n  name: A\n",
                "env:\n- # first\n  name: A\n- name: B\n  value: v\n",
            ),
            (
                "env:\n- # empty item\nx: 1\n",
                "env:\n- # empty item\n- name: B\n  value: v\nx: 1\n",
            ),
        ] {
            assert_eq!(upsert_root(text, Layout::default()), expected, "{text:?}");
        }
    }

    #[test]
    fn a_duplicate_whose_content_starts_after_its_dash_is_removed_with_its_dash() {
        let text = "env:\n- name: B\n  value: v\n- # item\n  name: B\n  value: stale\nx: 1\n";
        assert_eq!(
            upsert_root(text, Layout::default()),
            "env:\n- name: B\n  value: v\nx: 1\n"
        );
        let text = "env:\n- name: B\n  value: v\n-\n  # two lines down\n  name: B\n  value: stale\n";
        assert_eq!(upsert_root(text, Layout::default()), "env:\n- name: B\n  value: v\n");
    }

    #[test]
    fn a_duplicate_named_through_an_alias_is_removed() {
        let text = "env:\n- name: &n B\n  value: v\n- name: *n\n  value: stale\n";
        assert_eq!(upsert_root(text, Layout::default()), "env:\n- name: &n B\n  value: v\n");
    }

    #[test]
    fn flow_collections_grow_before_their_closing_bracket() {
        for (text, expected) in [
            ("{a:}\n", "{a:, env: [{name: B, value: v}]}\n"),
            ("{a: 1,}\n", "{a: 1, env: [{name: B, value: v}]}\n"),
            ("{a: 1 # c\n}\n", "{a: 1 # c\n, env: [{name: B, value: v}]}\n"),
            (
                "{env: [x: , {name: A},]}\n",
                "{env: [x: , {name: A}, {name: B, value: v}]}\n",
            ),
        ] {
            assert_eq!(upsert_root(text, Layout::default()), expected, "{text:?}");
        }
    }

    #[test]
    fn an_explicit_key_without_a_value_gets_a_value_line() {
        let expected = "? env # c\n: [{name: B, value: v}]\nx: 1\n";
        assert_eq!(upsert_root("? env # c\nx: 1\n", Layout::default()), expected);
    }

    #[test]
    fn a_comma_in_a_comment_is_no_separator() {
        assert_eq!(
            upsert_root("{a: \r#,\r\r }", Layout::default()),
            "{a: \r#,\r\r , env: [{name: B, value: v}]}"
        );
    }

    #[test]
    fn a_flow_entry_without_a_colon_gets_one() {
        assert_eq!(
            upsert_root("&a {  env}\n", Layout::default()),
            "&a {  env: [{name: B, value: v}]}\n"
        );
    }

    #[test]
    fn an_empty_value_before_a_comment_keeps_the_comment() {
        // `value: #comment` is an empty value.
        let expected = "env:\n- name: B\n  value: v #old\n";
        assert_eq!(
            upsert_root("env:\n- name: B\n  value: #old\n", Layout::default()),
            expected
        );
    }

    #[test]
    fn a_block_list_replaced_by_a_whole_list_goes_on_the_keys_line() {
        let t = "kind: ClusterRole\nrules: # old\n- apiGroups: [\"\"]\n  verbs: [get]\nz: 1\n";
        let (root, features) = crate::yaml::tree::parse_document(t).unwrap().unwrap();
        let mut ed = Editor::new(t, Layout::default());
        let rule = Value::Map(vec![("verbs".into(), Value::Seq(vec![Value::str("list")]))]);
        let set = Op::Set {
            at: vec![],
            key: "rules".into(),
            value: Value::Seq(vec![rule]),
        };
        ed.edit(&root, &set).unwrap();
        assert_eq!(
            ed.apply_decoded(&root, features).unwrap().0.concat(),
            "kind: ClusterRole\nrules: [{verbs: [list]}]\nz: 1\n"
        );
    }

    #[test]
    fn nested_mappings_merge_key_by_key() {
        let t = "v:\n  - name: s\n    secret:\n      secretName: old\n      defaultMode: 0644\n";
        let root = parse(t).unwrap().unwrap();
        let mut ed = Editor::new(t, Layout::default());
        let item = vec![
            ("name".into(), Value::str("s")),
            (
                "secret".into(),
                Value::Map(vec![("secretName".into(), Value::str("registry-secret"))]),
            ),
        ];
        ed.edit(&root, &upsert_op(&[], "v", vec![item], &[])).unwrap();
        assert_eq!(
            ed.apply().unwrap(),
            "v:\n  - name: s\n    secret:\n      secretName: registry-secret\n      defaultMode: 0644\n"
        );
    }

    #[test]
    fn a_splice_that_changes_more_than_the_journal_says_is_refused() {
        let t = "c:\n  env:\n  - name: B\n    value: a\n  other: secret-x\n";
        let root = parse(t).unwrap().unwrap();
        let mut ed = Editor::new(t, Layout::default());
        ed.edit(&root, &upsert_op(&["c"], "env", vec![env_item("B", "v")], &[]))
            .unwrap();
        // A splice bug: it also changes `other`.
        let other = t.find("secret-x").unwrap();
        ed.replace(other, other + 8, "secret-y".into());
        let e = ed.apply().unwrap_err();
        assert!(e.message.contains("`c.other`"), "{e:?}");
        assert_eq!(e.line, 5);
        assert!(!e.message.contains("secret"), "values are never quoted: {e:?}");
    }

    #[test]
    fn a_splice_that_breaks_the_syntax_is_refused() {
        let t = "c: {env: []}\n";
        let root = parse(t).unwrap().unwrap();
        let mut ed = Editor::new(t, Layout::default());
        ed.edit(&root, &upsert_op(&["c"], "env", vec![env_item("B", "v")], &[]))
            .unwrap();
        ed.replace(0, 0, "{".into());
        assert!(ed.apply().is_err());
    }
}
