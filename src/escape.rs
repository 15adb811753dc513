//! Escaping input text before it reaches a terminal or the log: a manifest
//! must neither add a (forged) line nor send the operator control sequences.

use std::borrow::Cow;

/// Escape what could forge a line or a terminal display: C0 and C1 control
/// characters (line breaks, ESC, DEL), the Unicode line and paragraph
/// separators, and the invisible bidi and direction marks ("Trojan source");
/// printable text, non-ASCII letters included, is kept.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if !needs_escape(c) => out.push(c),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_text_is_kept() {
        assert_eq!(escape_controls("deis-builder ünïcode"), "deis-builder ünïcode");
        assert_eq!(
            escape_controls("a\nb\r\tc\u{1b}[31md\u{7f}\u{85}"),
            "a\\nb\\r\\tc\\x1b[31md\\x7f\\x85"
        );
        assert_eq!(
            escape_controls("x\u{2028}y\u{202e}z\u{2066}"),
            "x\\u{2028}y\\u{202e}z\\u{2066}"
        );
        assert!(!escape_controls("name\n2026-01-01T00:00:00Z forged").contains('\n'));
    }
}
