//! The reference model of the transform (SPEC section 2), written on decoded
//! data and nothing else: given the input documents as Kubernetes decodes
//! them and the operator's settings, it says what every output document must
//! decode to. It shares no code with the product: it is a test oracle, and
//! the plainest statement of the semantics we could write.
//!
//! What counts as Workflow's (SPEC 2 and docs/semantics.md): a document is
//! Workflow's when it has no namespace, or the Workflow namespace when that
//! is known. A document in any other explicit namespace is never touched.
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
const LOCATION_VAR: &str = "DEIS_REGISTRY_LOCATION";
const PREFIX_VAR: &str = "DEIS_REGISTRY_SECRET_PREFIX";
const KNOWN_CONTAINERS: [&str; 3] = ["deis-builder", "deis-controller", REFRESHER];
const WORKLOADS: [&str; 8] = [
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Pod",
];

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

    fn needs_refresher(&self) -> bool {
        matches!(self.location.as_str(), "ecr" | "gcr")
    }
}

/// Why the model says the run must fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The refresher's ClusterRoleBinding needs the namespace, and nothing says it (exit 2).
    NamespaceUnknown,
    /// Workflow's own workloads disagree about their namespace: the manifest
    /// holds more than one Workflow, or a lookalike (exit 1, a bad manifest).
    NamespaceConflict,
    /// The operator named a namespace, and Workflow's workloads all stand in
    /// other explicit namespaces: nothing would be configured (exit 2).
    NamespaceMismatch,
    /// on-cluster, but the input holds Workflow without its registry (exit 2).
    OnClusterWithoutRegistry,
    /// A refresh time with a stock refresher image, which fails on one (exit 2).
    RefreshTimeWithStockRefresher,
    /// A refresher Deployment with several containers, none of which is the
    /// refresher by image, variables or name (exit 1, a bad manifest).
    RefresherAmbiguous,
}

impl Refusal {
    /// The exit status the tool must end with.
    pub fn exit_code(&self) -> i32 {
        match self {
            Refusal::NamespaceConflict | Refusal::RefresherAmbiguous => 1,
            _ => 2,
        }
    }
}

/// One expected output document.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// An input document (by input index) that must decode to exactly this.
    Input { index: usize, doc: Json },
    /// A document the tool adds; `doc` holds what it must contain at least
    /// (see [`contains`]): generated documents may carry more labels.
    Added { doc: Json },
    /// An input document (by input index) the tool brings up to date where
    /// it stands (the refresher's access documents): it must contain at
    /// least `doc`; a ClusterRole's rules compare as the calls they allow.
    Reconciled { index: usize, key: String, doc: Json },
}

impl Expected {
    pub fn doc(&self) -> &Json {
        match self {
            Expected::Input { doc, .. } | Expected::Added { doc } | Expected::Reconciled { doc, .. } => doc,
        }
    }
}

fn str_at<'j>(doc: &'j Json, path: &[&str]) -> Option<&'j str> {
    path.iter().try_fold(doc, |v, k| v.get(k))?.as_str()
}

fn kind(doc: &Json) -> &str {
    str_at(doc, &["kind"]).unwrap_or("")
}

fn name(doc: &Json) -> &str {
    str_at(doc, &["metadata", "name"]).unwrap_or("")
}

/// The explicit namespace of a document: null and "" mean none.
fn namespace(doc: &Json) -> Option<&str> {
    str_at(doc, &["metadata", "namespace"]).filter(|ns| !ns.is_empty())
}

fn is_hook(doc: &Json) -> bool {
    doc.pointer("/metadata/annotations/helm.sh~1hook").is_some()
}

/// Where a workload keeps its pod spec.
fn pod_spec_path(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" => Some("/spec"),
        "CronJob" => Some("/spec/jobTemplate/spec/template/spec"),
        k if WORKLOADS.contains(&k) => Some("/spec/template/spec"),
        _ => None,
    }
}

fn env_names(container: &Json) -> Vec<&str> {
    container
        .get("env")
        .and_then(Json::as_array)
        .map(|env| env.iter().filter_map(|e| e.get("name")?.as_str()).collect())
        .unwrap_or_default()
}

fn declares(container: &Json, var: &str) -> bool {
    env_names(container).contains(&var)
}

/// The entry that defines `var` in the container's environment: with
/// duplicate names the last one wins, as in the kubelet (which builds the
/// environment in list order, a later entry overriding an earlier one; the
/// API server warns that it "hides previous definition").
fn env_value<'j>(container: &'j Json, var: &str) -> Option<&'j Json> {
    container
        .get("env")?
        .as_array()?
        .iter()
        .rev()
        .find(|e| e.get("name").and_then(Json::as_str) == Some(var))
}

/// Every container and init container of a workload (pointer, container).
fn containers(doc: &Json) -> Vec<(String, &Json)> {
    let Some(spec_path) = pod_spec_path(kind(doc)) else {
        return vec![];
    };
    let mut out = Vec::new();
    for list in ["initContainers", "containers"] {
        let pointer = format!("{spec_path}/{list}");
        if let Some(items) = doc.pointer(&pointer).and_then(Json::as_array) {
            for (i, c) in items.iter().enumerate() {
                if c.is_object() {
                    out.push((format!("{pointer}/{i}"), c));
                }
            }
        }
    }
    out
}

fn is_legacy_rc(doc: &Json) -> bool {
    kind(doc) == "ReplicationController"
        && doc.pointer("/spec/replicas") == Some(&json!(0))
        && !containers(doc)
            .iter()
            .any(|(_, c)| declares(c, LOCATION_VAR) || declares(c, PREFIX_VAR))
}

/// The containers of a Workflow document that get the registry variables.
fn target_containers(doc: &Json) -> Vec<(String, &Json)> {
    if is_legacy_rc(doc) {
        return vec![];
    }
    containers(doc)
        .into_iter()
        .filter(|(_, c)| {
            let name = c.get("name").and_then(Json::as_str).unwrap_or("");
            KNOWN_CONTAINERS.contains(&name) || declares(c, LOCATION_VAR) || declares(c, PREFIX_VAR)
        })
        .collect()
}

/// The repository path of an image reference, without tag or digest.
fn repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    match image.rfind(':') {
        Some(colon) if !image[colon..].contains('/') => &image[..colon],
        _ => image,
    }
}

/// A refresher image, from any registry or organisation.
fn is_refresher_image(c: &Json) -> bool {
    c.get("image")
        .and_then(Json::as_str)
        .is_some_and(|i| repository(i).rsplit('/').next() == Some("registry-token-refresher"))
}

fn declares_refresher_vars(c: &Json) -> bool {
    declares(c, "DEIS_TOKEN_REFRESH_TIME") || declares(c, "DEIS_NAMESPACE_REFRESH_TIME")
}

/// The refresher container of a refresher Deployment (pointer): by its image,
/// else by the variables only it declares, else by its name, else the only
/// container; several candidates and none of these: the run must fail.
fn refresher_container(doc: &Json) -> Result<Option<String>, Refusal> {
    let main: Vec<(String, &Json)> = containers(doc)
        .into_iter()
        .filter(|(p, _)| p.contains("/containers/"))
        .collect();
    let by = |pred: &dyn Fn(&Json) -> bool| main.iter().find(|(_, c)| pred(c)).map(|(p, _)| p.clone());
    let named = |c: &Json| c.get("name").and_then(Json::as_str) == Some(REFRESHER);
    match by(&is_refresher_image)
        .or_else(|| by(&declares_refresher_vars))
        .or_else(|| by(&named))
    {
        Some(p) => Ok(Some(p)),
        None if main.len() <= 1 => Ok(main.first().map(|(p, _)| p.clone())),
        None => Err(Refusal::RefresherAmbiguous),
    }
}

/// The role a Workflow document plays for the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    OnClusterRegistry,
    RegistrySecret,
    Refresher,
    RefresherAccess,
    Other,
}

fn role(doc: &Json) -> Role {
    match (kind(doc), name(doc)) {
        ("Deployment" | "Service" | "ServiceAccount" | "ReplicationController", "deis-registry")
        | ("DaemonSet", "deis-registry-proxy") => Role::OnClusterRegistry,
        ("Secret", REGISTRY_SECRET) => Role::RegistrySecret,
        ("Deployment", REFRESHER) => Role::Refresher,
        ("ServiceAccount", REFRESHER) | ("ClusterRole" | "ClusterRoleBinding", REFRESHER_RBAC) => Role::RefresherAccess,
        _ => Role::Other,
    }
}

/// The Workflow namespace: the operator's word, else the namespace of
/// Workflow's own workloads, else the one the chart's RBAC subjects give
/// Workflow's service accounts.
pub fn workflow_namespace(docs: &[Json], config: &Config) -> Result<Option<String>, Refusal> {
    if let Some(ns) = &config.namespace {
        let workloads: Vec<&Json> = docs
            .iter()
            .filter(|d| kind(d) == "Deployment" && ["deis-builder", "deis-controller"].contains(&name(d)))
            .collect();
        if !workloads.is_empty() && workloads.iter().all(|d| namespace(d).is_some_and(|own| own != ns)) {
            return Err(Refusal::NamespaceMismatch);
        }
        return Ok(Some(ns.clone()));
    }
    // "No namespace" (the release namespace) counts as a namespace of its own here.
    let mut found: Vec<Option<&str>> = docs
        .iter()
        .filter(|d| kind(d) == "Deployment" && ["deis-builder", "deis-controller"].contains(&name(d)))
        .map(|d| namespace(d))
        .collect();
    found.sort_unstable();
    found.dedup();
    match found.as_slice() {
        [Some(one)] => return Ok(Some((*one).to_owned())),
        [] | [None] => {}
        _ => return Err(Refusal::NamespaceConflict),
    }
    // The chart's own bindings (named `deis-*` or `deis:*`; the refresher's
    // is this tool's) give Workflow's service accounts (`deis-*`) the release
    // namespace; they must agree.
    let mut from_rbac: Vec<&str> = docs
        .iter()
        .filter(|d| matches!(kind(d), "RoleBinding" | "ClusterRoleBinding"))
        .filter(|d| (name(d).starts_with("deis-") || name(d).starts_with("deis:")) && name(d) != REFRESHER_RBAC)
        .filter_map(|d| d.get("subjects")?.as_array())
        .flatten()
        .filter(|s| {
            s.get("kind").and_then(Json::as_str) == Some("ServiceAccount")
                && s.get("name")
                    .and_then(Json::as_str)
                    .is_some_and(|n| n.starts_with("deis-"))
        })
        .filter_map(|s| s.get("namespace")?.as_str())
        .filter(|ns| !ns.is_empty())
        .collect();
    from_rbac.sort_unstable();
    from_rbac.dedup();
    match from_rbac.as_slice() {
        [one] => return Ok(Some((*one).to_owned())),
        [] => {}
        _ => return Err(Refusal::NamespaceConflict),
    }
    // Last: the namespace of what this tool generated on an earlier run.
    let mut generated: Vec<&str> = docs
        .iter()
        .filter(|d| d.pointer("/metadata/labels/registry.deis.io~1generated-by") == Some(&json!("workflow-registry")))
        .filter_map(|d| namespace(d))
        .collect();
    generated.sort_unstable();
    generated.dedup();
    match generated.as_slice() {
        [one] => Ok(Some((*one).to_owned())),
        [] => Ok(None),
        _ => Err(Refusal::NamespaceConflict),
    }
}

fn is_workflows(doc: &Json, ns: Option<&str>) -> bool {
    match (namespace(doc), ns) {
        (None, _) => true,
        (Some(own), Some(wanted)) => own == wanted,
        (Some(_), None) => false,
    }
}

/// The secret prefix: the operator's, else the one the chart rendered on
/// every registry-consuming container (when they agree), else the default.
fn secret_prefix(docs: &[&Json], config: &Config) -> String {
    if let Some(p) = &config.secret_prefix {
        return p.clone();
    }
    let mut seen: Vec<&str> = docs
        .iter()
        .flat_map(|d| target_containers(d))
        .filter_map(|(_, c)| env_value(c, PREFIX_VAR)?.get("value")?.as_str())
        .filter(|p| !p.is_empty())
        .collect();
    seen.sort_unstable();
    seen.dedup();
    match seen.as_slice() {
        [one] => (*one).to_owned(),
        _ => "private-registry".to_owned(),
    }
}

/// The refresher image: the operator's, else the input's own refresher, else
/// Hephy's when the platform's images are Hephy's, else Deis's.
fn refresher_image(docs: &[&Json], config: &Config) -> String {
    if let Some(image) = &config.refresher_image {
        return image.clone();
    }
    // The input's refresher is the first (a later one is a duplicate, removed):
    // its image, if it has one; another duplicate's image never counts.
    let own = docs
        .iter()
        .find(|d| role(d) == Role::Refresher)
        .and_then(|d| d.pointer(&refresher_container(d).ok()??))
        .and_then(|c| c.get("image")?.as_str());
    if let Some(image) = own {
        return image.to_owned();
    }
    // The platform is Hephy's when its builder or controller runs Hephy's
    // images (`hephy/...`, `quay.io/hephy/...`).
    let hephy = docs
        .iter()
        .filter(|d| kind(d) == "Deployment" && ["deis-builder", "deis-controller"].contains(&name(d)))
        .flat_map(|d| containers(d))
        .filter_map(|(_, c)| c.get("image")?.as_str())
        .any(|i| repository(i).rsplit('/').nth(1) == Some("hephy"));
    if hephy {
        HEPHY_REFRESHER_IMAGE
    } else {
        DEIS_REFRESHER_IMAGE
    }
    .to_owned()
}

/// Set `vars` on a container's env: an existing entry (the first of that
/// name) becomes a literal value where it stands, later duplicates go, new
/// variables are appended in order.
fn upsert_env(container: &mut Json, vars: &[(&str, String)]) {
    let obj = container.as_object_mut().expect("containers are mappings");
    let env = obj.entry("env").or_insert(Json::Null);
    if !env.is_array() {
        *env = Json::Array(vec![]);
    }
    let list = env.as_array_mut().expect("made a list above");
    for (var, value) in vars {
        let mut first = None;
        let mut i = 0;
        list.retain(|item| {
            let same = item.get("name").and_then(Json::as_str) == Some(var);
            let keep = !same || first.is_none();
            if same && first.is_none() {
                first = Some(i);
            }
            i += usize::from(keep);
            keep
        });
        match first {
            Some(at) => {
                let item = list[at].as_object_mut().expect("env items are mappings");
                item.remove("valueFrom");
                item.insert("value".into(), Json::String(value.clone()));
            }
            None => list.push(json!({"name": var, "value": value})),
        }
    }
}

/// Merge `fields` into the item named `name` of the list at `key` (added at
/// the end when missing); nested mappings merge key by key.
fn upsert_named(parent: &mut Json, key: &str, fields: &Json) {
    let obj = parent.as_object_mut().expect("a mapping");
    let list = obj.entry(key).or_insert(Json::Null);
    if !list.is_array() {
        *list = Json::Array(vec![]);
    }
    let list = list.as_array_mut().expect("made a list above");
    let name = &fields["name"];
    match list.iter_mut().find(|i| i.get("name") == Some(name)) {
        Some(item) => merge(item, fields),
        None => list.push(fields.clone()),
    }
}

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

fn registry_vars(location: &str, prefix: &str) -> Vec<(&'static str, String)> {
    vec![(LOCATION_VAR, location.to_owned()), (PREFIX_VAR, prefix.to_owned())]
}

fn secret_data(config: &Config) -> Json {
    let b64 = base64::engine::general_purpose::STANDARD;
    Json::Object(
        config
            .secret_data
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Json::String(b64.encode(v))))
            .collect(),
    )
}

/// An existing registry-secret made Workflow's for `config`.
fn rewrite_secret(mut doc: Json, config: &Config) -> Json {
    let obj = doc.as_object_mut().expect("a mapping");
    let meta = obj.entry("metadata").or_insert(json!({}));
    merge(
        meta,
        &json!({"labels": {"heritage": "deis"}, "annotations": {"deis.io/registry-location": config.location}}),
    );
    obj.insert("type".into(), json!("Opaque"));
    obj.insert("data".into(), secret_data(config));
    obj.remove("stringData");
    doc
}

fn metadata(name: &str, ns: Option<&str>) -> Json {
    let mut meta = Map::new();
    meta.insert("name".into(), json!(name));
    if let Some(ns) = ns {
        meta.insert("namespace".into(), json!(ns));
    }
    Json::Object(meta)
}

fn new_secret(config: &Config, ns: Option<&str>) -> Json {
    let mut meta = metadata(REGISTRY_SECRET, ns);
    merge(
        &mut meta,
        &json!({"labels": {"heritage": "deis"}, "annotations": {"deis.io/registry-location": config.location}}),
    );
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", "data": secret_data(config)})
}

/// The refresher's rules, as (apiGroup, resource, verb, resourceName or "*")
/// tuples: exactly the calls it makes.
pub fn refresher_rules(prefix: &str, location: &str) -> Vec<(String, String, String, String)> {
    let t = |r: &str, v: &str, n: &str| (String::new(), r.to_owned(), v.to_owned(), n.to_owned());
    let mut rules = vec![
        t("namespaces", "list", "*"),
        t("secrets", "create", "*"),
        t("secrets", "update", &format!("{prefix}-{location}")),
    ];
    rules.sort();
    rules
}

/// The rules of a ClusterRole as sorted tuples (see [`refresher_rules`]).
pub fn rule_tuples(doc: &Json) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    let strings = |v: Option<&Json>| -> Vec<String> {
        v.and_then(Json::as_array)
            .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    for rule in doc.get("rules").and_then(Json::as_array).into_iter().flatten() {
        let names = strings(rule.get("resourceNames"));
        let names = if names.is_empty() { vec!["*".to_owned()] } else { names };
        for group in strings(rule.get("apiGroups")) {
            for resource in strings(rule.get("resources")) {
                for verb in strings(rule.get("verbs")) {
                    for n in &names {
                        out.push((group.clone(), resource.clone(), verb.clone(), n.clone()));
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A non-empty string value of `var` in a container (its last entry, as
/// the kubelet reads duplicates).
fn own_value<'j>(container: &'j Json, var: &str) -> Option<&'j str> {
    env_value(container, var)?
        .get("value")?
        .as_str()
        .filter(|v| !v.is_empty())
}

/// The refresh time the refresher gets: the operator's, else the one the
/// input's refresher already carries, else none (the provider default).
fn refresh_time(docs: &[&Json], config: &Config) -> String {
    if !config.token_refresh_time.is_empty() {
        return config.token_refresh_time.clone();
    }
    docs.iter()
        .find(|d| role(d) == Role::Refresher)
        .and_then(|d| d.pointer(&refresher_container(d).ok()??))
        .and_then(|c| own_value(c, "DEIS_TOKEN_REFRESH_TIME"))
        .unwrap_or_default()
        .to_owned()
}

/// A published Deis or Hephy refresher, v1.0.0 to v1.2.2: each fails with a
/// non-empty refresh time (v1.0.0 ignores it, the later ones panic on it).
fn is_stock_refresher(image: &str) -> bool {
    let stock = [
        "quay.io/deis/registry-token-refresher",
        "deis/registry-token-refresher",
        "docker.io/deis/registry-token-refresher",
        "hephy/registry-token-refresher",
        "docker.io/hephy/registry-token-refresher",
    ];
    let tag = image
        .split('@')
        .next()
        .unwrap_or(image)
        .rsplit_once(':')
        .map(|(_, t)| t);
    let version: Option<Vec<u32>> = tag
        .and_then(|t| t.strip_prefix('v'))
        .and_then(|t| t.split('.').map(|p| p.parse().ok()).collect());
    stock.contains(&repository(image))
        && matches!(version.as_deref(), Some([1, minor, patch]) if (*minor, *patch) <= (2, 2))
}

/// The refresher's own variables: the namespace scan interval is the one its
/// chart rendered (else Workflow's 5 seconds), the token refresh time the
/// effective one.
fn refresher_env(config: &Config, prefix: &str, namespace_refresh: &str, refresh: &str) -> Vec<(&'static str, String)> {
    let mut vars = registry_vars(&config.location, prefix);
    vars.push(("DEIS_NAMESPACE_REFRESH_TIME", namespace_refresh.to_owned()));
    vars.push(("DEIS_TOKEN_REFRESH_TIME", refresh.to_owned()));
    vars
}

fn mount() -> Json {
    json!({"name": REGISTRY_SECRET, "mountPath": CREDS_PATH, "readOnly": true})
}

fn volume() -> Json {
    json!({"name": REGISTRY_SECRET, "secret": {"secretName": REGISTRY_SECRET}})
}

/// Configure an existing refresher Deployment.
fn configure_refresher(
    mut doc: Json,
    config: &Config,
    prefix: &str,
    image: &str,
    refresh: &str,
) -> Result<Json, Refusal> {
    let spec_path = pod_spec_path("Deployment").expect("a workload");
    let chosen = refresher_container(&doc)?;
    // No container at all (a pod Kubernetes would refuse anyway): nothing to
    // configure, the document stays as it is.
    if chosen.is_none() {
        return Ok(doc);
    }
    // Other registry-consuming containers of the pod get the ordinary variables.
    let others: Vec<String> = target_containers(&doc)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| Some(p) != chosen.as_ref())
        .collect();
    for p in others {
        upsert_env(
            doc.pointer_mut(&p).expect("found above"),
            &registry_vars(&config.location, prefix),
        );
    }
    if let Some(p) = chosen {
        let c = doc.pointer_mut(&p).expect("found above");
        let namespace_refresh = own_value(c, "DEIS_NAMESPACE_REFRESH_TIME").unwrap_or("5").to_owned();
        upsert_env(c, &refresher_env(config, prefix, &namespace_refresh, refresh));
        upsert_named(c, "volumeMounts", &mount());
        c.as_object_mut()
            .expect("a mapping")
            .insert("image".into(), json!(image));
    }
    if let Some(spec) = doc.pointer_mut(spec_path).filter(|s| s.is_object()) {
        upsert_named(spec, "volumes", &volume());
        spec.as_object_mut()
            .expect("a mapping")
            .insert("serviceAccountName".into(), json!(REFRESHER));
    }
    Ok(doc)
}

fn new_refresher(config: &Config, prefix: &str, image: &str, refresh: &str, ns: Option<&str>) -> Json {
    let env: Vec<Json> = refresher_env(config, prefix, "5", refresh)
        .into_iter()
        .map(|(n, v)| json!({"name": n, "value": v}))
        .collect();
    let mut meta = metadata(REFRESHER, ns);
    merge(&mut meta, &json!({"labels": {"heritage": "deis"}}));
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
        "spec": {"template": {"spec": {
            "serviceAccountName": REFRESHER,
            "containers": [{"name": REFRESHER, "image": image, "env": env, "volumeMounts": [mount()]}],
            "volumes": [volume()],
        }}}
    })
}

fn new_service_account(ns: Option<&str>) -> Json {
    json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata(REFRESHER, ns)})
}

fn new_cluster_role() -> Json {
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": metadata(REFRESHER_RBAC, None)})
}

fn new_binding(ns: &str) -> Json {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": metadata(REFRESHER_RBAC, None),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": REFRESHER_RBAC},
        "subjects": [{"kind": "ServiceAccount", "name": REFRESHER, "namespace": ns}],
    })
}

/// The whole model: what the output must decode to, or why the run must fail.
pub fn transform(docs: &[Json], config: &Config) -> Result<Vec<Expected>, Refusal> {
    let ns = workflow_namespace(docs, config)?;
    let ns = ns.as_deref();
    let ours: Vec<&Json> = docs.iter().filter(|d| is_workflows(d, ns)).collect();
    let prefix = secret_prefix(&ours, config);
    let image = refresher_image(&ours, config);
    let refresh = refresh_time(&ours, config);
    let loc = config.location.as_str();
    let remove_registry = loc != "on-cluster" && !config.keep_on_cluster_registry;
    // Workflow's workloads: the builder and controller Deployments.
    let is_workload = |d: &&Json| kind(d) == "Deployment" && ["deis-builder", "deis-controller"].contains(&name(d));
    let has_workloads = ours.iter().any(is_workload);
    // A Workflow component: a workload, or any registry component of SPEC 2's table.
    let holds_workflow = ours.iter().any(|d| is_workload(d) || role(d) != Role::Other);
    // Helm 4's `separate` strategy post-renders the hooks on their own.
    let hooks_only = !docs.iter().any(|d| !is_hook(d));
    let has_registry = ours.iter().any(|d| role(d) == Role::OnClusterRegistry);
    if loc == "on-cluster" && has_workloads && !has_registry && !hooks_only {
        return Err(Refusal::OnClusterWithoutRegistry);
    }

    let mut out = Vec::new();
    let mut seen_secret = false;
    let mut seen_refresher = false;
    let mut seen = Vec::new();
    for (index, doc) in docs.iter().enumerate() {
        if !is_workflows(doc, ns) {
            out.push(Expected::Input {
                index,
                doc: doc.clone(),
            });
            continue;
        }
        let keep = |doc: Json| Expected::Input { index, doc };
        let r = role(doc);
        let expected = match r {
            Role::OnClusterRegistry if remove_registry => None,
            Role::RegistrySecret if loc == "on-cluster" || seen_secret => None,
            Role::RegistrySecret => {
                seen_secret = true;
                Some(keep(rewrite_secret(doc.clone(), config)))
            }
            Role::Refresher | Role::RefresherAccess if !config.needs_refresher() => None,
            // A second copy of a component the release holds once is removed,
            // the first in stream order kept (docs/semantics.md, "Components
            // per location"): as for the secret, so for the refresher and
            // each of its access documents.
            Role::Refresher if seen_refresher => None,
            Role::Refresher => {
                seen_refresher = true;
                Some(keep(configure_refresher(
                    doc.clone(),
                    config,
                    &prefix,
                    &image,
                    &refresh,
                )?))
            }
            Role::RefresherAccess if seen.iter().any(|k| k == kind(doc)) => None,
            Role::RefresherAccess => {
                // Brought to what the location and namespace need, where it stands.
                seen.push(kind(doc).to_owned());
                let wanted = match kind(doc) {
                    "ClusterRoleBinding" => {
                        let binding = new_binding(ns.ok_or(Refusal::NamespaceUnknown)?);
                        json!({"roleRef": binding["roleRef"], "subjects": binding["subjects"]})
                    }
                    "ClusterRole" => new_cluster_role(),
                    _ => doc.clone(),
                };
                Some(Expected::Reconciled {
                    index,
                    key: key(doc),
                    doc: wanted,
                })
            }
            Role::OnClusterRegistry | Role::Other => {
                let mut d = doc.clone();
                for (p, _) in target_containers(doc) {
                    upsert_env(d.pointer_mut(&p).expect("found above"), &registry_vars(loc, &prefix));
                }
                Some(keep(d))
            }
        };
        out.extend(expected);
    }

    let additions = !hooks_only && holds_workflow;
    if additions && loc != "on-cluster" && !seen_secret {
        out.push(Expected::Added {
            doc: new_secret(config, ns),
        });
    }
    if config.needs_refresher() && additions {
        if !refresh.is_empty() && is_stock_refresher(&image) {
            return Err(Refusal::RefreshTimeWithStockRefresher);
        }
        let ns_required = ns.ok_or(Refusal::NamespaceUnknown)?;
        let has_refresher = ours.iter().any(|d| role(d) == Role::Refresher);
        let missing = |k: &str| !seen.iter().any(|s| s == k);
        if missing("ServiceAccount") {
            out.push(Expected::Added {
                doc: new_service_account(ns),
            });
        }
        if missing("ClusterRole") {
            out.push(Expected::Added {
                doc: new_cluster_role(),
            });
        }
        if missing("ClusterRoleBinding") {
            out.push(Expected::Added {
                doc: new_binding(ns_required),
            });
        }
        if !has_refresher {
            out.push(Expected::Added {
                doc: new_refresher(config, &prefix, &image, &refresh, ns),
            });
        }
    }
    Ok(out)
}

/// Whether `actual` holds everything `expected` says: every key of an
/// expected mapping with an equal value (recursively), lists equal item by
/// item. A ClusterRole's rules compare as the calls they allow.
pub fn contains(actual: &Json, expected: &Json) -> bool {
    match (actual, expected) {
        (Json::Object(a), Json::Object(e)) => e.iter().all(|(k, ev)| a.get(k).is_some_and(|av| contains(av, ev))),
        (Json::Array(a), Json::Array(e)) => a.len() == e.len() && a.iter().zip(e).all(|(av, ev)| contains(av, ev)),
        (a, e) => a == e,
    }
}

/// Whether `actual` holds what an added or reconciled document must: a
/// ClusterRole exactly the refresher's calls, anything else [`contains`].
fn holds(actual: &Json, expected: &Json, config: &Config, prefix: &str) -> bool {
    if kind(actual) == "ClusterRole" {
        rule_tuples(actual) == refresher_rules(prefix, &config.location)
    } else {
        contains(actual, expected)
    }
}

/// The identity of a document: kind/namespace/name.
pub fn key(doc: &Json) -> String {
    format!("{}/{}/{}", kind(doc), namespace(doc).unwrap_or(""), name(doc))
}

/// Compare an output (decoded) with the model's expectation. Input documents
/// must come out in input order and decode exactly as expected; added ones
/// may stand anywhere and must contain what the model says. Returns a
/// description of the first difference.
pub fn compare(actual: &[Json], expected: &[Expected], config: &Config, prefix: &str) -> Result<(), String> {
    let mut used = vec![false; actual.len()];
    let mut cursor = 0;
    for e in expected {
        if let Expected::Reconciled {
            index,
            key: wanted,
            doc,
        } = e
        {
            let found = (cursor..actual.len()).find(|&i| !used[i] && &key(&actual[i]) == wanted);
            let Some(i) = found else {
                return Err(format!(
                    "input document {index} ({wanted}) is missing from the output (or out of order)"
                ));
            };
            if !holds(&actual[i], doc, config, prefix) {
                return Err(format!(
                    "input document {index} ({wanted}) is\n{}\nbut must hold\n{}",
                    serde_json::to_string_pretty(&actual[i]).unwrap(),
                    serde_json::to_string_pretty(doc).unwrap()
                ));
            }
            used[i] = true;
            cursor = i + 1;
        }
        if let Expected::Input { index, doc } = e {
            let found = (cursor..actual.len()).find(|&i| !used[i] && key(&actual[i]) == key(doc));
            let Some(i) = found else {
                return Err(format!(
                    "input document {index} ({}) is missing from the output (or out of order)",
                    key(doc)
                ));
            };
            if &actual[i] != doc {
                return Err(format!(
                    "input document {index} ({}) decodes to\n{}\nbut must decode to\n{}",
                    key(doc),
                    serde_json::to_string_pretty(&actual[i]).unwrap(),
                    serde_json::to_string_pretty(doc).unwrap()
                ));
            }
            used[i] = true;
            cursor = i + 1;
        }
    }
    for e in expected {
        if let Expected::Added { doc } = e {
            let found = (0..actual.len()).find(|&i| !used[i] && key(&actual[i]) == key(doc));
            let Some(i) = found else {
                return Err(format!("the added document {} is missing", key(doc)));
            };
            let a = &actual[i];
            if !holds(a, doc, config, prefix) {
                return Err(format!(
                    "the added document {} is\n{}\nbut must hold\n{}",
                    key(doc),
                    serde_json::to_string_pretty(a).unwrap(),
                    serde_json::to_string_pretty(doc).unwrap()
                ));
            }
            used[i] = true;
        }
    }
    if let Some(i) = used.iter().position(|u| !u) {
        return Err(format!(
            "the output holds a document the model does not expect: {}",
            key(&actual[i])
        ));
    }
    Ok(())
}

/// The prefix the model uses for `docs` (for [`compare`]).
pub fn prefix_for(docs: &[Json], config: &Config) -> String {
    let ns = workflow_namespace(docs, config).ok().flatten();
    let ours: Vec<&Json> = docs.iter().filter(|d| is_workflows(d, ns.as_deref())).collect();
    secret_prefix(&ours, config)
}
