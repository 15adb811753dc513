//! Write a decoded document back as YAML, in one of the many shapes YAML
//! allows: block mappings, indented and indentless block sequences, flow
//! collections (with trailing commas), JSON, plain / single / double-quoted
//! scalars, literal and folded block scalars (with chomping and indentation
//! indicators), `!!str` tags, anchors and aliases, comments everywhere,
//! CRLF or LF; and names spelled as only a YAML reader sees through: `\x52`
//! and `\u0052` escapes, escaped line breaks inside double quotes, `!!binary`
//! and `!!str` tags, on keys and values alike. Every shape must decode (as Kubernetes decodes YAML) to the
//! same JSON: the differential test checks that of the generator itself.

use serde_json::Value as Json;

/// A small deterministic generator (xorshift64*), so that a failing case is
/// reproduced by its seed alone.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Which constructs a shape may use. `aliases` and `merge`-free shapes are
/// ordinary YAML the filter must simply handle; aliases may be refused.
#[derive(Debug, Clone, Copy, Default)]
pub struct Palette {
    pub flow: bool,
    pub json: bool,
    pub block_scalars: bool,
    pub tags: bool,
    pub comments: bool,
    pub aliases: bool,
    pub crlf: bool,
    pub trailing_commas: bool,
    /// Strings and keys spelled with escapes, escaped line breaks, `!!binary`.
    pub spellings: bool,
    /// Keys too spelled with `!!binary` and `!!str` tags (not only escapes).
    pub tagged_keys: bool,
}

impl Palette {
    pub fn everything_ordinary() -> Palette {
        Palette {
            flow: true,
            json: true,
            block_scalars: true,
            tags: true,
            comments: true,
            aliases: false,
            crlf: true,
            trailing_commas: true,
            spellings: true,
            tagged_keys: false,
        }
    }
}

/// The style chosen for a whole document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocStyle {
    Block,
    Flow,
    Json,
}

enum MapRef {
    None,
    Anchor(String),
    Alias(String),
    Merge(String),
}

struct Writer<'r> {
    rng: &'r mut Rng,
    palette: Palette,
    indent: usize,
    /// Strings anchored so far, for aliases.
    anchors: Vec<(String, String)>,
    /// Block mappings anchored so far, for aliases and merge keys.
    map_anchors: Vec<(Json, String)>,
    next_anchor: usize,
}

/// `v` as one YAML document (no `---` line), ending with a line break.
pub fn document(v: &Json, rng: &mut Rng, palette: Palette) -> (String, DocStyle) {
    let style = match rng.below(10) {
        0 | 1 if palette.json => DocStyle::Json,
        2 | 3 if palette.flow => DocStyle::Flow,
        _ => DocStyle::Block,
    };
    let indent = *rng.pick(&[2, 2, 4]);
    let mut w = Writer {
        rng,
        palette,
        indent,
        anchors: Vec::new(),
        map_anchors: Vec::new(),
        next_anchor: 0,
    };
    let mut out = String::new();
    if palette.comments && w.rng.chance(30) {
        out.push_str("# a comment before the document\n");
    }
    match style {
        DocStyle::Json => {
            let text = if w.rng.chance(50) {
                serde_json::to_string_pretty(v).expect("JSON")
            } else {
                serde_json::to_string(v).expect("JSON")
            };
            out.push_str(&text);
            out.push('\n');
        }
        DocStyle::Flow => {
            w.flow(&mut out, v);
            out.push('\n');
        }
        DocStyle::Block => match v {
            Json::Object(m) if !m.is_empty() => w.block_map(&mut out, m, 0, false),
            other => {
                w.flow(&mut out, other);
                out.push('\n');
            }
        },
    }
    if palette.crlf && w.rng.chance(25) {
        out = out.replace('\n', "\r\n");
    }
    (out, style)
}

/// A plain scalar that every YAML 1.1 and 1.2 reader, in block and flow
/// context, reads back as this very string.
fn safe_plain(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL",
    ];
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-'))
        && !WORDS.contains(&s)
}

fn double_quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a JSON string is a YAML double-quoted scalar")
}

fn single_quoted(s: &str) -> Option<String> {
    (!s.chars().any(|c| c.is_control())).then(|| format!("'{}'", s.replace('\'', "''")))
}

fn key_text(k: &str) -> String {
    if safe_plain(k) {
        k.to_owned()
    } else {
        double_quoted(k)
    }
}

/// `s` in double quotes with some characters as `\xNN` or `\uNNNN` escapes.
fn escaped(s: &str, rng: &mut Rng) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => out.push_str(&format!("\\{c}")),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c if c.is_ascii() && rng.chance(30) => out.push_str(&format!("\\x{:02X}", u32::from(c))),
            c if !c.is_ascii() && u32::from(c) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Writer<'_> {
    fn pad(out: &mut String, n: usize) {
        out.extend(std::iter::repeat_n(' ', n));
    }

    /// Whether a nested collection is written in flow style here.
    fn flow_here(&mut self, percent: u64) -> bool {
        self.palette.flow && self.rng.chance(percent)
    }

    fn comment(&mut self) -> &'static str {
        if self.palette.comments && self.rng.chance(15) {
            " # note"
        } else {
            ""
        }
    }

    /// A key, plain or quoted, or spelled as only a YAML reader sees through
    /// (never over two lines: an implicit key is one line).
    fn key(&mut self, k: &str) -> String {
        self.spelled(k, true).unwrap_or_else(|| key_text(k))
    }

    /// `s` spelled with escapes, an escaped line break, `!!binary` or `!!str`,
    /// when the palette allows it and the dice say so.
    fn spelled(&mut self, s: &str, key: bool) -> Option<String> {
        if !self.palette.spellings || s.is_empty() || !self.rng.chance(30) {
            return None;
        }
        let engine = base64::engine::general_purpose::STANDARD;
        let choices = match (key, self.palette.tagged_keys) {
            (true, true) => 3,
            (true, false) => 1,
            (false, _) => 4,
        };
        Some(match self.rng.below(choices) {
            0 => escaped(s, self.rng),
            1 => format!("!!binary {}", base64::Engine::encode(&engine, s)),
            2 => format!("!!str {}", escaped(s, self.rng)),
            _ => {
                // `\` at the end of a line: the line break and the next line's
                // leading blanks are not part of the string.
                let cut = s.char_indices().map(|(i, _)| i).nth(s.chars().count() / 2).unwrap_or(0);
                let (a, b) = s.split_at(cut);
                let a = escaped(a, self.rng);
                let b = escaped(b, self.rng);
                let b = b.strip_prefix('"').unwrap_or(&b);
                let b = match b.chars().next() {
                    Some(c @ (' ' | '\t')) => format!("\\x{:02X}{}", u32::from(c), &b[1..]),
                    _ => b.to_owned(),
                };
                format!("{}\\\n{}{b}", a.strip_suffix('"').unwrap_or(&a), " ".repeat(40))
            }
        })
    }

    /// An anchor to put before a string, or an alias that stands for it.
    fn alias_or_anchor(&mut self, s: &str) -> (Option<String>, Option<String>) {
        if !self.palette.aliases || s.is_empty() {
            return (None, None);
        }
        if let Some((_, name)) = self.anchors.iter().find(|(v, _)| v == s) {
            if self.rng.chance(70) {
                return (None, Some(format!("*{name}")));
            }
        }
        if self.rng.chance(20) {
            self.next_anchor += 1;
            let name = format!("a{}", self.next_anchor);
            self.anchors.push((s.to_owned(), name.clone()));
            return (Some(format!("&{name} ")), None);
        }
        (None, None)
    }

    /// For a block mapping value: an alias or merge of an equal mapping
    /// anchored earlier, or an anchor for later ones.
    fn mapping_alias(&mut self, v: &Json) -> MapRef {
        if !self.palette.aliases {
            return MapRef::None;
        }
        if let Some((_, name)) = self.map_anchors.iter().find(|(m, _)| m == v) {
            let name = name.clone();
            return match self.rng.below(3) {
                0 => MapRef::Alias(name),
                1 => MapRef::Merge(name),
                _ => MapRef::None,
            };
        }
        if self.rng.chance(30) {
            self.next_anchor += 1;
            let name = format!("m{}", self.next_anchor);
            self.map_anchors.push((v.clone(), name.clone()));
            return MapRef::Anchor(name);
        }
        MapRef::None
    }

    /// A scalar in flow context (or a block context that takes a one-line
    /// value): never a block scalar.
    fn inline_scalar(&mut self, v: &Json) -> String {
        match v {
            Json::Null => self.rng.pick(&["~", "null"]).to_string(),
            Json::Bool(b) => b.to_string(),
            Json::Number(n) => n.to_string(),
            Json::String(s) => {
                let (anchor, alias) = self.alias_or_anchor(s);
                if let Some(alias) = alias {
                    return alias;
                }
                if let Some(spelled) = self.spelled(s, false) {
                    return format!("{}{spelled}", anchor.unwrap_or_default());
                }
                let tag = if self.palette.tags && self.rng.chance(10) {
                    "!!str "
                } else {
                    ""
                };
                let body = match self.rng.below(3) {
                    0 if safe_plain(s) => s.clone(),
                    1 => single_quoted(s).unwrap_or_else(|| double_quoted(s)),
                    _ => double_quoted(s),
                };
                format!("{}{tag}{body}", anchor.unwrap_or_default())
            }
            other => {
                let mut out = String::new();
                self.flow(&mut out, other);
                out
            }
        }
    }

    /// A block scalar for `s` whose content lines stand at `indent`, if
    /// `s` can be written as one: header plus lines, ending with a line break.
    /// With `parent` (the column of the key it belongs to), it may carry an
    /// explicit indentation indicator.
    fn block_scalar(&mut self, s: &str, indent: usize, parent: Option<usize>) -> Option<String> {
        let printable = !s.is_empty()
            && !s.starts_with([' ', '\n', '\t'])
            && !s.chars().any(|c| c.is_control() && c != '\n')
            && !s.contains('\u{feff}');
        if !self.palette.block_scalars || !printable {
            return None;
        }
        let trailing = s.len() - s.trim_end_matches('\n').len();
        let body = s.trim_end_matches('\n');
        if body.is_empty() || body.lines().any(|l| l.trim().is_empty() && !l.is_empty()) {
            return None;
        }
        let folded = !body.contains('\n') && !body.contains("  ") && !body.ends_with(' ') && self.rng.chance(30);
        let chomp = match trailing {
            0 => "-",
            1 => "",
            _ => "+",
        };
        let (indicator, lines_at) = match parent {
            Some(col) if self.rng.chance(20) => ("2", col + 2),
            _ => ("", indent),
        };
        let mut out = format!("{}{indicator}{chomp}", if folded { ">" } else { "|" });
        out.push_str(self.comment());
        out.push('\n');
        for line in body.split('\n') {
            if !line.is_empty() {
                Self::pad(&mut out, lines_at);
                out.push_str(line);
            }
            out.push('\n');
        }
        for _ in 1..trailing {
            out.push('\n');
        }
        Some(out)
    }

    fn flow(&mut self, out: &mut String, v: &Json) {
        let trailing = |w: &mut Self| w.palette.trailing_commas && w.rng.chance(20);
        match v {
            Json::Object(m) => {
                out.push('{');
                for (i, (k, val)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    let key = self.key(k);
                    out.push_str(&key);
                    out.push_str(": ");
                    self.flow(out, val);
                }
                if !m.is_empty() && trailing(self) {
                    out.push(',');
                }
                out.push('}');
            }
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.flow(out, item);
                }
                if !items.is_empty() && trailing(self) {
                    out.push(',');
                }
                out.push(']');
            }
            scalar => {
                let s = self.inline_scalar(scalar);
                out.push_str(&s);
            }
        }
    }

    /// Block mapping entries at column `col`; with `first_inline` the first
    /// entry continues a line already started (after `- `).
    fn block_map(&mut self, out: &mut String, m: &serde_json::Map<String, Json>, col: usize, first_inline: bool) {
        for (i, (k, v)) in m.iter().enumerate() {
            if i > 0 || !first_inline {
                if self.palette.comments && self.rng.chance(5) {
                    Self::pad(out, col);
                    out.push_str("# between entries\n");
                }
                Self::pad(out, col);
            }
            let key = self.key(k);
            out.push_str(&key);
            out.push(':');
            self.block_value(out, v, col);
        }
    }

    /// The value of a block mapping entry whose key stands at `col`: after
    /// `key:` on the same line, or on the lines below.
    fn block_value(&mut self, out: &mut String, v: &Json, col: usize) {
        match v {
            Json::Object(m) if !m.is_empty() && !self.flow_here(15) => {
                match self.mapping_alias(v) {
                    MapRef::Alias(name) => {
                        out.push_str(&format!(" *{name}\n"));
                        return;
                    }
                    MapRef::Merge(name) => {
                        // `<<: *name` gives every key of the anchored mapping.
                        out.push('\n');
                        Self::pad(out, col + self.indent);
                        out.push_str(&format!("<<: *{name}\n"));
                        return;
                    }
                    MapRef::Anchor(name) => out.push_str(&format!(" &{name}")),
                    MapRef::None => {}
                }
                let c = self.comment();
                out.push_str(c);
                out.push('\n');
                self.block_map(out, m, col + self.indent, false);
            }
            Json::Array(items) if !items.is_empty() && !self.flow_here(15) => {
                let c = self.comment();
                out.push_str(c);
                out.push('\n');
                let dash = if self.rng.chance(50) { col } else { col + self.indent };
                self.block_seq(out, items, dash);
            }
            Json::Null if self.rng.chance(40) => {
                let c = self.comment();
                out.push_str(c);
                out.push('\n');
            }
            Json::String(s) if self.rng.chance(25) => match self.block_scalar(s, col + self.indent, Some(col)) {
                Some(block) => {
                    out.push(' ');
                    out.push_str(&block);
                }
                None => self.one_line(out, v),
            },
            _ => self.one_line(out, v),
        }
    }

    fn one_line(&mut self, out: &mut String, v: &Json) {
        out.push(' ');
        let s = self.inline_scalar(v);
        out.push_str(&s);
        let c = self.comment();
        out.push_str(c);
        out.push('\n');
    }

    fn block_seq(&mut self, out: &mut String, items: &[Json], dash: usize) {
        for item in items {
            Self::pad(out, dash);
            out.push('-');
            match item {
                Json::Object(m) if !m.is_empty() && !self.flow_here(10) => {
                    if self.palette.comments && self.rng.chance(5) {
                        // The item's content starts on the next line.
                        out.push_str(" # item\n");
                        self.block_map(out, m, dash + 2, false);
                    } else {
                        out.push(' ');
                        self.block_map(out, m, dash + 2, true);
                    }
                }
                Json::String(s) if self.rng.chance(15) => match self.block_scalar(s, dash + 2, None) {
                    Some(block) => {
                        out.push(' ');
                        out.push_str(&block);
                    }
                    None => self.one_line(out, item),
                },
                other => self.one_line(out, other),
            }
        }
    }
}
