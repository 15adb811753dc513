//! The facts the transform reads from a document's tree (kind, name,
//! namespace, its containers with their names, images and variables) must
//! be the facts Kubernetes decodes. The tree reads an alias of a scalar as
//! that scalar, but never expands an alias of a collection nor applies a
//! merge key (`<<`); where one of those stands on a path the transform
//! reads, the two could differ, and a container could silently go
//! unconfigured. So for a document with aliases or merge keys, the facts are
//! read both ways and must agree; else the run is refused (exit 1), located.

use serde_json::Value as Json;

use super::components::GENERATED_LABEL;
use super::plan::{NAMESPACE_REFRESH_VAR, TOKEN_REFRESH_VAR};
use super::refresher::{is_hephy_image, is_refresher_image};
use super::targets::PREFIX_VAR;
use crate::manifest::{containers, InputError, Summary};
use crate::yaml::tree::Node;
use crate::yaml::yaml11;

/// Check the document's identity (kind, name, namespace, generated label,
/// hook annotation): what decides whose a document is and what it is.
pub fn check_identity(doc: &Summary<'_>) -> Result<(), InputError> {
    check_plain_identity(doc)?;
    check_tagged_identity(doc)?;
    check(doc, false)
}

/// The classifier reads kind, name and namespace as text. Written plain as a
/// number or a boolean (`namespace: 2`, `name: yes`), Kubernetes reads no
/// text there (and rejects the document), so whose the document is cannot be
/// told: refused at its line rather than guessed.
fn check_plain_identity(doc: &Summary<'_>) -> Result<(), InputError> {
    let Some(root) = doc.doc.root.as_ref() else {
        return Ok(());
    };
    for path in [&["kind"][..], &["metadata", "name"], &["metadata", "namespace"]] {
        let Some(node) = root.path(path) else { continue };
        let Some(scalar) = node
            .as_scalar()
            .filter(|s| !s.tagged && s.style == granit_parser::ScalarStyle::Plain)
        else {
            continue;
        };
        if node.is_null() || yaml11::plain_is_string(&scalar.value) {
            continue;
        }
        return Err(InputError::at(
            &doc.doc,
            node.loc().line,
            format!(
                "`{}` is written as a number or a boolean, which Kubernetes does not read as text: quote it",
                path.join(".")
            ),
        ));
    }
    Ok(())
}

/// The classifier reads kind, name and namespace as written. A tag that makes
/// Kubernetes read other text there (`kind: !!binary RGVwbG95bWVudA==` is a
/// Deployment) would let a Workflow document pass through unconfigured: it
/// is refused instead, at its line.
fn check_tagged_identity(doc: &Summary<'_>) -> Result<(), InputError> {
    let Some(root) = doc.doc.root.as_ref().filter(|_| doc.doc.features.tagged_scalars) else {
        return Ok(());
    };
    for path in [&["kind"][..], &["metadata", "name"], &["metadata", "namespace"]] {
        check_tagged(doc, root.path(path), &format!("`{}`", path.join(".")))?;
    }
    Ok(())
}

/// Container names and env variable names are read as written too.
fn check_tagged_names(doc: &Summary<'_>) -> Result<(), InputError> {
    if !doc.doc.features.tagged_scalars {
        return Ok(());
    }
    for container in containers(&doc.doc) {
        check_tagged(doc, container.node.get("name"), "a container's `name`")?;
        let env = container.node.get("env").and_then(Node::as_sequence);
        for item in env.iter().flat_map(|env| &env.items) {
            check_tagged(doc, item.path(&["name"]), "an env variable's `name`")?;
        }
    }
    Ok(())
}

/// Refuse a tagged scalar that Kubernetes reads other than as written.
fn check_tagged(doc: &Summary<'_>, node: Option<&Node<'_>>, what: &str) -> Result<(), InputError> {
    let Some((node, scalar)) = node.and_then(|n| Some((n, n.as_scalar().filter(|s| s.tagged)?))) else {
        return Ok(());
    };
    if yaml11::decoded_str(node).as_deref() == Some(&*scalar.value) {
        return Ok(());
    }
    Err(InputError::at(
        &doc.doc,
        node.loc().line,
        format!(
            "{what} has a tag ({}) that makes Kubernetes read it other than as written, and this tool reads it \
             as written: write it as plain text without the tag",
            crate::escape::escape_controls(scalar.tag.as_deref().unwrap_or("!"))
        ),
    ))
}

/// Check the identity and the containers of a document the transform may
/// change: what decides which containers are configured and with what
/// (names, env names, the values of the variables read from the chart, and
/// what the image says: a refresher's image itself, else whether it is
/// Hephy's). Other merged fields (a sidecar's image, a merged `value` of a
/// variable that is overwritten) decide nothing here, and every edit is
/// checked against the decoded document by the editor anyway.
pub fn check_containers(doc: &Summary<'_>) -> Result<(), InputError> {
    check_tagged_names(doc)?;
    check(doc, true)
}

fn check(doc: &Summary<'_>, containers: bool) -> Result<(), InputError> {
    let Some(root) = doc.doc.root.as_ref() else {
        return Ok(());
    };
    if doc.doc.features.is_local() {
        // No alias, no merge key: the tree reads what Kubernetes decodes.
        return Ok(());
    }
    let Some(first) = first_alias_or_merge(root, 0) else {
        return Ok(());
    };
    let decoded = yaml11::decode(root).map_err(|e| InputError::at(&doc.doc, e.line, e.message))?;
    let mut facts = identity(root, &decoded);
    if containers {
        facts.extend(container_facts(root, &decoded));
    }
    match facts.into_iter().find(|f| f.tree != f.decoded) {
        None => Ok(()),
        Some(f) => Err(InputError::at(
            &doc.doc,
            first,
            format!(
                "an alias or merge key (`*name`, `<<`) makes {} read as {} to Kubernetes, and this tool does not \
                 expand aliases of mappings or lists nor apply merge keys where it reads and edits: write that \
                 part out without the alias or merge key",
                f.what, f.decoded
            ),
        )),
    }
}

/// One fact as the tree reads it and as Kubernetes decodes it.
struct Fact {
    what: String,
    tree: Json,
    decoded: Json,
}

/// What the tree reads at `path`, as Kubernetes would decode that node
/// alone: the scalar (an alias of a scalar reads as it), or nothing.
fn tree_value(root: &Node<'_>, path: &[&str]) -> Json {
    match root.path(path) {
        None => Json::Null,
        Some(node) => match node.as_scalar() {
            Some(s) => yaml11::to_json(&Node::Scalar(s.clone())),
            None => yaml11::to_json(node),
        },
    }
}

fn decoded_value<'j>(decoded: &'j Json, path: &[&str]) -> &'j Json {
    path.iter().try_fold(decoded, |v, k| v.get(k)).unwrap_or(&Json::Null)
}

fn identity(root: &Node<'_>, decoded: &Json) -> Vec<Fact> {
    let paths: [&[&str]; 5] = [
        &["kind"],
        &["metadata", "name"],
        &["metadata", "namespace"],
        &["metadata", "labels", GENERATED_LABEL],
        &["metadata", "annotations", "helm.sh/hook"],
    ];
    paths
        .iter()
        .map(|path| Fact {
            what: format!("`{}`", path.join(".")),
            tree: tree_value(root, path),
            decoded: decoded_value(decoded, path).clone(),
        })
        .collect()
}

/// Where each kind keeps its pod spec (as `manifest::pod_spec`).
fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Pod" => Some(&["spec"]),
        "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet" | "ReplicationController" | "Job" => {
            Some(&["spec", "template", "spec"])
        }
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

/// The containers' facts, as one summary per container list: the tree's
/// reading and the decoded one, each as JSON of (name, image, env items).
fn container_facts(root: &Node<'_>, decoded: &Json) -> Vec<Fact> {
    let Some(spec) = decoded.get("kind").and_then(Json::as_str).and_then(pod_spec_path) else {
        return Vec::new();
    };
    ["initContainers", "containers"]
        .into_iter()
        .map(|list| {
            let path: Vec<&str> = spec.iter().copied().chain([list]).collect();
            let tree: Vec<Json> = root
                .path(&path)
                .and_then(Node::as_sequence)
                .map(|seq| {
                    seq.items
                        .iter()
                        .filter(|i| i.as_mapping().is_some())
                        .map(tree_container)
                        .collect()
                })
                .unwrap_or_default();
            let decoded: Vec<Json> = decoded_value(decoded, &path)
                .as_array()
                .map(|items| items.iter().filter(|i| i.is_object()).map(decoded_container).collect())
                .unwrap_or_default();
            Fact {
                what: format!("the {list} (their names, images or variables) of `{}`", spec.join(".")),
                tree: Json::Array(tree),
                decoded: Json::Array(decoded),
            }
        })
        .collect()
}

fn tree_container(c: &Node<'_>) -> Json {
    let env: Vec<Json> = c
        .path(&["env"])
        .and_then(Node::as_sequence)
        .map(|seq| {
            seq.items
                .iter()
                .filter(|i| i.as_mapping().is_some())
                .map(|i| env_fact(tree_value(i, &["name"]), tree_value(i, &["value"])))
                .collect()
        })
        .unwrap_or_default();
    Json::Array(vec![
        tree_value(c, &["name"]),
        image_fact(&tree_value(c, &["image"])),
        Json::Array(env),
    ])
}

/// What the transform reads in an image: a refresher's image is used as it
/// is; any other only tells whether the platform runs Hephy's images.
fn image_fact(image: &Json) -> Json {
    match image.as_str() {
        Some(i) if is_refresher_image(i) => Json::String(i.to_owned()),
        Some(i) => Json::Bool(is_hephy_image(i)),
        None => Json::Bool(false),
    }
}

/// An env item's facts: its name, and its value when the transform reads it.
fn env_fact(name: Json, value: Json) -> Json {
    let read = name
        .as_str()
        .is_some_and(|n| [PREFIX_VAR, TOKEN_REFRESH_VAR, NAMESPACE_REFRESH_VAR].contains(&n));
    Json::Array(vec![name, if read { value } else { Json::Null }])
}

fn decoded_container(c: &Json) -> Json {
    let env: Vec<Json> = c
        .get("env")
        .and_then(Json::as_array)
        .map(|items| {
            items
                .iter()
                .filter(|i| i.is_object())
                .map(|i| {
                    env_fact(
                        decoded_value(i, &["name"]).clone(),
                        decoded_value(i, &["value"]).clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Json::Array(vec![
        decoded_value(c, &["name"]).clone(),
        image_fact(decoded_value(c, &["image"])),
        Json::Array(env),
    ])
}

/// The line of the first alias or merge key of the tree, if it has any.
fn first_alias_or_merge(node: &Node<'_>, depth: usize) -> Option<usize> {
    if depth > 256 {
        return Some(node.loc().line);
    }
    match node {
        Node::Alias(a) => Some(a.loc().line),
        Node::Scalar(_) => None,
        Node::Sequence(s) => s.items.iter().find_map(|i| first_alias_or_merge(i, depth + 1)),
        Node::Mapping(m) => m.entries.iter().find_map(|e| {
            if yaml11::is_merge_key(&e.key) {
                return Some(e.key.loc().line);
            }
            first_alias_or_merge(&e.key, depth + 1).or_else(|| first_alias_or_merge(&e.value, depth + 1))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::scan;

    fn check_text(text: &str) -> Result<(), InputError> {
        let scan = scan(text, &|_| true).unwrap();
        let docs: Vec<_> = scan.docs().collect();
        docs.iter().try_for_each(|d| check_containers(d))
    }

    const DEP: &str =
        "kind: Deployment\nmetadata: {name: deis-builder}\nspec:\n  template:\n    spec:\n      containers:\n";

    #[test]
    fn scalar_aliases_read_through() {
        let text = format!("{DEP}      - name: &n deis-builder\n        env:\n        - {{name: *n, value: x}}\n");
        check_text(&text).unwrap();
        let text = "kind: &k Deployment\nmetadata: {name: *k, namespace: &ns deis}\n";
        check_text(text).unwrap();
    }

    #[test]
    fn collection_aliases_and_merges_the_tree_cannot_follow_are_refused() {
        let cases = [
            // A whole container as an alias.
            format!("{DEP}      - &c {{name: deis-builder}}\n      - *c\n"),
            // A merged container name.
            format!("{DEP}      - <<: {{name: deis-builder}}\n        image: x\n"),
            // An env list as an alias.
            format!(
                "{DEP}      - name: a\n        env: &e [{{name: X}}]\n      - name: deis-builder\n        env: *e\n"
            ),
            // Merged metadata.
            "kind: Deployment\nmetadata:\n  <<: {name: deis-builder}\n".to_owned(),
        ];
        for text in cases {
            let e = check_text(&text).unwrap_err();
            assert!(e.message.contains("alias or merge key"), "{text}: {e}");
        }
    }

    #[test]
    fn aliases_off_the_read_paths_are_fine() {
        let text = format!("{DEP}      - name: deis-builder\n        resources: &r {{limits: {{cpu: 1}}}}\n        securityContext: *r\n");
        check_text(&text).unwrap();
        // A merge key that supplies what decides nothing (a sidecar's image,
        // an overwritten variable's value) is left to the editor's check.
        let text = format!("{DEP}      - &b {{name: sidecar, image: x, env: [&l {{name: L, value: a}}]}}\n      - <<: *b\n        name: deis-builder\n        env:\n        - <<: *l\n          name: DEIS_REGISTRY_LOCATION\n");
        check_text(&text).unwrap();
        let text = "kind: ConfigMap\nmetadata: {name: a}\ndata:\n  <<: {b: c}\n";
        check_text(text).unwrap();
    }
}
