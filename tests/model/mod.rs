//! The reference model of the transform (docs/semantics.md), written on
//! decoded data and nothing else: given the input documents as Kubernetes
//! decodes them and the operator's settings, it says what every output
//! document must decode to, or why the run must fail. It shares no code with
//! the product: it is a test oracle, and the plainest statement of the
//! semantics we could write. Each section below names the section of
//! docs/semantics.md it states.
#![allow(dead_code)]

pub mod shapes;

use base64::Engine;
use serde_json::{json, Map, Value as Json};

pub const REFRESHER: &str = "deis-registry-token-refresher";
pub const REFRESHER_RBAC: &str = "deis:deis-registry-token-refresher";
pub const REGISTRY_SECRET: &str = "registry-secret";
pub const CREDS_PATH: &str = "/var/run/secrets/deis/registry/creds";
pub const DEIS_REFRESHER_IMAGE: &str = "quay.io/deis/registry-token-refresher:v1.1.3";
pub const HEPHY_REFRESHER_IMAGE: &str = "hephy/registry-token-refresher:v1.2.2";
pub const GENERATED_BY: &str = "registry.deis.io/generated-by";
const TOKEN_VAR: &str = "DEIS_TOKEN_REFRESH_TIME";
const SCAN_VAR: &str = "DEIS_NAMESPACE_REFRESH_TIME";
const DRYCC_BUILDER_VARS: [(&str, &str); 4] = [
    ("DRYCC_REGISTRY_HOST", "registry-host"),
    ("DRYCC_REGISTRY_USERNAME", "registry-username"),
    ("DRYCC_REGISTRY_PASSWORD", "registry-password"),
    ("DRYCC_REGISTRY_ORGANIZATION", "registry-organization"),
];
const DRYCC_PROXY_VAR: &str = "DRYCC_REGISTRY_PROXY_HOST";

// ---- Configuration -----------------------------------------------------------

/// What the operator configured, as plain values (never validated here: the
/// model is only asked about valid configurations).
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub location: String,
    /// off-cluster: hostname, organization, username, password.
    /// ecr: accesskey, secretkey, region, registryid, hostname.
    /// gcr: key.json (the raw JSON), hostname.
    pub secret_data: Vec<(&'static str, String)>,
    /// None: not set by the operator (the chart's own prefix, else the default).
    pub secret_prefix: Option<String>,
    pub token_refresh_time: String,
    /// None: the refresher image follows the platform.
    pub refresher_image: Option<String>,
    /// `--namespace` (or its environment variables).
    pub namespace: Option<String>,
    pub keep_on_cluster_registry: bool,
    /// `--platform deis|drycc`.
    pub platform: Option<&'static str>,
    /// `--target KIND/NAME[/CONTAINER]`.
    pub targets: Vec<String>,
}

impl Config {
    /// The configuration the tests use for `location` (the same values as
    /// tests/common's `location_env`, minus a refresh time: a stock refresher
    /// panics on one).
    pub fn for_location(location: &str, gcr_key: &str) -> Config {
        let s = |v: &str| v.to_owned();
        let secret_data = match location {
            "off-cluster" => vec![
                ("hostname", s("quay.io")),
                ("organization", s("myorg")),
                ("username", s("myorg+deployer")),
                ("password", s("s3cr3t-Passw0rd!")),
            ],
            "ecr" => vec![
                ("accesskey", s("AKIAIOSFODNN7EXAMPLE")),
                ("secretkey", s("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")),
                ("region", s("eu-west-1")),
                ("registryid", s("123456789012")),
                ("hostname", s("")),
            ],
            "gcr" => vec![("key.json", gcr_key.trim().to_owned()), ("hostname", s(""))],
            _ => vec![],
        };
        Config {
            location: location.to_owned(),
            secret_data,
            ..Config::default()
        }
    }

    /// The environment that configures the binary the same way.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![("REGISTRY_LOCATION", self.location.clone())];
        let var = |key: &str| -> &'static str {
            match (self.location.as_str(), key) {
                ("off-cluster", "hostname") => "REGISTRY_HOSTNAME",
                ("off-cluster", "organization") => "REGISTRY_ORGANIZATION",
                ("off-cluster", "username") => "REGISTRY_USERNAME",
                ("off-cluster", "password") => "REGISTRY_PASSWORD",
                ("ecr", "accesskey") => "ECR_ACCESS_KEY",
                ("ecr", "secretkey") => "ECR_SECRET_KEY",
                ("ecr", "region") => "ECR_REGION",
                ("ecr", "registryid") => "ECR_REGISTRY_ID",
                ("ecr", "hostname") => "ECR_HOSTNAME",
                ("gcr", "key.json") => "GCR_KEY_JSON",
                ("gcr", "hostname") => "GCR_HOSTNAME",
                _ => unreachable!("{key}"),
            }
        };
        for (key, value) in &self.secret_data {
            if !value.is_empty() {
                env.push((var(key), value.clone()));
            }
        }
        if !self.token_refresh_time.is_empty() {
            env.push(("DEIS_TOKEN_REFRESH_TIME", self.token_refresh_time.clone()));
        }
        if let Some(image) = &self.refresher_image {
            env.push(("REGISTRY_TOKEN_REFRESHER_IMAGE", image.clone()));
        }
        env
    }

    /// The command-line flags that go with [`Config::env`].
    pub fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(ns) = &self.namespace {
            args.extend(["--namespace".to_owned(), ns.clone()]);
        }
        if let Some(prefix) = &self.secret_prefix {
            args.extend(["--secret-prefix".to_owned(), prefix.clone()]);
        }
        if self.keep_on_cluster_registry {
            args.push("--keep-on-cluster-registry".to_owned());
        }
        if let Some(p) = self.platform {
            args.extend(["--platform".to_owned(), p.to_owned()]);
        }
        for t in &self.targets {
            args.extend(["--target".to_owned(), t.clone()]);
        }
        args
    }

    fn value(&self, key: &str) -> &str {
        self.secret_data
            .iter()
            .find(|(k, _)| *k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    fn lifetime(&self) -> Option<u64> {
        match self.location.as_str() {
            "ecr" => Some(720),
            "gcr" => Some(60),
            _ => None,
        }
    }
}

/// Why the model says the run must fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A kind, name or namespace that decodes to something other than text (exit 1).
    Unreadable,
    /// Evidence of two platforms and no `--platform` (exit 1).
    TwoPlatforms,
    /// Workflow's builder and controller Deployments, or the evidence after
    /// them, disagree about the namespace (exit 1).
    NamespaceConflict,
    /// The operator named a namespace, and Workflow's builder and controller
    /// Deployments all stand in other explicit namespaces (exit 2).
    NamespaceMismatch,
    /// on-cluster, but Workflow's workloads come without the registry (exit 2).
    OnClusterWithoutRegistry,
    /// A refresher with several containers, none of which, or more than one
    /// of which, is the refresher by image, variables or name (exit 1,
    /// reported before configuration errors).
    RefresherAmbiguous,
    /// A workload of Workflow's that shows the signs of two components (exit 1).
    TwoComponents,
    /// ecr or gcr, and nothing says Workflow's namespace (exit 2).
    NamespaceUnknown,
    /// A token refresh time its image cannot run with: configured (exit 2)
    /// or the input refresher's (exit 1).
    TokenRefreshTime { configured: bool },
    /// The input refresher's namespace scan interval is not a positive whole number (exit 1).
    NamespaceRefreshTime,
    /// Another volume mounted at the refresher's credentials path, a volume
    /// `registry-secret` of another source or of only some keys, or a
    /// `subPath` of it (exit 1).
    CredentialsMount,
    /// Drycc has no ecr or gcr (exit 2).
    DryccLocation,
    /// A Drycc builder reads builder-secret, controller-creds or
    /// registry-secret under another name that holds it (a kustomize
    /// namePrefix or nameSuffix: exit 1).
    DryccRenamedSecret,
    /// A NetworkPolicy `drycc-imagebuilder-registry` without the tool's
    /// label where the tool needs that name for its egress policy (exit 1).
    ForeignEgressPolicy,
    /// The output would not be a platform that can start: the post-condition
    /// refuses it (exit 2).
    PostCondition(&'static str),
}

impl Refusal {
    /// The exit status the tool must end with.
    pub fn exit_code(&self) -> i32 {
        match self {
            Refusal::Unreadable
            | Refusal::TwoPlatforms
            | Refusal::NamespaceConflict
            | Refusal::RefresherAmbiguous
            | Refusal::TwoComponents
            | Refusal::TokenRefreshTime { configured: false }
            | Refusal::NamespaceRefreshTime
            | Refusal::CredentialsMount
            | Refusal::DryccRenamedSecret
            | Refusal::ForeignEgressPolicy => 1,
            _ => 2,
        }
    }
}

/// Every refusal that applies to one stage of the pipeline (read, model,
/// plan, post-condition): the tool must end with the exit status of one of
/// them. docs/semantics.md orders the stages, not the refusals within the
/// plan (except that an ambiguous refresher comes first).
pub type Refusals = Vec<Refusal>;

/// One expected output document.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// An input document (by input index) that must decode to exactly this
    /// (a ClusterRole's rules compare as the calls they allow).
    Input { index: usize, doc: Json },
    /// A document the tool adds; `doc` holds what it must contain at least
    /// (see [`contains`]), its namespace and a Secret's `data` exactly.
    /// `before`: it stands before that input document; None: after them all.
    Added { doc: Json, before: Option<usize> },
}

impl Expected {
    pub fn doc(&self) -> &Json {
        match self {
            Expected::Input { doc, .. } | Expected::Added { doc, .. } => doc,
        }
    }
}

// ---- Reading (the pipeline, step 1) ------------------------------------------

fn at<'j>(v: &'j Json, path: &[&str]) -> Option<&'j Json> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn str_at<'j>(v: &'j Json, path: &[&str]) -> Option<&'j str> {
    at(v, path)?.as_str()
}

/// The kind, as far as Workflow goes: a built-in kind in another API group
/// (a custom resource, `Secret` of `vault.example.com/v1`) is none of them.
fn kind(v: &Json) -> &str {
    let kind = str_at(v, &["kind"]).unwrap_or("");
    let groups: &[&str] = match kind {
        "Secret" | "ServiceAccount" | "Service" | "ConfigMap" | "Pod" | "ReplicationController" => &[""],
        "Deployment" | "DaemonSet" | "ReplicaSet" => &["apps", "extensions"],
        "StatefulSet" => &["apps"],
        "Job" | "CronJob" => &["batch"],
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => &["rbac.authorization.k8s.io"],
        "NetworkPolicy" => &["networking.k8s.io", "extensions"],
        _ => return kind,
    };
    let group = str_at(v, &["apiVersion"]).map(|a| a.rsplit_once('/').map_or("", |(g, _)| g));
    match group {
        Some(group) if !groups.contains(&group) => "",
        _ => kind,
    }
}

fn name(v: &Json) -> &str {
    str_at(v, &["metadata", "name"]).unwrap_or("")
}

/// The explicit namespace of an object: null and "" mean none, and a
/// cluster-scoped object has none, whatever it writes.
fn namespace(v: &Json) -> Option<&str> {
    if matches!(kind(v), "ClusterRole" | "ClusterRoleBinding") {
        return None;
    }
    str_at(v, &["metadata", "namespace"]).filter(|ns| !ns.is_empty())
}

/// A label or annotation as Kubernetes reads it: null is the empty string.
fn metadata_text<'j>(v: &'j Json, map: &str, key: &str) -> Option<&'j str> {
    match at(v, &["metadata", map, key])? {
        Json::Null => Some(""),
        value => value.as_str(),
    }
}

fn label<'j>(v: &'j Json, key: &str) -> Option<&'j str> {
    metadata_text(v, "labels", key)
}

fn annotation<'j>(v: &'j Json, key: &str) -> Option<&'j str> {
    metadata_text(v, "annotations", key)
}

fn is_hook(v: &Json) -> bool {
    annotation(v, "helm.sh/hook").is_some()
}

/// The objects a document holds (pointer in the document, object): itself,
/// or for `kind: List` and every `*List` kind with `items`, its items.
fn objects_in(v: &Json, ptr: String, out: &mut Vec<(String, Json)>) {
    if let (true, Some(Json::Array(items))) = (kind(v).ends_with("List"), v.get("items")) {
        for (i, item) in items.iter().enumerate() {
            objects_in(item, format!("{ptr}/items/{i}"), out);
        }
    } else if v.is_object() {
        out.push((ptr, v.clone()));
    }
}

/// Kubernetes reads no text in a kind, name or namespace that is not a string.
fn unreadable(v: &Json) -> bool {
    let not_text = |p: &[&str]| at(v, p).is_some_and(|x| !x.is_null() && !x.is_string());
    if let (Some(k), Some(Json::Array(items))) = (v.get("kind").and_then(Json::as_str), v.get("items")) {
        if k.ends_with("List") {
            return items.iter().any(unreadable);
        }
    }
    v.is_object() && (not_text(&["kind"]) || not_text(&["metadata", "name"]) || not_text(&["metadata", "namespace"]))
}

/// Where a workload keeps its pod spec.
fn pod_path(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" => Some("/spec"),
        "CronJob" => Some("/spec/jobTemplate/spec/template/spec"),
        "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet" | "ReplicationController" | "Job" => {
            Some("/spec/template/spec")
        }
        _ => None,
    }
}

/// The pod spec of a workload (relative pointer, spec), when it has one.
fn pod(v: &Json) -> Option<(&'static str, &Json)> {
    let p = pod_path(kind(v))?;
    v.pointer(p).filter(|s| s.is_object()).map(|s| (p, s))
}

/// Init containers, then containers: (relative pointer, container, is init).
fn containers(v: &Json) -> Vec<(String, &Json, bool)> {
    let Some((p, spec)) = pod(v) else { return vec![] };
    let mut out = Vec::new();
    for (list, init) in [("initContainers", true), ("containers", false)] {
        for (i, c) in spec
            .get(list)
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            // An item that is not a mapping is no container (the API server refuses it).
            if c.is_object() {
                out.push((format!("{p}/{list}/{i}"), c, init));
            }
        }
    }
    out
}

fn cname(c: &Json) -> &str {
    str_at(c, &["name"]).unwrap_or("")
}

fn env_entries<'j>(c: &'j Json, var: &'j str) -> impl Iterator<Item = &'j Json> + 'j {
    c.get("env")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter(move |e| str_at(e, &["name"]) == Some(var))
}

fn declares(c: &Json, var: &str) -> bool {
    env_entries(c, var).next().is_some()
}

/// The literal value the kubelet gives `var` (the last entry wins; no
/// `value` is ""), or None when it is absent or comes from `valueFrom`.
fn env_text<'j>(c: &'j Json, var: &'j str) -> Option<&'j str> {
    let e = env_entries(c, var).last()?;
    if e.get("valueFrom").is_some_and(|f| !f.is_null()) {
        return None;
    }
    match e.get("value") {
        None | Some(Json::Null) => Some(""),
        Some(v) => v.as_str(),
    }
}

/// The account a pod runs as: `serviceAccountName`, else the deprecated `serviceAccount`.
fn account(spec: &Json) -> Option<&str> {
    ["serviceAccountName", "serviceAccount"]
        .iter()
        .find_map(|k| spec.get(*k)?.as_str().filter(|s| !s.is_empty()))
}

// ---- Images, by reference --------------------------------------------------

/// An image reference normalised: (registry, repository path); Docker Hub
/// however written is `docker.io`, hosts in any case, without `:443` or a
/// final dot.
fn reference(image: &str) -> (String, String) {
    let image = image.split('@').next().unwrap_or(image);
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    let image = match image[slash..].find(':') {
        Some(colon) => &image[..slash + colon],
        None => image,
    };
    let (host, path) = match image.split_once('/') {
        Some((h, rest)) if h.contains(['.', ':']) || h == "localhost" => {
            let h = h.to_ascii_lowercase();
            let h = h.strip_suffix(":443").unwrap_or(&h);
            (Some(h.strip_suffix('.').unwrap_or(h).to_owned()), rest)
        }
        _ => (None, image),
    };
    match host.as_deref() {
        None | Some("docker.io" | "index.docker.io" | "registry-1.docker.io") => (
            "docker.io".into(),
            if path.contains('/') {
                path.into()
            } else {
                format!("library/{path}")
            },
        ),
        Some(h) => (h.into(), path.into()),
    }
}

/// The image's organisation and name: `deis` and `builder` in any
/// `*/deis/builder:tag`.
fn org_and_name(image: &str) -> (Option<String>, String) {
    let (_, path) = reference(image);
    let mut parts = path.rsplit('/');
    let name = parts.next().unwrap_or("").to_owned();
    (parts.next().map(str::to_owned), name)
}

/// Any tag of the published refreshers: `deis/` and `hephy/registry-token-refresher`
/// on quay.io or Docker Hub.
fn is_stock_refresher(image: &str) -> bool {
    let (registry, path) = reference(image);
    ["quay.io", "docker.io"].contains(&registry.as_str())
        && ["deis/registry-token-refresher", "hephy/registry-token-refresher"].contains(&path.as_str())
}

// ---- Platforms and roles ---------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Deis,
    Drycc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Builder,
    Controller,
    Registry,
    Credentials,
    ControllerCredentials,
    Refresher,
    RefresherAccount,
    RefresherRules,
    RefresherBinding,
    Other,
}

/// A workload that runs `component`: by the workload's name, a container's
/// name, or an image of the platform's organisations.
fn runs(v: &Json, names: &[&str], orgs: &[&str], images: &[&str]) -> bool {
    pod(v).is_some()
        && (names.contains(&name(v))
            || containers(v).iter().any(|(_, c, _)| {
                names.contains(&cname(c))
                    || str_at(c, &["image"]).is_some_and(|i| {
                        let (org, n) = org_and_name(i);
                        images.contains(&n.as_str()) && org.is_some_and(|o| orgs.contains(&o.as_str()))
                    })
            }))
}

/// The components a workload shows the signs of (its name, a container's
/// name or image), in the order the tool's table names them.
fn component_roles(platform: Platform, v: &Json) -> Vec<Role> {
    let checks: Vec<(Role, bool)> = match platform {
        Platform::Deis => {
            let deis = ["deis", "hephy"];
            let refresher_image = containers(v).iter().any(|(_, c, _)| {
                str_at(c, &["image"]).is_some_and(|i| org_and_name(i).1 == "registry-token-refresher")
            });
            vec![
                (
                    Role::Refresher,
                    pod(v).is_some() && (refresher_image || runs(v, &[REFRESHER], &[], &[])),
                ),
                (
                    Role::Registry,
                    runs(
                        v,
                        &["deis-registry", "deis-registry-proxy"],
                        &deis,
                        &["registry", "registry-proxy"],
                    ),
                ),
                (Role::Builder, runs(v, &["deis-builder"], &deis, &["builder"])),
                (Role::Controller, runs(v, &["deis-controller"], &deis, &["controller"])),
            ]
        }
        Platform::Drycc => {
            let registry = ["drycc-registry", "drycc-registry-proxy", "drycc-registry-cronjob-daily"];
            vec![
                (Role::Registry, runs(v, &registry, &["drycc"], &["registry"])),
                (Role::Builder, runs(v, &["drycc-builder"], &["drycc"], &["builder"])),
                (Role::Controller, runs(v, &[], &["drycc"], &["controller"])),
            ]
        }
    };
    checks
        .into_iter()
        .filter(|(_, shows)| *shows)
        .map(|(role, _)| role)
        .collect()
}

fn role(platform: Platform, v: &Json) -> Role {
    if let Some(role) = component_roles(platform, v).first() {
        return *role;
    }
    match (platform, kind(v), name(v)) {
        (Platform::Deis, "Service" | "ServiceAccount", "deis-registry") => Role::Registry,
        (Platform::Deis, "Secret", REGISTRY_SECRET) => Role::Credentials,
        (Platform::Deis, "ServiceAccount", REFRESHER) => Role::RefresherAccount,
        (Platform::Deis, "ClusterRole", REFRESHER_RBAC) => Role::RefresherRules,
        (Platform::Deis, "ClusterRoleBinding", REFRESHER_RBAC) => Role::RefresherBinding,
        (Platform::Drycc, "Service" | "ServiceAccount", "drycc-registry") => Role::Registry,
        (Platform::Drycc, "Secret", REGISTRY_SECRET) => Role::Registry,
        (Platform::Drycc, "Secret", "builder-secret") => Role::Credentials,
        (Platform::Drycc, "Secret", "controller-creds") => Role::ControllerCredentials,
        _ => Role::Other,
    }
}

fn location_var(p: Platform) -> &'static str {
    match p {
        Platform::Deis => "DEIS_REGISTRY_LOCATION",
        Platform::Drycc => "DRYCC_REGISTRY_LOCATION",
    }
}

fn prefix_var(p: Platform) -> &'static str {
    match p {
        Platform::Deis => "DEIS_REGISTRY_SECRET_PREFIX",
        Platform::Drycc => "DRYCC_REGISTRY_SECRET_PREFIX",
    }
}

/// Whether an object shows the manifest is `p` (docs/semantics.md, "Platforms").
fn is_evidence(p: Platform, v: &Json) -> bool {
    let r = role(p, v);
    if pod(v).is_some() {
        matches!(r, Role::Builder | Role::Controller | Role::Registry | Role::Refresher)
            || containers(v).iter().any(|(_, c, _)| declares(c, location_var(p)))
    } else {
        p == Platform::Deis
            && ((r == Role::Credentials && annotation(v, "deis.io/registry-location").is_some())
                || matches!(r, Role::RefresherRules | Role::RefresherBinding))
    }
}

// ---- The Workflow namespace ----------------------------------------------------

/// Workflow's namespace, and whether its builder and controller state it.
#[derive(Debug, Clone, Default)]
struct Namespace {
    name: Option<String>,
    explicit: bool,
}

impl Namespace {
    /// Whether an object with namespace `ns` stands where Workflow runs.
    fn holds(&self, ns: Option<&str>) -> bool {
        match ns {
            None => !self.explicit,
            Some(ns) => self.name.as_deref() == Some(ns),
        }
    }
}

/// The one value all `found` agree on; several are a conflict.
fn agreed<T: Ord + Clone>(mut found: Vec<T>) -> Result<Option<T>, Refusals> {
    found.sort();
    found.dedup();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        _ => Err(vec![Refusal::NamespaceConflict]),
    }
}

fn discover(p: Platform, all: &[(usize, String, Json)], config: &Config) -> Result<Namespace, Refusals> {
    let workloads: Vec<&Json> = all
        .iter()
        .map(|(_, _, v)| v)
        .filter(|v| kind(v) == "Deployment" && matches!(role(p, v), Role::Builder | Role::Controller))
        .collect();
    let explicit = |ns: &str| workloads.iter().any(|w| namespace(w) == Some(ns));
    if let Some(given) = &config.namespace {
        if !workloads.is_empty() && workloads.iter().all(|w| namespace(w).is_some_and(|n| n != given)) {
            return Err(vec![Refusal::NamespaceMismatch]);
        }
        return Ok(Namespace {
            name: Some(given.clone()),
            explicit: explicit(given),
        });
    }
    if let Some(Some(ns)) = agreed(workloads.iter().map(|w| namespace(w)).collect())? {
        return Ok(Namespace {
            name: Some(ns.to_owned()),
            explicit: true,
        });
    }
    let mut accounts: Vec<&str> = workloads.iter().filter_map(|w| account(pod(w)?.1)).collect();
    accounts.extend(match p {
        Platform::Deis => &["deis-builder", "deis-controller"][..],
        Platform::Drycc => &["drycc-builder"][..],
    });
    // Only a binding that grants the account a role named for it
    // (`deis:deis-builder`), or one the manifest defines, is the chart's.
    let grants_own_role = |binding: &Json, account: &str| {
        let (role_kind, role) = (
            str_at(binding, &["roleRef", "kind"]),
            str_at(binding, &["roleRef", "name"]),
        );
        matches!(role_kind, Some("Role" | "ClusterRole"))
            && (role.and_then(|r| r.split(':').next_back()) == Some(account)
                || all.iter().any(|(_, _, r)| {
                    Some(kind(r)) == role_kind && role.is_some() && str_at(r, &["metadata", "name"]) == role
                }))
    };
    let subjects = all
        .iter()
        .map(|(_, _, v)| v)
        .filter(|v| matches!(kind(v), "RoleBinding" | "ClusterRoleBinding") && namespace(v).is_none())
        .filter_map(|v| Some((v, v.get("subjects")?.as_array()?)))
        .flat_map(|(v, subjects)| subjects.iter().map(move |s| (v, s)))
        .filter(|(v, s)| {
            str_at(s, &["kind"]) == Some("ServiceAccount")
                && str_at(s, &["name"]).is_some_and(|n| accounts.contains(&n) && grants_own_role(v, n))
        })
        .map(|(_, s)| s)
        .filter_map(|s| str_at(s, &["namespace"]).filter(|n| !n.is_empty()))
        .collect();
    if let Some(ns) = agreed(subjects)? {
        return Ok(Namespace {
            name: Some(ns.to_owned()),
            explicit: false,
        });
    }
    let generated = all
        .iter()
        .map(|(_, _, v)| v)
        .filter(|v| label(v, GENERATED_BY) == Some("workflow-registry") && role(p, v) != Role::Other)
        .filter_map(|v| namespace(v))
        .collect();
    Ok(match agreed(generated)? {
        Some(ns) => Namespace {
            explicit: explicit(ns),
            name: Some(ns.to_owned()),
        },
        None => Namespace::default(),
    })
}

// ---- The plan, on the model --------------------------------------------------

/// An object of the manifest, with what it is to the platform.
#[derive(Debug, Clone)]
struct Obj {
    doc: usize,
    /// Where it stands in its document ("" for the document itself).
    ptr: String,
    v: Json,
    role: Role,
    ours: bool,
    orphan: bool,
}

/// The output being built: the input documents, edited in place, with the
/// objects to remove and the documents to add.
struct Plan<'c> {
    config: &'c Config,
    platform: Platform,
    ns: Namespace,
    objects: Vec<Obj>,
    out: Vec<Json>,
    removed: Vec<(usize, String)>,
    added: Vec<(Json, Option<usize>)>,
    additions_allowed: bool,
    hooks_only: bool,
    refusals: Refusals,
}

impl Plan<'_> {
    fn ours(&self, role: Role) -> Vec<usize> {
        (0..self.objects.len())
            .filter(|&i| self.objects[i].ours && self.objects[i].role == role)
            .collect()
    }

    fn is_removed(&self, i: usize) -> bool {
        let o = &self.objects[i];
        self.removed.iter().any(|(d, p)| *d == o.doc && *p == o.ptr)
    }

    fn remove(&mut self, i: usize) {
        if !self.is_removed(i) {
            let o = &self.objects[i];
            self.removed.push((o.doc, o.ptr.clone()));
        }
    }

    /// The object `i` as the output holds it, to edit.
    fn edit(&mut self, i: usize, rel: &str) -> &mut Json {
        let o = &self.objects[i];
        let ptr = format!("{}{rel}", o.ptr);
        self.out[o.doc].pointer_mut(&ptr).expect("an object of the input")
    }

    /// Whether Workflow's workloads state their namespace and `i` states none:
    /// then it gets theirs ("Placement").
    fn place(&mut self, i: usize) {
        if let (true, None, Some(ns)) = (self.ns.explicit, namespace(&self.objects[i].v), self.ns.name.clone()) {
            merge(self.edit(i, ""), &json!({"metadata": {"namespace": ns}}));
        }
    }

    /// "One of each, where it belongs": the copy kept, every other removed
    /// (and on the hooks-only pass, every hook copy).
    fn keep_one(&mut self, role: Role, contract_name: &str) -> Option<usize> {
        let mut all: Vec<usize> = self.ours(role).into_iter().filter(|&i| !self.is_removed(i)).collect();
        if self.hooks_only {
            for &i in all.iter().filter(|&&i| is_hook(&self.objects[i].v)) {
                self.removed.push((self.objects[i].doc, self.objects[i].ptr.clone()));
            }
            all.retain(|&i| !is_hook(&self.objects[i].v));
        }
        all.sort_by_key(|&i| {
            let v = &self.objects[i].v;
            (!self.ns.holds(namespace(v)), is_hook(v), name(v) != contract_name, i)
        });
        for &i in all.iter().skip(1) {
            self.remove(i);
        }
        all.first().copied()
    }

    fn has_workflow(&self) -> bool {
        self.objects.iter().any(|o| o.ours && o.role != Role::Other)
    }

    /// Whether `--target` chooses container `c` of object `v`.
    fn targeted(&self, v: &Json, c: &Json) -> bool {
        self.config.targets.iter().any(|t| {
            let parts: Vec<&str> = t.split('/').collect();
            parts[0].eq_ignore_ascii_case(kind(v)) && parts[1] == name(v) && parts.get(2).is_none_or(|n| *n == cname(c))
        })
    }

    /// "Registry consumers": (object, container pointer) of Workflow's
    /// objects, removed ones included.
    fn consumers(&self) -> Vec<(usize, String)> {
        let (loc, prefix) = (location_var(self.platform), prefix_var(self.platform));
        let carries = |c: &Json| match self.platform {
            Platform::Deis => declares(c, loc) || declares(c, prefix),
            Platform::Drycc => declares(c, loc),
        };
        let component = |c: &Json| {
            self.platform == Platform::Deis && ["deis-builder", "deis-controller", REFRESHER].contains(&cname(c))
        };
        let mut out = Vec::new();
        for (i, o) in self.objects.iter().enumerate().filter(|(_, o)| o.ours) {
            let all = containers(&o.v);
            // Helm Classic's legacy copies; never the refresher: the plan
            // gives it the variables, and the output must be a fixed point.
            let legacy = kind(&o.v) == "ReplicationController"
                && o.role != Role::Refresher
                && at(&o.v, &["spec", "replicas"]) == Some(&json!(0))
                && !all.iter().any(|(_, c, _)| carries(c));
            out.extend(
                all.iter()
                    .filter(|(_, c, _)| self.targeted(&o.v, c) || (!legacy && (carries(c) || component(c))))
                    .map(|(p, _, _)| (i, p.clone())),
            );
        }
        out
    }

    /// Set the wanted variables of container `c` of object `i`.
    fn want_env(&mut self, i: usize, c: &str, vars: &[(&str, Wanted)]) {
        upsert_env(self.edit(i, c), vars);
    }

    fn refuse(&mut self, r: Refusal) {
        self.refusals.push(r);
    }
}

/// A variable's wanted value.
#[derive(Debug, Clone, PartialEq)]
enum Wanted {
    Text(String),
    SecretKey(&'static str, &'static str),
    Absent,
}

impl Wanted {
    fn text(s: &str) -> Wanted {
        Wanted::Text(s.to_owned())
    }

    /// Whether the entry says this value.
    fn said_by(&self, e: &Json) -> bool {
        let from = e.get("valueFrom").filter(|f| !f.is_null());
        match self {
            Wanted::Text(t) => {
                from.is_none()
                    && match e.get("value") {
                        None | Some(Json::Null) => t.is_empty(),
                        Some(v) => v.as_str() == Some(t),
                    }
            }
            Wanted::SecretKey(s, k) => {
                e.get("value").is_none_or(Json::is_null)
                    && from
                        .and_then(|f| f.get("secretKeyRef"))
                        .is_some_and(|r| str_at(r, &["name"]) == Some(s) && str_at(r, &["key"]) == Some(k))
            }
            Wanted::Absent => false,
        }
    }
}

/// "Registry consumers": each variable set where the container does not
/// already say it once: the first entry of the name becomes the value in
/// place (a `valueFrom` replaced by a `value`, and the reverse), later
/// duplicates go, a missing one is appended; `Absent` removes every entry.
fn upsert_env(container: &mut Json, vars: &[(&str, Wanted)]) {
    for (var, wanted) in vars {
        let entries: Vec<&Json> = env_entries(container, var).collect();
        let says = match wanted {
            Wanted::Absent => entries.is_empty(),
            w => matches!(entries.as_slice(), [one] if w.said_by(one)),
        };
        if says {
            continue;
        }
        let obj = container.as_object_mut().expect("containers are mappings");
        let env = obj.entry("env").or_insert(Json::Null);
        if !env.is_array() {
            *env = json!([]);
        }
        let list = env.as_array_mut().expect("made a list above");
        let named = |e: &Json| str_at(e, &["name"]) == Some(var);
        let first = list.iter().position(named);
        let mut i = 0;
        list.retain(|e| {
            i += 1;
            !named(e) || (Some(i - 1) == first && *wanted != Wanted::Absent)
        });
        let item = match wanted {
            Wanted::Text(t) => json!({"name": var, "value": t}),
            Wanted::SecretKey(s, k) => json!({"name": var, "valueFrom": {"secretKeyRef": {"name": s, "key": k}}}),
            Wanted::Absent => continue,
        };
        match first.and_then(|f| list.get_mut(f)).and_then(Json::as_object_mut) {
            Some(existing) => match wanted {
                Wanted::Text(t) => {
                    existing.remove("valueFrom");
                    existing.insert("value".into(), json!(t));
                }
                _ => {
                    // Read from elsewhere (another Secret, a ConfigMap, a literal): replaced whole.
                    existing.remove("value");
                    existing.insert("valueFrom".into(), item["valueFrom"].clone());
                }
            },
            None => list.push(item),
        }
    }
}

/// Merge `fields` into `target`: mappings key by key, anything else replaced.
fn merge(target: &mut Json, fields: &Json) {
    match (target, fields) {
        (Json::Object(t), Json::Object(f)) => {
            for (k, v) in f {
                match t.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (t, f) => *t = f.clone(),
    }
}

/// Merge `fields` into the item named `fields.name` of the list at `key`
/// (the first of that name; later ones go; appended when missing).
fn upsert_named(parent: &mut Json, key: &str, fields: &Json) {
    let obj = parent.as_object_mut().expect("a mapping");
    let list = obj.entry(key).or_insert(Json::Null);
    if !list.is_array() {
        *list = json!([]);
    }
    let list = list.as_array_mut().expect("made a list above");
    let named = |i: &Json| i.get("name") == fields.get("name");
    let first = list.iter().position(named);
    let mut i = 0;
    list.retain(|item| {
        i += 1;
        !named(item) || Some(i - 1) == first
    });
    match first {
        Some(at) => merge(&mut list[at], fields),
        None => list.push(fields.clone()),
    }
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn metadata(name: &str, ns: Option<&str>) -> Json {
    let mut meta = Map::new();
    meta.insert("name".into(), json!(name));
    if let Some(ns) = ns {
        meta.insert("namespace".into(), json!(ns));
    }
    Json::Object(meta)
}

// ---- Deis Workflow and Hephy ------------------------------------------------------

fn registry_vars(config: &Config, prefix: &str) -> Vec<(&'static str, Wanted)> {
    vec![
        ("DEIS_REGISTRY_LOCATION", Wanted::text(&config.location)),
        ("DEIS_REGISTRY_SECRET_PREFIX", Wanted::text(prefix)),
    ]
}

fn deis_secret_data(config: &Config) -> Json {
    Json::Object(
        config
            .secret_data
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(b64(v))))
            .collect(),
    )
}

fn secret_meta(config: &Config) -> Json {
    json!({"labels": {"heritage": "deis"}, "annotations": {"deis.io/registry-location": config.location}})
}

/// The refresher's rules as (apiGroup, resource, verb, resourceName or "*",
/// nonResourceURL or "") tuples: what a ClusterRole allows.
pub fn rule_tuples(rules: &Json) -> Vec<[String; 5]> {
    let strings = |r: &Json, k: &str| -> Vec<String> {
        r.get(k)
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for rule in rules.as_array().into_iter().flatten() {
        let names = strings(rule, "resourceNames");
        let names = if names.is_empty() { vec!["*".to_owned()] } else { names };
        for url in strings(rule, "nonResourceURLs") {
            for verb in strings(rule, "verbs") {
                out.push([String::new(), String::new(), verb, String::new(), url.clone()]);
            }
        }
        for group in strings(rule, "apiGroups") {
            for resource in strings(rule, "resources") {
                for verb in strings(rule, "verbs") {
                    for n in &names {
                        out.push([group.clone(), resource.clone(), verb.clone(), n.clone(), String::new()]);
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Exactly the calls the refresher makes.
fn refresher_rules(prefix: &str, location: &str) -> Json {
    json!([
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": [format!("{prefix}-{location}")], "verbs": ["update"]},
    ])
}

/// A positive whole number as Go's `strconv.ParseInt` reads it.
fn positive(s: &str) -> Option<u64> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    (!digits.is_empty() && digits.len() < 10 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
        .filter(|n| *n > 0)
}

/// The refresher container (pointer) of a refresher: the one container
/// with a refresher image, the variables only it declares or the chart's
/// name for it, else the only container; none or several is ambiguous.
fn refresher_container(v: &Json) -> Result<Option<String>, Refusal> {
    let main: Vec<(String, &Json)> = containers(v)
        .into_iter()
        .filter(|(_, _, init)| !init)
        .map(|(p, c, _)| (p, c))
        .collect();
    let image = |c: &Json| str_at(c, &["image"]).is_some_and(|i| org_and_name(i).1 == "registry-token-refresher");
    let found: Vec<&String> = main
        .iter()
        .filter(|(_, c)| image(c) || declares(c, TOKEN_VAR) || declares(c, SCAN_VAR) || cname(c) == REFRESHER)
        .map(|(p, _)| p)
        .collect();
    match found.as_slice() {
        [p] => Ok(Some((*p).clone())),
        [] if main.len() <= 1 => Ok(main.first().map(|(p, _)| p.clone())),
        _ => Err(Refusal::RefresherAmbiguous),
    }
}

/// "Its image": configured, else the input refresher's, else the published
/// refresher beside the first image of Workflow's builder and controller
/// pods that comes from Deis's or Hephy's organisation, else Deis's.
fn refresher_image(plan: &Plan<'_>, input: Option<&str>) -> String {
    if let Some(image) = plan.config.refresher_image.clone().or_else(|| input.map(str::to_owned)) {
        return image;
    }
    let roles = [Role::Builder, Role::Controller];
    let images = roles
        .iter()
        .flat_map(|&r| plan.ours(r))
        .flat_map(|i| {
            containers(&plan.objects[i].v)
                .into_iter()
                .map(|(_, c, _)| c.clone())
                .collect::<Vec<_>>()
        })
        .filter_map(|c| str_at(&c, &["image"]).map(str::to_owned));
    for image in images {
        // Any image of their pods from one of the organisations (the tool's
        // reading of "the organisation Workflow's builder or controller image comes from").
        let tag = match org_and_name(&image).0.as_deref() {
            Some("deis") => "v1.1.3",
            Some("hephy") => "v1.2.2",
            _ => continue,
        };
        let bare = image.split('@').next().unwrap_or(&image);
        let beside = &bare[..bare.rfind('/').expect("an organisation") + 1];
        return format!("{beside}registry-token-refresher:{tag}");
    }
    DEIS_REFRESHER_IMAGE.to_owned()
}

fn deis(plan: &mut Plan<'_>) {
    let config = plan.config;
    let location = config.location.as_str();
    let needs_refresher = config.lifetime().is_some();
    let workflow = plan.has_workflow();
    for i in 0..plan.objects.len() {
        if plan.objects[i].orphan {
            plan.remove(i);
        }
    }
    // "Components per location".
    let registry = plan.ours(Role::Registry);
    if location != "on-cluster" && !config.keep_on_cluster_registry {
        registry.iter().for_each(|&i| plan.remove(i));
    }
    let workloads = !plan.ours(Role::Builder).is_empty() || !plan.ours(Role::Controller).is_empty();
    if location == "on-cluster" && workloads && registry.is_empty() && plan.additions_allowed {
        plan.refuse(Refusal::OnClusterWithoutRegistry);
    }
    if !needs_refresher {
        for role in [
            Role::Refresher,
            Role::RefresherAccount,
            Role::RefresherRules,
            Role::RefresherBinding,
        ] {
            plan.ours(role).into_iter().for_each(|i| plan.remove(i));
        }
    }
    // "registry-secret".
    if location == "on-cluster" {
        plan.ours(Role::Credentials).into_iter().for_each(|i| plan.remove(i));
    } else if let Some(i) = plan.keep_one(Role::Credentials, REGISTRY_SECRET) {
        let doc = plan.edit(i, "");
        merge(doc, &json!({"metadata": secret_meta(config)}));
        let obj = doc.as_object_mut().expect("a Secret");
        // No type is Opaque (the API server's default).
        if obj.get("type").and_then(Json::as_str).is_some_and(|t| t != "Opaque") {
            obj.insert("type".into(), json!("Opaque"));
        }
        obj.insert("data".into(), deis_secret_data(config));
        // A `stringData` of nothing (null, `{}`) merges nothing over `data`.
        if obj
            .get("stringData")
            .is_some_and(|s| s.as_object().is_none_or(|m| !m.is_empty()) && !s.is_null())
        {
            obj.remove("stringData");
        }
        plan.place(i);
    } else if workflow && plan.additions_allowed {
        let mut meta = metadata(REGISTRY_SECRET, plan.ns.name.as_deref());
        merge(&mut meta, &secret_meta(config));
        let doc = json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque",
                         "data": deis_secret_data(config)});
        plan.added.push((doc, None));
    }
    // "The chart's settings stand": the prefix the consumers agree on.
    let prefix = config.secret_prefix.clone().unwrap_or_else(|| {
        let found: Vec<String> = plan
            .consumers()
            .iter()
            .filter_map(|(i, c)| env_text(plan.objects[*i].v.pointer(c)?, prefix_var(Platform::Deis)))
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        match agreed(found) {
            Ok(Some(p)) => p,
            _ => "private-registry".to_owned(),
        }
    });
    if needs_refresher && workflow {
        refresher(plan, &prefix);
    }
    for (i, c) in plan.consumers() {
        if !plan.is_removed(i) {
            plan.want_env(i, &c, &registry_vars(config, &prefix));
        }
    }
}

/// "The refresher": one of it and of each of its access documents, able to start.
fn refresher(plan: &mut Plan<'_>, prefix: &str) {
    let config = plan.config;
    let kept = plan.keep_one(Role::Refresher, REFRESHER);
    let account = plan.keep_one(Role::RefresherAccount, REFRESHER);
    let role = plan.keep_one(Role::RefresherRules, REFRESHER_RBAC);
    let binding = plan.keep_one(Role::RefresherBinding, REFRESHER_RBAC);
    let found = match kept.map(|i| refresher_container(&plan.objects[i].v)) {
        Some(Err(r)) => {
            plan.refusals = vec![r];
            return;
        }
        Some(Ok(Some(c))) => kept.map(|i| (i, c)),
        _ => None,
    };
    if plan.hooks_only {
        return;
    }
    // Unknown, the run fails; the other refusals that apply are collected too.
    let ns = plan.ns.name.clone().unwrap_or_else(|| {
        plan.refuse(Refusal::NamespaceUnknown);
        String::new()
    });
    let input = found.as_ref().and_then(|(i, c)| plan.objects[*i].v.pointer(c)).cloned();
    let image = refresher_image(plan, input.as_ref().and_then(|c| str_at(c, &["image"])));
    // "Intervals it can parse".
    let own_token = input.as_ref().and_then(|c| env_text(c, TOKEN_VAR)).unwrap_or("");
    let (token, configured) = match config.token_refresh_time.as_str() {
        "" => (own_token.to_owned(), false),
        t => (t.to_owned(), true),
    };
    let lifetime = config.lifetime().expect("ecr or gcr");
    if !token.is_empty() && (is_stock_refresher(&image) || positive(&token).is_none_or(|m| m >= lifetime)) {
        plan.refuse(Refusal::TokenRefreshTime { configured });
    }
    if let (Some((i, c)), Some(input)) = (found.clone(), input) {
        let scan = match env_text(&input, SCAN_VAR).filter(|s| !s.is_empty()) {
            None => "5".to_owned(),
            Some(s) if positive(s).is_some() => s.to_owned(),
            Some(_) => {
                plan.refuse(Refusal::NamespaceRefreshTime);
                "5".to_owned()
            }
        };
        let mut vars = registry_vars(config, prefix);
        vars.push((SCAN_VAR, Wanted::Text(scan)));
        vars.push((TOKEN_VAR, Wanted::Text(token.clone())));
        plan.want_env(i, &c, &vars);
        let account_automount = account.and_then(|a| plan.objects[a].v.get("automountServiceAccountToken").cloned());
        can_start(plan, i, &c, &input, &image, account_automount);
    }
    match account {
        Some(a) => plan.place(a),
        None => plan.added.push((
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata(REFRESHER, Some(&ns))}),
            kept.map(|k| plan.objects[k].doc),
        )),
    }
    let rules = refresher_rules(prefix, &config.location);
    match role {
        Some(r) => {
            let doc = plan.edit(r, "");
            let obj = doc.as_object_mut().expect("a ClusterRole");
            if rule_tuples(obj.get("rules").unwrap_or(&Json::Null)) != rule_tuples(&rules) {
                obj.insert("rules".into(), rules);
            }
            if obj.get("aggregationRule").is_some_and(|a| !a.is_null()) {
                obj.remove("aggregationRule");
            }
        }
        None => plan.added.push((
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                   "metadata": metadata(REFRESHER_RBAC, None), "rules": rules}),
            kept.map(|k| plan.objects[k].doc),
        )),
    }
    let role_ref = json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": REFRESHER_RBAC});
    let subjects = json!([{"kind": "ServiceAccount", "name": REFRESHER, "namespace": ns}]);
    match binding {
        Some(b) => {
            let doc = plan.edit(b, "");
            let have_ref = doc.get("roleRef").cloned().unwrap_or(Json::Null);
            if str_at(&have_ref, &["kind"]) != Some("ClusterRole")
                || str_at(&have_ref, &["name"]) != Some(REFRESHER_RBAC)
            {
                merge(doc, &json!({"roleRef": role_ref}));
            }
            let right = matches!(doc.get("subjects").and_then(Json::as_array).map(Vec::as_slice), Some([s])
                if str_at(s, &["kind"]) == Some("ServiceAccount") && str_at(s, &["name"]) == Some(REFRESHER)
                    && str_at(s, &["namespace"]) == Some(ns.as_str()));
            if !right {
                doc.as_object_mut()
                    .expect("a binding")
                    .insert("subjects".into(), subjects);
            }
        }
        None => plan.added.push((
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                   "metadata": metadata(REFRESHER_RBAC, None), "roleRef": role_ref, "subjects": subjects}),
            kept.map(|k| plan.objects[k].doc),
        )),
    }
    if found.is_none() {
        let env: Vec<Json> = registry_vars(config, prefix)
            .into_iter()
            .chain([(SCAN_VAR, Wanted::text("5")), (TOKEN_VAR, Wanted::Text(token))])
            .map(|(n, w)| match w {
                Wanted::Text(t) => json!({"name": n, "value": t}),
                _ => unreachable!(),
            })
            .collect();
        let mut meta = metadata(REFRESHER, Some(&ns));
        merge(&mut meta, &json!({"labels": {"heritage": "deis"}}));
        plan.added.push((
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
                   "spec": {"template": {"spec": {"serviceAccountName": REFRESHER,
                       "containers": [{"name": REFRESHER, "image": image, "env": env, "volumeMounts": [mount()]}],
                       "volumes": [volume()]}}}}),
            None,
        ));
    }
}

fn mount() -> Json {
    json!({"name": REGISTRY_SECRET, "mountPath": CREDS_PATH, "readOnly": true})
}

fn volume() -> Json {
    json!({"name": REGISTRY_SECRET, "secret": {"secretName": REGISTRY_SECRET}})
}

/// "What it must have to start", for the refresher kept (object `i`,
/// container `c` as read from the input).
fn can_start(plan: &mut Plan<'_>, i: usize, c: &str, input: &Json, image: &str, account_automount: Option<Json>) {
    let (spec_path, spec) = pod(&plan.objects[i].v)
        .map(|(p, s)| (p, s.clone()))
        .expect("a workload");
    let mounts: Vec<Json> = input
        .get("volumeMounts")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let volumes: Vec<Json> = spec
        .get("volumes")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let is_secret_volume = |v: &Json| {
        let sources = v
            .as_object()
            .map_or(0, |m| m.iter().filter(|(k, x)| *k != "name" && !x.is_null()).count());
        sources == 1 && str_at(v, &["secret", "secretName"]) == Some(REGISTRY_SECRET)
    };
    let other_at_path = mounts
        .iter()
        .any(|m| str_at(m, &["mountPath"]) == Some(CREDS_PATH) && str_at(m, &["name"]) != Some(REGISTRY_SECRET));
    let own_volume = volumes.iter().find(|v| str_at(v, &["name"]) == Some(REGISTRY_SECRET));
    // Only some keys (`items`), or one path of the volume (`subPath`): the
    // refresher reads every key.
    let some_keys = |v: &Json| {
        at(v, &["secret", "items"])
            .and_then(Json::as_array)
            .is_some_and(|i| !i.is_empty())
    };
    let one_path = mounts.iter().any(|m| {
        (str_at(m, &["mountPath"]) == Some(CREDS_PATH) || str_at(m, &["name"]) == Some(REGISTRY_SECRET))
            && ["subPath", "subPathExpr"]
                .iter()
                .any(|k| str_at(m, &[k]).is_some_and(|p| !p.is_empty()))
    });
    if other_at_path || one_path || own_volume.is_some_and(|v| !is_secret_volume(v) || some_keys(v)) {
        plan.refuse(Refusal::CredentialsMount);
    }
    let container = plan.edit(i, c);
    let right = mounts
        .iter()
        .filter(|m| str_at(m, &["mountPath"]) == Some(CREDS_PATH) || str_at(m, &["name"]) == Some(REGISTRY_SECRET))
        .collect::<Vec<_>>();
    if !matches!(right.as_slice(), [m] if contains(m, &mount())) {
        upsert_named(container, "volumeMounts", &mount());
    }
    if str_at(container, &["image"]) != Some(image) {
        container
            .as_object_mut()
            .expect("a container")
            .insert("image".into(), json!(image));
    }
    let spec = plan.edit(i, spec_path);
    if own_volume.is_none() {
        upsert_named(spec, "volumes", &volume());
    }
    if account(spec) != Some(REFRESHER) {
        spec.as_object_mut()
            .expect("a pod spec")
            .insert("serviceAccountName".into(), json!(REFRESHER));
    }
    let pod_automount = spec.get("automountServiceAccountToken").and_then(Json::as_bool);
    if pod_automount.or(account_automount.as_ref().and_then(Json::as_bool)) == Some(false) {
        spec.as_object_mut()
            .expect("a pod spec")
            .insert("automountServiceAccountToken".into(), json!(true));
    }
    // "The post-condition": unique mount paths and volume names.
    let (container, spec) = (plan.edit(i, c).clone(), plan.edit(i, spec_path).clone());
    let unique = |list: Option<&Json>, key: &str| {
        let mut keys: Vec<&str> = list
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(|m| m.get(key)?.as_str())
            .collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        keys.len() == n
    };
    if !unique(container.get("volumeMounts"), "mountPath") || !unique(spec.get("volumes"), "name") {
        plan.refuse(Refusal::PostCondition("two mounts share a path, or two volumes a name"));
    }
    plan.place(i);
}

// ---- Drycc Workflow ------------------------------------------------------------

fn drycc(plan: &mut Plan<'_>) {
    let config = plan.config;
    let location = config.location.as_str();
    if !["on-cluster", "off-cluster"].contains(&location) {
        plan.refuse(Refusal::DryccLocation);
        return;
    }
    // "Renamed Secrets": a Secret whose name holds builder-secret's or
    // controller-creds' where none of that name is, or a builder volume (of the
    // two the tool reads) or login variable that reads a Secret whose name
    // holds one of Drycc's three but is not it.
    let names = ["builder-secret", "controller-creds", REGISTRY_SECRET];
    let renamed = |s: &str| names.iter().any(|n| s != *n && s.contains(n));
    for (role, n) in [
        (Role::Credentials, "builder-secret"),
        (Role::ControllerCredentials, "controller-creds"),
    ] {
        let other = plan.ours(Role::Other).into_iter().any(|i| {
            let v = &plan.objects[i].v;
            kind(v) == "Secret" && name(v) != n && name(v).contains(n)
        });
        if other && plan.ours(role).is_empty() {
            plan.refuse(Refusal::DryccRenamedSecret);
            return;
        }
    }
    for i in plan.ours(Role::Builder) {
        let v = &plan.objects[i].v;
        let volumes = pod(v)
            .and_then(|(_, spec)| spec.get("volumes")?.as_array())
            .into_iter()
            .flatten();
        let volume = volumes
            .filter(|vol| matches!(str_at(vol, &["name"]), Some("controller-creds" | REGISTRY_SECRET)))
            .any(|vol| str_at(vol, &["secret", "secretName"]).is_some_and(renamed));
        let login = containers(v).into_iter().any(|(_, c, _)| {
            DRYCC_BUILDER_VARS.iter().any(|(var, _)| {
                env_entries(c, var).any(|e| {
                    e.get("valueFrom").is_some_and(|f| !f.is_null())
                        && at(e, &["valueFrom", "secretKeyRef"])
                            .filter(|r| str_at(r, &["key"]).is_some())
                            .and_then(|r| str_at(r, &["name"]))
                            .is_some_and(renamed)
                })
            })
        });
        if volume || login {
            plan.refuse(Refusal::DryccRenamedSecret);
            return;
        }
    }
    for i in 0..plan.objects.len() {
        if plan.objects[i].orphan {
            plan.remove(i);
        }
    }
    // "on-cluster on a render with the builder and without the registry is exit 2".
    let registry = plan.ours(Role::Registry);
    let builder = !plan.ours(Role::Builder).is_empty();
    if location == "on-cluster" && builder && registry.is_empty() && plan.additions_allowed {
        plan.refuse(Refusal::OnClusterWithoutRegistry);
    }
    // Docker Hub (no host, or docker.io however written) is written docker.io.
    let host = match config.value("hostname") {
        h if ["", "docker.io", "index.docker.io", "registry-1.docker.io"]
            .contains(&h.to_ascii_lowercase().as_str()) =>
        {
            "docker.io"
        }
        h => h,
    };
    if location == "off-cluster" && !config.keep_on_cluster_registry {
        registry.iter().for_each(|&i| plan.remove(i));
    }
    let prefix_var = prefix_var(Platform::Drycc);
    // The node proxy's hostPort, else the chart's default.
    let port = registry
        .iter()
        .flat_map(|&i| containers(&plan.objects[i].v))
        .flat_map(|(_, c, _)| c.get("ports").and_then(Json::as_array).into_iter().flatten())
        .find_map(|p| p.get("hostPort")?.as_u64().filter(|&p| (1..=65535).contains(&p)))
        .unwrap_or(5555);
    let proxy = format!("127.0.0.1:{port}");
    for (i, c) in plan.consumers() {
        if plan.is_removed(i) {
            continue;
        }
        let container = plan.objects[i].v.pointer(&c).expect("a container").clone();
        let mut vars = vec![(location_var(Platform::Drycc), Wanted::text(location))];
        if let (Some(p), true) = (&config.secret_prefix, declares(&container, prefix_var)) {
            vars.push((prefix_var, Wanted::text(p)));
        }
        if location == "off-cluster" && plan.objects[i].role == Role::Builder {
            vars.extend(DRYCC_BUILDER_VARS.map(|(var, key)| (var, Wanted::SecretKey("builder-secret", key))));
            vars.push((DRYCC_PROXY_VAR, Wanted::Absent));
        }
        if location == "on-cluster" && plan.objects[i].role == Role::Builder {
            // The chart's on-cluster wiring; a literal proxy address stays.
            let proxy = env_text(&container, DRYCC_PROXY_VAR).map_or_else(|| proxy.clone(), str::to_owned);
            vars.extend([
                ("DRYCC_REGISTRY_HOST", Wanted::text("drycc-registry:5000")),
                (DRYCC_PROXY_VAR, Wanted::Text(proxy)),
                (
                    "DRYCC_REGISTRY_USERNAME",
                    Wanted::SecretKey(REGISTRY_SECRET, "username"),
                ),
                (
                    "DRYCC_REGISTRY_PASSWORD",
                    Wanted::SecretKey(REGISTRY_SECRET, "password"),
                ),
                ("DRYCC_REGISTRY_ORGANIZATION", Wanted::Absent),
            ]);
        }
        plan.want_env(i, &c, &vars);
    }
    if location != "off-cluster" {
        // On-cluster the chart renders no registry keys in either Secret.
        for i in [plan.ours(Role::Credentials), plan.ours(Role::ControllerCredentials)].concat() {
            if plan.is_removed(i) {
                continue;
            }
            // A field left with no key goes whole.
            let doc = plan.edit(i, "").as_object_mut().expect("a Secret");
            for field in ["data", "stringData"] {
                let Some(Json::Object(keys)) = doc.get_mut(field) else {
                    continue;
                };
                let all = keys.len();
                DRYCC_BUILDER_VARS.iter().for_each(|(_, k)| {
                    keys.remove(*k);
                });
                if keys.is_empty() && all > 0 {
                    doc.remove(field);
                }
            }
        }
        egress(plan, None);
        return;
    }
    let values = [
        host,
        config.value("username"),
        config.value("password"),
        config.value("organization"),
    ];
    let keys: Vec<(&str, String)> = DRYCC_BUILDER_VARS
        .iter()
        .map(|(_, k)| *k)
        .zip(values.map(b64))
        .collect();
    match plan.keep_one(Role::Credentials, "builder-secret") {
        Some(i) => merge_keys(plan, i, &keys),
        None if builder && plan.additions_allowed => {
            let data: Map<String, Json> = keys.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
            plan.added.push((
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": metadata("builder-secret", plan.ns.name.as_deref()),
                       "type": "Opaque", "data": data}),
                None,
            ));
        }
        None => {}
    }
    if let Some(i) = plan.keep_one(Role::ControllerCredentials, "controller-creds") {
        merge_keys(plan, i, &keys[..3]);
    }
    egress(plan, Some(host));
}

/// "imagebuilder's NetworkPolicy": a registry at a private IP address gets a
/// policy of its own, kept in step by later runs, removed when not needed.
fn egress(plan: &mut Plan<'_>, host: Option<&str>) {
    let policy = plan
        .objects
        .iter()
        .any(|o| o.ours && kind(&o.v) == "NetworkPolicy" && name(&o.v) == "drycc-imagebuilder");
    // `host`, `host:port`, `[v6]` or `[v6]:port`; an IPv4-mapped address is reached over IPv4.
    let host = host.unwrap_or("");
    let (addr, port) = match host.strip_prefix('[').and_then(|h| h.split_once(']')) {
        Some((v6, rest)) => (v6, rest.strip_prefix(':')),
        None => match host.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host, None),
        },
    };
    let port: u16 = port.and_then(|p| p.parse().ok()).unwrap_or(443);
    let ip = addr.parse::<std::net::IpAddr>().ok().map(|ip| ip.to_canonical());
    let private = ip.is_some_and(|ip| match ip {
        std::net::IpAddr::V4(v4) => v4.is_private() || v4.is_loopback() || v4.is_link_local(),
        std::net::IpAddr::V6(v6) => v6.segments()[0] & 0xfe00 == 0xfc00 || v6.is_loopback(),
    });
    let cidr = ip.map_or(String::new(), |ip| {
        format!("{ip}/{}", if ip.is_ipv4() { 32 } else { 128 })
    });
    let spec = json!({"podSelector": {"matchLabels": {"app": "drycc-imagebuilder"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": cidr}}], "ports": [{"protocol": "TCP", "port": port}]}]});
    let named: Vec<usize> = (0..plan.objects.len())
        .filter(|&i| {
            let o = &plan.objects[i];
            o.ours && kind(&o.v) == "NetworkPolicy" && name(&o.v) == "drycc-imagebuilder-registry"
        })
        .collect();
    // Only a copy with the tool's label is the tool's: the operator's own is
    // left alone, and refused where the tool needs the name.
    let (ours, theirs): (Vec<usize>, Vec<usize>) = named
        .into_iter()
        .partition(|&i| label(&plan.objects[i].v, GENERATED_BY) == Some("workflow-registry"));
    if !theirs.is_empty() {
        if policy && private {
            plan.refuse(Refusal::ForeignEgressPolicy);
        }
        ours.into_iter().for_each(|i| plan.remove(i));
        return;
    }
    // One of each: the one that belongs (the same order as keep_one's).
    let mut sorted = ours.clone();
    sorted.sort_by_key(|&i| {
        (
            !plan.ns.holds(namespace(&plan.objects[i].v)),
            is_hook(&plan.objects[i].v),
            i,
        )
    });
    let kept = sorted.first().copied();
    sorted.iter().skip(1).for_each(|&i| plan.remove(i));
    match (kept, policy && private) {
        (Some(i), false) => plan.remove(i),
        (Some(i), true) => {
            let doc = plan.edit(i, "");
            if doc.get("spec") != Some(&spec) {
                merge(doc, &json!({"spec": spec}));
            }
            plan.place(i);
        }
        (None, true) if plan.additions_allowed => plan.added.push((
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "metadata": metadata("drycc-imagebuilder-registry", plan.ns.name.as_deref()), "spec": spec}),
            None,
        )),
        (None, _) => {}
    }
}

/// Drycc's credentials Secrets: `keys` merged into their keys, the others
/// stay (a `stringData` key of the same name, which would win, goes).
fn merge_keys(plan: &mut Plan<'_>, i: usize, keys: &[(&str, String)]) {
    let doc = plan.edit(i, "").as_object_mut().expect("a Secret");
    let data = doc.entry("data").or_insert(Json::Null);
    if !data.is_object() {
        *data = json!({});
    }
    for (k, v) in keys {
        data[*k] = json!(v);
    }
    if let Some(Json::Object(string_data)) = doc.get_mut("stringData") {
        keys.iter().for_each(|(k, _)| {
            string_data.remove(*k);
        });
    }
    if doc
        .get("stringData")
        .is_some_and(|s| s.as_object().is_some_and(Map::is_empty))
    {
        doc.remove("stringData");
    }
    plan.place(i);
}

// ---- The whole model ------------------------------------------------------------

/// What the output must decode to, or the refusals one of which must end the run.
pub fn transform(docs: &[Json], config: &Config) -> Result<Vec<Expected>, Refusals> {
    // A configured refresh time is validated before any manifest is read (docs/configuration.md).
    let token = config.token_refresh_time.as_str();
    if !token.is_empty()
        && config
            .lifetime()
            .is_some_and(|l| positive(token).is_none_or(|m| m >= l))
    {
        return Err(vec![Refusal::TokenRefreshTime { configured: true }]);
    }
    if docs.iter().any(unreadable) {
        return Err(vec![Refusal::Unreadable]);
    }
    let mut all: Vec<(usize, String, Json)> = Vec::new();
    let mut plain_content = false;
    for (d, doc) in docs.iter().enumerate() {
        let mut found = Vec::new();
        objects_in(doc, String::new(), &mut found);
        plain_content |= found.is_empty() || found.iter().any(|(_, v)| !is_hook(v));
        all.extend(found.into_iter().map(|(p, v)| (d, p, v)));
    }
    let unchanged = || {
        docs.iter()
            .enumerate()
            .map(|(index, doc)| Expected::Input {
                index,
                doc: doc.clone(),
            })
            .collect()
    };
    let platform = match config.platform {
        Some("deis") => Platform::Deis,
        Some(_) => Platform::Drycc,
        None => {
            let found: Vec<Platform> = [Platform::Deis, Platform::Drycc]
                .into_iter()
                .filter(|&p| all.iter().any(|(_, _, v)| is_evidence(p, v)))
                .collect();
            match found.as_slice() {
                [] => return Ok(unchanged()),
                [one] => *one,
                _ => return Err(vec![Refusal::TwoPlatforms]),
            }
        }
    };
    let ns = discover(platform, &all, config)?;
    let ours = |v: &Json| namespace(v).is_none_or(|own| ns.name.as_deref() == Some(own));
    if all
        .iter()
        .any(|(_, _, v)| ours(v) && component_roles(platform, v).len() > 1)
    {
        return Err(vec![Refusal::TwoComponents]);
    }
    let objects = all
        .into_iter()
        .map(|(doc, ptr, v)| {
            let role = role(platform, &v);
            let ours = match namespace(&v) {
                None => true,
                Some(own) => ns.name.as_deref() == Some(own),
            };
            let generated = label(&v, GENERATED_BY) == Some("workflow-registry");
            Obj {
                doc,
                ptr,
                orphan: !ours && generated && role != Role::Other,
                v,
                role,
                ours,
            }
        })
        .collect();
    let mut plan = Plan {
        config,
        platform,
        ns,
        objects,
        out: docs.to_vec(),
        removed: Vec::new(),
        added: Vec::new(),
        additions_allowed: plain_content,
        hooks_only: !docs.is_empty() && !plain_content,
        refusals: Vec::new(),
    };
    match platform {
        Platform::Deis => deis(&mut plan),
        Platform::Drycc => drycc(&mut plan),
    }
    if !plan.refusals.is_empty() {
        return Err(plan.refusals);
    }
    // Removals: whole documents, and items of lists from the last.
    let mut items: Vec<(usize, String, usize)> = Vec::new();
    let mut gone = vec![false; docs.len()];
    for (d, p) in &plan.removed {
        match p.rsplit_once('/') {
            None => gone[*d] = true,
            Some((parent, i)) => items.push((*d, parent.to_owned(), i.parse().expect("an item index"))),
        }
    }
    // The deepest lists first, then from the last item: no removal moves another's place.
    items.sort_by_key(|(_, parent, i)| std::cmp::Reverse((parent.matches('/').count(), *i)));
    for (d, parent, i) in items {
        if let Some(Json::Array(list)) = plan.out[d].pointer_mut(&parent) {
            list.remove(i);
        }
    }
    let mut expected: Vec<Expected> = plan
        .out
        .into_iter()
        .enumerate()
        .filter(|(d, _)| !gone[*d])
        .map(|(index, doc)| Expected::Input { index, doc })
        .collect();
    expected.extend(
        plan.added
            .into_iter()
            .map(|(doc, before)| Expected::Added { doc, before }),
    );
    Ok(expected)
}

// ---- Comparing an output with the model ------------------------------------------

/// Whether `actual` holds everything `expected` says: every key of an
/// expected mapping with an equal value (recursively), lists equal item by
/// item.
pub fn contains(actual: &Json, expected: &Json) -> bool {
    match (actual, expected) {
        (Json::Object(a), Json::Object(e)) => e.iter().all(|(k, ev)| a.get(k).is_some_and(|av| contains(av, ev))),
        (Json::Array(a), Json::Array(e)) => a.len() == e.len() && a.iter().zip(e).all(|(av, ev)| contains(av, ev)),
        (a, e) => a == e,
    }
}

/// A ClusterRole's rules as the calls they allow, wherever one stands.
fn normalise(v: &Json) -> Json {
    let mut v = v.clone();
    let list = kind(&v).ends_with("List");
    if let (true, Some(Json::Array(items))) = (list, v.get_mut("items")) {
        for item in items.iter_mut() {
            *item = normalise(item);
        }
    } else if kind(&v) == "ClusterRole" {
        if let Some(rules) = v.get_mut("rules") {
            *rules = json!(rule_tuples(rules));
        }
    }
    v
}

/// Where two values first differ (a JSON pointer), and how.
fn difference(a: &Json, e: &Json) -> String {
    match (a, e) {
        (Json::Object(x), Json::Object(y)) => {
            let keys = x.keys().chain(y.keys().filter(|k| !x.contains_key(*k)));
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) if u == v => {}
                    (Some(u), Some(v)) => return format!("/{k}{}", difference(u, v)),
                    (Some(_), None) => return format!("/{k} (not expected)"),
                    _ => return format!("/{k} (missing)"),
                }
            }
            String::new()
        }
        (Json::Array(x), Json::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .position(|(u, v)| u != v)
            .map_or_else(String::new, |i| format!("/{i}{}", difference(&x[i], &y[i]))),
        (Json::Array(x), Json::Array(y)) => format!(" ({} items, not {})", x.len(), y.len()),
        _ => format!(" ({a} not {e})").chars().take(200).collect(),
    }
}

/// The identity of a document: kind/namespace/name.
pub fn key(doc: &Json) -> String {
    format!("{}/{}/{}", kind(doc), namespace(doc).unwrap_or(""), name(doc))
}

fn pretty(v: &Json) -> String {
    serde_json::to_string_pretty(v).expect("JSON")
}

/// Compare an output (decoded) with the model's expectation. Input documents
/// must come out in input order and decode as expected; added ones stand
/// where the model says and contain what it says. Returns a description of
/// the first difference.
pub fn compare(actual: &[Json], expected: &[Expected]) -> Result<(), String> {
    let mut used = vec![None; actual.len()];
    let mut cursor = 0;
    for e in expected {
        if let Expected::Input { index, doc } = e {
            let found = (cursor..actual.len()).find(|&i| used[i].is_none() && key(&actual[i]) == key(doc));
            let Some(i) = found else {
                return Err(format!(
                    "input document {index} ({}) is missing from the output (or out of order)",
                    key(doc)
                ));
            };
            if normalise(&actual[i]) != normalise(doc) {
                return Err(format!(
                    "input document {index} ({}) differs at {}; it decodes to\n{}\nbut must decode to\n{}",
                    key(doc),
                    difference(&normalise(&actual[i]), &normalise(doc)),
                    pretty(&actual[i]),
                    pretty(doc)
                ));
            }
            used[i] = Some(*index);
            cursor = i + 1;
        }
    }
    let last_input = used.iter().rposition(Option::is_some);
    for e in expected {
        let Expected::Added { doc, before } = e else { continue };
        let found = (0..actual.len()).find(|&i| used[i].is_none() && key(&actual[i]) == key(doc));
        let Some(i) = found else {
            return Err(format!("the added document {} is missing", key(doc)));
        };
        let a = &actual[i];
        let exact = |p: &str| a.pointer(p) == doc.pointer(p);
        if !contains(&normalise(a), &normalise(doc)) || !exact("/metadata/namespace") || !exact("/data") {
            return Err(format!(
                "the added document {} is\n{}\nbut must hold\n{}",
                key(doc),
                pretty(a),
                pretty(doc)
            ));
        }
        let placed = match before {
            Some(b) => used.iter().position(|u| *u == Some(*b)).is_none_or(|at| i < at),
            None => last_input.is_none_or(|last| i > last),
        };
        if !placed {
            return Err(format!(
                "the added document {} stands at {i}, not {}",
                key(doc),
                before.map_or("after the input's documents".to_owned(), |b| format!(
                    "before input document {b}"
                ))
            ));
        }
        used[i] = Some(usize::MAX);
    }
    if let Some(i) = used.iter().position(Option::is_none) {
        return Err(format!(
            "the output holds a document the model does not expect: {}",
            key(&actual[i])
        ));
    }
    Ok(())
}
