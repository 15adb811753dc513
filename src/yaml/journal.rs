//! The editor's record of what it means to change, and the check that the
//! spliced text means exactly that.
//!
//! Every public edit is journaled at the level of meaning ("upsert these
//! named items into the list at this path", "set this key", "remove this
//! key", "set this scalar"), naming its nodes by their spans. The check reads
//! the original document the way Kubernetes does ([`yaml11::decode`]), applies
//! the journal to that JSON, reads the edited text the same way, and compares.
//! A splice bug can then make the tool refuse a document, never write one
//! that means something else.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value as Json};

use super::emit::Value;
use super::tree::{self, AnchorId, Features, Mapping, Node};
use super::yaml11::{self, key_name, Seg};

/// A node named by where it stands: the check re-reads the document and
/// finds it again. Spans are unique up to the kind of node (a block mapping
/// starts where its first key does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct At {
    start: usize,
    end: usize,
    kind: u8,
    line: usize,
}

impl At {
    pub fn of(node: &Node<'_>) -> At {
        let loc = node.loc();
        let kind = match node {
            Node::Scalar(_) => 0,
            Node::Mapping(_) => 1,
            Node::Sequence(_) => 2,
            Node::Alias(_) => 3,
        };
        At {
            start: loc.start,
            end: loc.end,
            kind,
            line: loc.line,
        }
    }

    pub fn of_mapping(map: &Mapping<'_>) -> At {
        At {
            start: map.loc().start,
            end: map.loc().end,
            kind: 1,
            line: map.loc().line,
        }
    }
}

/// One edit, as meaning.
#[derive(Debug, Clone)]
pub enum Op {
    /// `map[key]` becomes `value`; mappings merge key by key.
    SetEntry { map: At, key: String, value: Value },
    /// The key at `key` (a key node of `map`) is removed.
    RemoveEntry { map: At, key: At },
    /// `parent[list_key]` holds exactly one mapping per item, matched by
    /// `name`, with the item's fields set on it; an `exclusive` alternative
    /// of a field (`valueFrom` for `value`; the field itself: replaced whole)
    /// is removed first.
    UpsertNamed {
        parent: At,
        list_key: String,
        items: Vec<Vec<(String, Value)>>,
        exclusive: Vec<(String, String)>,
    },
    /// The items of `parent[list_key]` that `which` names are removed.
    RemoveItems { parent: At, list_key: String, which: Items },
}

/// Which items of a list to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Items {
    /// These positions.
    At(Vec<usize>),
    /// Every mapping whose `name` reads as one of these.
    Named(Vec<String>),
}

impl Items {
    /// Whether item `i` of `seq` (in the tree) is one of these.
    pub(super) fn names_item(&self, seq: &tree::Sequence<'_>, i: usize) -> bool {
        match self {
            Items::At(positions) => positions.contains(&i),
            Items::Named(names) => seq
                .items
                .get(i)
                .and_then(Node::as_mapping)
                .and_then(|m| m.get("name"))
                .is_some_and(|n| yaml11::decoded_str(n).is_some_and(|n| names.iter().any(|x| *x == n))),
        }
    }

    /// Whether item `i` (decoded as `item`) is one of these.
    fn names_json(&self, i: usize, item: &Json) -> bool {
        match self {
            Items::At(positions) => positions.contains(&i),
            Items::Named(names) => item
                .get("name")
                .and_then(Json::as_str)
                .is_some_and(|n| names.iter().any(|x| x == n)),
        }
    }
}

/// A refusal: what cannot be edited safely, where, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub message: String,
    /// 1-based line in the document.
    pub line: usize,
}

fn refuse(line: usize, message: impl Into<String>) -> Refusal {
    Refusal {
        message: message.into(),
        line,
    }
}

fn show(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) if !out.is_empty() => {
                out.push('.');
                out.push_str(k)
            }
            Seg::Key(k) => out.push_str(k),
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        "the document".into()
    } else {
        format!("`{out}`")
    }
}

/// Where each addressable node of the original document is.
struct Place {
    path: Vec<Seg>,
    line: usize,
    /// Line of an ancestor (or the node itself) whose anchor an alias
    /// uses again: an edit there would change every copy.
    shared: Option<usize>,
    /// The span is held by two nodes of the same kind: not addressable.
    ambiguous: bool,
}

struct Index {
    places: HashMap<At, Place>,
    /// Each mapping key node, as Kubernetes names it.
    keys: HashMap<At, String>,
}

/// A step of the path to a node while walking: keys stay nodes until a
/// target needs its path (most nodes are not targets).
enum Step<'n, 'a> {
    Key(&'n Node<'a>),
    Index(usize),
}

impl Index {
    /// Where the nodes named by `targets` (and the key nodes named by
    /// `key_targets`) are. Only targets cost allocations.
    fn build(root: &Node<'_>, features: Features, targets: &Targets, key_targets: &Targets) -> Index {
        let mut aliased = HashSet::new();
        if features.aliases || features.deep {
            each_node(root, 0, &mut |node| {
                if let Node::Alias(a) = node {
                    aliased.insert(a.id);
                }
            });
        }
        let mut index = Index {
            places: HashMap::new(),
            keys: HashMap::new(),
        };
        let mut walk = Walk {
            index: &mut index,
            targets,
            key_targets,
            aliased: &aliased,
        };
        walk.node(root, &mut Vec::new(), None, 0);
        index
    }

    /// The index of every node (for reading a few items' meaning).
    fn of_node(root: &Node<'_>, target: At) -> Index {
        // Features unknown here: assume aliases, so that shared nodes are found.
        let unknown = Features {
            aliases: true,
            ..Features::default()
        };
        Index::build(root, unknown, &Targets::new(vec![target]), &Targets::new(Vec::new()))
    }
}

/// The nodes a journal names, sorted: asked about for every node of the
/// tree, so a binary search, not a hash (a DoS-safe hash costs more than the
/// whole walk would).
struct Targets(Vec<At>);

impl Targets {
    fn new(mut ats: Vec<At>) -> Targets {
        ats.sort_unstable();
        ats.dedup();
        Targets(ats)
    }

    fn contains(&self, at: &At) -> bool {
        self.0.binary_search(at).is_ok()
    }
}

struct Walk<'i, 's> {
    index: &'i mut Index,
    targets: &'s Targets,
    key_targets: &'s Targets,
    aliased: &'s HashSet<AnchorId>,
}

impl Walk<'_, '_> {
    fn node<'n, 'a>(&mut self, node: &'n Node<'a>, path: &mut Vec<Step<'n, 'a>>, shared: Option<usize>, depth: usize) {
        if depth > 256 {
            return;
        }
        let anchor = node.anchor();
        let shared = shared.or((anchor != 0 && self.aliased.contains(&anchor)).then_some(node.loc().line));
        let at = At::of(node);
        if self.targets.contains(&at) {
            match self.index.places.get_mut(&at) {
                Some(place) => place.ambiguous = true,
                None => {
                    let owned = path
                        .iter()
                        .map(|step| match step {
                            Step::Key(key) => Seg::Key(key_name(key).unwrap_or_default()),
                            Step::Index(i) => Seg::Index(*i),
                        })
                        .collect();
                    self.index.places.insert(
                        at,
                        Place {
                            path: owned,
                            line: node.loc().line,
                            shared,
                            ambiguous: false,
                        },
                    );
                }
            }
        }
        match node {
            Node::Mapping(map) => {
                for entry in &map.entries {
                    // What a merge key brings in has no path of its own here;
                    // neither has a key Kubernetes cannot name (a collection).
                    if yaml11::is_merge_key(&entry.key) || !matches!(entry.key, Node::Scalar(_) | Node::Alias(_)) {
                        continue;
                    }
                    let key_at = At::of(&entry.key);
                    if self.key_targets.contains(&key_at) {
                        if let Some(name) = key_name(&entry.key) {
                            self.index.keys.insert(key_at, name);
                        }
                    }
                    path.push(Step::Key(&entry.key));
                    self.node(&entry.value, path, shared, depth + 1);
                    path.pop();
                }
            }
            Node::Sequence(seq) => {
                for (i, item) in seq.items.iter().enumerate() {
                    path.push(Step::Index(i));
                    self.node(item, path, shared, depth + 1);
                    path.pop();
                }
            }
            _ => {}
        }
    }
}

impl Index {
    fn place(&self, at: At) -> Result<&Place, Refusal> {
        match self.places.get(&at) {
            Some(place) if place.ambiguous => Err(refuse(
                place.line,
                "two nodes share this place in the text; write the mapping in block style instead",
            )),
            Some(place) => match place.shared {
                Some(line) => Err(refuse(
                    line,
                    format!(
                        "{} is inside a node whose anchor (&) is used again through an alias (*): an edit here \
                         would change every copy; write the aliased copies out in full instead",
                        show(&place.path)
                    ),
                )),
                None => Ok(place),
            },
            None => Err(refuse(
                at.line,
                "the edit reaches into a part of the document that comes from a merge key or alias; write that part \
                 out in full instead",
            )),
        }
    }
}

/// Each node of the tree at `node`, in the order of the text.
fn each_node<'n, 'a>(node: &'n Node<'a>, depth: usize, f: &mut impl FnMut(&'n Node<'a>)) {
    f(node);
    if depth > tree::MAX_WALK_DEPTH {
        return;
    }
    match node {
        Node::Mapping(m) => m.entries.iter().for_each(|e| {
            each_node(&e.key, depth + 1, f);
            each_node(&e.value, depth + 1, f);
        }),
        Node::Sequence(s) => s.items.iter().for_each(|i| each_node(i, depth + 1, f)),
        _ => {}
    }
}

/// Where a splice that replaces or removes text (`cuts`, ranges of the
/// original) takes away a node whose anchor (`&a`) an alias (`*a`) outside
/// every cut still names: that alias would lose its node, or read the new one.
fn cut_anchor(root: &Node<'_>, cuts: &[(usize, usize)]) -> Option<Refusal> {
    let inside = |pos: usize| cuts.iter().any(|&(start, end)| start <= pos && pos < end);
    // An alias names the latest node anchored with its name before it.
    let mut latest = HashMap::new();
    let mut found = None;
    each_node(root, 0, &mut |node| match node {
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

/// `slot` becomes `value`; a mapping value merges into an object key by key.
fn merge(slot: &mut Json, value: &Value) {
    match (slot, value) {
        (Json::Object(existing), Value::Map(fields)) => {
            for (k, v) in fields {
                set_key(existing, k, v);
            }
        }
        (slot, value) => *slot = value_json(value),
    }
}

fn set_key(object: &mut Map<String, Json>, key: &str, value: &Value) {
    match object.get_mut(key) {
        Some(slot) => merge(slot, value),
        None => {
            object.insert(key.to_owned(), value_json(value));
        }
    }
}

fn object_at<'j>(json: &'j mut Json, place: &Place, base: usize) -> Result<&'j mut Map<String, Json>, Refusal> {
    match get_mut(json, place.path.get(base..).unwrap_or(&[])) {
        Some(Json::Object(o)) => Ok(o),
        _ => Err(refuse(place.line, format!("{} is not a mapping", show(&place.path)))),
    }
}

fn item_name(item: &[(String, Value)]) -> Option<&str> {
    match item.first() {
        Some((k, Value::Str(name))) if k == "name" => Some(name),
        _ => None,
    }
}

/// Apply `op` to the decoded document, refusing what the text editor cannot
/// do faithfully (an edit through a merge key or an alias). `json` is the
/// decoded node at the first `base` steps of every op's path.
fn apply_op(json: &mut Json, root: &Node<'_>, index: &Index, op: &Op, base: usize) -> Result<(), Refusal> {
    match op {
        Op::SetEntry { map, key, value } => {
            let place = index.place(*map)?;
            let object = object_at(json, place, base)?;
            refuse_merged_key(root, *map, key, place, object)?;
            set_key(object, key, value);
        }
        Op::RemoveEntry { map, key } => {
            let place = index.place(*map)?;
            let name = index
                .keys
                .get(key)
                .ok_or_else(|| refuse(place.line, "a key to remove is not a plain key"))?;
            // Order does not matter to the comparison; swap_remove is O(1).
            object_at(json, place, base)?.swap_remove(name);
        }
        Op::UpsertNamed {
            parent,
            list_key,
            items,
            exclusive,
        } => {
            let place = index.place(*parent)?;
            let object = object_at(json, place, base)?;
            refuse_merged_key(root, *parent, list_key, place, object)?;
            refuse_merged_items(root, *parent, list_key, items)?;
            let all = || Json::Array(items.iter().map(|i| value_json(&Value::Map(i.clone()))).collect());
            match object.get_mut(list_key.as_str()) {
                None => {
                    object.insert(list_key.clone(), all());
                }
                Some(slot @ Json::Null) => *slot = all(),
                Some(Json::Array(list)) => upsert(list, items, exclusive),
                Some(_) => return Err(refuse(place.line, format!("`{list_key}` is not a list"))),
            }
        }
        Op::RemoveItems {
            parent,
            list_key,
            which,
        } => {
            let place = index.place(*parent)?;
            let object = object_at(json, place, base)?;
            refuse_merged_key(root, *parent, list_key, place, object)?;
            if let Some(Json::Array(list)) = object.get_mut(list_key.as_str()) {
                let mut i = 0;
                list.retain(|item| {
                    i += 1;
                    !which.names_json(i - 1, item)
                });
            }
        }
    }
    Ok(())
}

fn upsert(list: &mut Vec<Json>, items: &[Vec<(String, Value)>], exclusive: &[(String, String)]) {
    for item in items {
        let Some(name) = item_name(item) else { continue };
        let named = |j: &Json| j.get("name").and_then(Json::as_str) == Some(name) && j.is_object();
        let Some(first) = list.iter().position(named) else {
            list.push(value_json(&Value::Map(item.clone())));
            continue;
        };
        let mut i = first + 1;
        while i < list.len() {
            if list.get(i).is_some_and(named) {
                list.remove(i);
            } else {
                i += 1;
            }
        }
        if let Some(Json::Object(existing)) = list.get_mut(first) {
            for (key, value) in item.iter().skip(1) {
                for (field, alt) in exclusive {
                    if field == key {
                        existing.shift_remove(alt);
                    }
                }
                set_key(existing, key, value);
            }
        }
    }
}

/// The mapping at `at` in the tree.
fn find_mapping<'n, 'a>(node: &'n Node<'a>, at: At) -> Option<&'n Mapping<'a>> {
    find(node, at, 0).and_then(Node::as_mapping)
}

fn find<'n, 'a>(node: &'n Node<'a>, at: At, depth: usize) -> Option<&'n Node<'a>> {
    if At::of(node) == at {
        return Some(node);
    }
    let loc = node.loc();
    if depth > 256 || at.start < loc.start || at.start > loc.end {
        return None;
    }
    match node {
        Node::Mapping(m) => m.entries.iter().find_map(|e| find(&e.value, at, depth + 1)),
        Node::Sequence(s) => s.items.iter().find_map(|i| find(i, at, depth + 1)),
        _ => None,
    }
}

/// A key that a mapping gets only from a merge key cannot be edited by
/// writing the key: that would replace, not change, what was merged.
fn refuse_merged_key(
    root: &Node<'_>,
    at: At,
    key: &str,
    place: &Place,
    decoded: &Map<String, Json>,
) -> Result<(), Refusal> {
    let Some(map) = find_mapping(root, at) else {
        return Ok(());
    };
    let merges = map.entries.iter().find(|e| yaml11::is_merge_key(&e.key));
    let explicit = map.entry(key).is_some();
    match merges {
        Some(merge) if !explicit && decoded.contains_key(key) => Err(refuse(
            merge.key.loc().line,
            format!(
                "{} takes keys from a merge key (`<<`), and `{key}` cannot be added or changed without overriding \
                 what it merges; write the mapping's keys out instead of merging them",
                show(&place.path)
            ),
        )),
        _ => Ok(()),
    }
}

/// A list item that is ours by name but written as an alias or with a merge
/// key cannot be changed in place.
fn refuse_merged_items(
    root: &Node<'_>,
    parent: At,
    list_key: &str,
    items: &[Vec<(String, Value)>],
) -> Result<(), Refusal> {
    let Some(Node::Sequence(seq)) = find_mapping(root, parent).and_then(|m| m.get(list_key)) else {
        return Ok(());
    };
    for node in &seq.items {
        // An item with a merge key but its own explicit `name` is found and
        // edited by that name; the meaning check then verifies the result
        // (an explicit key after `<<` wins). An alias, or a merged name, is
        // out of the editor's reach.
        let built = match node {
            Node::Alias(_) => true,
            Node::Mapping(m) => m.entries.iter().any(|e| yaml11::is_merge_key(&e.key)) && m.entry("name").is_none(),
            _ => false,
        };
        if !built {
            continue;
        }
        // What the item means needs the whole document (its anchors).
        let name = item_decoded_name(root, node);
        if name
            .as_deref()
            .is_none_or(|n| items.iter().any(|i| item_name(i) == Some(n)))
        {
            return Err(refuse(
                node.loc().line,
                format!(
                    "an item of `{list_key}` is written with an alias or a merge key (`<<: *anchor`); write it out in \
                     full instead"
                ),
            ));
        }
    }
    Ok(())
}

/// The `name` an item of a list means, reading its aliases and merge keys
/// against the whole document.
fn item_decoded_name(root: &Node<'_>, item: &Node<'_>) -> Option<String> {
    let json = yaml11::decode(root).ok()?;
    let target = At::of(item);
    let index = Index::of_node(root, target);
    let place = index.places.get(&target)?;
    let mut json = json;
    get_mut(&mut json, &place.path)?
        .get("name")
        .and_then(Json::as_str)
        .map(str::to_owned)
}

/// The first path at which `got` differs from `want`.
fn first_difference(want: &Json, got: &Json, path: &mut Vec<Seg>) -> bool {
    match (want, got) {
        (Json::Object(a), Json::Object(b)) => {
            for (k, v) in a {
                path.push(Seg::Key(k.clone()));
                match b.get(k) {
                    Some(w) if !first_difference(v, w, path) => {}
                    _ => return true,
                }
                path.pop();
            }
            if let Some(k) = b.keys().find(|k| !a.contains_key(*k)) {
                path.push(Seg::Key(k.clone()));
                return true;
            }
            false
        }
        (Json::Array(a), Json::Array(b)) => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                path.push(Seg::Index(i));
                if first_difference(v, w, path) {
                    return true;
                }
                path.pop();
            }
            if a.len() != b.len() {
                path.push(Seg::Index(a.len().min(b.len())));
                return true;
            }
            false
        }
        (a, b) => a != b,
    }
}

/// A document's text before and after its splices, and the ranges of the
/// original that the splices replace or remove.
#[derive(Debug, Clone, Copy)]
pub struct Edited<'t> {
    pub original: &'t str,
    pub text: &'t str,
    pub cuts: &'t [(usize, usize)],
}

/// Check that the edited text means `original` with `journal` applied.
/// Values are never quoted in a refusal: they may be credentials.
pub fn check(edited: Edited<'_>, journal: &[Op]) -> Result<Json, Refusal> {
    match tree::parse_document(edited.original) {
        Ok(Some((root, features))) => check_tree(&root, features, edited, journal),
        Ok(None) => Err(refuse(1, "the document has no content to edit")),
        Err(e) => Err(refuse(e.line, format!("the document does not parse: {}", e.message))),
    }
}

/// [`check`] with the original document's tree and its features (parsed
/// from `edited.original`). Returns what the edited text decodes to.
pub fn check_tree(root: &Node<'_>, features: Features, edited: Edited<'_>, journal: &[Op]) -> Result<Json, Refusal> {
    let mut targets = Vec::new();
    let mut key_targets = Vec::new();
    for op in journal {
        match op {
            Op::SetEntry { map: at, .. } | Op::UpsertNamed { parent: at, .. } | Op::RemoveItems { parent: at, .. } => {
                targets.push(*at);
            }
            Op::RemoveEntry { map, key } => {
                targets.push(*map);
                key_targets.push(*key);
            }
        }
    }
    let index = Index::build(root, features, &Targets::new(targets), &Targets::new(key_targets));
    let mut want = yaml11::decode_with(root, features).map_err(|e| {
        refuse(
            e.line,
            format!("Kubernetes cannot read this document ({}); fix it first", e.message),
        )
    })?;
    for op in journal {
        apply_op(&mut want, root, &index, op, 0)?;
    }
    read_back(root, edited, &want).map_err(|refusal| cut_anchor(root, edited.cuts).unwrap_or(refusal))
}

/// What the edited text decodes to, if it is `want`.
fn read_back(root: &Node<'_>, edited: Edited<'_>, want: &Json) -> Result<Json, Refusal> {
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
    if doubled > doubled_keys(root, 0) {
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
        super::edit::line_of(root, &path),
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
    match tree::parse_document(text) {
        Ok(Some((node, features))) => Some((yaml11::decode_with(&node, features).ok()?, doubled_keys(&node, 0))),
        _ => None,
    }
}

/// How many mapping keys of `node` decode to an earlier key of their mapping.
fn doubled_keys(node: &Node<'_>, depth: usize) -> usize {
    if depth > tree::MAX_WALK_DEPTH {
        return 0;
    }
    match node {
        Node::Mapping(m) => {
            let mut seen = HashSet::new();
            let own = m
                .entries
                .iter()
                .filter(|e| key_name(&e.key).is_some_and(|k| !seen.insert(k)))
                .count();
            own + m
                .entries
                .iter()
                .map(|e| doubled_keys(&e.value, depth + 1))
                .sum::<usize>()
        }
        Node::Sequence(s) => s.items.iter().map(|i| doubled_keys(i, depth + 1)).sum(),
        _ => 0,
    }
}
