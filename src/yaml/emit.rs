//! Rendering generated YAML: whole documents (the registry Secret, the token
//! refresher) and fragments spliced into existing documents. Kubernetes reads
//! YAML 1.1, so a string or key is plain only when no YAML 1.1 or 1.2 reader
//! could take it for anything else; otherwise it is double-quoted.

use std::fmt::Write;

/// A value to render. Mappings keep the order they are given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    Map(Vec<(String, Value)>),
    Seq(Vec<Value>),
}

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }
}

/// How block output is laid out, copied from the document being edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Columns between a parent key and the `-` of its sequence items: 0 for
    /// kyaml's compact style (Helm 4), 2 for most hand-written charts.
    pub seq_indent: usize,
    /// Line ending of the document (`\n` or `\r\n`).
    pub newline: &'static str,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            seq_indent: 2,
            newline: "\n",
        }
    }
}

/// The line ending a text uses: `\r\n` if it has any, a lone `\r` if it
/// breaks lines with nothing else, `\n` otherwise.
pub fn detect_newline(text: &str) -> &'static str {
    match (text.contains("\r\n"), text.contains('\r'), text.contains('\n')) {
        (true, ..) => "\r\n",
        (false, true, false) => "\r",
        _ => "\n",
    }
}

/// Whether `s` reads back as itself unquoted, in block and flow context, under
/// YAML 1.1 and 1.2. Deliberately conservative: a letter first (so no number,
/// date, `.inf`, `~` or indicator), then only letters, digits and `_ . / -`,
/// and not a YAML 1.1 boolean or null (YAML 1.2's words are among them).
pub fn is_safe_plain(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-'))
        && super::yaml11::resolve_plain(s).is_string()
}

/// A string as a scalar: plain when safe, double-quoted otherwise.
pub fn scalar(s: &str) -> String {
    match is_safe_plain(s) {
        true => s.to_owned(),
        false => double_quoted(s),
    }
}

/// A string written in the style of the scalar it replaces, so that an edited
/// line differs only in its value: quoted stays quoted, plain stays plain
/// where that is safe, and block scalars become double-quoted.
pub fn scalar_like(s: &str, style: granit_parser::ScalarStyle) -> String {
    use granit_parser::ScalarStyle;
    match style {
        ScalarStyle::SingleQuoted if !s.chars().any(needs_escape) => format!("'{}'", s.replace('\'', "''")),
        ScalarStyle::Plain => scalar(s),
        _ => double_quoted(s),
    }
}

/// What only an escape can write: control characters, LS and PS (which YAML
/// would read as line breaks) and the byte order mark.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A double-quoted scalar. Escapes what YAML would otherwise read as a line
/// break or fold (including NEL, LS, PS) and every control character.
pub fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Flow style on one line: `{name: A, value: "b"}`.
pub fn flow(value: &Value) -> String {
    match value {
        Value::Str(s) => scalar(s),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Map(entries) => {
            let inner: Vec<String> = entries.iter().map(|(k, v)| scalar(k) + ": " + &flow(v)).collect();
            format!("{{{}}}", inner.join(", "))
        }
        Value::Seq(items) => format!("[{}]", items.iter().map(flow).collect::<Vec<_>>().join(", ")),
    }
}

/// Block lines for the entries of a mapping, each line starting at `indent`.
pub fn block_entries(entries: &[(String, Value)], indent: usize, layout: Layout) -> String {
    let mut out = String::new();
    for (key, value) in entries {
        let dash = indent + layout.seq_indent;
        // A non-empty collection goes on the lines below its key.
        let (inline, below) = match value {
            Value::Map(m) if !m.is_empty() => (String::new(), block_entries(m, indent + 2, layout)),
            Value::Seq(s) if !s.is_empty() => (
                String::new(),
                s.iter().map(|i| block_item(i, dash, dash + 2, layout)).collect(),
            ),
            v => (format!(" {}", flow(v)), String::new()),
        };
        let (pad, key, newline) = (" ".repeat(indent), scalar(key), layout.newline);
        let _ = write!(out, "{pad}{key}:{inline}{newline}{below}");
    }
    out
}

/// A block sequence item (`- ...`) whose dash is at `dash_col` and whose
/// content starts at `item_col`, ending with a newline.
pub fn block_item(item: &Value, dash_col: usize, item_col: usize, layout: Layout) -> String {
    let item_col = item_col.max(dash_col + 2);
    let content = match item {
        // The first entry on the dash's line, in place of its indentation.
        Value::Map(m) if !m.is_empty() => block_entries(m, item_col, layout).split_off(item_col),
        // A scalar, or a sequence inside a sequence (rare in manifests: flow
        // keeps it simple).
        v => flow(v) + layout.newline,
    };
    " ".repeat(dash_col) + "-" + &" ".repeat(item_col - dash_col - 1) + &content
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_everything_yaml11_could_misread() {
        for s in [
            "yes",
            "on",
            "Y",
            "n",
            "OFF",
            "null",
            "~",
            "",
            "0777",
            "0644",
            "1e3",
            "0x1F",
            ".inf",
            "1:20",
            "2001-12-14",
            "1_000",
            "12345678901234567890",
            "-",
            "a b",
            "a: b",
            "#x",
            "x#",
            "@a",
            "*a",
            "&a",
            "!a",
            "'a",
            "[a]",
        ] {
            assert!(!is_safe_plain(s), "{s:?} must be quoted");
            assert!(scalar(s).starts_with('"'), "{s:?}");
        }
        for s in [
            "deis",
            "registry-secret",
            "apps/v1",
            "deis.io/registry-location",
            "us-west-2",
            "Opaque",
        ] {
            assert_eq!(scalar(s), s);
        }
    }

    #[test]
    fn keeps_the_style_of_the_replaced_scalar() {
        use granit_parser::ScalarStyle::*;
        assert_eq!(scalar_like("gcr", DoubleQuoted), "\"gcr\"");
        assert_eq!(scalar_like("it's", SingleQuoted), "'it''s'");
        assert_eq!(scalar_like("a\nb", SingleQuoted), "\"a\\nb\"");
        assert_eq!(scalar_like("gcr", Plain), "gcr");
        assert_eq!(scalar_like("on", Plain), "\"on\"");
        assert_eq!(scalar_like("x", Literal), "\"x\"");
    }

    #[test]
    fn escapes_line_breaks_and_controls() {
        assert_eq!(
            double_quoted("a\"b\\c\nd\u{7}\u{2028}é"),
            r#""a\"b\\c\nd\u0007\u2028é""#
        );
    }

    #[test]
    fn renders_block_in_both_sequence_styles() {
        let v = Value::Map(vec![(
            "env".into(),
            Value::Seq(vec![Value::Map(vec![
                ("name".into(), Value::str("A")),
                ("value".into(), Value::str("on")),
            ])]),
        )]);
        let Value::Map(entries) = &v else { unreachable!() };
        assert_eq!(
            block_entries(entries, 2, Layout::default()),
            "  env:\n    - name: A\n      value: \"on\"\n"
        );
        let compact = Layout {
            seq_indent: 0,
            newline: "\n",
        };
        assert_eq!(
            block_entries(entries, 2, compact),
            "  env:\n  - name: A\n    value: \"on\"\n"
        );
        assert_eq!(flow(&v), "{env: [{name: A, value: \"on\"}]}");
    }

    #[test]
    fn renders_scalars_empty_collections_and_crlf() {
        let entries = vec![
            ("a".to_string(), Value::Bool(true)),
            ("b".into(), Value::Int(5)),
            ("c".into(), Value::Map(vec![])),
        ];
        let crlf = Layout {
            seq_indent: 2,
            newline: "\r\n",
        };
        assert_eq!(block_entries(&entries, 0, crlf), "a: true\r\nb: 5\r\nc: {}\r\n");
        assert_eq!(block_item(&Value::str("x"), 4, 6, Layout::default()), "    - x\n");
    }
}
