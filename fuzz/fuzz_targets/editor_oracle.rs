// The `editor` fuzz target's oracle, shared with the corpus replay test
// (tests/fuzz_replay.rs) so that CI replays the corpus without cargo-fuzz.
//
// Input layout: `[flags, text...]`; the flags choose the list key, the
// layout and which names and value (from tables of awkward ones) to upsert.
//
// Invariants: no panic; when the editor returns a text (it may refuse), that
// text decodes, the way Kubernetes decodes it, to exactly the input's
// meaning with the upsert applied, as computed here on JSON independently of
// the editor; and doing it again changes nothing.

use serde_json::{Map, Value as Json};
use workflow_registry::yaml::edit::{detect_seq_indent, Editor};
use workflow_registry::yaml::emit::{Layout, Value};
use workflow_registry::yaml::journal::Op;
use workflow_registry::yaml::tree::{parse, Node};
use workflow_registry::yaml::yaml11;

pub const NAMES: [&str; 4] = ["DEIS_REGISTRY_LOCATION", "A", "on", "x: y"];
pub const VALUES: [&str; 4] = ["gcr", "0777", "", "a\nb"];

fn upsert(text: &str, key: &str, items: &[Vec<(String, Value)>], layout: Layout) -> Option<String> {
    let root = parse(text).ok()??;
    let Node::Mapping(_) = &root else { return None };
    let layout = Layout {
        seq_indent: detect_seq_indent(&root).unwrap_or(layout.seq_indent),
        ..layout
    };
    let mut editor = Editor::new(text, layout);
    let op = Op::Upsert {
        at: Vec::new(),
        list: key.to_owned(),
        items: items.to_vec(),
        exclusive: vec![("value", "valueFrom")],
    };
    editor.edit(&root, &op).ok()?;
    editor.apply().ok()
}

/// What the upsert means, on the decoded document: the model the editor's
/// output is held to.
pub fn model(mut doc: Json, key: &str, names: &[&str], value: &str) -> Json {
    let Json::Object(root) = &mut doc else { return doc };
    let item = |name: &str| {
        let mut m = Map::new();
        m.insert("name".into(), Json::String(name.into()));
        m.insert("value".into(), Json::String(value.into()));
        Json::Object(m)
    };
    match root.get_mut(key) {
        Some(Json::Array(list)) => {
            for name in names {
                let is_it = |j: &Json| j.is_object() && j.get("name") == Some(&Json::String((*name).into()));
                match list.iter().position(is_it) {
                    None => list.push(item(name)),
                    Some(first) => {
                        let mut i = first + 1;
                        while i < list.len() {
                            if list.get(i).is_some_and(is_it) {
                                list.remove(i);
                            } else {
                                i += 1;
                            }
                        }
                        if let Some(Json::Object(existing)) = list.get_mut(first) {
                            existing.shift_remove("valueFrom");
                            existing.insert("value".into(), Json::String(value.into()));
                        }
                    }
                }
            }
        }
        _ => {
            root.insert(key.into(), Json::Array(names.iter().map(|n| item(n)).collect()));
        }
    }
    doc
}

/// What became of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Not a document with a root mapping, or nothing to upsert.
    Skipped,
    /// The editor refused (an error, no text).
    Refused,
    /// Edited, and the edit means what it should.
    Edited,
}

pub fn check(data: &[u8]) -> Outcome {
    let [flags, text @ ..] = data else {
        return Outcome::Skipped;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return Outcome::Skipped;
    };
    let key = if flags & 1 != 0 { "env" } else { "volumes" };
    let layout = Layout {
        seq_indent: if flags & 2 != 0 { 0 } else { 2 },
        newline: if flags & 4 != 0 { "\r\n" } else { "\n" },
    };
    let names: Vec<&str> = NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| flags & (8 << i) != 0)
        .map(|(_, n)| *n)
        .collect();
    let value = VALUES[usize::from(flags >> 6)];
    let items: Vec<Vec<(String, Value)>> = names
        .iter()
        .map(|n| {
            vec![
                ("name".to_owned(), Value::str(*n)),
                ("value".to_owned(), Value::str(value)),
            ]
        })
        .collect();
    if items.is_empty() {
        return Outcome::Skipped;
    }
    if !matches!(parse(text), Ok(Some(Node::Mapping(_)))) {
        return Outcome::Skipped;
    }
    let Some(once) = upsert(text, key, &items, layout) else {
        return Outcome::Refused;
    };
    let before = match parse(text) {
        Ok(Some(root)) => yaml11::decode(&root).ok(),
        _ => None,
    };
    let after = match parse(&once) {
        Ok(Some(root)) => yaml11::decode(&root),
        other => panic!("edited text does not parse: {other:?}\n--- before\n{text}\n--- after\n{once}"),
    };
    let Some(before) = before else {
        panic!("the editor edited a document Kubernetes cannot read\n--- before\n{text}\n--- after\n{once}")
    };
    let after =
        after.unwrap_or_else(|e| panic!("edited text does not decode: {e}\n--- before\n{text}\n--- after\n{once}"));
    let expected = model(before, key, &names, value);
    assert_eq!(after, expected, "wrong meaning\n--- before\n{text}\n--- after\n{once}");
    let twice = upsert(&once, key, &items, layout).expect("the edited text is editable");
    assert_eq!(twice, once, "not idempotent\n--- before\n{text}");
    Outcome::Edited
}
