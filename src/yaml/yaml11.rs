//! How a YAML 1.1 reader (go-yaml v2, under Kubernetes' sigs.k8s.io/yaml)
//! resolves plain scalars, and a conversion of a tree to the JSON that
//! Kubernetes would see.

use granit_parser::ScalarStyle;
use serde_json::{Map, Number, Value as Json};

use super::tree::Node;

/// What a plain scalar resolves to under go-yaml v2's rules.
fn resolve_plain(s: &str) -> Json {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Json::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => return Json::Bool(true),
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Json::Bool(false)
        }
        _ => {}
    }
    if let Some(i) = parse_int(s) {
        return Json::Number(i);
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if is_float(&plain) {
        if let Some(n) = plain.parse::<f64>().ok().and_then(Number::from_f64) {
            return Json::Number(n);
        }
    }
    let special = s.trim_start_matches(['+', '-']);
    if matches!(special, ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN") {
        // JSON has no infinity; what matters here is only that it is not a string.
        return Json::Number(Number::from(0));
    }
    Json::String(s.to_owned())
}

/// Go's `strconv.ParseInt(s, 0, 64)` (then `ParseUint`) after removing `_`.
fn parse_int(s: &str) -> Option<Number> {
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    let (negative, digits) = match plain.as_bytes().first()? {
        b'-' => (true, &plain[1..]),
        b'+' => (false, &plain[1..]),
        _ => (false, &plain[..]),
    };
    let (radix, body) = if let Some(rest) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        (16, rest)
    } else if let Some(rest) = digits.strip_prefix("0o").or_else(|| digits.strip_prefix("0O")) {
        (8, rest)
    } else if let Some(rest) = digits.strip_prefix("0b").or_else(|| digits.strip_prefix("0B")) {
        (2, rest)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(body, radix).ok()?;
    if negative {
        let value = i64::try_from(magnitude)
            .ok()
            .map(|m| -m)
            .or((magnitude == 1 << 63).then_some(i64::MIN))?;
        Some(Number::from(value))
    } else {
        Some(Number::from(magnitude))
    }
}

/// go-yaml v2's float pattern: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// Whether a plain scalar with this text reads as a string in YAML 1.1.
pub fn plain_is_string(s: &str) -> bool {
    resolve_plain(s).is_string()
}

/// The JSON a YAML 1.1 reader makes of a node. Aliases become null: they are
/// never expanded here (expansion is how alias bombs exhaust memory).
pub fn to_json(node: &Node<'_>) -> Json {
    match node {
        Node::Scalar(s) if s.style == ScalarStyle::Plain && !s.tagged => resolve_plain(&s.value),
        Node::Scalar(s) => Json::String(s.value.to_string()),
        Node::Alias(_) => Json::Null,
        Node::Sequence(seq) => Json::Array(seq.items.iter().map(to_json).collect()),
        Node::Mapping(map) => {
            let mut out = Map::new();
            for entry in &map.entries {
                let key = match to_json(&entry.key) {
                    Json::String(s) => s,
                    other => other.to_string(),
                };
                out.insert(key, to_json(&entry.value));
            }
            Json::Object(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        for s in ["1:20", "2001-12-14", "0.0.1", "v1", "e3", "1e", "0x", "abc"] {
            assert!(plain_is_string(s), "{s}");
        }
        assert!(!plain_is_string(".inf"));
        // ParseInt rejects "08" as octal, then the float pattern takes it.
        assert_eq!(resolve_plain("08"), json!(8.0));
        assert!(!plain_is_string("18446744073709551615"));
    }
}
