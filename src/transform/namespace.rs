//! Where Workflow runs: the namespace the operator gave, else the one that
//! Workflow's own workloads state, else the one that the chart's own
//! (Cluster)RoleBindings give Workflow's ServiceAccounts, else the one this
//! tool wrote on its own documents in an earlier run; else unknown. Never a
//! guess: an unknown namespace stays unknown.

use std::fmt;

use super::components::{Role, GENERATED_LABEL, GENERATED_VALUE, REFRESHER_RBAC};
use super::Error;
use crate::manifest::{InputError, Summary};
use crate::yaml::tree::Node;

/// The namespace as the operator gave it, and where (for `--verbose`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    pub name: String,
    /// "--namespace", "WORKFLOW_REGISTRY_NAMESPACE", ...
    pub origin: String,
}

/// How the Workflow namespace was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Operator(String),
    /// `metadata.namespace` of the deis-builder/deis-controller Deployments.
    Workloads,
    /// The subjects of the chart's (Cluster)RoleBindings.
    Bindings,
    /// The documents an earlier run of this tool generated.
    Generated,
    Unknown,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Operator(origin) => write!(f, "from {origin}"),
            Source::Workloads => f.write_str("from the deis-builder/deis-controller Deployments"),
            Source::Bindings => f.write_str("from the subjects of the chart's RoleBindings"),
            Source::Generated => f.write_str("from the documents an earlier run of workflow-registry generated"),
            Source::Unknown => f.write_str("unknown: pass --namespace or set WORKFLOW_REGISTRY_NAMESPACE"),
        }
    }
}

/// The Workflow namespace (when known) and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    pub name: Option<String>,
    pub source: Source,
}

/// How to pass the namespace, for messages.
pub const HOW_TO_PASS: &str = "pass it with --namespace NAMESPACE, or set WORKFLOW_REGISTRY_NAMESPACE=NAMESPACE \
     in the environment (Helm 4 runs the plugin in its own environment: export it before `helm install`, or use \
     --post-renderer-args=--namespace=NAMESPACE)";

/// Whether `name` is a Kubernetes namespace name (an RFC 1123 DNS label).
pub fn is_dns_label(name: &str) -> bool {
    let b = name.as_bytes();
    let ok = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.len() <= 63
        && b.first().is_some_and(ok)
        && b.last().is_some_and(ok)
        && b.iter().all(|c| ok(c) || *c == b'-')
}

/// Find the Workflow namespace.
pub fn discover(given: Option<&Given>, docs: &[&Summary<'_>]) -> Result<Namespace, Error> {
    if let Some(given) = given {
        if !is_dns_label(&given.name) {
            return Err(Error::Config(format!(
                "the namespace {:?} (from {}) is not a Kubernetes namespace name: lowercase letters, digits and `-`, \
                 starting and ending with a letter or digit, at most 63 characters",
                given.name, given.origin
            )));
        }
        refuse_mismatch(given, docs)?;
        return Ok(Namespace {
            name: Some(given.name.clone()),
            source: Source::Operator(given.origin.clone()),
        });
    }
    // "No namespace" (the release namespace) is a namespace of its own here:
    // a workload without one next to one with an explicit namespace is two
    // Workflows (or a lookalike), as much as two explicit namespaces are.
    let workloads = docs
        .iter()
        .filter(|d| is_workload(d))
        .map(|d| (d.namespace().map(str::to_owned), *d));
    if let Some(Some(name)) = agreed("Workflow's workloads (deis-builder, deis-controller)", workloads)? {
        return Ok(Namespace {
            name: Some(name),
            source: Source::Workloads,
        });
    }
    let subjects = docs.iter().flat_map(|d| {
        binding_subject_namespaces(d)
            .into_iter()
            .map(move |ns| (Some(ns.to_owned()), *d))
    });
    if let Some(Some(name)) = agreed("the subjects of Workflow's RoleBindings", subjects)? {
        return Ok(Namespace {
            name: Some(name),
            source: Source::Bindings,
        });
    }
    let generated = docs
        .iter()
        .filter(|d| {
            d.doc
                .root
                .as_ref()
                .and_then(|r| r.str_at(&["metadata", "labels", GENERATED_LABEL]))
                == Some(GENERATED_VALUE)
        })
        .filter_map(|d| Some((Some(d.namespace()?.to_owned()), *d)));
    if let Some(Some(name)) = agreed("the documents workflow-registry generated", generated)? {
        return Ok(Namespace {
            name: Some(name),
            source: Source::Generated,
        });
    }
    Ok(Namespace {
        name: None,
        source: Source::Unknown,
    })
}

/// A deis-builder or deis-controller Deployment: where Workflow runs.
fn is_workload(doc: &Summary<'_>) -> bool {
    Role::of(doc.kind(), doc.name()) == Role::Workload
}

/// The operator named a namespace, and every Workflow workload stands in
/// another explicit one: nothing would be configured, which is never what
/// the operator meant (a configuration error, exit 2).
fn refuse_mismatch(given: &Given, docs: &[&Summary<'_>]) -> Result<(), Error> {
    let workloads: Vec<&Summary<'_>> = docs.iter().copied().filter(|d| is_workload(d)).collect();
    let elsewhere = |d: &&Summary<'_>| d.namespace().is_some_and(|own| own != given.name);
    let Some(first) = workloads.first() else {
        return Ok(());
    };
    if !workloads.iter().all(elsewhere) {
        return Ok(());
    }
    Err(Error::Config(format!(
        "the namespace {:?} (from {}) is not Workflow's: its workloads stand in {:?} ({}){}; nothing would be \
         configured: pass the namespace Workflow is rendered into",
        given.name,
        given.origin,
        first.namespace().unwrap_or_default(),
        first.describe(),
        if workloads.len() > 1 { " and others" } else { "" },
    )))
}

/// How a namespace reads in a message: "no namespace" for the release's own.
fn shown(ns: &Option<String>) -> String {
    match ns {
        Some(ns) => format!("{ns:?}"),
        None => "no namespace (the release's)".to_owned(),
    }
}

/// The one namespace all `found` agree on (`Some(None)`: they all have none);
/// several are an input error that names two documents that disagree,
/// whatever their order.
fn agreed<'s, 'a: 's>(
    what: &str,
    found: impl Iterator<Item = (Option<String>, &'s Summary<'a>)>,
) -> Result<Option<Option<String>>, Error> {
    let mut all: Vec<(Option<String>, &Summary<'_>)> = found.collect();
    all.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.index.cmp(&b.1.index)));
    let (Some(first), Some(last)) = (all.first(), all.last()) else {
        return Ok(None);
    };
    if first.0 != last.0 {
        let namespace = |(ns, d): &(Option<String>, &Summary<'_>)| format!("{} ({})", shown(ns), d.describe());
        let tree = &last.1.doc;
        let line = tree.root.as_ref().map_or(1, |r| r.loc().line);
        return Err(Error::Input(InputError::at(
            tree,
            line,
            format!(
                "{what} are in different namespaces: {} and {}; a manifest holds one Workflow: \
                 render one release at a time, or pass --namespace to configure one of them",
                namespace(first),
                namespace(last)
            ),
        )));
    }
    Ok(Some(first.0.clone()))
}

/// The namespaces a chart's own (Cluster)RoleBinding gives Workflow's
/// ServiceAccounts (`deis-*`). Bindings are the chart's when named `deis-*`
/// or `deis:*`; the refresher's binding is this tool's and is left out, so
/// that a namespace written by an earlier run never decides a later one.
fn binding_subject_namespaces<'d>(doc: &'d Summary<'_>) -> Vec<&'d str> {
    let is_binding = matches!(doc.kind(), Some("RoleBinding" | "ClusterRoleBinding"));
    let ours = doc
        .name()
        .is_some_and(|n| (n.starts_with("deis-") || n.starts_with("deis:")) && n != REFRESHER_RBAC);
    if !(is_binding && ours) {
        return Vec::new();
    }
    let tree = &doc.doc;
    let Some(Node::Sequence(subjects)) = tree.root.as_ref().and_then(|r| r.path(&["subjects"])) else {
        return Vec::new();
    };
    subjects
        .items
        .iter()
        .filter(|s| s.str_at(&["kind"]) == Some("ServiceAccount"))
        .filter(|s| s.str_at(&["name"]).is_some_and(|n| n.starts_with("deis-")))
        .filter_map(|s| s.path(&["namespace"]).filter(|n| !n.is_null())?.as_str())
        .filter(|ns| !ns.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::scan;

    fn find(text: &str, given: Option<&str>) -> Result<Namespace, Error> {
        let scan = scan(text, &|_| true).unwrap();
        let docs: Vec<_> = scan.docs().collect();
        let given = given.map(|n| Given {
            name: n.into(),
            origin: "--namespace".into(),
        });
        discover(given.as_ref(), &docs)
    }

    const SA_FIRST: &str = "kind: ServiceAccount\nmetadata: {name: deis-builder, namespace: team-a}\n---\n\
        kind: Deployment\nmetadata: {name: deis-builder, namespace: deis}\n---\n\
        kind: Deployment\nmetadata: {name: deis-controller, namespace: deis}\n";

    #[test]
    fn workloads_not_any_object_of_that_name() {
        let ns = find(SA_FIRST, None).unwrap();
        assert_eq!(ns.name.as_deref(), Some("deis"));
        assert_eq!(ns.source, Source::Workloads);
    }

    #[test]
    fn conflicting_workloads_are_an_error_in_any_order() {
        let a = "kind: Deployment\nmetadata: {name: deis-builder, namespace: a}\n";
        let b = "kind: Deployment\nmetadata: {name: deis-controller, namespace: b}\n";
        for text in [format!("{a}---\n{b}"), format!("{b}---\n{a}")] {
            let e = find(&text, None).unwrap_err();
            assert!(matches!(e, Error::Input(_)), "{e}");
            assert!(
                e.to_string().contains("\"a\"") && e.to_string().contains("\"b\""),
                "{e}"
            );
        }
        assert_eq!(
            find(&format!("{a}---\n{b}"), Some("b")).unwrap().name.as_deref(),
            Some("b")
        );
    }

    #[test]
    fn a_workload_without_namespace_next_to_an_explicit_one_conflicts() {
        let a = "kind: Deployment\nmetadata: {name: deis-builder}\n";
        let b = "kind: Deployment\nmetadata: {name: deis-controller, namespace: deis}\n";
        for text in [format!("{a}---\n{b}"), format!("{b}---\n{a}")] {
            let e = find(&text, None).unwrap_err();
            assert!(matches!(e, Error::Input(_)), "{e}");
            assert!(
                e.to_string().contains("\"deis\"") && e.to_string().contains("no namespace"),
                "{e}"
            );
        }
        // `namespace: ""` and `namespace: ~` are no namespace too: no conflict.
        let c = "kind: Deployment\nmetadata: {name: deis-controller, namespace: \"\"}\n";
        assert_eq!(find(&format!("{a}---\n{c}"), None).unwrap().source, Source::Unknown);
    }

    #[test]
    fn an_operator_namespace_that_no_workload_stands_in_is_a_config_error() {
        let a = "kind: Deployment\nmetadata: {name: deis-builder, namespace: deis}\n";
        let b = "kind: Deployment\nmetadata: {name: deis-controller, namespace: hephy}\n";
        let both = format!("{a}---\n{b}");
        let e = find(&both, Some("other")).unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{e}");
        assert!(e.to_string().contains("\"other\""), "{e}");
        // One of them in the given namespace, or one without any: configured.
        assert_eq!(find(&both, Some("hephy")).unwrap().name.as_deref(), Some("hephy"));
        let c = "kind: Deployment\nmetadata: {name: deis-controller}\n";
        assert!(find(&format!("{a}---\n{c}"), Some("other")).is_ok());
        // No workload at all: the operator's word stands.
        assert!(find("kind: Service\nmetadata: {name: x, namespace: y}\n", Some("other")).is_ok());
    }

    #[test]
    fn binding_subjects_then_unknown() {
        let crb = "kind: ClusterRoleBinding\nmetadata: {name: \"deis:deis-builder\"}\nsubjects:\n- kind: ServiceAccount\n  name: deis-builder\n  namespace: hephy\n";
        let dep = "kind: Deployment\nmetadata: {name: deis-builder, namespace: ~}\n";
        let ns = find(&format!("{dep}---\n{crb}"), None).unwrap();
        assert_eq!((ns.name.as_deref(), ns.source), (Some("hephy"), Source::Bindings));
        let ours = crb.replace("deis:deis-builder", REFRESHER_RBAC);
        assert_eq!(find(&format!("{dep}---\n{ours}"), None).unwrap().name, None);
        let foreign = crb.replace("deis:deis-builder", "team-binding");
        assert_eq!(find(&foreign, None).unwrap().source, Source::Unknown);
    }

    #[test]
    fn operator_namespace_is_a_dns_label() {
        assert!(matches!(find("kind: A\n", Some("Deis")), Err(Error::Config(_))));
        assert!(matches!(find("kind: A\n", Some("-a")), Err(Error::Config(_))));
        assert!(matches!(
            find("kind: A\n", Some(&"a".repeat(64))),
            Err(Error::Config(_))
        ));
        assert_eq!(find("kind: A\n", Some("a-1")).unwrap().name.as_deref(), Some("a-1"));
    }
}
