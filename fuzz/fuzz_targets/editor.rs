//! The span-splicing editor: upsert named items into a list of an arbitrary
//! document. Invariants: no panic; the result parses; the list holds each
//! item exactly once; doing it again changes nothing.
//!
//! Input layout: `[flags, text...]`; the flags choose the list key, the
//! layout and which names and value (from tables of awkward ones) to upsert.
#![no_main]

use libfuzzer_sys::fuzz_target;
use workflow_registry::yaml::edit::{detect_seq_indent, Editor};
use workflow_registry::yaml::emit::{Layout, Value};
use workflow_registry::yaml::tree::{parse, Node};

const NAMES: [&str; 4] = ["DEIS_REGISTRY_LOCATION", "A", "on", "x: y"];
const VALUES: [&str; 4] = ["gcr", "0777", "", "a\nb"];

fn upsert(text: &str, key: &str, items: &[Vec<(String, Value)>], layout: Layout) -> Option<String> {
    let root = parse(text).ok()??;
    let Node::Mapping(map) = &root else { return None };
    let layout = Layout { seq_indent: detect_seq_indent(&root).unwrap_or(layout.seq_indent), ..layout };
    let mut editor = Editor::new(text, layout);
    editor.upsert_named(map, key, items, &[("value", "valueFrom")]).ok()?;
    Some(editor.apply())
}

fuzz_target!(|data: &[u8]| {
    let [flags, text @ ..] = data else { return };
    let Ok(text) = std::str::from_utf8(text) else { return };
    let key = if flags & 1 != 0 { "env" } else { "volumes" };
    let layout = Layout { seq_indent: if flags & 2 != 0 { 0 } else { 2 }, newline: if flags & 4 != 0 { "\r\n" } else { "\n" } };
    let names: Vec<&str> = NAMES.iter().enumerate().filter(|(i, _)| flags & (8 << i) != 0).map(|(_, n)| *n).collect();
    let value = VALUES[usize::from(flags >> 6)];
    let items: Vec<Vec<(String, Value)>> =
        names.iter().map(|n| vec![("name".to_owned(), Value::str(*n)), ("value".to_owned(), Value::str(value))]).collect();
    if items.is_empty() {
        return;
    }
    let Some(once) = upsert(text, key, &items, layout) else { return };
    let root = match parse(&once) {
        Ok(Some(root)) => root,
        other => panic!("edited text does not parse: {other:?}\n--- before\n{text}\n--- after\n{once}"),
    };
    let Some(list) = root.path(&[key]).and_then(Node::as_sequence) else {
        panic!("no list at {key:?} after the edit\n--- before\n{text}\n--- after\n{once}");
    };
    for name in &names {
        let count = list.items.iter().filter(|i| i.str_at(&["name"]) == Some(name)).count();
        assert_eq!(count, 1, "{name:?} appears {count} times\n--- before\n{text}\n--- after\n{once}");
        let item = list.items.iter().find(|i| i.str_at(&["name"]) == Some(name)).unwrap();
        assert_eq!(item.str_at(&["value"]), Some(value), "{name:?}\n--- before\n{text}\n--- after\n{once}");
    }
    let twice = upsert(&once, key, &items, layout).expect("the edited text is editable");
    assert_eq!(twice, once, "not idempotent\n--- before\n{text}");
});
