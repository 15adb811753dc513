//! Workflow's registry components, and which of them each location needs
//! (the table of SPEC 2, which is what Workflow's own chart rendered).

use crate::manifest::Summary;

pub const REGISTRY: &str = "deis-registry";
pub const REGISTRY_PROXY: &str = "deis-registry-proxy";
pub const REGISTRY_SECRET: &str = "registry-secret";
pub const REFRESHER: &str = "deis-registry-token-refresher";
/// Cluster-scoped RBAC names follow Workflow's `deis:<component>` pattern.
pub const REFRESHER_RBAC: &str = "deis:deis-registry-token-refresher";

/// The containers Workflow itself configures with the registry variables.
pub const KNOWN_CONTAINERS: [&str; 3] = ["deis-builder", "deis-controller", REFRESHER];

/// The components whose namespace identifies the Workflow namespace.
pub const NAMESPACE_ANCHORS: [&str; 2] = ["deis-builder", "deis-controller"];

/// What a document is to the registry configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The on-cluster registry and its node proxy.
    OnClusterRegistry,
    RegistrySecret,
    /// The token refresher Deployment.
    Refresher,
    /// The refresher's ServiceAccount and RBAC.
    RefresherAccess,
    Other,
}

/// The role of `doc` in a Workflow installed in `namespace` (if known).
pub fn role(doc: &Summary<'_>, namespace: Option<&str>) -> Role {
    let ns = namespace;
    let is = |kind, name| doc.is(kind, name, ns);
    if ["Deployment", "Service", "ServiceAccount", "ReplicationController"]
        .iter()
        .any(|k| is(k, REGISTRY))
        || is("DaemonSet", REGISTRY_PROXY)
    {
        Role::OnClusterRegistry
    } else if is("Secret", REGISTRY_SECRET) {
        Role::RegistrySecret
    } else if is("Deployment", REFRESHER) {
        Role::Refresher
    } else if is("ServiceAccount", REFRESHER)
        || is("ClusterRole", REFRESHER_RBAC)
        || is("ClusterRoleBinding", REFRESHER_RBAC)
    {
        Role::RefresherAccess
    } else {
        Role::Other
    }
}

/// The Workflow namespace as the builder and controller documents state it.
pub fn detect_namespace<'d>(docs: &'d [Summary<'_>]) -> Option<&'d str> {
    docs.iter()
        .filter(|d| d.name.as_deref().is_some_and(|n| NAMESPACE_ANCHORS.contains(&n)))
        .find_map(|d| d.namespace.as_deref())
}
