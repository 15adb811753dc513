//! What the API server makes of a manifest: strict server-side dry runs, and
//! the pods that kube-controller-manager creates for its workloads (admission
//! checks each pod for real: its ServiceAccount, volumes, mounts).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use super::cluster::{ControlPlane, NODE};

/// `kind/name` of a decoded object.
pub fn key(doc: &Json) -> String {
    format!(
        "{}/{}",
        doc["kind"].as_str().unwrap_or(""),
        doc["metadata"]["name"].as_str().unwrap_or("")
    )
}

/// A document of an era whose API versions today's servers no longer serve,
/// as the server of that era stored it: `extensions/v1beta1` and
/// `apps/v1beta*` workloads become `apps/v1` (with the selector that
/// v1beta1 defaulted from the template's labels), `rbac/v1beta1` becomes
/// `rbac/v1`, `policy/v1beta1` PodDisruptionBudgets `policy/v1`. Nothing else
/// changes: what the tool wrote is what is checked.
pub fn as_served_today(mut doc: Json) -> Json {
    let api = doc["apiVersion"].as_str().unwrap_or("").to_owned();
    let kind = doc["kind"].as_str().unwrap_or("").to_owned();
    let workload = ["Deployment", "DaemonSet", "ReplicaSet", "StatefulSet"].contains(&kind.as_str());
    if workload && (api == "extensions/v1beta1" || api.starts_with("apps/v1beta")) {
        doc["apiVersion"] = "apps/v1".into();
        if doc["spec"].get("selector").is_none() {
            let labels = doc["spec"]["template"]["metadata"]["labels"].clone();
            doc["spec"]["selector"] = serde_json::json!({"matchLabels": labels});
        }
    } else if api == "rbac.authorization.k8s.io/v1beta1" {
        doc["apiVersion"] = "rbac.authorization.k8s.io/v1".into();
    } else if api == "policy/v1beta1" && kind == "PodDisruptionBudget" {
        doc["apiVersion"] = "policy/v1".into();
    }
    doc
}

/// Kinds that live outside namespaces (of those a Workflow manifest can hold).
const CLUSTER_SCOPED: [&str; 8] = [
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "Node",
];

/// `docs` with `namespace` written into every namespaced one that names
/// none (what Helm does with the release namespace).
pub fn in_namespace(docs: &[Json], namespace: &str) -> Vec<Json> {
    docs.iter()
        .cloned()
        .map(|mut d| {
            let scoped = CLUSTER_SCOPED.contains(&d["kind"].as_str().unwrap_or(""));
            if !scoped && d["metadata"]["namespace"].as_str().is_none_or(str::is_empty) {
                d["metadata"]["namespace"] = namespace.into();
            }
            d
        })
        .collect()
}

/// Whether `doc` is of a cluster-scoped kind.
pub fn cluster_scoped(doc: &Json) -> bool {
    CLUSTER_SCOPED.contains(&doc["kind"].as_str().unwrap_or(""))
}

/// A `kind: List` of `docs`, as kubectl reads it from a file.
pub fn list(docs: &[Json]) -> String {
    serde_json::json!({"apiVersion": "v1", "kind": "List", "items": docs}).to_string()
}

/// Helm's install order (pkg/release/util/kind_sorter.go): what a workload
/// needs (its ServiceAccount, Secrets, RBAC) exists before the workload, as
/// when Helm installs a chart; other kinds keep their place, after these.
const INSTALL_ORDER: [&str; 37] = [
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
];

/// `docs` in [`INSTALL_ORDER`] (a stable sort).
pub fn install_order(docs: &[Json]) -> Vec<Json> {
    let mut docs = docs.to_vec();
    docs.sort_by_key(|d| {
        let kind = d["kind"].as_str().unwrap_or("");
        INSTALL_ORDER
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(INSTALL_ORDER.len())
    });
    docs
}

/// Send `docs` to the server with `dryRun=All` and `fieldValidation=Strict`
/// (in `namespace` where a document names none): creates, except for a
/// Namespace, which the test created already and which is applied (a
/// create would only say that it exists). Err holds every rejection, as the
/// server words it.
pub fn dry_run(plane: &ControlPlane, namespace: &str, docs: &[Json]) -> Result<(), String> {
    let docs = in_namespace(docs, namespace);
    let (namespaces, rest): (Vec<Json>, Vec<Json>) = docs.into_iter().partition(|d| d["kind"] == "Namespace");
    let mut errors = Vec::new();
    for (docs, verb) in [(namespaces, &["apply", "--server-side"][..]), (rest, &["create"][..])] {
        if docs.is_empty() {
            continue;
        }
        let mut args = verb.to_vec();
        args.extend(["--dry-run=server", "--validate=strict", "-o", "name"]);
        if let Err(e) = plane.apply_json(&list(&docs), &args) {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

/// How many pods each workload kind must get from the controllers (there is
/// one node and no scheduler: every pod stays Pending), or None where the
/// count is not the workload's own (a StatefulSet makes one pod at a time and
/// waits for it to run; a CronJob waits for its schedule).
fn expected_pods(doc: &Json) -> Option<u64> {
    let spec = &doc["spec"];
    match doc["kind"].as_str()? {
        "Deployment" | "ReplicaSet" | "ReplicationController" => Some(spec["replicas"].as_u64().unwrap_or(1)),
        "StatefulSet" => Some(spec["replicas"].as_u64().unwrap_or(1).min(1)),
        "Job" => Some(spec["parallelism"].as_u64().unwrap_or(1).min(1)),
        // One node, which every DaemonSet here is meant to run on.
        "DaemonSet" => Some(1),
        _ => None,
    }
}

/// A workload whose pods the controllers must create.
#[derive(Debug, Clone)]
pub struct Workload {
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub pods: u64,
}

/// The workloads among `docs` (a missing namespace is `namespace`).
pub fn workloads(docs: &[Json], namespace: &str) -> Vec<Workload> {
    docs.iter()
        .filter_map(|d| {
            let pods = expected_pods(d)?;
            Some(Workload {
                kind: d["kind"].as_str()?.to_owned(),
                name: d["metadata"]["name"].as_str()?.to_owned(),
                namespace: d["metadata"]["namespace"].as_str().unwrap_or(namespace).to_owned(),
                pods,
            })
        })
        .collect()
}

/// The pods the controllers created, by the workload that owns them
/// (`Kind/name`, a Deployment through its current ReplicaSet).
pub type PodsByOwner = BTreeMap<String, Vec<Json>>;

/// How long a refusal to create a pod may last before it fails the check:
/// the controllers retry, and a refusal can be a moment's (a ServiceAccount
/// that a namespace's controller is about to create).
const REFUSAL_GRACE: Duration = Duration::from_secs(5);

/// Wait until the controllers have created the pods of every workload in
/// its current version; Err names each workload whose pods could not be
/// created, with the reason the server gave (a FailedCreate event, a
/// ReplicaFailure condition) once that has stood for [`REFUSAL_GRACE`] with
/// pods still missing, or that was still short of pods at the deadline.
pub fn wait_for_pods(plane: &ControlPlane, workloads: &[Workload], limit: Duration) -> Result<PodsByOwner, String> {
    let namespaces: BTreeSet<&str> = workloads.iter().map(|w| w.namespace.as_str()).collect();
    let start = Instant::now();
    let mut first_refusal: Option<Instant> = None;
    loop {
        let mut missing = Vec::new();
        let mut refusals = Vec::new();
        let mut found = PodsByOwner::new();
        for ns in &namespaces {
            let state = ns_state(plane, ns)?;
            for w in workloads.iter().filter(|w| w.namespace == *ns) {
                let owner = format!("{}/{}", w.kind, w.name);
                let (pods, refused) = state.pods_of(w);
                if (pods.len() as u64) < w.pods {
                    missing.push(format!("{ns}/{owner}: {} of {} pods", pods.len(), w.pods));
                    refusals.extend(refused.into_iter().map(|f| format!("{ns}/{owner}: {f}")));
                }
                found.insert(owner, pods);
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        if !refusals.is_empty() {
            let since = *first_refusal.get_or_insert_with(Instant::now);
            if since.elapsed() > REFUSAL_GRACE {
                refusals.dedup();
                return Err(format!("pods could not be created:\n  {}", refusals.join("\n  ")));
            }
        }
        if start.elapsed() > limit {
            return Err(format!(
                "the controllers did not create every pod within {limit:?}:\n  {}",
                missing.join("\n  ")
            ));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// One namespace's workloads, ReplicaSets, pods and FailedCreate events.
struct NsState {
    objects: Vec<Json>,
}

fn ns_state(plane: &ControlPlane, ns: &str) -> Result<NsState, String> {
    let out = plane.run(&[
        "get",
        "deployments,replicasets,daemonsets,replicationcontrollers,statefulsets,jobs,pods,events",
        "--namespace",
        ns,
        "-o",
        "json",
    ])?;
    let list: Json = serde_json::from_str(&out).map_err(|e| format!("kubectl get: {e}"))?;
    Ok(NsState {
        objects: list["items"].as_array().cloned().unwrap_or_default(),
    })
}

impl NsState {
    fn find(&self, kind: &str, name: &str) -> Option<&Json> {
        self.objects
            .iter()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
    }

    fn owned_by<'a>(&'a self, kind: &'a str, uid: &'a Json) -> impl Iterator<Item = &'a Json> + 'a {
        self.objects.iter().filter(move |o| {
            o["kind"] == kind
                && o["metadata"]["ownerReferences"]
                    .as_array()
                    .is_some_and(|refs| refs.iter().any(|r| r["uid"] == *uid))
        })
    }

    /// Reasons the controllers gave for not creating a pod of `uid`.
    fn failed_creates(&self, uid: &Json) -> Vec<String> {
        self.objects
            .iter()
            .filter(|o| o["kind"] == "Event" && o["reason"] == "FailedCreate" && o["involvedObject"]["uid"] == *uid)
            .map(|e| e["message"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    /// The pods of `w` in its current version, and why pods could not be created.
    fn pods_of(&self, w: &Workload) -> (Vec<Json>, Vec<String>) {
        let Some(obj) = self.find(&w.kind, &w.name) else {
            return (vec![], vec![format!("no {} {} in the cluster", w.kind, w.name)]);
        };
        let uid = &obj["metadata"]["uid"];
        let mut failures = self.failed_creates(uid);
        let current = |o: &&Json| match w.kind.as_str() {
            // Pods of the Deployment's current template only (an upgrade leaves old ones).
            "Deployment" => {
                o["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                    == obj["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
            }
            _ => true,
        };
        let pods: Vec<Json> = if w.kind == "Deployment" {
            for cond in obj["status"]["conditions"].as_array().into_iter().flatten() {
                if cond["type"] == "ReplicaFailure" && cond["status"] == "True" {
                    failures.push(cond["message"].as_str().unwrap_or("").to_owned());
                }
            }
            let sets: Vec<&Json> = self.owned_by("ReplicaSet", uid).filter(current).collect();
            for rs in &sets {
                failures.extend(self.failed_creates(&rs["metadata"]["uid"]));
            }
            sets.iter()
                .flat_map(|rs| self.owned_by("Pod", &rs["metadata"]["uid"]))
                .cloned()
                .collect()
        } else {
            self.owned_by("Pod", uid).cloned().collect()
        };
        let pods = pods
            .into_iter()
            .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
            .collect();
        (pods, failures)
    }
}

/// Whether a DaemonSet pod is meant for the test node (the controller pins
/// it there with node affinity).
pub fn on_test_node(pod: &Json) -> bool {
    pod.to_string().contains(&format!("\"{NODE}\""))
}
