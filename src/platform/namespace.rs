//! Where Workflow runs, from Workflow's own evidence only: the namespace the operator gave, else
//! the one its builder and controller Deployments state, else the one the chart's bindings give
//! their ServiceAccounts, else the one an earlier run wrote on its documents, else
//! `HELM_NAMESPACE` (refused when the manifest names another). Never a guess.

use std::collections::HashSet;
use std::fmt;

use super::{Context, Contract, Error, Object, Role};
use crate::manifest::resource::Body;
use crate::names::is_dns_label;

/// The namespace as the operator gave it, and where (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    pub name: String,
    /// "--namespace", "WORKFLOW_REGISTRY_NAMESPACE", ...
    pub origin: String,
}

/// How the Workflow namespace was found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Source {
    Operator(String),
    Workloads,
    Bindings,
    Generated,
    /// `HELM_NAMESPACE`, where the manifest names none: Helm's default, which `--namespace` overrides
    /// unseen by a post-renderer. Generated documents then carry no namespace (they land with
    /// Workflow's, in the release namespace); only the refresher's binding names it.
    Helm,
    #[default]
    Unknown,
}

impl Source {
    /// The evidence a namespace was found in.
    fn evidence(&self) -> &'static str {
        match self {
            Source::Workloads => "Workflow's builder and controller Deployments",
            Source::Bindings => "the subjects of the chart's bindings of Workflow's ServiceAccounts",
            Source::Generated => "the documents an earlier run of workflow-registry generated",
            Source::Operator(_) | Source::Helm | Source::Unknown => "",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Operator(origin) => write!(f, "from {origin}"),
            Source::Unknown => f.write_str("unknown: pass --namespace or set WORKFLOW_REGISTRY_NAMESPACE"),
            Source::Helm => write!(f, "from {HELM_NAMESPACE}"),
            found => write!(f, "from {}", found.evidence()),
        }
    }
}

/// The Workflow namespace (when known), how it was found, and whether Workflow's workloads state it
/// (then every registry component must too: one without would land in the release's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespace {
    pub name: Option<String>,
    pub source: Source,
    pub explicit: bool,
}

impl Namespace {
    pub(super) fn unknown(given: Option<&Given>) -> Namespace {
        Namespace {
            name: given.map(|g| g.name.clone()),
            source: given.map_or(Source::Unknown, |g| Source::Operator(g.origin.clone())),
            explicit: false,
        }
    }

    /// Whether an object with namespace `ns` stands where Workflow runs: its namespace, or none
    /// while Workflow's workloads state none (both are the release namespace then).
    pub fn holds(&self, ns: Option<&str>) -> bool {
        match ns {
            None => !self.explicit,
            Some(ns) => self.name.as_deref() == Some(ns),
        }
    }
}

/// Helm's default namespace, read from the environment.
pub const HELM_NAMESPACE: &str = "HELM_NAMESPACE";

/// How to pass the namespace, for messages.
pub const HOW_TO_PASS: &str = "pass it with --namespace NAMESPACE, or set WORKFLOW_REGISTRY_NAMESPACE=NAMESPACE \
     in the environment (Helm 4 runs the plugin in its own environment: export it before `helm install`, or use \
     --post-renderer-args=--namespace=NAMESPACE)";

/// Workflow's builder and controller Deployments: where Workflow runs.
fn workloads<'o, 'm, 'a>(objects: &'o [Object<'m, 'a>]) -> impl Iterator<Item = &'o Object<'m, 'a>> {
    objects
        .iter()
        .filter(|o| matches!(o.role, Role::Builder | Role::Controller) && o.resource.kind == "Deployment")
}

pub(super) fn discover(context: &Context, objects: &[Object<'_, '_>], contract: &Contract) -> Result<Namespace, Error> {
    let chosen = |name: String, source: Source| Namespace {
        explicit: workloads(objects).any(|o| o.resource.namespace.as_deref() == Some(name.as_str())),
        name: Some(name),
        source,
    };
    let helm = context.helm_namespace.as_ref().map(|name| Given {
        name: name.clone(),
        origin: HELM_NAMESPACE.to_owned(),
    });
    if let Some(given) = context.given.iter().chain(&helm).find(|g| !is_dns_label(&g.name)) {
        return Err(Error::Config(format!(
            "the namespace {:?} (from {}) is not a Kubernetes namespace name: lowercase letters, digits and `-`, \
             starting and ending with a letter or digit, at most 63 characters",
            given.name, given.origin
        )));
    }
    if let Some(given) = &context.given {
        // Every Workflow workload in another explicit namespace: nothing would be configured, never
        // what the operator meant (exit 2).
        let all: Vec<&Object<'_, '_>> = workloads(objects).collect();
        let elsewhere = |o: &&Object<'_, '_>| o.resource.namespace.as_ref().is_some_and(|own| *own != given.name);
        if let Some(first) = all.first().filter(|_| all.iter().all(elsewhere)) {
            return Err(Error::Config(format!(
                "the namespace {:?} (from {}) is not Workflow's: its workloads stand in {:?} ({}){}; nothing would \
                 be configured: pass the namespace Workflow is rendered into",
                given.name,
                given.origin,
                first.resource.namespace.as_deref().unwrap_or_default(),
                first.describe(),
                if all.len() > 1 { " and others" } else { "" },
            )));
        }
        return Ok(chosen(given.name.clone(), Source::Operator(given.origin.clone())));
    }
    // "No namespace" (the release's) is a namespace of its own here: a workload without one beside
    // one with an explicit namespace is two Workflows (or a lookalike), as two namespaces are.
    let stated = workloads(objects).map(|o| (o.resource.namespace.clone(), o)).collect();
    // The chart's own bindings of the ServiceAccounts the builder and controller run as (as their
    // pods or the chart name them): without a namespace of their own (one elsewhere is not
    // Workflow's), granting a role named for the account (`deis:deis-builder`) or one the manifest
    // defines; another chart's binding of a same-named account to `view` says nothing. The
    // refresher's binding is this tool's and binds none of those accounts.
    let named = contract
        .components
        .iter()
        .filter(|r| matches!(r.role, Role::Builder | Role::Controller))
        .flat_map(|r| r.names.iter().copied());
    let accounts: Vec<&str> = workloads(objects)
        .filter_map(|o| o.resource.pod()?.service_account.as_deref())
        .chain(named)
        .collect();
    // Looked up once: a stream of many bindings must not scan every object for each.
    let defined: HashSet<(&str, &str)> = objects
        .iter()
        .map(|o| (o.resource.kind.as_str(), o.resource.name.as_str()))
        .filter(|(kind, _)| matches!(*kind, "Role" | "ClusterRole"))
        .collect();
    let grants_own_role = |role_ref: &Option<(String, String)>, account: &str| {
        role_ref.as_ref().is_some_and(|(kind, role)| {
            matches!(kind.as_str(), "Role" | "ClusterRole")
                && (role.rsplit(':').next() == Some(account) || defined.contains(&(kind.as_str(), role.as_str())))
        })
    };
    let subjects = objects
        .iter()
        .filter(|o| o.resource.namespace.is_none())
        .flat_map(|o| match &o.resource.body {
            Body::Binding(b) => b
                .subjects
                .iter()
                .filter(|s| s.kind == "ServiceAccount" && accounts.contains(&s.name.as_str()))
                .filter(|s| grants_own_role(&b.role_ref, &s.name))
                .filter_map(|s| Some((Some(s.namespace.clone()?), o)))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    let generated = objects
        .iter()
        .filter(|o| o.is_generated())
        .filter_map(|o| Some((Some(o.resource.namespace.clone()?), o)))
        .collect();
    // Workloads state a namespace only where explicit; bindings count only where no workload states one.
    for (source, found) in [
        (Source::Workloads, stated),
        (Source::Bindings, subjects),
        (Source::Generated, generated),
    ] {
        if let Some(Some(name)) = agreed(source.evidence(), found)? {
            if let Some(helm) = helm.filter(|helm| helm.name != name) {
                return Err(Error::Config(format!(
                    "{HELM_NAMESPACE}={:?} is set, but the manifest renders Workflow into {name:?} ({}): Helm's \
                     --namespace overrides {HELM_NAMESPACE} without telling a post-renderer, so a value left in the \
                     environment would send the registry secret and the refresher away from Workflow; unset it, or \
                     pass the namespace with --namespace (Helm: --post-renderer-args=--namespace=NAMESPACE)",
                    helm.name,
                    source.evidence()
                )));
            }
            return Ok(chosen(name, source));
        }
    }
    Ok(Namespace {
        source: if helm.is_some() { Source::Helm } else { Source::Unknown },
        name: helm.map(|helm| helm.name),
        explicit: false,
    })
}

/// The one namespace all `found` agree on (`Some(None)`: they all have none); several are an input
/// error naming two objects that disagree, whatever their order.
fn agreed(what: &str, mut all: Vec<(Option<String>, &Object<'_, '_>)>) -> Result<Option<Option<String>>, Error> {
    all.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.doc.index.cmp(&b.1.doc.index)));
    let (Some(first), Some(last)) = (all.first(), all.last()) else {
        return Ok(None);
    };
    if first.0 != last.0 {
        let namespace = |(ns, o): &(Option<String>, &Object<'_, '_>)| match ns {
            Some(ns) => format!("{ns:?} ({})", o.describe()),
            None => format!("no namespace (the release's) ({})", o.describe()),
        };
        let (a, b) = (namespace(first), namespace(last));
        let message = format!(
            "{what} are in different namespaces: {a} and {b}; a manifest holds one Workflow: render one release at \
             a time, or pass --namespace to configure one of them"
        );
        return Err(last.1.error(&last.1.resource.path, message));
    }
    Ok(Some(first.0.clone()))
}
