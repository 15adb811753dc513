//! The KRM functions wire format (kpt `fn eval --exec`, kustomize
//! `--enable-exec`): a `ResourceList` with `items` and `functionConfig` on
//! stdin; the same with the transformed `items` and `results` on stdout.
//!
//! Items are cut out of the list text, de-indented into a plain stream, run
//! through the same transform as the filter, and indented back: comments,
//! quoting and kpt's own annotations on them survive byte for byte.

use crate::manifest::{Document, InputError};
use crate::yaml::emit;
use crate::yaml::split;
use crate::yaml::tree::Node;

/// A `ResourceList` read from stdin.
#[derive(Debug)]
pub struct ResourceList<'a> {
    pub api_version: String,
    /// Each item as a standalone document (de-indented text).
    pub items: Vec<String>,
    /// The parsed `functionConfig`, if any.
    pub function_config: Option<Node<'a>>,
}

/// A `results` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KrmResult {
    pub message: String,
    /// `error`, `warning` or `info`.
    pub severity: &'static str,
}

/// Whether the first document of the input is a `ResourceList`.
pub fn is_resource_list(input: &str) -> bool {
    // Lazily, and without parsing bare `---` documents: a stream of a million
    // of them must not cost a million parses and a chunk list to find out.
    let bare = |text: &str| text.lines().all(|l| matches!(l.trim_end(), "" | "---" | "..."));
    split::chunks(input)
        .filter(|chunk| !bare(chunk.text))
        .find_map(|chunk| crate::yaml::tree::parse(chunk.text).ok().flatten())
        .is_some_and(|root| root.str_at(&["kind"]) == Some("ResourceList"))
}

/// Read a `ResourceList`.
pub fn read<'a>(docs: &'a [Document<'a>]) -> Result<ResourceList<'a>, InputError> {
    let doc = docs
        .iter()
        .find(|d| d.root.is_some())
        .expect("is_resource_list checked a document");
    let root = doc.root.as_ref().expect("found above");
    let text = doc.chunk.text;
    let mut items = Vec::new();
    match root.path(&["items"]) {
        None => {}
        Some(node) if node.is_null() => {}
        Some(Node::Sequence(seq)) => {
            for (i, item) in seq.items.iter().enumerate() {
                let start = dash_line_start(text, item.loc().start);
                let end = match seq.items.get(i + 1) {
                    Some(next) => dash_line_start(text, next.loc().start),
                    None => after_line(text, item.loc().end),
                };
                items.push(dedent(&text[start..end], item.loc().col));
            }
        }
        Some(other) => {
            return Err(InputError::at(
                doc,
                other.loc().line,
                "ResourceList `items` must be a list",
            ))
        }
    }
    Ok(ResourceList {
        api_version: root
            .str_at(&["apiVersion"])
            .unwrap_or("config.kubernetes.io/v1")
            .to_owned(),
        items,
        function_config: root.path(&["functionConfig"]).filter(|n| !n.is_null()).cloned(),
    })
}

/// The items joined into a stream the filter reads.
pub fn stream(items: &[String]) -> String {
    items.iter().map(|i| format!("---\n{i}")).collect()
}

/// Write a `ResourceList` with the documents of `stream` as items.
pub fn write(api_version: &str, stream: &str, results: &[KrmResult]) -> String {
    let mut out = format!("apiVersion: {}\nkind: ResourceList\n", emit::scalar(api_version));
    let items: Vec<String> = split::split(stream)
        .iter()
        .map(|c| c.text.strip_prefix("---\n").unwrap_or(c.text))
        .filter(|t| !t.trim().is_empty())
        .map(indent_item)
        .collect();
    if items.is_empty() {
        out.push_str("items: []\n");
    } else {
        out.push_str("items:\n");
        items.iter().for_each(|i| out.push_str(i));
    }
    if !results.is_empty() {
        out.push_str("results:\n");
        for r in results {
            out.push_str(&format!(
                "- message: {}\n  severity: {}\n",
                emit::double_quoted(&r.message),
                r.severity
            ));
        }
    }
    out
}

/// The start of the line holding the `-` of the item that starts at `pos`.
fn dash_line_start(text: &str, pos: usize) -> usize {
    let mut line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    while !text[line_start..].trim_start().starts_with('-') && line_start > 0 {
        line_start = text[..line_start - 1].rfind('\n').map_or(0, |i| i + 1);
    }
    line_start
}

fn after_line(text: &str, pos: usize) -> usize {
    if pos > 0 && text.as_bytes()[pos - 1] == b'\n' {
        return pos;
    }
    text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1)
}

/// Turn `  - key: v\n    more: w\n` (item content at `col`) into `key: v\nmore: w\n`.
fn dedent(region: &str, col: usize) -> String {
    let mut out = String::with_capacity(region.len());
    for (i, line) in region.split_inclusive('\n').enumerate() {
        let line = if i == 0 {
            // Blank out the dash so the line lines up with the rest.
            let dash = line.find('-').unwrap_or(0);
            &format!("{}{}", " ".repeat(dash + 1), &line[dash + 1..])
        } else {
            line
        };
        let spaces = line.len() - line.trim_start_matches(' ').len();
        out.push_str(&line[spaces.min(col)..]);
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
        assert_eq!(list.items[0], "# head comment\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a # inline\ndata:\n  flag: \"yes\"\n  text: |\n    line\n\n    more\n");
        assert_eq!(list.items[1], "apiVersion: v1\nkind: Secret\nmetadata: {name: b}\n");
        assert_eq!(
            list.function_config.as_ref().and_then(|f| f.str_at(&["kind"])),
            Some("WorkflowRegistry")
        );
        let out = write(&list.api_version, &stream(&list.items), &[]);
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
            &[KrmResult {
                message: "bad \"x\"".into(),
                severity: "error",
            }],
        );
        assert!(
            out.contains("items: []\nresults:\n- message: \"bad \\\"x\\\"\"\n  severity: error\n"),
            "{out}"
        );
        assert!(!is_resource_list("kind: List\n"));
    }
}
