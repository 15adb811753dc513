//! Workflow's registry contract: the names each platform's components use and read, stated once
//! (sources: docs/contract.md and the Drycc chart's README). Deis Workflow and Hephy share one
//! table; Drycc Workflow is a second. Nothing else in the program spells these names.

use super::image::Image;
use crate::manifest::resource::{Pod, Resource, HOOK_ANNOTATION};
use crate::manifest::Reading;

/// The platforms the tool knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Deis Workflow and its fork Hephy: one set of names.
    Deis,
    /// Drycc Workflow, the living fork: other names, off-cluster only.
    Drycc,
}

impl Platform {
    pub const ALL: [Platform; 2] = [Platform::Deis, Platform::Drycc];

    pub fn contract(self) -> &'static Contract {
        [&DEIS, &DRYCC][self as usize]
    }
}

/// What a Kubernetes object is to the registry configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A workload of the builder (it builds and pushes images).
    Builder,
    /// A workload of the controller (it deploys them).
    Controller,
    /// A part of the on-cluster registry: only for location on-cluster.
    Registry,
    /// The Secret with the registry credentials the components read.
    Credentials,
    /// Drycc's `controller-creds`, which also carries the credentials.
    ControllerCredentials,
    Refresher,
    RefresherAccount,
    RefresherRole,
    RefresherBinding,
    /// Drycc: the NetworkPolicy that lets imagebuilder reach a private registry.
    ImagebuilderEgress,
    Other,
}

impl Role {
    /// The token refresher and what it runs as: one of each, or none.
    pub const REFRESHER_PARTS: [Role; 4] = [
        Role::Refresher,
        Role::RefresherAccount,
        Role::RefresherRole,
        Role::RefresherBinding,
    ];

    /// A workload component's role in words, for messages.
    pub fn component_name(self) -> &'static str {
        match self {
            Role::Builder => "builder",
            Role::Controller => "controller",
            Role::Registry => "registry",
            Role::Refresher => "token refresher",
            _ => "component",
        }
    }
}

type Names = &'static [&'static str];

/// How a workload of a role is recognised: by its name, its containers' names or images.
#[derive(Debug)]
pub struct Component {
    pub role: Role,
    pub names: Names,
    pub containers: Names,
    /// Image repository names under the platform's image organisations.
    pub images: Names,
}

/// One platform's names.
#[derive(Debug)]
pub struct Contract {
    pub platform: Platform,
    /// "Deis Workflow (or Hephy)".
    pub title: &'static str,
    /// The value of `--platform`.
    pub flag: &'static str,
    /// The variable each consumer reads its location from.
    pub location_var: &'static str,
    pub prefix_var: &'static str,
    pub locations: &'static [LocationKind],
    /// The organisations its images are published under.
    pub image_orgs: Names,
    /// Its workloads: first match wins.
    pub components: &'static [Component],
    /// Its other objects: role, kinds and name.
    pub objects: &'static [(Role, Names, &'static str)],
    /// Whether the components' containers consume the settings undeclared (Deis reads code defaults).
    pub component_containers_consume: bool,
    /// A container that declares one of these consumes the settings.
    pub consumer_vars: Names,
    /// The workloads that need the on-cluster registry, and the refusal without it (not creatable here).
    pub registry_users: &'static [Role],
    pub missing_registry: &'static str,
}

/// A [`Component`], in a table row.
const fn component(role: Role, names: Names, containers: Names, images: Names) -> Component {
    Component {
        role,
        names,
        containers,
        images,
    }
}

// ---- Deis Workflow and Hephy ----------------------------------------------

const DEIS_LOCATION_VAR: &str = "DEIS_REGISTRY_LOCATION";
const DEIS_PREFIX_VAR: &str = "DEIS_REGISTRY_SECRET_PREFIX";
pub const REGISTRY_SECRET: &str = "registry-secret";
pub const REFRESHER: &str = "deis-registry-token-refresher";
/// Cluster-scoped RBAC names follow Workflow's `deis:<component>` pattern.
pub const REFRESHER_RBAC: &str = "deis:deis-registry-token-refresher";
pub const REFRESHER_IMAGE_NAME: &str = "registry-token-refresher";
/// Where the refresher reads `registry-secret`, one file per key.
pub const CREDS_PATH: &str = "/var/run/secrets/deis/registry/creds";
pub const LOCATION_ANNOTATION: &str = "deis.io/registry-location";
pub const HERITAGE: (&str, &str) = ("heritage", "deis");
pub const NAMESPACE_REFRESH_VAR: &str = "DEIS_NAMESPACE_REFRESH_TIME";
pub const TOKEN_REFRESH_VAR: &str = "DEIS_TOKEN_REFRESH_TIME";
/// Seconds between the refresher's scans for new app namespaces, as Workflow's chart sets it.
pub const NAMESPACE_REFRESH_SECONDS: &str = "5";
pub const DEFAULT_SECRET_PREFIX: &str = "private-registry";
/// Where a platform's images go, by the name its charts and components use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationKind {
    OnCluster,
    OffCluster,
    Ecr,
    Gcr,
}

impl LocationKind {
    /// Every location, Deis Workflow's and Hephy's; Drycc has the first two.
    pub const ALL: [LocationKind; 4] = [Self::OnCluster, Self::OffCluster, Self::Ecr, Self::Gcr];

    /// Their names, as `--location` offers them and errors list them.
    pub fn names() -> [&'static str; 4] {
        Self::ALL.map(Self::name)
    }

    pub const fn name(self) -> &'static str {
        ["on-cluster", "off-cluster", "ecr", "gcr"][self as usize]
    }

    /// The location spelled `name` (exactly: Workflow's components compare the text).
    pub fn named(name: &str) -> Option<LocationKind> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }

    /// Minutes a token stays valid, where the refresher mints them: a refresh must come sooner.
    pub fn token_lifetime_minutes(self) -> Option<u32> {
        match self {
            LocationKind::Ecr => Some(720),
            LocationKind::Gcr => Some(60),
            LocationKind::OnCluster | LocationKind::OffCluster => None,
        }
    }

    /// Whether apps pull through short-lived tokens the refresher mints.
    pub fn needs_token_refresher(self) -> bool {
        self.token_lifetime_minutes().is_some()
    }
}

/// Label on every document this tool generates: a later run tells its own (left in an old namespace, say).
pub const GENERATED_LABEL: (&str, &str) = ("registry.deis.io/generated-by", "workflow-registry");

/// The published refreshers: the image and tag each organisation's chart runs. Every build panics
/// on a non-empty `DEIS_TOKEN_REFRESH_TIME` (v1.0.0 ignores it): `pkg/config.go` stores an `int64`,
/// `pkg/credentials/{ecr,gcr}.go` asserts `.(int)`.
pub const STOCK_REFRESHERS: [(&str, &str, &str); 2] = [
    ("deis", "quay.io/deis/registry-token-refresher:v1.1.3", "v1.1.3"),
    ("hephy", "hephy/registry-token-refresher:v1.2.2", "v1.2.2"),
];

/// A refresher interval as the refresher reads it: Go's `strconv.ParseInt(s,
/// 10, 32)`, which Rust's `i32` parse matches (a sign, then digits), above 0.
pub fn refresher_interval(s: &str) -> Option<u32> {
    u32::try_from(s.parse::<i32>().ok()?).ok().filter(|n| *n > 0)
}

/// Whether `image` is a build of a published refresher (any tag).
pub fn is_stock_refresher(image: &str) -> bool {
    let image = Image::parse(image);
    ["quay.io", "docker.io"].contains(&image.registry().as_str())
        && image.is(&["deis", "hephy"], REFRESHER_IMAGE_NAME)
        && image.repository().matches('/').count() == 2
}

pub const DEIS: Contract = Contract {
    platform: Platform::Deis,
    title: "Deis Workflow (or Hephy)",
    flag: "deis",
    location_var: DEIS_LOCATION_VAR,
    prefix_var: DEIS_PREFIX_VAR,
    locations: &LocationKind::ALL,
    image_orgs: &["deis", "hephy"],
    component_containers_consume: true,
    consumer_vars: &[DEIS_LOCATION_VAR, DEIS_PREFIX_VAR],
    registry_users: &[Role::Builder, Role::Controller],
    missing_registry: "location on-cluster, but the input holds Workflow without its registry (no deis-registry or \
        deis-registry-proxy): this tool cannot create them, and every `git push` would fail; render the chart with \
        global.registry_location set to on-cluster (the chart then renders the registry), or choose another location",
    components: &[
        component(Role::Refresher, &[REFRESHER], &[REFRESHER], &[REFRESHER_IMAGE_NAME]),
        component(
            Role::Registry,
            &["deis-registry", "deis-registry-proxy"],
            &["deis-registry", "deis-registry-proxy"],
            &["registry", "registry-proxy"],
        ),
        component(Role::Builder, &["deis-builder"], &["deis-builder"], &["builder"]),
        component(
            Role::Controller,
            &["deis-controller"],
            &["deis-controller"],
            &["controller"],
        ),
    ],
    objects: &[
        (Role::Registry, &["Service", "ServiceAccount"], "deis-registry"),
        (Role::Credentials, &["Secret"], REGISTRY_SECRET),
        (Role::RefresherAccount, &["ServiceAccount"], REFRESHER),
        (Role::RefresherRole, &["ClusterRole"], REFRESHER_RBAC),
        (Role::RefresherBinding, &["ClusterRoleBinding"], REFRESHER_RBAC),
    ],
};

// ---- Drycc Workflow ---------------------------------------------------------

const DRYCC_LOCATION_VAR: &str = "DRYCC_REGISTRY_LOCATION";
pub const DRYCC_BUILDER_SECRET: &str = "builder-secret";
pub const DRYCC_CONTROLLER_CREDS: &str = "controller-creds";
/// The builder's credential variables and the `builder-secret` key each reads (organization: the builder's alone).
pub const DRYCC_BUILDER_VARS: [(&str, &str); 4] = [
    ("DRYCC_REGISTRY_HOST", "registry-host"),
    ("DRYCC_REGISTRY_USERNAME", "registry-username"),
    ("DRYCC_REGISTRY_PASSWORD", "registry-password"),
    ("DRYCC_REGISTRY_ORGANIZATION", "registry-organization"),
];
/// The node proxy the builder pushes through on-cluster.
pub const DRYCC_PROXY_VAR: &str = "DRYCC_REGISTRY_PROXY_HOST";
/// On-cluster, the chart's builder reads the registry Service's address literally, the node proxy at
/// `127.0.0.1:<hostPort>` (5555 unless `proxy.port` says otherwise) and its login from the
/// registry's `registry-secret` (no organization).
pub const DRYCC_REGISTRY_SERVICE: &str = "drycc-registry:5000";
pub const DRYCC_PROXY_PORT: u16 = 5555;
pub const DRYCC_ON_CLUSTER_LOGIN: [(&str, &str); 2] = [
    ("DRYCC_REGISTRY_USERNAME", "username"),
    ("DRYCC_REGISTRY_PASSWORD", "password"),
];
/// imagebuilder's NetworkPolicy lets its pods reach public addresses only.
pub const DRYCC_IMAGEBUILDER_POLICY: &str = "drycc-imagebuilder";
pub const DRYCC_IMAGEBUILDER_APP: &str = "drycc-imagebuilder";
/// The Secrets this tool writes and Drycc's builder reads. One whose name holds one is read too:
/// renamed (kustomize namePrefix or nameSuffix), it is refused (docs/semantics.md, "Renamed Secrets").
pub const DRYCC_WRITTEN_SECRETS: [&str; 2] = [DRYCC_BUILDER_SECRET, DRYCC_CONTROLLER_CREDS];
/// This tool's policy beside it, for a registry at a private address.
pub const DRYCC_IMAGEBUILDER_EGRESS: &str = "drycc-imagebuilder-registry";

/// Why Drycc takes two locations, and what to do for the others.
pub const DRYCC_LOCATIONS: &str = "Drycc Workflow has no token refresher, so only on-cluster and off-cluster; for ECR \
    or Artifact Registry use off-cluster with the registry's host and a long-lived login (docs/configuration.md, \
    \"Drycc Workflow\")";

pub const DRYCC: Contract = Contract {
    platform: Platform::Drycc,
    title: "Drycc Workflow",
    flag: "drycc",
    location_var: DRYCC_LOCATION_VAR,
    prefix_var: "DRYCC_REGISTRY_SECRET_PREFIX",
    locations: LocationKind::ALL.split_at(2).0,
    image_orgs: &["drycc"],
    component_containers_consume: false,
    consumer_vars: &[DRYCC_LOCATION_VAR],
    registry_users: &[Role::Builder],
    missing_registry: "location on-cluster, but the input holds Drycc Workflow without its registry (no \
        drycc-registry): this tool cannot create it; render the chart with registry.enabled, \
        builder.registry.enabled and controller.registry.enabled set to true, or choose off-cluster",
    components: &[
        component(
            Role::Registry,
            &["drycc-registry", "drycc-registry-proxy", "drycc-registry-cronjob-daily"],
            &["drycc-registry", "drycc-registry-proxy"],
            &["registry"],
        ),
        component(Role::Builder, &["drycc-builder"], &["drycc-builder"], &["builder"]),
        component(Role::Controller, &[], &[], &["controller"]),
    ],
    objects: &[
        (Role::Registry, &["Service", "ServiceAccount"], "drycc-registry"),
        (Role::Registry, &["Secret"], REGISTRY_SECRET),
        (Role::Credentials, &["Secret"], DRYCC_BUILDER_SECRET),
        (Role::ImagebuilderEgress, &["NetworkPolicy"], DRYCC_IMAGEBUILDER_EGRESS),
        (Role::ControllerCredentials, &["Secret"], DRYCC_CONTROLLER_CREDS),
    ],
};

/// How the platforms' rules read a document besides identities, images and `--select`: these labels,
/// annotations, variables, and objects' contents (Secret data, ClusterRole rules; else keys only).
pub fn reading<'r>(selects: &'r (dyn Fn(&serde_json::Value) -> bool + Sync)) -> Reading<'r> {
    Reading {
        selects,
        labels: &[HERITAGE.0, GENERATED_LABEL.0],
        annotations: &[HOOK_ANNOTATION, LOCATION_ANNOTATION],
        env: &[
            DEIS.location_var,
            DEIS.prefix_var,
            NAMESPACE_REFRESH_VAR,
            TOKEN_REFRESH_VAR,
            DRYCC.location_var,
            DRYCC.prefix_var,
            DRYCC_BUILDER_VARS[0].0,
            DRYCC_BUILDER_VARS[1].0,
            DRYCC_BUILDER_VARS[2].0,
            DRYCC_BUILDER_VARS[3].0,
            DRYCC_PROXY_VAR,
        ],
        contents: &[
            REGISTRY_SECRET,
            REFRESHER_RBAC,
            DRYCC_BUILDER_SECRET,
            DRYCC_CONTROLLER_CREDS,
            DRYCC_IMAGEBUILDER_EGRESS,
        ],
        mount_paths: &[CREDS_PATH],
        volumes: &[REGISTRY_SECRET, DRYCC_CONTROLLER_CREDS],
        matters: &super::may_matter,
    }
}

impl Contract {
    /// A workload's role from its name and its containers' names and images, another's from kind and name.
    pub fn role_of(&self, r: &Resource) -> Role {
        let Some(pod) = r.pod() else {
            let object = self
                .objects
                .iter()
                .find(|(_, kinds, name)| *name == r.name && kinds.contains(&r.kind.as_str()));
            return object.map_or(Role::Other, |(role, ..)| *role);
        };
        self.component_roles(r, pod).next().unwrap_or(Role::Other)
    }

    /// Each component whose signs a workload shows (its name, a container's name or image), in table
    /// order: one for every workload of a real chart; a workload of several is refused.
    pub fn component_roles<'s>(&'s self, r: &'s Resource, pod: &'s Pod) -> impl Iterator<Item = Role> + 's {
        // This platform's `name` image; the refresher from any organisation's build (operators
        // rebuild it to fix its bugs).
        let is_own_image = move |image: &str, name: &&str| {
            let image = Image::parse(image);
            image.is(self.image_orgs, name) || (*name == REFRESHER_IMAGE_NAME && image.name() == *name)
        };
        let is = move |k: &&Component| {
            k.names.contains(&r.name.as_str())
                || pod.containers.iter().any(|c| {
                    let own_image = |i: &str| k.images.iter().any(|n| is_own_image(i, n));
                    k.containers.contains(&c.name.as_str()) || c.image.as_deref().is_some_and(own_image)
                })
        };
        self.components.iter().filter(is).map(|k| k.role)
    }

    /// What an operator must know about a location on this platform (docs/contract.md, "The PORT
    /// rule" and "Credentials that end up in app namespaces").
    pub fn location_advice(&self, location: LocationKind) -> Vec<String> {
        if self.platform != Platform::Deis || location == LocationKind::OnCluster {
            return Vec::new();
        }
        let mut advice = vec![format!(
            "with location {} the controller cannot read an image's exposed port: every app needs \
             `deis config:set PORT=<port>` before its first deploy",
            location.name()
        )];
        if location == LocationKind::OffCluster {
            advice.push(
                "off-cluster copies the long-lived registry credentials into every app namespace (the controller \
                 writes <prefix>-off-cluster); prefer ecr or gcr where apps should only see short-lived tokens"
                    .into(),
            );
        }
        advice
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresher_intervals_are_read_as_go_parses_them() {
        for (s, n) in [
            ("5", Some(5)),
            ("+5", Some(5)),
            ("05", Some(5)),
            ("0", None),
            ("-5", None),
            ("5s", None),
        ] {
            assert_eq!(refresher_interval(s), n, "{s}");
        }
        assert_eq!(refresher_interval("2147483648"), None);
    }

    #[test]
    fn stock_refreshers_are_every_tag_of_the_published_repositories() {
        for image in [
            "quay.io/deis/registry-token-refresher:v1.0.0",
            "quay.io/deis/registry-token-refresher:canary",
            "deis/registry-token-refresher:v1.0.4",
            "index.docker.io/hephy/registry-token-refresher:v1.2.2",
            "DOCKER.IO/hephy/registry-token-refresher:latest",
            "hephy/registry-token-refresher",
            "quay.io/hephy/registry-token-refresher@sha256:ab",
            "quay.io:443/deis/registry-token-refresher:v1.1.3",
        ] {
            assert!(is_stock_refresher(image), "{image}");
        }
        for image in [
            "example.com/me/registry-token-refresher:v1.1.3",
            "quay.io/mirror/hephy/registry-token-refresher:v1.2.2",
            "hephy/registry-token-refresher-x:v1",
        ] {
            assert!(!is_stock_refresher(image), "{image}");
        }
    }
}
