//! An edit as meaning ([`Op`], at a path of the decoded document), and the
//! check that the spliced text means exactly that (docs/editing.md, "The
//! editing model"): a splice bug can make the tool refuse a document, never
//! write one that means something else.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value as Json};
use thiserror::Error;

use super::emit::Value;
use super::tree::{self, AnchorId, Features, Mapping, Node};
use super::yaml11::{self, key_name, Seg};

/// One change to a document, at a path of what Kubernetes decodes it to:
/// the plan's unit, and what the editor splices and the check verifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `at[key]` becomes `value` (mappings merge key by key).
    Set { at: Vec<Seg>, key: String, value: Value },
    /// `at[key]` is removed.
    Unset { at: Vec<Seg>, key: String },
    /// The list `at[list]` holds one item per `items` entry, matched by
    /// `name`, with its fields set; `exclusive` pairs are alternatives (an
    /// existing `valueFrom` goes when `value` is set; a field paired with
    /// itself is replaced whole, not merged).
    Upsert {
        at: Vec<Seg>,
        list: String,
        items: Vec<Vec<(String, Value)>>,
        exclusive: Vec<(&'static str, &'static str)>,
    },
    /// The items of `at[list]` that `which` names are removed.
    Remove { at: Vec<Seg>, list: String, which: Items },
}

impl Op {
    /// The mapping the op edits.
    pub fn at(&self) -> &[Seg] {
        match self {
            Op::Set { at, .. } | Op::Unset { at, .. } | Op::Upsert { at, .. } | Op::Remove { at, .. } => at,
        }
    }
}

/// Which items of a list to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Items {
    At(Vec<usize>),
    /// Every mapping whose `name` reads as one of these.
    Named(Vec<String>),
}

impl Items {
    /// Whether item `i` of a list, whose `name` reads as `name`, is one of
    /// these: the editor asks of the tree's item, the check of the decoded.
    pub(super) fn names(&self, i: usize, name: Option<&str>) -> bool {
        match self {
            Items::At(positions) => positions.contains(&i),
            Items::Named(names) => name.is_some_and(|n| names.iter().any(|x| x == n)),
        }
    }
}

/// An edit that cannot be made to this document, with the 1-based line (in
/// the document) of the node in the way, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct EditError {
    pub message: String,
    pub line: usize,
}

pub(super) fn refuse(line: usize, message: impl Into<String>) -> EditError {
    EditError {
        message: message.into(),
        line,
    }
}

fn show(path: &[Seg]) -> String {
    let out = path.iter().fold(String::new(), |out, seg| match seg {
        Seg::Key(k) if out.is_empty() => k.clone(),
        Seg::Key(k) => format!("{out}.{k}"),
        Seg::Index(i) => format!("{out}[{i}]"),
    });
    if out.is_empty() {
        "the document".into()
    } else {
        format!("`{out}`")
    }
}

/// The node at a path of the decoded document, found in the tree ([`child`]).
/// Refused at the nearest line when the text cannot reach it (an alias, a key
/// only a merge key gives): an edit would change other copies, or nothing.
pub fn locate<'n, 'a>(root: &'n Node<'a>, path: &[Seg]) -> Result<&'n Node<'a>, EditError> {
    let mut node = root;
    for seg in path {
        node = child(node, seg).ok_or_else(|| {
            let message = match node {
                Node::Alias(_) => {
                    "the place to edit is reached through an alias (*): an edit there would change every copy; \
                     write the aliased part out in full instead"
                }
                _ => "the place to edit comes from a merge key (<<) or an alias; write that part out in full instead",
            };
            refuse(node.loc().line, message)
        })?;
    }
    match node {
        Node::Alias(a) => Err(refuse(
            a.loc().line,
            "the place to edit is an alias (*): an edit there would change every copy; write the aliased part out \
             in full instead",
        )),
        node => Ok(node),
    }
}

/// The line of the deepest node on `path` that the text holds.
pub fn line_of(root: &Node<'_>, path: &[Seg]) -> usize {
    let (Ok(node) | Err(node)) = path.iter().try_fold(root, |node, seg| child(node, seg).ok_or(node));
    node.loc().line
}

/// The child of `node` at `seg` in the text: the last entry whose key
/// decodes to it (as the decoder reads duplicates), or an item.
fn child<'n, 'a>(node: &'n Node<'a>, seg: &Seg) -> Option<&'n Node<'a>> {
    match (node, seg) {
        (Node::Mapping(m), Seg::Key(k)) => m.get(k),
        (Node::Sequence(s), Seg::Index(i)) => s.items.get(*i),
        _ => None,
    }
}

/// The mapping `path` names, refused where an edit of it would also change
/// what an alias copies: `path` passes through (or ends at) a node whose
/// anchor an alias names.
fn located_mapping<'n, 'a>(
    root: &'n Node<'a>,
    path: &[Seg],
    aliased: &HashSet<AnchorId>,
) -> Result<&'n Mapping<'a>, EditError> {
    let mut node = root;
    for depth in 0..=path.len() {
        if node.anchor() != 0 && aliased.contains(&node.anchor()) {
            return Err(refuse(
                node.loc().line,
                format!(
                    "{} is inside a node whose anchor (&) is used again through an alias (*): an edit here would \
                     change every copy; write the aliased copies out in full instead",
                    show(path)
                ),
            ));
        }
        if let Some(seg) = path.get(depth) {
            node = locate(node, std::slice::from_ref(seg))?;
        }
    }
    node.as_mapping()
        .ok_or_else(|| refuse(node.loc().line, format!("{} is not a mapping", show(path))))
}

/// Where a splice that replaces or removes text (`cuts`, ranges of the
/// original) takes away a node whose anchor (`&a`) an alias (`*a`) outside
/// every cut still names: that alias would lose its node, or read the new one.
fn cut_anchor(root: &Node<'_>, cuts: &[(usize, usize)]) -> Option<EditError> {
    let inside = |pos: usize| cuts.iter().any(|&(start, end)| start <= pos && pos < end);
    // An alias names the latest node anchored with its name before it.
    let mut latest = HashMap::new();
    let mut found = None;
    tree::each_node(root, 0, &mut |node| match node {
        Node::Alias(a) if found.is_none() && !inside(a.loc().start) => {
            found = latest.get(&a.id).copied().filter(|loc: &tree::Loc| inside(loc.start));
        }
        node if node.anchor() != 0 => {
            latest.insert(node.anchor(), node.loc());
        }
        _ => {}
    });
    found.map(|loc| {
        refuse(
            loc.line,
            "an edit replaces or removes the node anchored (&) here, which an alias (*) after it still names; \
             write the aliased copies out in full instead",
        )
    })
}

fn get_mut<'j>(json: &'j mut Json, path: &[Seg]) -> Option<&'j mut Json> {
    path.iter().try_fold(json, |node, seg| match (node, seg) {
        (Json::Object(o), Seg::Key(k)) => o.get_mut(k),
        (Json::Array(a), Seg::Index(i)) => a.get_mut(*i),
        _ => None,
    })
}

pub fn value_json(value: &Value) -> Json {
    match value {
        Value::Str(s) => Json::String(s.clone()),
        Value::Int(i) => Json::from(*i),
        Value::Bool(b) => Json::Bool(*b),
        Value::Map(entries) => Json::Object(entries.iter().map(|(k, v)| (k.clone(), value_json(v))).collect()),
        Value::Seq(items) => Json::Array(items.iter().map(value_json).collect()),
    }
}

/// `object[key]` becomes `value`; a mapping value merges into an object key
/// by key.
fn set_key(object: &mut Map<String, Json>, key: &str, value: &Value) {
    match (object.get_mut(key), value) {
        (Some(Json::Object(existing)), Value::Map(fields)) => {
            for (k, v) in fields {
                set_key(existing, k, v);
            }
        }
        (Some(slot), value) => *slot = value_json(value),
        (None, value) => {
            object.insert(key.to_owned(), value_json(value));
        }
    }
}

pub(super) fn item_name(item: &[(String, Value)]) -> Option<&str> {
    match item.first() {
        Some((k, Value::Str(name))) if k == "name" => Some(name),
        _ => None,
    }
}

/// Apply `op` to `want` (the decoded document), refusing what the text
/// editor cannot do faithfully: an edit through a merge key or an alias, or
/// inside a node an alias copies.
fn apply_op(want: &mut Json, root: &Node<'_>, aliased: &HashSet<AnchorId>, op: &Op) -> Result<(), EditError> {
    let at = op.at();
    let map = located_mapping(root, at, aliased)?;
    let Some(Json::Object(object)) = get_mut(want, at) else {
        return Err(refuse(map.loc().line, format!("{} is not a mapping", show(at))));
    };
    match op {
        Op::Set { key, value, .. } => {
            refuse_merged_key(map, key, at, object)?;
            set_key(object, key, value);
        }
        Op::Unset { key, .. } => {
            // Order does not matter to the comparison; swap_remove is O(1).
            object.swap_remove(key.as_str());
        }
        Op::Upsert {
            list, items, exclusive, ..
        } => {
            refuse_merged_key(map, list, at, object)?;
            refuse_merged_items(root, at, map, list, items)?;
            let all = || Json::Array(items.iter().map(|i| value_json(&Value::Map(i.clone()))).collect());
            match object.get_mut(list.as_str()) {
                None => {
                    object.insert(list.clone(), all());
                }
                Some(slot @ Json::Null) => *slot = all(),
                Some(Json::Array(list)) => upsert(list, items, exclusive),
                Some(_) => return Err(refuse(map.loc().line, format!("`{list}` is not a list"))),
            }
        }
        Op::Remove { list, which, .. } => {
            refuse_merged_key(map, list, at, object)?;
            if let Some(Json::Array(list)) = object.get_mut(list.as_str()) {
                let mut i = 0;
                list.retain(|item| {
                    i += 1;
                    !which.names(i - 1, item.get("name").and_then(Json::as_str))
                });
            }
        }
    }
    Ok(())
}

fn upsert(list: &mut Vec<Json>, items: &[Vec<(String, Value)>], exclusive: &[(&str, &str)]) {
    for item in items {
        let Some(name) = item_name(item) else { continue };
        let named = |j: &Json| j.get("name").and_then(Json::as_str) == Some(name) && j.is_object();
        let Some(first) = list.iter().position(named) else {
            list.push(value_json(&Value::Map(item.clone())));
            continue;
        };
        let later = list.split_off(first + 1);
        list.extend(later.into_iter().filter(|j| !named(j)));
        if let Some(Json::Object(existing)) = list.get_mut(first) {
            for (key, value) in item.iter().skip(1) {
                for (_, alt) in exclusive.iter().filter(|(field, _)| *field == key.as_str()) {
                    existing.shift_remove(*alt);
                }
                set_key(existing, key, value);
            }
        }
    }
}

/// A key that a mapping gets only from a merge key cannot be edited by
/// writing the key: that would replace, not change, what was merged.
fn refuse_merged_key(map: &Mapping<'_>, key: &str, at: &[Seg], decoded: &Map<String, Json>) -> Result<(), EditError> {
    let merges = map.entries.iter().find(|e| yaml11::is_merge_key(&e.key));
    match merges {
        Some(merge) if map.entry(key).is_none() && decoded.contains_key(key) => Err(refuse(
            merge.key.loc().line,
            format!(
                "{} takes keys from a merge key (`<<`), and `{key}` cannot be added or changed without overriding \
                 what it merges; write the mapping's keys out instead of merging them",
                show(at)
            ),
        )),
        _ => Ok(()),
    }
}

/// A list item that is ours by name but written as an alias or with a merge
/// key cannot be changed in place.
fn refuse_merged_items(
    root: &Node<'_>,
    at: &[Seg],
    map: &Mapping<'_>,
    list: &str,
    items: &[Vec<(String, Value)>],
) -> Result<(), EditError> {
    let Some(Node::Sequence(seq)) = map.get(list) else {
        return Ok(());
    };
    // What such an item means needs the whole document (its anchors): read
    // once, only when there is one.
    let mut original = None;
    // An item with a merge key but its own explicit `name` is found and
    // edited by that name; the meaning check then verifies the result (an
    // explicit key after `<<` wins). An alias, or a merged name, is out of
    // the editor's reach.
    let built = seq.items.iter().enumerate().filter(|(_, node)| match node {
        Node::Alias(_) => true,
        Node::Mapping(m) => m.entries.iter().any(|e| yaml11::is_merge_key(&e.key)) && m.entry("name").is_none(),
        _ => false,
    });
    for (i, node) in built {
        let decoded = original.get_or_insert_with(|| yaml11::decode(root).ok());
        let mut path = at.to_vec();
        path.extend([Seg::Key(list.to_owned()), Seg::Index(i)]);
        let name = decoded
            .as_mut()
            .and_then(|d| get_mut(d, &path))
            .and_then(|item| item.get("name"))
            .and_then(Json::as_str);
        if name.is_none_or(|n| items.iter().any(|i| item_name(i) == Some(n))) {
            return Err(refuse(
                node.loc().line,
                format!(
                    "an item of `{list}` is written with an alias or a merge key (`<<: *anchor`); write it out in \
                     full instead"
                ),
            ));
        }
    }
    Ok(())
}

/// The first path at which `got` differs from `want`.
fn first_difference(want: &Json, got: &Json, path: &mut Vec<Seg>) -> bool {
    let children: Vec<(Seg, Option<&Json>, Option<&Json>)> = match (want, got) {
        (Json::Object(a), Json::Object(b)) => a
            .keys()
            .chain(b.keys().filter(|k| !a.contains_key(*k)))
            .map(|k| (Seg::Key(k.clone()), a.get(k), b.get(k)))
            .collect(),
        (Json::Array(a), Json::Array(b)) => (0..a.len().max(b.len()))
            .map(|i| (Seg::Index(i), a.get(i), b.get(i)))
            .collect(),
        (a, b) => return a != b,
    };
    children.into_iter().any(|(seg, v, w)| {
        path.push(seg);
        let differs = v.zip(w).is_none_or(|(v, w)| first_difference(v, w, path));
        if !differs {
            path.pop();
        }
        differs
    })
}

/// A document's text before and after its splices, and the ranges of the
/// original that the splices replace or remove.
#[derive(Debug, Clone, Copy)]
pub struct Edited<'t> {
    pub original: &'t str,
    pub text: &'t str,
    pub cuts: &'t [(usize, usize)],
}

/// Check that the edited text means the original document (`root`, with its
/// `features`, parsed from `edited.original`) with `ops` applied. Returns
/// what the edited text decodes to. Values are never quoted in a refusal:
/// they may be credentials.
pub fn check(root: &Node<'_>, features: Features, edited: Edited<'_>, ops: &[Op]) -> Result<Json, EditError> {
    let mut aliased = HashSet::new();
    if features.aliases || features.deep {
        tree::each_node(root, 0, &mut |node| {
            if let Node::Alias(a) = node {
                aliased.insert(a.id);
            }
        });
    }
    let mut want = yaml11::decode_with(root, features).map_err(|e| {
        refuse(
            e.line,
            format!("Kubernetes cannot read this document ({}); fix it first", e.message),
        )
    })?;
    for op in ops {
        apply_op(&mut want, root, &aliased, op)?;
    }
    read_back(root, edited, &want).map_err(|refusal| cut_anchor(root, edited.cuts).unwrap_or(refusal))
}

/// What the edited text decodes to, if it is `want`.
fn read_back(root: &Node<'_>, edited: Edited<'_>, want: &Json) -> Result<Json, EditError> {
    let first_line = root.loc().line;
    let Some((got, doubled)) = reads_as(edited.text) else {
        return Err(refuse(
            first_line,
            "the edited document would not read back (an editor bug this check caught); write the document in \
             block style instead",
        ));
    };
    // Kubernetes keeps the last of two keys that decode to one, stricter
    // readers refuse the document: an edit must never add one.
    if doubled > doubled_keys(root) {
        return Err(refuse(
            first_line,
            "an edit would write a key a second time, beside one written another way (a tag or escape); write \
             that key plainly instead",
        ));
    }
    // The line break that ends the document must stay: the next document
    // of the stream starts after it.
    if edited.original.ends_with(['\n', '\r']) && !edited.text.ends_with(['\n', '\r']) {
        return Err(refuse(
            first_line,
            "the edited document would lose its final line break (an editor bug this check caught)",
        ));
    }
    // Equal is the rule: only a refusal needs the path of the difference
    // (whose walk clones every key on the way).
    if *want == got {
        return Ok(got);
    }
    let mut path = Vec::new();
    first_difference(want, &got, &mut path);
    Err(refuse(
        line_of(root, &path),
        format!(
            "cannot edit {} safely: the edited text would not mean what was intended there (an alias, merge \
             key, tag or unusual layout is in the way); write it in plain block style without anchors, merge \
             keys or tags instead",
            show(&path)
        ),
    ))
}

/// What a whole document means, read the way Kubernetes reads it, and how
/// many of its mapping keys decode to an earlier key of their mapping.
fn reads_as(text: &str) -> Option<(Json, usize)> {
    let (node, features) = tree::parse_document(text).ok()??;
    Some((yaml11::decode_with(&node, features).ok()?, doubled_keys(&node)))
}

/// How many mapping keys of `root` decode to an earlier key of their mapping.
fn doubled_keys(root: &Node<'_>) -> usize {
    let mut doubled = 0;
    tree::each_node(root, 0, &mut |node| {
        if let Node::Mapping(m) = node {
            let mut seen = HashSet::new();
            doubled += m
                .entries
                .iter()
                .filter(|e| key_name(&e.key).is_some_and(|k| !seen.insert(k)))
                .count();
        }
    });
    doubled
}
