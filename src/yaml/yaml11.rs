//! How a YAML 1.1 reader (go-yaml v2, under Kubernetes' sigs.k8s.io/yaml)
//! resolves plain scalars, and a conversion of a tree to the JSON that
//! Kubernetes would see.

use std::borrow::Cow;
use std::collections::HashMap;

use base64::Engine;
use granit_parser::ScalarStyle;
use serde_json::{Map, Number, Value as Json};
use thiserror::Error;

use super::tree::{each_node, AnchorId, Features, Mapping, Node, Scalar, MAX_WALK_DEPTH};

/// What a plain scalar resolves to under go-yaml v2's rules.
pub(super) fn resolve_plain(s: &str) -> Json {
    match s {
        s if plain_is_null(s) => return Json::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => return Json::Bool(true),
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Json::Bool(false)
        }
        _ => {}
    }
    // go-yaml v2 tries numbers only for a plain scalar that starts with a
    // digit, a sign or a dot (its resolve table): `_1` is a string. After a
    // dot it parses the text as it is (`._5` is a string); after a digit or
    // sign it removes every `_` first (`1_0` is 10).
    let plain: Cow<'_, str> = match s.as_bytes().first() {
        Some(b'0'..=b'9' | b'+' | b'-') => {
            let plain = match s.contains('_') {
                true => Cow::Owned(s.replace('_', "")),
                false => Cow::Borrowed(s),
            };
            if let Some(i) = parse_int(&plain) {
                return Json::Number(i);
            }
            plain
        }
        Some(b'.') => Cow::Borrowed(s),
        _ => return Json::String(s.to_owned()),
    };
    // Rust's float grammar without `inf` and `nan` (their letters are kept
    // out) is go-yaml v2's float pattern:
    // `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
    let float = plain.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
    if let Some(n) = plain.parse().ok().filter(|_| float).and_then(Number::from_f64) {
        return Json::Number(n);
    }
    if special_float(s).is_some() {
        // A float JSON cannot hold (the decoder refuses it in a manifest): a
        // stand-in that is a float, neither text nor a whole number (a config
        // file's `.inf` is not 0 minutes).
        return Json::from(0.0);
    }
    Json::String(s.to_owned())
}

/// go-yaml v2's infinities and NaN (`.inf`, `-.Inf`, `.NaN`...): floats
/// that JSON cannot hold, so sigs.k8s.io/yaml cannot decode them as values.
fn special_float(s: &str) -> Option<f64> {
    let rest = s.strip_prefix(['-', '+']).unwrap_or(s);
    let sign = if s.starts_with('-') { -1.0 } else { 1.0 };
    match rest {
        ".inf" | ".Inf" | ".INF" => Some(sign * f64::INFINITY),
        ".nan" | ".NaN" | ".NAN" if rest.len() == s.len() => Some(f64::NAN),
        _ => None,
    }
}

/// A float mapping key as sigs.k8s.io/yaml writes it: Go's
/// `FormatFloat(f, 'g', -1, 32)` (`1e3` is `1000`, `1e6` is `1e+06`, 32-bit
/// precision), infinities and NaN as YAML spells them.
fn go_float_key(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    let f = f as f32;
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f == 0.0 {
        return format!("{sign}0");
    }
    // The shortest digits that read back as this f32, as Go's precision -1.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits = mantissa.replace('.', "");
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}{rest}e{exp_sign}{:02}", exp.abs());
    }
    if exp < 0 {
        return format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize));
    }
    let point = exp as usize + 1;
    match digits.get(point..) {
        Some(frac) if !frac.is_empty() => format!("{sign}{}.{frac}", &digits[..point]),
        _ => format!("{sign}{digits}{}", "0".repeat(point.saturating_sub(digits.len()))),
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` (then `ParseUint`), of text whose `_`
/// are already removed.
fn parse_int(plain: &str) -> Option<Number> {
    let digits = plain.strip_prefix(['-', '+']).unwrap_or(plain);
    let (radix, body) = match digits.as_bytes() {
        [b'0', b'x' | b'X', ..] => (16, &digits[2..]),
        [b'0', b'o' | b'O', ..] => (8, &digits[2..]),
        [b'0', b'b' | b'B', ..] => (2, &digits[2..]),
        [b'0', _, ..] => (8, &digits[1..]),
        _ => (10, digits),
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(body, radix).ok()?;
    match plain.starts_with('-') {
        true => i64::try_from(-i128::from(magnitude)).ok().map(Number::from),
        false => Some(Number::from(magnitude)),
    }
}

/// The string Kubernetes makes of a scalar (or of the scalar an alias names)
/// by [`decode`]'s rule, so that reading a value and checking an edit never
/// disagree: `!!binary` decoded, an unresolved tag's text; `None` for `0644`
/// (the number 420), `true`, `~`, `!!int "5"`, collections, and errors.
pub fn decoded_str<'n>(node: &'n Node<'_>) -> Option<Cow<'n, str>> {
    let s = node.as_scalar()?;
    match Decoder::without_anchors(false).scalar(node, s) {
        Ok(Json::String(text)) if text == *s.value => Some(Cow::Borrowed(&*s.value)),
        Ok(Json::String(text)) => Some(Cow::Owned(text)),
        _ => None,
    }
}

/// Why a document cannot be decoded the way Kubernetes decodes it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct DecodeError {
    pub message: String,
    /// 1-based line (in the parsed text) of the node in question.
    pub line: usize,
}

/// Aliases may expand a document to this many times its own node count
/// (plus [`MIN_BUDGET`]): an alias bomb of a few lines must not take gigabytes.
const BUDGET_FACTOR: usize = 16;
const MIN_BUDGET: usize = 10_000;

const CORE: &str = "tag:yaml.org,2002:";

/// The JSON Kubernetes makes of a document (go-yaml v2 under
/// sigs.k8s.io/yaml): YAML 1.1 plain scalars, core tags, aliases expanded
/// within a budget, merge keys (rules in docs/editing.md, "The editing model").
pub fn decode(root: &Node<'_>) -> Result<Json, DecodeError> {
    Decoder::new(root, false).node(root, 0)
}

/// [`decode`] for a document parsed with these [`Features`]: one without
/// anchors or aliases needs no walk to find them first.
pub fn decode_with(root: &Node<'_>, features: Features) -> Result<Json, DecodeError> {
    if features.anchors || features.aliases {
        return decode(root);
    }
    Decoder::without_anchors(false).node(root, 0)
}

/// The first NEL, LS or PS (U+0085, U+2028, U+2029) in `text`, with its byte
/// offset: go-yaml v2 ends a line at each, in comments and scalars too, where
/// YAML 1.2 (this tool's parser) reads content, so a comment could hide a key.
pub fn yaml11_line_break(text: &str) -> Option<(usize, char)> {
    // In UTF-8: C2 85, E2 80 A8 and E2 80 A9.
    let bytes = text.as_bytes();
    memchr::memchr2_iter(0xC2, 0xE2, bytes).find_map(|i| {
        let c = match bytes.get(i..).unwrap_or_default() {
            [0xC2, 0x85, ..] => '\u{85}',
            [0xE2, 0x80, 0xA8, ..] => '\u{2028}',
            [0xE2, 0x80, 0xA9, ..] => '\u{2029}',
            _ => return None,
        };
        Some((i, c))
    })
}

/// Whether a scalar is read as core type `name` whatever its text: plain and
/// untagged, or tagged `!!name`.
fn typed(s: &Scalar<'_>, name: &str) -> bool {
    match s.tag.as_deref() {
        None => s.style == ScalarStyle::Plain,
        Some(tag) => tag.strip_prefix(CORE) == Some(name),
    }
}

/// Whether [`resolve_plain`] reads this plain scalar as null.
pub(super) fn plain_is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

/// The JSON a YAML 1.1 reader makes of a node, for reading a part of a
/// document: like [`decode`], but an alias to an anchor outside `node` reads
/// as null, and what Kubernetes would reject reads as null too.
pub fn to_json(node: &Node<'_>) -> Json {
    Decoder::new(node, true).node(node, 0).unwrap_or(Json::Null)
}

/// A step of a path in a decoded document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A mapping key as Kubernetes names it in JSON (an alias of a scalar as
/// that scalar); `None` for a collection.
pub fn key_name(key: &Node<'_>) -> Option<String> {
    match Decoder::without_anchors(true).scalar(key, key.as_scalar()?) {
        Ok(Json::String(s)) => Some(s),
        Ok(Json::Bool(b)) => Some(b.to_string()),
        Ok(Json::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// Bytes as Go's JSON encoder writes them: each byte of an invalid UTF-8
/// sequence becomes one U+FFFD.
fn go_json_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(std::iter::repeat_n('\u{fffd}', chunk.invalid().len()));
    }
    out
}

/// Whether a mapping key is go-yaml v2's merge key: a plain `<<`, or one
/// tagged `!!merge`.
pub fn is_merge_key(node: &Node<'_>) -> bool {
    matches!(node, Node::Scalar(s) if &*s.value == "<<" && typed(s, "merge"))
}

struct Decoder<'n, 'a> {
    anchors: HashMap<AnchorId, &'n Node<'a>>,
    budget: usize,
    lenient: bool,
}

fn error(node: &Node<'_>, message: impl Into<String>) -> DecodeError {
    DecodeError {
        message: message.into(),
        line: node.loc().line,
    }
}

impl<'n, 'a> Decoder<'n, 'a> {
    /// A decoder for the tree at `root`, its anchors collected and its
    /// budget set by its size.
    fn new(root: &'n Node<'a>, lenient: bool) -> Self {
        let (mut anchors, mut nodes) = (HashMap::new(), 0usize);
        each_node(root, 0, &mut |node| {
            nodes += 1;
            if node.anchor() != 0 {
                anchors.insert(node.anchor(), node);
            }
        });
        Decoder {
            anchors,
            budget: nodes.saturating_mul(BUDGET_FACTOR).saturating_add(MIN_BUDGET),
            lenient,
        }
    }

    /// A decoder for a tree without anchors or aliases: nothing to expand,
    /// each node is decoded once, so no budget can run out.
    fn without_anchors(lenient: bool) -> Self {
        Decoder {
            anchors: HashMap::new(),
            budget: usize::MAX,
            lenient,
        }
    }

    /// The node an alias names (the node itself otherwise).
    fn deref(&self, node: &'n Node<'a>) -> Result<&'n Node<'a>, DecodeError> {
        match node {
            Node::Alias(a) => match self.anchors.get(&a.id) {
                Some(target) => Ok(target),
                None => Err(error(node, "an alias names an anchor that is not defined before it")),
            },
            other => Ok(other),
        }
    }

    fn node(&mut self, node: &'n Node<'a>, depth: usize) -> Result<Json, DecodeError> {
        if depth > MAX_WALK_DEPTH {
            return Err(error(node, format!("nesting deeper than {MAX_WALK_DEPTH} levels")));
        }
        self.budget = self.budget.checked_sub(1).ok_or_else(|| {
            error(
                node,
                "aliases expand this document beyond a safe size (an alias bomb?); write the repeated parts out",
            )
        })?;
        match node {
            Node::Scalar(s) => self.scalar(node, s),
            Node::Alias(a) if self.lenient && !self.anchors.contains_key(&a.id) => Ok(Json::Null),
            Node::Alias(_) => self.node(self.deref(node)?, depth + 1),
            Node::Sequence(seq) => seq
                .items
                .iter()
                .map(|item| self.node(item, depth + 1))
                .collect::<Result<_, _>>()
                .map(Json::Array),
            Node::Mapping(map) => {
                let mut out = Map::with_capacity(map.entries.len());
                self.mapping_into(map, &mut out, depth)?;
                Ok(Json::Object(out))
            }
        }
    }

    fn mapping_into(
        &mut self,
        map: &'n Mapping<'a>,
        out: &mut Map<String, Json>,
        depth: usize,
    ) -> Result<(), DecodeError> {
        for entry in &map.entries {
            if is_merge_key(&entry.key) {
                self.merge_into(&entry.value, out, depth + 1)?;
                continue;
            }
            let key = self.key(&entry.key, depth + 1)?;
            let value = self.node(&entry.value, depth + 1)?;
            out.insert(key, value);
        }
        Ok(())
    }

    /// go-yaml v2's `merge`: a map, an alias of a map, or a list of those,
    /// the earlier maps of a list taking precedence.
    fn merge_into(
        &mut self,
        value: &'n Node<'a>,
        out: &mut Map<String, Json>,
        depth: usize,
    ) -> Result<(), DecodeError> {
        if depth > MAX_WALK_DEPTH {
            return Err(error(value, format!("nesting deeper than {MAX_WALK_DEPTH} levels")));
        }
        let want_map = || error(value, "map merge requires map or sequence of maps as the value");
        match self.deref(value)? {
            Node::Mapping(map) => self.mapping_into(map, out, depth + 1),
            Node::Sequence(seq) if !matches!(value, Node::Alias(_)) => {
                seq.items.iter().rev().try_for_each(|item| match self.deref(item)? {
                    Node::Mapping(map) => self.mapping_into(map, out, depth + 1),
                    _ => Err(want_map()),
                })
            }
            _ => Err(want_map()),
        }
    }

    /// A mapping key as sigs.k8s.io/yaml turns it into a JSON key.
    fn key(&mut self, node: &'n Node<'a>, depth: usize) -> Result<String, DecodeError> {
        // An infinity or NaN, which JSON cannot hold as a value, is a key.
        if let Some(f) = node
            .as_scalar()
            .filter(|s| typed(s, "float"))
            .and_then(|s| special_float(&s.value))
        {
            return Ok(go_float_key(f));
        }
        match self.node(node, depth)? {
            Json::String(s) => Ok(s),
            Json::Bool(b) => Ok(b.to_string()),
            Json::Number(n) if n.is_f64() => Ok(go_float_key(n.as_f64().unwrap_or_default())),
            Json::Number(n) => Ok(n.to_string()),
            other if self.lenient => Ok(other.to_string()),
            Json::Null => Err(error(node, "a mapping key is null, which Kubernetes cannot decode")),
            _ => Err(error(
                node,
                "a mapping key is a list or mapping, which Kubernetes cannot decode",
            )),
        }
    }

    fn scalar(&self, node: &Node<'_>, s: &Scalar<'_>) -> Result<Json, DecodeError> {
        // Lenient, it reads as `resolve_plain`'s stand-in (`!!float` too).
        if !self.lenient && typed(s, "float") && special_float(&s.value).is_some() {
            return Err(error(
                node,
                "a value is an infinity or NaN (`.inf`, `.nan`), which JSON, and so Kubernetes, cannot hold",
            ));
        }
        let Some(tag) = s.tag.as_deref() else {
            return Ok(if s.style == ScalarStyle::Plain {
                resolve_plain(&s.value)
            } else {
                Json::String(s.value.to_string())
            });
        };
        let resolved = || resolve_plain(&s.value);
        let core = tag.strip_prefix(CORE);
        let value = match core {
            Some("int") => Some(resolved()).filter(|j| j.is_i64() || j.is_u64()),
            Some("float") => match resolved() {
                // go-yaml resolves these as uint64, which it will not turn into a float.
                Json::Number(n) if n.as_u64().is_some_and(|u| u > i64::MAX as u64) => None,
                Json::Number(n) => n.as_f64().map(Json::from),
                _ => None,
            },
            Some("bool") => Some(resolved()).filter(Json::is_boolean),
            Some("null") => Some(resolved()).filter(Json::is_null),
            Some("binary") => {
                let compact: String = s.value.chars().filter(|c| !matches!(c, '\n' | '\r')).collect();
                let bytes = base64::engine::general_purpose::STANDARD.decode(compact.as_bytes());
                bytes.ok().map(|bytes| Json::String(go_json_string(&bytes)))
            }
            // !!str, !!timestamp, !!merge as a value, and every tag go-yaml
            // cannot resolve: the text as a string.
            _ => return Ok(Json::String(s.value.to_string())),
        };
        match value {
            Some(value) => Ok(value),
            None if self.lenient => Ok(Json::String(s.value.to_string())),
            None => Err(error(
                node,
                format!("a value tagged !!{0} is not a valid {0}", core.unwrap_or_default()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a plain scalar with this text reads as a string in YAML 1.1.
    fn plain_is_string(s: &str) -> bool {
        resolve_plain(s).is_string()
    }
    use serde_json::json;

    #[test]
    fn decode_with_the_parse_features_is_decode() {
        for text in [
            "a: 1\nb: [on, '0644', {c: ~}]\n",
            "a: &x {b: 1}\nc: *x\n",
            "a: &x 1\n",
            "base: &b {x: 1}\nm: {<<: *b, y: 2}\n",
            "m: {<<: {x: 1}, y: 2}\n",
            "a: !!int 5\nb: !!binary aGk=\n",
            "? [x]\n: 1\n",
        ] {
            let (root, features) = crate::yaml::tree::parse_document(text).unwrap().unwrap();
            assert_eq!(decode_with(&root, features), decode(&root), "{text:?}");
        }
    }

    #[test]
    fn resolves_like_go_yaml_v2() {
        assert_eq!(resolve_plain("on"), json!(true));
        assert_eq!(resolve_plain("N"), json!(false));
        assert_eq!(resolve_plain("0644"), json!(420));
        assert_eq!(resolve_plain("0x1F"), json!(31));
        assert_eq!(resolve_plain("1_000"), json!(1000));
        assert_eq!(resolve_plain("-12"), json!(-12));
        assert_eq!(resolve_plain("1e3"), json!(1000.0));
        assert_eq!(resolve_plain("~"), json!(null));
        // Kubernetes' decoder (k8sjson) reads these as strings too.
        for s in [
            "1:20",
            "2001-12-14",
            "0.0.1",
            "v1",
            "e3",
            "1e",
            "0x",
            "abc",
            "_1",
            "__",
            "._5",
            "_0x1F",
        ] {
            assert!(plain_is_string(s), "{s}");
        }
        assert!(!plain_is_string(".inf"));
        // ParseInt rejects "08" as octal, then the float pattern takes it.
        assert_eq!(resolve_plain("08"), json!(8.0));
        assert!(!plain_is_string("18446744073709551615"));
    }

    #[test]
    fn an_alias_bomb_is_refused_quickly() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let root = crate::yaml::tree::parse(&text).unwrap().unwrap();
        let started = std::time::Instant::now();
        let e = decode(&root).unwrap_err();
        assert!(e.message.contains("alias bomb"), "{e}");
        assert!(started.elapsed().as_secs() < 2);
        // A recursive alias is refused too, not followed forever.
        let root = crate::yaml::tree::parse("a: &a [1, *a]\n").unwrap().unwrap();
        assert!(decode(&root).is_err());
    }

    #[test]
    fn merge_keys_follow_go_yaml_v2() {
        let root = crate::yaml::tree::parse(
            "b: &b {x: 1, w: 1}\nc: &c {w: 2, z: 2}\nm:\n  <<: [*b, *c]\n  z: 3\nk:\n  z: 3\n  <<: *c\n",
        )
        .unwrap()
        .unwrap();
        let json = decode(&root).unwrap();
        assert_eq!(json["m"], json!({"x": 1, "w": 1, "z": 3}));
        // go-yaml v2 applies entries in order: a later merge overwrites.
        assert_eq!(json["k"], json!({"w": 2, "z": 2}));
    }
}
