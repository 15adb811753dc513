//! What a document is, read as Kubernetes decodes it (never as spelled): its identity and the few
//! facts of each kind the registry configuration depends on; later steps see only these facts.

use std::collections::HashSet;

use serde_json::Value as Json;

use crate::yaml::yaml11::Seg;

/// Kinds that run pods, and where each keeps its pod spec.
const WORKLOADS: [(&[&str], &[&str]); 4] = [
    (&["Pod"], &["spec"]),
    (&["Deployment", "DaemonSet", "StatefulSet"], TEMPLATE),
    (&["ReplicaSet", "ReplicationController", "Job"], TEMPLATE),
    (&["CronJob"], &["spec", "jobTemplate", "spec", "template", "spec"]),
];
const TEMPLATE: &[&str] = &["spec", "template", "spec"];

const RBAC: &str = "rbac.authorization.k8s.io";

/// The API groups of the built-in kinds the tool reads. One of these kinds in another group is a
/// custom resource no Workflow component reads: named with its group (`Secret.vault.example.com`),
/// a kind the tool never touches.
const BUILTIN_GROUPS: [(&[&str], &[&str]); 7] = [
    (&["Secret", "ServiceAccount", "Service"], &[""]),
    (&["ConfigMap", "Pod", "ReplicationController"], &[""]),
    (&["Deployment", "DaemonSet", "ReplicaSet"], &["apps", "extensions"]),
    (&["StatefulSet"], &["apps"]),
    (&["Job", "CronJob"], &["batch"]),
    (&["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"], &[RBAC]),
    (&["NetworkPolicy"], &["networking.k8s.io", "extensions"]),
];

/// Cluster-scoped kinds the tool reads: the API server ignores their namespace, and so does the tool.
const CLUSTER_SCOPED: [&str; 2] = ["ClusterRole", "ClusterRoleBinding"];

/// `kind` with its group when `api_version` names another than the built-in kind's. Without an
/// `apiVersion` (which the API server refuses) it is taken as written.
fn qualified(kind: String, api_version: Option<&str>) -> String {
    let Some(api_version) = api_version else {
        return kind;
    };
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    match BUILTIN_GROUPS.iter().find(|(kinds, _)| kinds.contains(&kind.as_str())) {
        Some((_, groups)) if !groups.contains(&group) => format!("{kind}.{group}"),
        _ => kind,
    }
}

/// Helm's mark of a hook.
pub const HOOK_ANNOTATION: &str = "helm.sh/hook";

/// A Kubernetes object: a document, or an item of a `kind: List` (kubectl applies the items).
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Where it stands in its document: empty, or `items[i]` (deeper for lists in lists).
    pub path: Vec<Seg>,
    pub kind: String,
    pub name: String,
    /// `None` when absent, null or empty.
    pub namespace: Option<String>,
    /// The labels and annotations the tool reads (see [`Reading`]) that are text (null is "").
    pub labels: Vec<(&'static str, String)>,
    pub annotations: Vec<(&'static str, String)>,
    /// Whether a `--select` query selects the object.
    pub selected: bool,
    pub body: Body,
}

/// What the registry configuration reads of each kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Workload(Box<Pod>),
    Secret(Box<Secret>),
    ServiceAccount {
        /// `automountServiceAccountToken`, when it is a boolean.
        automount: Option<bool>,
    },
    ClusterRole(Box<ClusterRole>),
    /// A NetworkPolicy: its `spec`, of one whose content the tool reads.
    NetworkPolicy(Box<Json>),
    /// A RoleBinding or ClusterRoleBinding.
    Binding(Box<Binding>),
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRole {
    /// `rules`, of a role whose content the tool reads (see [`Reading`]).
    pub rules: Json,
    pub aggregated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub role_ref: Option<(String, String)>,
    pub subjects: Vec<Subject>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    pub secret_type: String,
    /// `data` in document order, values as written (base64; `None`: not text, null included, which
    /// the tool writes as `""`); values empty where the tool does not read the content.
    pub data: Vec<(String, Option<String>)>,
    /// The keys of `stringData` (merged over `data`); `None` when it merges nothing (absent, null,
    /// `{}`), no keys when it is not a mapping (which the API server rejects).
    pub string_data: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pod {
    /// Where the pod spec stands in the object.
    pub spec: &'static [&'static str],
    /// `serviceAccountName`, else the deprecated `serviceAccount`.
    pub service_account: Option<String>,
    pub automount: Option<bool>,
    /// `spec.replicas` of the workload is 0.
    pub scaled_to_zero: bool,
    /// Init containers first, then containers.
    pub containers: Vec<Container>,
    /// The volumes the tool reads (see [`Reading`]).
    pub volumes: Vec<Volume>,
    /// Whether no two volumes of the pod share a name.
    pub volume_names_unique: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub init: bool,
    /// Its position in `initContainers` or `containers`.
    pub index: usize,
    pub name: String,
    pub image: Option<String>,
    /// The variables the tool reads (see [`Reading`]).
    pub env: Vec<EnvVar>,
    /// The mounts the tool reads: at the paths it reads, or of the volumes.
    pub mounts: Vec<Mount>,
    /// Whether no two mounts of the container share a path.
    pub mount_paths_unique: bool,
    /// The `hostPort` of each of its ports that has one.
    pub host_ports: Vec<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub name: String,
    pub value: EnvValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvValue {
    /// `value` (absent or null: empty).
    Text(String),
    /// `valueFrom.secretKeyRef`.
    SecretKey { secret: String, key: String },
    /// Another `valueFrom`, or a value Kubernetes rejects.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub volume: String,
    pub path: String,
    pub read_only: bool,
    /// `subPath` or `subPathExpr`: one file or directory of the volume, not all of it.
    pub sub_path: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    pub name: String,
    /// `secret.secretName`.
    pub secret: Option<String>,
    /// `secret.items` lists keys: only those are projected, not the whole secret.
    pub secret_items: bool,
    /// How many volume sources it names (Kubernetes accepts exactly one).
    pub sources: usize,
}

/// Why a document cannot be read: where (a path in it) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub path: Vec<Seg>,
    pub message: String,
}

/// What the reader keeps besides each kind's facts: `--select` over each object, and what is read later.
#[derive(Clone, Copy)]
pub struct Reading<'r> {
    pub selects: &'r (dyn Fn(&Json) -> bool + Sync),
    pub labels: &'static [&'static str],
    pub annotations: &'static [&'static str],
    /// The environment variables whose entries are kept.
    pub env: &'static [&'static str],
    /// The Secrets and ClusterRoles (by name) whose data values or rules are kept.
    pub contents: &'r [&'r str],
    /// The mounts (by path) and volumes (by name) kept.
    pub mount_paths: &'static [&'static str],
    pub volumes: &'static [&'static str],
    /// Whether an object may matter: a document with none that may is kept as text only.
    pub matters: &'r (dyn Fn(&Resource) -> bool + Sync),
}

/// How deep lists of lists are read.
const MAX_LIST_DEPTH: usize = 8;

impl Resource {
    /// The objects of a decoded document (itself, or a list's items). A kind, name or namespace
    /// that is not text is refused: whose it is cannot be told.
    pub fn read_all(doc: &Json, reading: Reading<'_>) -> Result<Vec<Resource>, Unreadable> {
        let mut out = Vec::new();
        read_into(doc, Vec::new(), reading, &mut out)?;
        // Kept for the whole run, one per document: no spare capacity.
        out.shrink_to_fit();
        Ok(out)
    }

    pub fn pod(&self) -> Option<&Pod> {
        match &self.body {
            Body::Workload(pod) => Some(pod),
            _ => None,
        }
    }

    /// Where `keys` (relative to the object) stand in the document.
    pub fn path_to(&self, keys: &[&str]) -> Vec<Seg> {
        joined(&self.path, keys)
    }

    /// Where its pod spec stands in the document (`spec.template.spec`).
    pub fn pod_path(&self) -> Vec<Seg> {
        self.path_to(self.pod().map_or(&[], |p| p.spec))
    }

    /// Where container `c` of its pod stands in the document.
    pub fn container_path(&self, c: &Container) -> Vec<Seg> {
        let mut at = self.pod_path();
        let list = if c.init { "initContainers" } else { "containers" };
        at.extend([Seg::Key(list.into()), Seg::Index(c.index)]);
        at
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        lookup(&self.labels, key)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        lookup(&self.annotations, key)
    }

    pub fn is_hook(&self) -> bool {
        self.annotation(HOOK_ANNOTATION).is_some()
    }

    /// "Deployment/deis-builder".
    pub fn id(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }
}

fn joined(path: &[Seg], keys: &[&str]) -> Vec<Seg> {
    let mut at = path.to_vec();
    at.extend(keys.iter().map(|k| Seg::Key((*k).into())));
    at
}

fn lookup<'a>(pairs: &'a [(&'static str, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str())
}

fn read_into(doc: &Json, path: Vec<Seg>, reading: Reading<'_>, out: &mut Vec<Resource>) -> Result<(), Unreadable> {
    let kind = text_at(doc, &path, &["kind"])?.unwrap_or_default();
    let kind = qualified(kind, doc.get("apiVersion").and_then(Json::as_str));
    if let (true, Some(Json::Array(items))) = (kind.ends_with("List"), doc.get("items")) {
        // Each level of lists adds `items[i]` to the path.
        if path.len() / 2 >= MAX_LIST_DEPTH {
            return Err(Unreadable {
                path,
                message: format!("lists nested deeper than {MAX_LIST_DEPTH} levels"),
            });
        }
        for (i, item) in items.iter().enumerate() {
            let mut item_path = path.clone();
            item_path.extend([Seg::Key("items".into()), Seg::Index(i)]);
            read_into(item, item_path, reading, out)?;
        }
        return Ok(());
    }
    if !doc.is_object() {
        return Ok(());
    }
    let name = text_at(doc, &path, &["metadata", "name"])?.unwrap_or_default();
    let namespace = text_at(doc, &path, &["metadata", "namespace"])?
        .filter(|ns| !ns.is_empty())
        .filter(|_| !CLUSTER_SCOPED.contains(&kind.as_str()));
    // Null is the empty string to Kubernetes and Helm (`helm.sh/hook: ~` is a hook): JSON's null
    // leaves a Go string empty.
    let metadata = |key: &str, read: &'static [&'static str]| -> Vec<(&'static str, String)> {
        let map = doc.get("metadata").and_then(|m| m.get(key));
        let text = |v: &Json| Some(if v.is_null() { "" } else { v.as_str()? }.to_owned());
        read.iter().filter_map(|k| Some((*k, text(map?.get(*k)?)?))).collect()
    };
    out.push(Resource {
        labels: metadata("labels", reading.labels),
        annotations: metadata("annotations", reading.annotations),
        selected: (reading.selects)(doc),
        body: read_body(&kind, &name, doc, reading),
        kind,
        name,
        namespace,
        path,
    });
    Ok(())
}

/// The text at `keys`: `None` when absent or null, refused when it is not text.
fn text_at(doc: &Json, path: &[Seg], keys: &[&str]) -> Result<Option<String>, Unreadable> {
    match keys.iter().try_fold(doc, |v, k| v.get(k)) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Unreadable {
            path: joined(path, keys),
            message: format!(
                "`{}` is {}, not text: Kubernetes rejects the document, and whose it is cannot be told; quote it",
                keys.join("."),
                type_name(other)
            ),
        }),
    }
}

/// What a decoded value is, in words: "a list", "text".
pub(crate) fn type_name(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "text",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

fn str_of<'j>(v: &'j Json, keys: &[&str]) -> Option<&'j str> {
    keys.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

fn array<'j>(v: &'j Json, key: &str) -> &'j [Json] {
    v.get(key).and_then(Json::as_array).map_or(&[], Vec::as_slice)
}

fn read_body(kind: &str, name: &str, doc: &Json, reading: Reading<'_>) -> Body {
    if let Some((_, pod_path)) = WORKLOADS.iter().find(|(kinds, _)| kinds.contains(&kind)) {
        let Some(spec) = pod_path.iter().try_fold(doc, |v, k| v.get(k)).filter(|s| s.is_object()) else {
            return Body::Other;
        };
        let scaled_to_zero = doc.get("spec").and_then(|s| s.get("replicas")?.as_i64()) == Some(0);
        return Body::Workload(Box::new(read_pod(spec, pod_path, scaled_to_zero, reading)));
    }
    // What the tool reads of a Secret, ClusterRole or NetworkPolicy it reads the content of.
    let read = reading.contents.contains(&name);
    let content = |key: &str| doc.get(key).filter(|_| read).cloned().unwrap_or(Json::Null);
    match kind {
        "Secret" => Body::Secret(Box::new(Secret {
            secret_type: str_of(doc, &["type"]).unwrap_or("Opaque").to_owned(),
            data: {
                let value = |v: &Json| Some(if read { v.as_str()? } else { "" }.to_owned());
                let data = doc.get("data").and_then(Json::as_object);
                data.map_or_else(Vec::new, |m| m.iter().map(|(k, v)| (k.clone(), value(v))).collect())
            },
            string_data: match doc.get("stringData") {
                None | Some(Json::Null) => None,
                Some(Json::Object(m)) if m.is_empty() => None,
                Some(v) => Some(v.as_object().map_or_else(Vec::new, |m| m.keys().cloned().collect())),
            },
        })),
        "ServiceAccount" => Body::ServiceAccount {
            automount: doc.get("automountServiceAccountToken").and_then(Json::as_bool),
        },
        "ClusterRole" => Body::ClusterRole(Box::new(ClusterRole {
            rules: content("rules"),
            aggregated: doc.get("aggregationRule").is_some_and(|a| !a.is_null()),
        })),
        "RoleBinding" | "ClusterRoleBinding" => Body::Binding(Box::new(Binding {
            role_ref: doc
                .get("roleRef")
                .and_then(|r| Some((str_of(r, &["kind"])?.to_owned(), str_of(r, &["name"])?.to_owned()))),
            subjects: array(doc, "subjects")
                .iter()
                .map(|s| Subject {
                    kind: str_of(s, &["kind"]).unwrap_or_default().to_owned(),
                    name: str_of(s, &["name"]).unwrap_or_default().to_owned(),
                    namespace: str_of(s, &["namespace"]).filter(|n| !n.is_empty()).map(str::to_owned),
                })
                .collect(),
        })),
        "NetworkPolicy" => Body::NetworkPolicy(Box::new(content("spec"))),
        _ => Body::Other,
    }
}

fn read_pod(spec: &Json, at: &'static [&'static str], scaled_to_zero: bool, reading: Reading<'_>) -> Pod {
    let mut containers = Vec::new();
    for (list, init) in [("initContainers", true), ("containers", false)] {
        for (index, c) in array(spec, list).iter().enumerate() {
            containers.push(Container {
                init,
                index,
                name: str_of(c, &["name"]).unwrap_or_default().to_owned(),
                image: str_of(c, &["image"]).map(str::to_owned),
                env: array(c, "env")
                    .iter()
                    .filter_map(read_env)
                    .filter(|e| reading.env.contains(&e.name.as_str()))
                    .collect(),
                mounts: array(c, "volumeMounts")
                    .iter()
                    .filter(|m| {
                        str_of(m, &["mountPath"]).is_some_and(|p| reading.mount_paths.contains(&p))
                            || str_of(m, &["name"]).is_some_and(|v| reading.volumes.contains(&v))
                    })
                    .map(|m| Mount {
                        volume: str_of(m, &["name"]).unwrap_or_default().to_owned(),
                        path: str_of(m, &["mountPath"]).unwrap_or_default().to_owned(),
                        read_only: m.get("readOnly").and_then(Json::as_bool) == Some(true),
                        sub_path: ["subPath", "subPathExpr"]
                            .iter()
                            .any(|k| str_of(m, &[k]).is_some_and(|p| !p.is_empty())),
                    })
                    .collect(),
                mount_paths_unique: unique(array(c, "volumeMounts"), "mountPath"),
                host_ports: array(c, "ports")
                    .iter()
                    .filter_map(|p| p.get("hostPort")?.as_u64()?.try_into().ok())
                    .filter(|&p: &u16| p > 0)
                    .collect(),
            });
        }
    }
    containers.shrink_to_fit();
    let volumes = array(spec, "volumes")
        .iter()
        .filter(|v| str_of(v, &["name"]).is_some_and(|n| reading.volumes.contains(&n)))
        .map(|v| Volume {
            name: str_of(v, &["name"]).unwrap_or_default().to_owned(),
            secret: str_of(v, &["secret", "secretName"]).map(str::to_owned),
            secret_items: v
                .get("secret")
                .and_then(|s| s.get("items")?.as_array())
                .is_some_and(|items| !items.is_empty()),
            sources: v
                .as_object()
                .map_or(0, |m| m.iter().filter(|(k, v)| *k != "name" && !v.is_null()).count()),
        })
        .collect();
    let account = |key: &str| str_of(spec, &[key]).filter(|s| !s.is_empty());
    Pod {
        spec: at,
        service_account: account("serviceAccountName")
            .or_else(|| account("serviceAccount"))
            .map(str::to_owned),
        automount: spec.get("automountServiceAccountToken").and_then(Json::as_bool),
        scaled_to_zero,
        containers,
        volumes,
        volume_names_unique: unique(array(spec, "volumes"), "name"),
    }
}

/// Whether no two items of `list` have the same text at `key`.
fn unique(list: &[Json], key: &str) -> bool {
    let mut seen = HashSet::new();
    list.iter().filter_map(|i| str_of(i, &[key])).all(|k| seen.insert(k))
}

fn read_env(item: &Json) -> Option<EnvVar> {
    let name = str_of(item, &["name"])?.to_owned();
    let secret_key = |r: &Json| {
        let (secret, key) = (str_of(r, &["name"])?.to_owned(), str_of(r, &["key"])?.to_owned());
        Some(EnvValue::SecretKey { secret, key })
    };
    let value = match (item.get("value"), item.get("valueFrom")) {
        (_, Some(from)) if !from.is_null() => from.get("secretKeyRef").and_then(secret_key).unwrap_or(EnvValue::Other),
        (None | Some(Json::Null), _) => EnvValue::Text(String::new()),
        (Some(Json::String(s)), _) => EnvValue::Text(s.clone()),
        (Some(_), _) => EnvValue::Other,
    };
    Some(EnvVar { name, value })
}

impl Container {
    pub fn declares(&self, name: &str) -> bool {
        self.env.iter().any(|e| e.name == name)
    }

    /// The literal value of `name` as the kubelet reads it (the last entry).
    pub fn env_text(&self, name: &str) -> Option<&str> {
        match self.env.iter().rev().find(|e| e.name == name).map(|e| &e.value) {
            Some(EnvValue::Text(t)) => Some(t),
            _ => None,
        }
    }

    /// Whether `name` is set exactly once, to `value`.
    pub fn env_is(&self, name: &str, value: &EnvValue) -> bool {
        let mut entries = self.env.iter().filter(|e| e.name == name);
        entries.next().is_some_and(|e| e.value == *value) && entries.next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    impl Reading<'_> {
        /// Nothing selected, only Helm's hook annotation kept.
        pub(crate) const PLAIN: Reading<'static> = Reading {
            selects: &|_| false,
            labels: &[],
            annotations: &[HOOK_ANNOTATION],
            env: &[],
            contents: &[],
            mount_paths: &[],
            volumes: &[],
            matters: &|r| r.pod().is_some(),
        };
    }

    #[test]
    fn reads_workloads_in_lists_and_refuses_identities_that_are_not_text() {
        let doc = json!({"kind": "List", "items": [
            {"kind": "CronJob", "metadata": {"name": "c", "namespace": "", "labels": {"a": "b", "n": 1, "z": null}},
             "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                "serviceAccount": "old",
                "initContainers": [{"name": "i"}],
                "containers": [{"name": "m", "image": "x", "env": [
                    {"name": "A", "value": "1"}, {"name": "B"}, {"name": "C", "value": 5},
                    {"name": "D", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}]}}}}}},
            {"kind": "ConfigMap", "metadata": {"name": "m"}}]});
        let reading = Reading {
            labels: &["a", "n", "z"],
            env: &["A", "B", "C", "D"],
            ..Reading::PLAIN
        };
        let all = Resource::read_all(&doc, reading).unwrap();
        assert_eq!(all.len(), 2);
        let pod = all[0].pod().unwrap();
        assert_eq!(all[0].namespace, None);
        assert_eq!(all[0].labels, [("a", "b".to_owned()), ("z", String::new())]);
        assert_eq!(pod.service_account.as_deref(), Some("old"));
        let names: Vec<(&str, bool)> = pod.containers.iter().map(|c| (c.name.as_str(), c.init)).collect();
        assert_eq!(names, [("i", true), ("m", false)]);
        let m = &pod.containers[1];
        assert_eq!(all[0].container_path(m).len(), 9);
        assert_eq!(m.env_text("A"), Some("1"));
        assert_eq!(m.env_text("B"), Some(""));
        assert_eq!(m.env_text("C"), None);
        assert!(m.env_is(
            "D",
            &EnvValue::SecretKey {
                secret: "s".into(),
                key: "k".into()
            }
        ));
        assert!(!(reading.matters)(&all[1]));
        for bad in [
            json!({"kind": 1}),
            json!({"kind": "A", "metadata": {"namespace": true}}),
        ] {
            assert!(Resource::read_all(&bad, Reading::PLAIN).is_err(), "{bad}");
        }
    }
}
