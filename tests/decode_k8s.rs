//! `yaml11::decode` against Kubernetes' own decoder (the k8sjson peer:
//! sigs.k8s.io/yaml over go-yaml v2) on many small documents: every scalar
//! in every style under every tag, merge keys in every arrangement, aliases,
//! and keys of every type. The expectation is the peer's output, never ours.

mod common;

use serde_json::Value as Json;
use workflow_registry::yaml::{tree, yaml11};

const SCALARS: &[&str] = &[
    "5",
    "07",
    "08",
    "0x1F",
    "0o17",
    "0b101",
    "1_000",
    "1e3",
    "3.0",
    "1.",
    ".5",
    "-0",
    "+1",
    "yes",
    "on",
    "Off",
    "y",
    "~",
    "null",
    "",
    "2001-12-14",
    "12345678901234567890",
    "aGk=",
    "////",
    "x",
    "1:20",
    "true",
    // go-yaml tries numbers only after a digit, a sign or a dot.
    "_1",
    "_0x1F",
    "._5",
    "-_1",
    "1__0",
];
const TAGS: &[&str] = &[
    "",
    "!!str ",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!null ",
    "!!binary ",
    "!foo ",
    "! ",
];

fn styled(s: &str, style: usize) -> Option<String> {
    Some(match style {
        0 if !s.is_empty() => s.to_owned(),
        0 => String::new(),
        1 => format!("'{s}'"),
        2 => format!("\"{s}\""),
        3 if !s.is_empty() => format!("|-\n  {s}"),
        4 if !s.is_empty() => format!(">\n  {s}"),
        _ => return None,
    })
}

fn cases() -> Vec<String> {
    let mut docs = Vec::new();
    for s in SCALARS {
        for style in 0..5 {
            for tag in TAGS {
                let Some(v) = styled(s, style) else { continue };
                docs.push(format!("a: {tag}{v}\nb: 1\n"));
            }
        }
    }
    // Merge keys: single, list, alias of a list, explicit keys before and
    // after, nested merges, quoted and tagged `<<`, non-map values.
    let bases = "x: &x {a: 1, b: 2}\ny: &y {b: 3, c: 4}\nz: &z {<<: *x, c: 5}\nl: &l [*x, *y]\ns: &s 5\n";
    for merge in [
        "<<: *x",
        "<<: [*x, *y]",
        "<<: [*y, *x]",
        "<<: *z",
        "<<: [*z, *y]",
        "<<: {a: 9}",
        "<<: [{a: 9}, *x]",
        "<<: *l",
        "<<: *s",
        "<<: [*s]",
        "<<: [[1]]",
        "\"<<\": *x",
        "!!merge <<: *x",
        "!!str <<: *x",
        "<<: ~",
    ] {
        for (before, after) in [("", ""), ("a: 7\n  ", ""), ("", "\n  a: 7"), ("b: 8\n  ", "\n  c: 9")] {
            docs.push(format!("{bases}t:\n  {before}{merge}{after}\n"));
            docs.push(format!(
                "{bases}t: [{{{}}}]\n",
                format!("{before}{merge}{after}").replace("\n  ", ", ")
            ));
        }
        docs.push(format!("{bases}t:\n  <<: *x\n  {merge}\n"));
    }
    // Aliases of scalars and collections, anchors redefined, keys of every type.
    for body in [
        "a: &a on\nb: *a\n",
        "a: &a 'on'\nb: *a\n",
        "a: &a [1, *a2]\n",
        "a: &a {k: v}\nb: [*a, *a]\n",
        "a: &a 1\nb: &a 2\nc: *a\n",
        "*a : 1\n",
        "a: &k key\n*k : 2\n",
        "5: x\n",
        "yes: x\n",
        "0x10: x\n",
        "~: x\n",
        "[a]: x\n",
        "{a: 1}: x\n",
        "a: 1\na: 2\n",
        "a: !!binary |\n  aGk=\n  aGk=\n",
        "a: !!int 0x1F\n",
        "a: !!float 2\n",
        "a: !!null ''\n",
        "a: !!bool 'no'\n",
        "a: !!str\nb: 1\n",
        "1e3: x\n",
        "3.0: x\n",
        ".inf: x\n",
        "-.inf: x\n",
        ".nan: x\n",
        "0.1: x\n",
        "1.23456789: x\n",
        "1e6: x\n",
        "1234567.0: x\n",
        "123456.0: x\n",
        "0.0001: x\n",
        "0.00001: x\n",
        "-1.5e-7: x\n",
        "-0.0: x\n",
        "+.INF: x\n",
        "!!float .NaN : x\n",
        "!!int .inf : x\n",
        "a: !!int .inf\n",
        "a: !!float \"-.inf\"\n",
        "a: \".inf\"\n",
        "a: --.inf\n",
        "a: +.nan\n",
        "!!float 1: x\n",
        "a: .inf\n",
        "a: !!float .NaN\n",
        "a: [-.Inf]\n",
    ] {
        docs.push(body.to_owned());
    }
    docs
}

/// Numbers compared as values: Go writes 1000 for the float 1e3.
fn normalized(v: Json) -> Json {
    match v {
        Json::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Json::Number(n), Json::Number),
        Json::Array(a) => Json::Array(a.into_iter().map(normalized).collect()),
        Json::Object(o) => Json::Object(o.into_iter().map(|(k, v)| (k, normalized(v))).collect()),
        other => other,
    }
}

#[test]
fn decode_agrees_with_kubernetes() {
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let docs = cases();
    let stream: String = docs.iter().map(|d| format!("---\n{d}")).collect();
    let out = String::from_utf8(common::run_k8sjson(&k8sjson, &stream).stdout).unwrap();
    // Document 0 is the empty one before the first `---`: it prints nothing.
    // Every case is a mapping, so each result starts with `{` or `ERROR doc`
    // (an error message may span lines).
    let mut lines: Vec<String> = Vec::new();
    for line in out.lines() {
        match lines.last_mut() {
            Some(last) if !line.starts_with('{') && !line.starts_with("ERROR doc") => last.push_str(line),
            _ => lines.push(line.to_owned()),
        }
    }
    assert_eq!(lines.len(), docs.len(), "one line per document");
    let (mut compared, mut mismatches) = (0, Vec::new());
    for (doc, line) in docs.iter().zip(&lines) {
        let root = match tree::parse(doc) {
            Ok(Some(root)) => root,
            // Not YAML for our parser either: nothing to decode.
            _ if line.starts_with("ERROR") => continue,
            other => panic!("{doc:?}: our parser says {other:?}, Kubernetes {line}"),
        };
        compared += 1;
        let ours = yaml11::decode(&root).map(normalized);
        let theirs = if line.starts_with("ERROR") {
            None
        } else {
            Some(normalized(serde_json::from_str(line).unwrap()))
        };
        match (&ours, &theirs) {
            (Ok(a), Some(b)) if a == b => {}
            (Err(_), None) => {}
            _ => mismatches.push(format!("{doc:?}\n  ours:       {ours:?}\n  Kubernetes: {line}")),
        }
    }
    assert!(compared > 1000, "only {compared} documents compared");
    assert!(
        mismatches.is_empty(),
        "{} of {compared} differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// What Kubernetes reads at `pointer` in the last document of `stream` it
/// decodes (JSON text, `absent`), or `ERROR` when it cannot decode one.
fn kubernetes_reads(k8sjson: &std::path::Path, stream: &str, pointer: &str) -> String {
    let out = String::from_utf8(common::run_k8sjson(k8sjson, stream).stdout).unwrap();
    match out.lines().last() {
        _ if out.lines().any(|l| l.starts_with("ERROR")) => "ERROR".into(),
        Some(line) => serde_json::from_str::<Json>(line)
            .unwrap()
            .pointer(pointer)
            .map_or("absent".into(), Json::to_string),
        None => "nothing".into(),
    }
}

/// Documents that Kubernetes reads otherwise than this tool's YAML 1.2
/// parser: each case says what Kubernetes reads (so the hazard is real, and
/// it is not what the text shows), and the tool refuses the document where
/// it goes wrong (exit 1, nothing on stdout), whatever it is.
#[test]
fn what_kubernetes_reads_otherwise_is_refused_at_its_line() {
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-secret\n";
    let cases = [
        // U+2028, U+2029 and U+0085 end a line to go-yaml v2, in a comment
        // or a plain scalar: a key or a `---` hides in them.
        (
            format!("{secret}  labels: {{a: b}} # note\u{2028}  namespace: monitoring\n"),
            "/metadata/namespace",
            "\"monitoring\"",
            "document 0 (Secret/registry-secret), line 5 column 24: U+2028 (line separator) is a line break to Kubernetes",
        ),
        (
            format!("{secret}data:\n  hostname: cXVheS5pbw==\u{2029}  password: eA==\n"),
            "/data/password",
            "\"eA==\"",
            "line 6 column 25: U+2029 (paragraph separator)",
        ),
        (
            format!("a: 1\n---\n{secret}# x\u{85}---\ndata:\n  password: eA==\n"),
            "/data",
            "absent",
            "document 1 (Secret/registry-secret), line 7 column 4: U+0085 (next line)",
        ),
        // Even where both read it alike (quoted, it is text to go-yaml too).
        (
            format!("{secret}  namespace: \"a\u{2028}b\"\n"),
            "/metadata/namespace",
            "\"a\u{2028}b\"",
            "line 5 column 16: U+2028",
        ),
        // go-yaml v2 ends an anchor name at what is not a letter, a digit,
        // `-` or `_`: the rest is the value, or an error.
        (
            format!("{secret}  namespace: &ns:monitoring deis\n"),
            "/metadata/namespace",
            "\":monitoring deis\"",
            "line 5 column 14: invalid YAML: an anchor or alias name holds a character",
        ),
        (
            format!("{secret}  namespace: &ns.x deis\nx: *ns.x\n"),
            "",
            "ERROR",
            "line 5 column 14: invalid YAML: an anchor",
        ),
        (
            format!("{secret}  namespace: &é deis\n"),
            "",
            "ERROR",
            "line 5 column 14: invalid YAML: an anchor",
        ),
        // Kubernetes cuts the stream at `---` lines: a directive stays in
        // the document before, never applying to the one after it.
        (
            format!("a: 1\n...\n%TAG !! tag:example.com,2000:\n---\n{}", secret.replace("Secret", "!!binary U2VjcmV0")),
            "/kind",
            "\"Secret\"",
            "document 1, line 3 column 1: a `%YAML` or `%TAG` directive",
        ),
        (
            format!("%YAML 1.1\n---\n{secret}"),
            "",
            "ERROR",
            "document 0 (Secret/registry-secret), line 1 column 1: a `%YAML` or `%TAG` directive",
        ),
        // JSON has no infinity or NaN: sigs.k8s.io/yaml fails on them.
        (
            format!("{secret}  labels: {{a: -.Inf}}\n"),
            "",
            "ERROR",
            "line 5: Kubernetes cannot read this document: a value is an infinity or NaN",
        ),
        // YAML 1.2's `\/` and surrogate pairs, and a tab where go-yaml looks
        // for a block scalar's indentation.
        (
            format!("{secret}  labels: {{a: \"b\\/c\"}}\n"),
            "",
            "ERROR",
            "line 5 column 15: invalid YAML: the escape `\\/`",
        ),
        (
            format!("{secret}  labels: {{a: \"\\uD83D\\uDE00\"}}\n"),
            "",
            "ERROR",
            "line 5 column 15: invalid YAML: a `\\u` escape of a surrogate",
        ),
        (
            format!("{secret}  labels:\n    a: |\n      \tb\n"),
            "",
            "ERROR",
            "line 7 column 7: invalid YAML: a block scalar whose first line starts with a tab",
        ),
    ];
    for (stream, pointer, reads, refusal) in cases {
        assert_eq!(kubernetes_reads(&k8sjson, &stream, pointer), reads, "{stream}");
        let out = common::run(&mut common::binary(&common::location_env("off-cluster")), &stream);
        let err = common::text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stream}\n{err}");
        assert!(out.stdout.is_empty(), "{stream}");
        assert!(err.contains(refusal), "{stream}\n{err}");
    }
    // Their escapes read alike in both: `\L`, `\P` and `\N` inside double quotes.
    let escaped = format!("{secret}  namespace: \"a\\Lb\\Pc\\Nd\"\n");
    let root = tree::parse(&escaped).unwrap().unwrap();
    assert_eq!(
        yaml11::decode(&root).unwrap()["metadata"]["namespace"].to_string(),
        kubernetes_reads(&k8sjson, &escaped, "/metadata/namespace")
    );
}

/// A block scalar whose last line ends the input without a line break:
/// go-yaml reads no final line break, whether the header clips it (`|`,
/// `>`) or keeps it (`|+`); the YAML 1.2 parser added one.
#[test]
fn a_block_scalar_ending_the_input_decodes_as_kubernetes_reads_it() {
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let bodies = [
        "|\n  echo hi",
        ">\n  echo hi",
        "|+\n  echo hi",
        "|-\n  echo hi",
        "|2\n   echo hi",
        "|\n  echo hi\n  ",
        "|\n  echo hi\n\n",
        "|\n  a\n\n  b",
        "|\n  echo hi # not a comment",
        ">\n  a\n  b",
        "|\n  echo hi\n# a comment",
        "|\n",
        // A `-` or `+` in the content is no chomping indicator.
        "|\n  x-y",
        ">\n  a+b",
        "| # a comment\n  x-y",
        "|\n\n  x-y",
        "!!str |2\n   x-y",
        "|+\n  a-b",
        ">+\n  a",
        "|+\n  a\n\n",
        "|+\n  a\n\n  ",
        "|-\n  a\n\n  b",
    ];
    for body in bodies {
        let doc = format!("x: {body}");
        let root = tree::parse(&doc).unwrap().unwrap();
        let ours = yaml11::decode(&root).unwrap();
        let out = String::from_utf8(common::run_k8sjson(&k8sjson, &doc).stdout).unwrap();
        let theirs: Json = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{doc:?}: {e}: {out}"));
        assert_eq!(ours, theirs, "{doc:?}");
    }
}
