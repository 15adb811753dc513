//! Workflow's registry components by kind and name, and which of them each
//! location needs (the table of SPEC 2, which is what Workflow's own chart
//! rendered). Whose a document is (Workflow's or not) is decided in
//! `classify`; this module only says what a document would be to Workflow.

pub const REGISTRY: &str = "deis-registry";
pub const REGISTRY_PROXY: &str = "deis-registry-proxy";
pub const REGISTRY_SECRET: &str = "registry-secret";
pub const REFRESHER: &str = "deis-registry-token-refresher";
/// Cluster-scoped RBAC names follow Workflow's `deis:<component>` pattern.
pub const REFRESHER_RBAC: &str = "deis:deis-registry-token-refresher";

/// The containers Workflow itself configures with the registry variables.
pub const KNOWN_CONTAINERS: [&str; 3] = ["deis-builder", "deis-controller", REFRESHER];

/// Workflow's own workloads: their Deployments say where Workflow runs.
pub const WORKLOADS: [&str; 2] = ["deis-builder", "deis-controller"];

/// Label on every document this tool generates, so that a later run can tell
/// its own documents (for example, left in an old namespace) from the chart's.
pub const GENERATED_LABEL: &str = "registry.deis.io/generated-by";
pub const GENERATED_VALUE: &str = "workflow-registry";

/// What a document is to the registry configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The on-cluster registry and its node proxy.
    OnClusterRegistry,
    RegistrySecret,
    /// The token refresher Deployment.
    Refresher,
    /// The refresher's ServiceAccount and RBAC.
    RefresherAccess(Access),
    /// The builder or controller Deployment.
    Workload,
    Other,
}

/// The refresher's access documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ServiceAccount,
    ClusterRole,
    ClusterRoleBinding,
}

impl Access {
    pub const ALL: [Access; 3] = [Access::ServiceAccount, Access::ClusterRole, Access::ClusterRoleBinding];

    pub fn kind(self) -> &'static str {
        match self {
            Access::ServiceAccount => "ServiceAccount",
            Access::ClusterRole => "ClusterRole",
            Access::ClusterRoleBinding => "ClusterRoleBinding",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Access::ServiceAccount => REFRESHER,
            Access::ClusterRole | Access::ClusterRoleBinding => REFRESHER_RBAC,
        }
    }
}

impl Role {
    /// The role a document of this kind and name would have in Workflow.
    pub fn of(kind: Option<&str>, name: Option<&str>) -> Role {
        let (Some(kind), Some(name)) = (kind, name) else {
            return Role::Other;
        };
        match (kind, name) {
            ("Deployment" | "Service" | "ServiceAccount" | "ReplicationController", REGISTRY)
            | ("DaemonSet", REGISTRY_PROXY) => Role::OnClusterRegistry,
            ("Secret", REGISTRY_SECRET) => Role::RegistrySecret,
            ("Deployment", REFRESHER) => Role::Refresher,
            _ if kind == "Deployment" && WORKLOADS.contains(&name) => Role::Workload,
            _ => Access::ALL
                .into_iter()
                .find(|a| a.kind() == kind && a.name() == name)
                .map_or(Role::Other, Role::RefresherAccess),
        }
    }

    /// Whether this is one of the registry components of SPEC 2's table.
    pub fn is_registry_component(self) -> bool {
        matches!(
            self,
            Role::OnClusterRegistry | Role::RegistrySecret | Role::Refresher | Role::RefresherAccess(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_by_kind_and_name() {
        let r = |k, n| Role::of(Some(k), Some(n));
        assert_eq!(r("Service", "deis-registry"), Role::OnClusterRegistry);
        assert_eq!(r("DaemonSet", "deis-registry-proxy"), Role::OnClusterRegistry);
        assert_eq!(r("Deployment", "deis-registry-proxy"), Role::Other);
        assert_eq!(r("Secret", "registry-secret"), Role::RegistrySecret);
        assert_eq!(r("Deployment", REFRESHER), Role::Refresher);
        assert_eq!(
            r("ServiceAccount", REFRESHER),
            Role::RefresherAccess(Access::ServiceAccount)
        );
        assert_eq!(
            r("ClusterRoleBinding", REFRESHER_RBAC),
            Role::RefresherAccess(Access::ClusterRoleBinding)
        );
        assert_eq!(r("ServiceAccount", "deis-builder"), Role::Other);
        assert_eq!(r("Deployment", "deis-builder"), Role::Workload);
        assert_eq!(Role::of(None, Some("deis-builder")), Role::Other);
    }
}
