//! Path annotations that put the documents this function adds where
//! Workflow's docs send operators (docs/design.md, "Files the KRM function adds").

use std::collections::HashSet;

use crate::manifest::{parse_stream, Document};
use crate::platform::contract::GENERATED_LABEL;
use crate::yaml::edit::Editor;
use crate::yaml::emit::{Layout, Value};
use crate::yaml::journal::Op;

const PATH: &str = "internal.config.kubernetes.io/path";
const LEGACY_PATH: &str = "config.kubernetes.io/path";
const INDEX: &str = "internal.config.kubernetes.io/index";
const LEGACY_INDEX: &str = "config.kubernetes.io/index";

/// Whether a document is Workflow's builder or controller Deployment (any
/// platform's): where Workflow's manifests live.
fn is_anchor(doc: &Document<'_>) -> bool {
    use crate::platform::{Platform, Role};
    doc.kind() == Some("Deployment")
        && Platform::ALL.iter().flat_map(|p| p.contract().components).any(|r| {
            matches!(r.role, Role::Builder | Role::Controller) && doc.name().is_some_and(|n| r.names.contains(&n))
        })
}

/// `stream` with a path annotation on every document this tool added (its
/// generated-by label) that lacks one. A stream that does not parse (never:
/// the transform wrote it) is returned as it is: not worth failing a run over.
pub fn annotate(stream: &str) -> String {
    let Ok(docs) = parse_stream(stream) else {
        return stream.to_owned();
    };
    let dir = workflow_dir(&docs);
    let mut used: HashSet<String> = docs.iter().filter_map(|d| path_of(d).map(str::to_owned)).collect();
    let mut out = String::with_capacity(stream.len() + 256);
    let mut at = 0;
    for doc in &docs {
        let Some(root) = doc.root.as_ref().filter(|r| r.as_mapping().is_some()) else {
            continue;
        };
        // An input item without a path is someone else's: never touched.
        let added = doc.str_at(&["metadata", "labels", GENERATED_LABEL.0]).is_some();
        let Some(kind) = doc.kind().filter(|_| added && path_of(doc).is_none()) else {
            continue;
        };
        let path = unused(&mut used, &dir, &file_name(kind, doc.name().unwrap_or("")));
        let mut editor = Editor::new(doc.chunk.text, Layout::default());
        let paths = [PATH, LEGACY_PATH].map(|key| (key.to_owned(), Value::str(&path)));
        let indexes = [INDEX, LEGACY_INDEX].map(|key| (key.to_owned(), Value::str("0")));
        let annotations = Value::Map(paths.into_iter().chain(indexes).collect());
        let op = Op::Set {
            at: Vec::new(),
            key: "metadata".to_owned(),
            value: Value::Map(vec![("annotations".to_owned(), annotations)]),
        };
        let Some(before) = stream.get(at..doc.chunk.offset) else {
            return stream.to_owned();
        };
        out.push_str(before);
        // An annotation the meaning check would not vouch for is left out,
        // never written wrong: the document keeps kpt's default file.
        match editor
            .edit(root, &op)
            .and_then(|()| editor.apply_decoded(root, doc.features))
        {
            Ok((pieces, _)) => pieces.iter().for_each(|p| out.push_str(p)),
            Err(_) => out.push_str(doc.chunk.text),
        }
        at = doc.chunk.offset + doc.chunk.text.len();
    }
    out.push_str(stream.get(at..).unwrap_or_default());
    out
}

fn path_of<'a>(doc: &'a Document<'_>) -> Option<&'a str> {
    doc.str_at(&["metadata", "annotations", PATH])
        .or_else(|| doc.str_at(&["metadata", "annotations", LEGACY_PATH]))
}

/// The directory (with its trailing `/`, or empty for the package root) of
/// the file holding Workflow's builder or controller; else the namespace
/// directory kpt itself would use; else the root.
fn workflow_dir(docs: &[Document<'_>]) -> String {
    let anchor = docs.iter().find(|d| is_anchor(d));
    if let Some(path) = anchor.and_then(|d| path_of(d)) {
        return path.rfind('/').map_or_else(String::new, |i| path[..=i].to_owned());
    }
    match anchor.and_then(|d| d.namespace()) {
        Some(ns) if !ns.is_empty() && ns.chars().all(plain) && !ns.starts_with('.') => format!("{ns}/"),
        _ => String::new(),
    }
}

fn plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '.'
}

/// `deis-<name>[-<kind>].yaml`, the kind left out when the name says it (docs/design.md).
pub fn file_name(kind: &str, name: &str) -> String {
    let mut base: String = name
        .chars()
        .map(|c| if plain(c) { c.to_ascii_lowercase() } else { '-' })
        .collect();
    while base.starts_with("deis-deis-") {
        base.replace_range(.."deis-".len(), "");
    }
    let base = base.trim_matches(['-', '.']);
    let base = if base.starts_with("deis-") || base == "deis" {
        base.to_owned()
    } else {
        format!("deis-{base}")
    };
    let kind = kind.to_ascii_lowercase();
    if kind.is_empty() || base.ends_with(&kind) {
        format!("{base}.yaml")
    } else {
        format!("{base}-{kind}.yaml")
    }
}

/// `dir` + `file`, with `-2`, `-3`, ... before `.yaml` while that path is taken.
fn unused(used: &mut HashSet<String>, dir: &str, file: &str) -> String {
    let stem = file.strip_suffix(".yaml").unwrap_or(file);
    let mut candidate = format!("{dir}{file}");
    let mut n = 2;
    while used.contains(&candidate) {
        candidate = format!("{dir}{stem}-{n}.yaml");
        n += 1;
    }
    used.insert(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_operators_expect_and_no_colons() {
        assert_eq!(file_name("Secret", "registry-secret"), "deis-registry-secret.yaml");
        assert_eq!(
            file_name("ClusterRole", "deis:deis-registry-token-refresher"),
            "deis-registry-token-refresher-clusterrole.yaml"
        );
        assert_eq!(
            file_name("Deployment", "deis-registry-token-refresher"),
            "deis-registry-token-refresher-deployment.yaml"
        );
        assert_eq!(file_name("ServiceAccount", "a/b:c"), "deis-a-b-c-serviceaccount.yaml");
    }

    const WORKFLOW: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-builder\n  namespace: deis\n  annotations:\n    internal.config.kubernetes.io/path: manifests/workflow.yaml\n    config.kubernetes.io/path: manifests/workflow.yaml\n";

    #[test]
    fn added_documents_go_next_to_workflows_own_file() {
        let stream = format!(
            "---\n{WORKFLOW}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-secret\n  namespace: deis\n  labels:\n    heritage: deis\n    {}: workflow-registry\ntype: Opaque\n", GENERATED_LABEL.0
        );
        let out = annotate(&stream);
        let docs = parse_stream(&out).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(path_of(&docs[0]), Some("manifests/workflow.yaml"));
        for key in [PATH, LEGACY_PATH] {
            assert_eq!(
                docs[1].str_at(&["metadata", "annotations", key]),
                Some("manifests/deis-registry-secret.yaml"),
                "{out}"
            );
        }
        assert_eq!(docs[1].str_at(&["metadata", "labels", "heritage"]), Some("deis"));
        assert!(
            out.starts_with(&format!("---\n{WORKFLOW}")),
            "untouched documents stay byte for byte"
        );
        assert_eq!(annotate(&out), out, "idempotent");
    }

    #[test]
    fn without_a_path_on_workflows_files_the_namespace_directory_is_used() {
        let stream = format!("---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: deis-controller, namespace: deis}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: deis:deis-registry-token-refresher\n  labels: {{{}: workflow-registry}}\n", GENERATED_LABEL.0);
        let out = annotate(&stream);
        let docs = parse_stream(&out).unwrap();
        // An input item without a path is someone else's: untouched.
        assert_eq!(path_of(&docs[0]), None, "{out}");
        assert!(
            out.starts_with(
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: deis-controller, namespace: deis}\n---\n"
            ),
            "{out}"
        );
        assert_eq!(
            path_of(&docs[1]),
            Some("deis/deis-registry-token-refresher-clusterrole.yaml"),
            "{out}"
        );
    }

    #[test]
    fn a_taken_name_gets_a_number() {
        let stream = format!("---\n{WORKFLOW}---\nkind: Secret\nmetadata:\n  name: registry-secret\n  annotations:\n    config.kubernetes.io/path: manifests/deis-registry-secret.yaml\n---\nkind: Secret\nmetadata:\n  name: registry-secret\n  labels: {{{}: workflow-registry}}\n", GENERATED_LABEL.0);
        let docs_out = annotate(&stream);
        let docs = parse_stream(&docs_out).unwrap();
        assert_eq!(
            path_of(&docs[2]),
            Some("manifests/deis-registry-secret-2.yaml"),
            "{docs_out}"
        );
    }

    #[test]
    fn an_unparsable_stream_is_returned_as_it_is() {
        let bad = "---\nkey: [unclosed\n";
        assert_eq!(annotate(bad), bad);
    }
}
