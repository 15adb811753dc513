//! The KRM functions wire format (kpt `fn eval --exec`, kustomize
//! `--enable-exec`): a `ResourceList` with `items` and `functionConfig` on
//! stdin; the transformed `items` and `results` on stdout. Items are cut out
//! of the list text, de-indented into a plain stream for the filter's
//! transform, and indented back: comments, quoting and kpt's annotations
//! survive byte for byte.

use std::borrow::Cow;

use crate::manifest::{Document, InputError};
use crate::yaml::emit;
use crate::yaml::split;
use crate::yaml::tree::Node;

/// A `ResourceList` read from stdin.
#[derive(Debug)]
pub struct ResourceList<'a> {
    pub api_version: String,
    /// The items as the filter's stream: each de-indented, after a `---` line.
    pub items: String,
    /// The parsed `functionConfig`, if any.
    pub function_config: Option<Node<'a>>,
}

/// How grave a `results` entry is, in the KRM functions specification's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Whether the first document of the input is a `ResourceList`.
pub fn is_resource_list(input: &str) -> bool {
    // Lazily, skipping bare `---` documents: a million of them must not cost
    // a million parses and a chunk list.
    let bare = |text: &str| text.lines().all(|l| matches!(l.trim_end(), "" | "---" | "..."));
    split::chunks(input)
        .filter(|chunk| !bare(chunk.text))
        .find_map(|chunk| crate::yaml::tree::parse(chunk.text).ok().flatten())
        .is_some_and(|root| root.str_at(&["kind"]) == Some("ResourceList"))
}

/// Read a `ResourceList`: the first document with content, and nothing
/// after it. Items are cut out by their node spans (block, flow and JSON
/// lists alike); messages never quote the input (functionConfig may hold credentials).
pub fn read<'a>(docs: &'a [Document<'a>]) -> Result<ResourceList<'a>, InputError> {
    let expected = |but: &str| format!("expected a KRM ResourceList (--mode krm), but {but}");
    let mut with_content = docs.iter().filter(|d| d.root.is_some());
    let Some(doc) = with_content.next() else {
        return Err(InputError {
            document: "the input".into(),
            line: 1,
            col: None,
            message: expected("the input is empty or holds only comments"),
        });
    };
    let Some(Node::Mapping(root)) = doc.root.as_ref() else {
        return Err(InputError::at(doc, 1, expected("the input is not a mapping")));
    };
    if root.get("kind").and_then(Node::as_str) != Some("ResourceList") {
        let but = "the first document is not `kind: ResourceList`; use --mode filter for a plain manifest";
        return Err(InputError::at(doc, 1, expected(but)));
    }
    if let Some(extra) = with_content.next() {
        let message = "a document follows the ResourceList: a KRM function reads exactly one ResourceList; remove it \
                       or put it into `items`";
        return Err(InputError::at(extra, 1, message));
    }
    let items = match root.get("items").filter(|n| !n.is_null()) {
        None => String::new(),
        Some(Node::Sequence(seq)) => seq
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let next = seq.items.get(i + 1).map(|n| n.loc().start);
                let text = item_text(doc.chunk.text, seq.flow, item, next);
                text.map(|text| format!("---\n{text}")).ok_or_else(|| {
                    let message = format!("ResourceList item {i} is not a mapping (a Kubernetes object)");
                    InputError::at(doc, item.loc().line, message)
                })
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(InputError::at(
                doc,
                other.loc().line,
                "ResourceList `items` must be a list",
            ))
        }
    };
    Ok(ResourceList {
        api_version: root
            .get("apiVersion")
            .and_then(Node::as_str)
            .unwrap_or("config.kubernetes.io/v1")
            .to_owned(),
        items,
        function_config: root.get("functionConfig").filter(|n| !n.is_null()).cloned(),
    })
}

/// One item as a standalone document: a flow item (or any item of a flow
/// list) is its node's text; a block item is its lines from its dash's line
/// to the next item's, de-indented, comments included.
fn item_text(text: &str, flow_list: bool, item: &Node<'_>, next_start: Option<usize>) -> Option<String> {
    let loc = item.loc();
    let Node::Mapping(map) = item else { return None };
    if flow_list || map.flow {
        let mut out = text.get(loc.start..loc.end)?.to_owned();
        out.push('\n');
        return Some(out);
    }
    let start = dash_line_start(text, loc.start);
    let end = match next_start {
        Some(next) => dash_line_start(text, next),
        // The end of the item's last line.
        None if text.as_bytes().get(..loc.end).is_some_and(|b| b.ends_with(b"\n")) => loc.end,
        None => text
            .get(loc.end..)
            .and_then(|rest| rest.find('\n'))
            .map_or(text.len(), |i| loc.end + i + 1),
    };
    Some(dedent(text.get(start..end.max(start))?, loc.col))
}

/// Write a `ResourceList` with the documents of `stream` as items, and `results`.
pub fn write(api_version: &str, stream: &str, results: &[(Severity, String)]) -> String {
    let mut out = format!("apiVersion: {}\nkind: ResourceList\n", emit::scalar(api_version));
    let items: String = split::split(stream)
        .iter()
        .map(|c| c.text.strip_prefix("---\n").unwrap_or(c.text))
        .filter(|t| !t.trim().is_empty())
        .map(indent_item)
        .collect();
    out.push_str(if items.is_empty() { "items: []\n" } else { "items:\n" });
    out.push_str(&items);
    if !results.is_empty() {
        out.push_str("results:\n");
        for (severity, message) in results {
            let (message, severity) = (emit::double_quoted(message), severity.as_str());
            out.push_str(&format!("- message: {message}\n  severity: {severity}\n"));
        }
    }
    out
}

/// The start of the line holding the `-` of the block item that starts at
/// `pos` (a line of its own above it when the dash stands alone).
fn dash_line_start(text: &str, pos: usize) -> usize {
    let line_of = |p: usize| text.get(..p).and_then(|b| b.rfind('\n')).map_or(0, |i| i + 1);
    let mut line_start = line_of(pos);
    while line_start > 0 && !text.get(line_start..).unwrap_or("").trim_start().starts_with('-') {
        line_start = line_of(line_start - 1);
    }
    line_start
}

/// Turn `  - key: v\n    more: w\n` (item content at `col`) into `key: v\nmore: w\n`.
fn dedent(region: &str, col: usize) -> String {
    let mut out = String::with_capacity(region.len());
    for (i, line) in region.split_inclusive('\n').enumerate() {
        // Blank out the first line's dash (only white space before it) to line up.
        let line = match line.find('-').filter(|_| i == 0) {
            Some(dash) => Cow::Owned(format!(
                "{}{}",
                " ".repeat(dash + 1),
                line.get(dash + 1..).unwrap_or("")
            )),
            None => Cow::Borrowed(line),
        };
        let spaces = line.len() - line.trim_start_matches(' ').len();
        out.push_str(line.get(spaces.min(col)..).unwrap_or(&line));
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Turn a document back into a compact-style list item.
fn indent_item(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len() + 64);
    for (i, line) in doc.split_inclusive('\n').enumerate() {
        if i == 0 {
            out.push_str("- ");
        } else if line != "\n" {
            out.push_str("  ");
        }
        out.push_str(line);
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse_stream;

    const LIST: &str = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- # head comment\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a # inline\n  data:\n    flag: \"yes\"\n    text: |\n      line\n\n      more\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: b}\nfunctionConfig:\n  kind: WorkflowRegistry\n  spec: {registry_location: gcr}\n";

    #[test]
    fn items_round_trip_byte_for_byte() {
        assert!(is_resource_list(LIST));
        let docs = parse_stream(LIST).unwrap();
        let list = read(&docs).unwrap();
        assert_eq!(list.items, "---\n# head comment\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a # inline\ndata:\n  flag: \"yes\"\n  text: |\n    line\n\n    more\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\n");
        assert_eq!(
            list.function_config.as_ref().and_then(|f| f.str_at(&["kind"])),
            Some("WorkflowRegistry")
        );
        let out = write(&list.api_version, &list.items, &[]);
        let items_text = &LIST[LIST.find("items:").unwrap()..LIST.find("functionConfig").unwrap()];
        assert_eq!(
            out,
            format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n{items_text}")
        );
    }

    #[test]
    fn results_and_empty_lists() {
        let out = write(
            "config.kubernetes.io/v1",
            "",
            &[(Severity::Error, "bad \"x\"".to_owned())],
        );
        assert!(
            out.contains("items: []\nresults:\n- message: \"bad \\\"x\\\"\"\n  severity: error\n"),
            "{out}"
        );
        assert!(!is_resource_list("kind: List\n"));
    }
}
