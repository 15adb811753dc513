//! The differential test: Workflow manifests in every shape YAML allows go
//! through the binary; Kubernetes' own decoder (the k8sjson peer) reads the
//! input and the output; the reference model (tests/model) says, from the
//! decoded input alone, what the output must decode to, or why the run must
//! fail. Nothing of the expectation comes from the code under test.
//!
//! Inputs: every fixture, Drycc's chart trimmed (tests/model/drycc-v1.8.3.yaml)
//! and the real Hephy and Drycc charts rendered by Helm 4, decoded and varied:
//! namespaces present, absent, null, empty, foreign, or only said by the
//! chart's bindings (and a binding standing in another namespace);
//! registry-secrets fresh, stale, foreign, duplicated in other placements, a
//! hook; the refresher and its access as this tool writes them, under other
//! names and images, with bad intervals, `automountServiceAccountToken:
//! false`, an `aggregationRule`, conflicting mounts, sidecars, duplicates;
//! Workflow's images from mirrors; Drycc without its builder or secrets, with
//! `stringData`, `valueFrom` of another source, private and Docker Hub hosts;
//! env entries by valueFrom, duplicated, missing; `--target`; orphans of an
//! earlier run; two platforms, none, a hooks-only pass; documents inside
//! `kind: List` (and Lists in Lists); user documents that only look like
//! Workflow's. They are written back in random shapes (block with indented and
//! indentless sequences, flow, JSON, block scalars, quotes, tags, comments,
//! CRLF, `...` ends, names spelled with escapes, escaped line breaks,
//! `!!binary` and `!!str`), for all four locations. Every output is also
//! checked for mappings with two keys that decode to one, and run again (a
//! fixed point). A failure prints its seed; set WR_DIFF_SEED to run that case
//! alone, WR_DIFF_CASES to run more, WR_DIFF_SUMMARY=1 for a line per
//! failure. The `finding_*` tests at the end are the minimal reproducers of
//! the tool defects the model found, one per finding.

mod common;
mod model;

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value as Json};

use model::shapes::{self, Palette, Rng};
use model::{Config, Expected};

/// Each document of a stream as the API server decodes it, or the decoder's error.
fn decode(k8sjson: &Path, yaml: &str) -> Result<Vec<Json>, String> {
    let out = common::run_k8sjson(k8sjson, yaml);
    let text = String::from_utf8(out.stdout).expect("k8sjson prints UTF-8");
    text.lines()
        .map(|line| {
            if line.starts_with("ERROR") {
                Err(line.to_owned())
            } else {
                serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))
            }
        })
        .collect()
}

const CLUSTER_SCOPED: [&str; 4] = [
    "ClusterRole",
    "ClusterRoleBinding",
    "Namespace",
    "CustomResourceDefinition",
];

fn set_namespace(doc: &mut Json, ns: &Json) {
    if CLUSTER_SCOPED.contains(&doc["kind"].as_str().unwrap_or("")) {
        return;
    }
    let Some(meta) = doc.get_mut("metadata").and_then(Json::as_object_mut) else {
        return;
    };
    if ns == &json!("<absent>") {
        meta.remove("namespace");
    } else {
        meta.insert("namespace".into(), ns.clone());
    }
}

fn builder_env(doc: &mut Json) -> Option<&mut Vec<Json>> {
    if doc["kind"] != "Deployment" || doc["metadata"]["name"] != "deis-builder" {
        return None;
    }
    doc.pointer_mut("/spec/template/spec/containers/0/env")?.as_array_mut()
}

/// A starting point of the cases: a manifest's documents, and which platform it is.
struct Fixture {
    docs: Vec<Json>,
    drycc: bool,
}

fn is(doc: &Json, kind: &str, name: &str) -> bool {
    doc["kind"] == kind && doc["metadata"]["name"] == name
}

/// The pod spec of a workload document.
fn pod_mut(doc: &mut Json) -> Option<&mut Json> {
    let path = match doc["kind"].as_str()? {
        "Pod" => "/spec",
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        _ => "/spec/template/spec",
    };
    doc.pointer_mut(path).filter(|s| s.is_object())
}

/// Every container (init containers too) of a workload document.
fn containers_mut(doc: &mut Json) -> Vec<&mut Json> {
    let Some(Json::Object(spec)) = pod_mut(doc) else {
        return vec![];
    };
    spec.iter_mut()
        .filter(|(k, _)| *k == "initContainers" || *k == "containers")
        .filter_map(|(_, v)| v.as_array_mut())
        .flatten()
        .collect()
}

const REFRESHER_IMAGES: [&str; 8] = [
    "quay.io/deis/registry-token-refresher:v1.1.3",
    "hephy/registry-token-refresher:v1.2.2",
    "index.docker.io/hephy/registry-token-refresher:canary",
    "DOCKER.IO/deis/registry-token-refresher:latest",
    "registry-1.docker.io/hephy/registry-token-refresher:v1.2.0",
    "quay.io/hephy/registry-token-refresher:v1.2.2",
    "registry.example.com/me/registry-token-refresher:v2",
    "mirror.example.com/hub/hephy/registry-token-refresher:v1.2.2",
];

/// Workflow's builder and controller images, as mirrors and registries write them.
const COMPONENT_IMAGES: [&str; 6] = [
    "quay.io/deis/{}:v2.18.0",
    "hephy/{}:v2.23.0",
    "mirror.example.com/hub/hephy/{}:v2.23.0",
    "DOCKER.IO/hephy/{}:v2.22.0",
    "registry.local:5000/deis/{}@sha256:0123",
    "example.com/team/{}:v1",
];

/// The refresher and its access documents as this tool writes them (and a
/// Workflow chart patched to have them), varied: other names, images,
/// intervals, tokens, mounts, roles, bindings.
fn refresher_docs(rng: &mut Rng, ns: Option<&str>) -> Vec<Json> {
    let meta = |name: &str| {
        let mut m = json!({"name": name, "labels": {"heritage": "deis"}});
        if let Some(ns) = ns {
            m["namespace"] = json!(ns);
        }
        m
    };
    let mut env = vec![
        json!({"name": "DEIS_REGISTRY_LOCATION", "value": "ecr"}),
        json!({"name": "DEIS_REGISTRY_SECRET_PREFIX", "value": "private-registry"}),
    ];
    match rng.below(10) {
        0 => {}
        1 => env.push(json!({"name": "DEIS_NAMESPACE_REFRESH_TIME", "value": *rng.pick(&["5s", "0", "-1", "five"])})),
        2 => env.push(json!({"name": "DEIS_NAMESPACE_REFRESH_TIME", "value": *rng.pick(&["30", "+5", "05"])})),
        3 => env.push(json!({"name": "DEIS_NAMESPACE_REFRESH_TIME",
                             "valueFrom": {"configMapKeyRef": {"name": "refresher", "key": "scan"}}})),
        _ => env.push(json!({"name": "DEIS_NAMESPACE_REFRESH_TIME", "value": "5"})),
    }
    match rng.below(8) {
        0 => {}
        1 => env.push(json!({"name": "DEIS_TOKEN_REFRESH_TIME", "value": *rng.pick(&["0", "30", "59", "60", "719", "720", "1h"])})),
        _ => env.push(json!({"name": "DEIS_TOKEN_REFRESH_TIME", "value": ""})),
    }
    let renamed = rng.chance(20);
    let name = if renamed {
        "token-refresher"
    } else {
        "deis-registry-token-refresher"
    };
    let mut container = json!({"name": if renamed { "refresher" } else { "deis-registry-token-refresher" },
        "image": *rng.pick(&REFRESHER_IMAGES), "env": env,
        "volumeMounts": [{"name": "registry-secret", "mountPath": "/var/run/secrets/deis/registry/creds", "readOnly": true}]});
    let mut volumes = vec![json!({"name": "registry-secret", "secret": {"secretName": "registry-secret"}})];
    match rng.below(12) {
        0 => container["volumeMounts"] = json!([]),
        1 => container["volumeMounts"][0]["readOnly"] = json!(false),
        2 => volumes.clear(),
        3 => {
            // Another volume where the credentials must be read (exit 1).
            container["volumeMounts"] = json!([{"name": "creds", "mountPath": "/var/run/secrets/deis/registry/creds"}]);
            volumes.push(json!({"name": "creds", "emptyDir": {}}));
        }
        4 => volumes[0] = json!({"name": "registry-secret", "configMap": {"name": "registry-secret"}}),
        5 => {
            // Two mounts at one path: the API server refuses the pod.
            container["volumeMounts"].as_array_mut().unwrap().extend([
                json!({"name": "a", "mountPath": "/tmp/x"}),
                json!({"name": "b", "mountPath": "/tmp/x"}),
            ]);
            volumes.extend([
                json!({"name": "a", "emptyDir": {}}),
                json!({"name": "b", "emptyDir": {}}),
            ]);
        }
        _ => {}
    }
    let mut spec = json!({"containers": [container], "volumes": volumes});
    match rng.below(6) {
        0 => {}
        1 => spec["serviceAccountName"] = json!("default"),
        2 => spec["serviceAccount"] = json!("deis-registry-token-refresher"),
        _ => spec["serviceAccountName"] = json!("deis-registry-token-refresher"),
    }
    if rng.chance(20) {
        spec["automountServiceAccountToken"] = json!(false);
    }
    if rng.chance(10) {
        // A sidecar: the refresher is still the container that runs its image.
        spec["containers"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "sidecar", "image": "busybox:1"}));
    }
    if rng.chance(5) {
        // Nothing tells which container is the refresher (exit 1).
        spec["containers"] =
            json!([{"name": "main", "image": "example.com/tokens:v1"}, {"name": "sidecar", "image": "busybox:1"}]);
    }
    let mut docs = vec![
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(name),
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}}),
    ];
    if rng.chance(70) {
        let mut account =
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("deis-registry-token-refresher")});
        if rng.chance(15) {
            account["automountServiceAccountToken"] = json!(false);
        }
        docs.push(account);
    }
    let rbac_meta = |name: &str| json!({"name": name, "labels": {"heritage": "deis"}});
    if rng.chance(70) {
        let exact = json!([
            {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list"]},
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
            {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["private-registry-ecr"], "verbs": ["update"]}]);
        let mut role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": rbac_meta("deis:deis-registry-token-refresher"), "rules": exact});
        match rng.below(4) {
            0 => role["rules"] = json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]}]),
            1 => {
                role["aggregationRule"] = json!({"clusterRoleSelectors": [{"matchLabels": {"rbac.example.com/aggregate-to-refresher": "true"}}]})
            }
            _ => {}
        }
        docs.push(role);
    }
    if rng.chance(70) {
        let subject_ns = rng.pick(&[ns.unwrap_or("deis"), "deis", "elsewhere"]).to_string();
        let mut binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": rbac_meta("deis:deis-registry-token-refresher"),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "deis:deis-registry-token-refresher"},
            "subjects": [{"kind": "ServiceAccount", "name": "deis-registry-token-refresher", "namespace": subject_ns}]});
        if rng.chance(15) {
            binding["roleRef"]["name"] = json!("cluster-admin");
        }
        docs.push(binding);
    }
    docs
}

/// Copies of a component the platform holds once, in other placements: no
/// namespace or an explicit one, a Helm hook, another name.
fn duplicate(rng: &mut Rng, docs: &mut Vec<Json>, kind: &str, name: &str) {
    let Some(original) = docs.iter().find(|d| is(d, kind, name)).cloned() else {
        return;
    };
    let mut copy = original;
    match rng.below(4) {
        0 => set_namespace(&mut copy, &json!("<absent>")),
        1 => set_namespace(&mut copy, &json!(*rng.pick(&["deis", "hephy", "drycc"]))),
        2 => copy["metadata"]["annotations"] = json!({"helm.sh/hook": "pre-install"}),
        _ => {
            if kind == "Deployment" {
                copy["metadata"]["name"] = json!("refresher-copy");
            } else {
                set_namespace(&mut copy, &json!("<absent>"));
            }
        }
    }
    let at = rng.below(docs.len() + 1);
    docs.insert(at, copy);
}

/// The RBAC of Workflow's chart: a binding of the builder's account, without
/// a namespace of its own; sometimes one that stands in another namespace
/// (not Workflow's, whatever it binds).
fn bindings(rng: &mut Rng, docs: &mut Vec<Json>, account: &str, ns: &str) {
    let binding = |kind: &str, name: &str, own: Option<&str>, subject_ns: &str| {
        let mut meta = json!({"name": name});
        if let Some(own) = own {
            meta["namespace"] = json!(own);
        }
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta,
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
               "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": subject_ns}]})
    };
    if rng.chance(70) {
        let kind = *rng.pick(&["RoleBinding", "ClusterRoleBinding"]);
        docs.insert(rng.below(docs.len() + 1), binding(kind, "workflow-builder", None, ns));
    }
    if rng.chance(40) {
        docs.insert(
            rng.below(docs.len() + 1),
            binding("RoleBinding", "monitoring-builder", Some("monitoring"), "monitoring"),
        );
    }
}

/// Some consecutive documents as the items of one `kind: List` (or a
/// `DeploymentList`, or a List inside a List): kubectl applies the items.
fn wrap_in_list(rng: &mut Rng, docs: &mut Vec<Json>) {
    if docs.is_empty() {
        return;
    }
    let start = rng.below(docs.len());
    let end = (start + 1 + rng.below(6)).min(docs.len());
    let mut items: Vec<Json> = docs.drain(start..end).filter(Json::is_object).collect();
    let deployments = items.iter().all(|d| d["kind"] == "Deployment");
    let kind = if deployments && rng.chance(50) {
        "DeploymentList"
    } else {
        "List"
    };
    if items.len() > 1 && rng.chance(20) {
        let inner: Vec<Json> = items.drain(1..).collect();
        items.push(json!({"apiVersion": "v1", "kind": "List", "items": inner}));
    }
    docs.insert(
        start,
        json!({"apiVersion": "v1", "kind": kind, "metadata": {}, "items": items}),
    );
}

/// A fixture's documents, varied by `rng`, with the configuration to run.
fn vary(fixture: &Fixture, rng: &mut Rng) -> (Vec<Json>, Config) {
    let mut docs = fixture.docs.clone();
    let location = *rng.pick(&common::LOCATIONS);
    let mut config = Config::for_location(location, common::GCR_KEY);
    let ns = rng
        .pick(&[
            json!("<keep>"),
            json!("deis"),
            json!("hephy"),
            json!("<absent>"),
            Json::Null,
            json!(""),
        ])
        .clone();
    if ns != json!("<keep>") {
        docs.iter_mut().for_each(|d| set_namespace(d, &ns));
    }
    if rng.chance(30) {
        config.namespace = Some(rng.pick(&["deis", "hephy", "workflow", "drycc"]).to_string());
    }
    if rng.chance(15) {
        config.secret_prefix = Some("acme".into());
    }
    config.keep_on_cluster_registry = rng.chance(10);
    if rng.chance(5) {
        config.platform = Some(if fixture.drycc { "drycc" } else { "deis" });
    }
    // Where the workloads' namespace is absent, the chart's bindings may say it.
    let stated = |docs: &[Json]| {
        docs.iter()
            .find_map(|d| d["metadata"]["namespace"].as_str().map(str::to_owned))
    };
    if stated(&docs).is_none() && rng.chance(40) {
        let account = if fixture.drycc { "drycc-builder" } else { "deis-builder" };
        let subject_ns = *rng.pick(&["deis", "hephy", "drycc"]);
        bindings(rng, &mut docs, account, subject_ns);
    }
    if fixture.drycc {
        vary_drycc(&mut docs, &mut config, rng);
    } else {
        vary_deis(&mut docs, &mut config, rng);
    }
    if rng.chance(25) {
        // An app's own pull secret of the same name: never Workflow's.
        docs.insert(
            rng.below(docs.len() + 1),
            json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
                   "metadata": {"name": "registry-secret", "namespace": "myapp"},
                   "data": {".dockerconfigjson": "e30="}}),
        );
    }
    if rng.chance(15) {
        // A user's workload that reads the location, with no other hint.
        let var = if fixture.drycc {
            "DRYCC_REGISTRY_LOCATION"
        } else {
            "DEIS_REGISTRY_LOCATION"
        };
        docs.insert(
            rng.below(docs.len() + 1),
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "web-migrate"},
                   "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "example.com/web:1",
                       "env": [{"name": var, "value": "on-cluster"}]}], "restartPolicy": "Never"}}}}),
        );
    }
    if rng.chance(8) {
        // --target: a workload of the input (any of its containers, or one),
        // or one that is not there (a warning).
        let workloads: Vec<(String, String, String)> = docs
            .iter()
            .filter(|d| d["kind"] == "Deployment" || d["kind"] == "StatefulSet")
            .filter_map(|d| {
                let c = d.pointer("/spec/template/spec/containers/0/name")?.as_str()?;
                Some((
                    d["kind"].as_str()?.to_owned(),
                    d["metadata"]["name"].as_str()?.to_owned(),
                    c.to_owned(),
                ))
            })
            .collect();
        let target = match (rng.below(3), workloads.is_empty()) {
            (0, _) | (_, true) => "Deployment/nowhere".to_owned(),
            (1, false) => {
                let (k, n, _) = rng.pick(&workloads);
                format!("{}/{n}", k.to_lowercase())
            }
            _ => {
                let (k, n, c) = rng.pick(&workloads);
                format!("{k}/{n}/{c}")
            }
        };
        config.targets.push(target);
    }
    if rng.chance(6) {
        // A registry component an earlier run generated in a namespace that
        // is no longer Workflow's: an orphan, removed; or, when nothing else
        // says where Workflow runs, the evidence of it.
        docs.push(json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": if fixture.drycc { "drycc-registry" } else { "deis-registry-token-refresher" },
                         "namespace": "old-workflow",
                         "labels": {"registry.deis.io/generated-by": "workflow-registry"}}}));
    }
    match rng.below(40) {
        0 => {
            // The other platform's builder beside: two platforms (exit 1)
            // unless --platform says which.
            let (name, image) = if fixture.drycc {
                ("deis-builder", "hephy/builder:v2.23.0")
            } else {
                ("drycc-builder", "registry.drycc.cc/drycc/builder:canary")
            };
            docs.push(
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
                "spec": {"template": {"spec": {"containers": [{"name": name, "image": image}]}}}}),
            );
        }
        1 => {
            // No platform the tool knows: nothing changes, whatever the Secrets' names.
            docs.retain(|d| {
                d["kind"] == "ConfigMap"
                    || d["kind"] == "Service" && !d["metadata"]["name"].as_str().unwrap_or("").contains("registry")
            });
            docs.push(
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "registry-secret"},
                             "data": {"password": "eA=="}}),
            );
        }
        2 | 3 => {
            // Helm 4's `separate` strategy: the hooks pass holds hooks only.
            for d in docs.iter_mut().filter(|d| d.is_object()) {
                d["metadata"]["annotations"]["helm.sh/hook"] = json!("pre-install");
            }
        }
        _ => {}
    }
    if rng.chance(5) {
        name_prefix(&mut docs, "prod-");
    }
    for _ in 0..rng.below(3) {
        if rng.chance(35) {
            wrap_in_list(rng, &mut docs);
        }
    }
    (docs, config)
}

/// What kustomize's `namePrefix` does: every object renamed, and the
/// references it knows renamed with them (Secrets and ConfigMaps a pod
/// mounts or reads, the account it runs as, bindings' roles and subjects).
/// Workflow is then known by what its documents are (images, containers).
fn name_prefix(docs: &mut [Json], prefix: &str) {
    fn rename(v: Option<&mut Json>, prefix: &str) {
        if let Some(v) = v.filter(|v| v.is_string()) {
            *v = json!(format!("{prefix}{}", v.as_str().unwrap_or_default()));
        }
    }
    for d in docs.iter_mut().filter(|d| d.is_object()) {
        if d["kind"] != "Namespace" {
            rename(d.pointer_mut("/metadata/name"), prefix);
        }
        if let Some(subjects) = d.get_mut("subjects").and_then(Json::as_array_mut) {
            subjects.iter_mut().for_each(|s| rename(s.get_mut("name"), prefix));
        }
        rename(d.pointer_mut("/roleRef/name"), prefix);
        let Some(spec) = pod_mut(d) else { continue };
        rename(spec.get_mut("serviceAccountName"), prefix);
        rename(spec.get_mut("serviceAccount"), prefix);
        if let Some(volumes) = spec.get_mut("volumes").and_then(Json::as_array_mut) {
            for v in volumes {
                rename(v.pointer_mut("/secret/secretName"), prefix);
                rename(v.pointer_mut("/configMap/name"), prefix);
            }
        }
        for c in containers_mut(d) {
            if let Some(env) = c.get_mut("env").and_then(Json::as_array_mut) {
                for e in env {
                    rename(e.pointer_mut("/valueFrom/secretKeyRef/name"), prefix);
                    rename(e.pointer_mut("/valueFrom/configMapKeyRef/name"), prefix);
                }
            }
        }
    }
}

fn vary_deis(docs: &mut Vec<Json>, config: &mut Config, rng: &mut Rng) {
    if rng.chance(10) {
        config.refresher_image = Some("registry.example.com/tools/refresher:v9".into());
    }
    if rng.chance(8) {
        config.token_refresh_time = rng.pick(&["30", "0", "720", "59"]).to_string();
    }
    // The registry-secret: as rendered, removed, stale, duplicated.
    match rng.below(6) {
        0 => docs.retain(|d| !is(d, "Secret", "registry-secret")),
        1 => {
            for d in docs.iter_mut().filter(|d| is(d, "Secret", "registry-secret")) {
                d["data"]["foo"] = json!("YmFy");
                d["data"]["zz-stale"] = json!("YmFy");
                d["stringData"] = json!({"password": "old"});
            }
        }
        2 => {
            let secret = docs.iter().find(|d| is(d, "Secret", "registry-secret")).cloned();
            if let Some(s) = secret {
                docs.push(s);
            }
        }
        3 => duplicate(rng, docs, "Secret", "registry-secret"),
        _ => {}
    }
    // The token refresher: as rendered, or this tool's with its access, varied.
    if rng.chance(35) {
        let ns = docs
            .iter()
            .find(|d| is(d, "Deployment", "deis-builder"))
            .and_then(|d| d["metadata"]["namespace"].as_str().map(str::to_owned));
        let ns = if rng.chance(30) { None } else { ns };
        docs.retain(|d| {
            !(is(d, "Deployment", "deis-registry-token-refresher")
                || is(d, "ServiceAccount", "deis-registry-token-refresher")
                || d["metadata"]["name"] == "deis:deis-registry-token-refresher")
        });
        let extra = refresher_docs(rng, ns.as_deref());
        let at = rng.below(docs.len() + 1);
        docs.splice(at..at, extra);
        if rng.chance(25) {
            let name = docs
                .iter()
                .find(|d| {
                    d["kind"] == "Deployment" && d["metadata"]["name"].as_str().is_some_and(|n| n.contains("refresher"))
                })
                .map(|d| d["metadata"]["name"].as_str().unwrap_or_default().to_owned());
            if let Some(name) = name {
                duplicate(rng, docs, "Deployment", &name);
            }
        }
        if rng.chance(15) {
            duplicate(rng, docs, "ServiceAccount", "deis-registry-token-refresher");
        }
    }
    if rng.chance(20) {
        // Workflow's images from another registry or a mirror: the refresher follows them.
        let pattern = *rng.pick(&COMPONENT_IMAGES);
        for d in docs.iter_mut() {
            let component = ["deis-builder", "deis-controller"]
                .into_iter()
                .find(|n| is(d, "Deployment", n));
            if let Some(component) = component {
                let image = pattern.replace("{}", component.trim_start_matches("deis-"));
                for c in containers_mut(d) {
                    if c["name"] == component {
                        c["image"] = json!(image);
                    }
                }
            }
        }
    }
    if (config.namespace.is_some() && rng.chance(40)) || rng.chance(3) {
        // A team's own Deployment that happens to be called deis-builder:
        // foreign when the operator named Workflow's namespace, else a
        // conflict the tool must refuse to guess about.
        docs.insert(
            rng.below(docs.len() + 1),
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "deis-builder", "namespace": "team-a"},
                   "spec": {"template": {"spec": {"containers": [{"name": "deis-builder", "image": "team/builder:1",
                     "env": [{"name": "DEIS_REGISTRY_LOCATION", "value": "on-cluster"}]}]}}}}),
        );
    }
    if rng.chance(20) {
        // An init container that declares the registry variables is a target too.
        for d in docs.iter_mut().filter(|d| is(d, "Deployment", "deis-controller")) {
            if let Some(spec) = pod_mut(d).and_then(Json::as_object_mut) {
                spec.insert(
                    "initContainers".into(),
                    json!([{"name": "wait-for-registry", "image": "busybox:1",
                            "env": [{"name": "DEIS_REGISTRY_LOCATION", "value": "on-cluster"}, {"name": "OTHER", "value": "x"}]}]),
                );
            }
        }
    }
    if rng.chance(10) {
        // The chart's prefix: the controller's own (they disagree, or agree on another).
        let prefix = *rng.pick(&["team", "private-registry"]);
        for d in docs.iter_mut().filter(|d| is(d, "Deployment", "deis-controller")) {
            for c in containers_mut(d) {
                for e in c["env"].as_array_mut().into_iter().flatten() {
                    if e["name"] == "DEIS_REGISTRY_SECRET_PREFIX" {
                        *e = json!({"name": "DEIS_REGISTRY_SECRET_PREFIX", "value": prefix});
                    }
                }
            }
        }
    }
    if rng.chance(8) {
        // The chart's registry-secret as a Helm hook, the only copy.
        for d in docs.iter_mut().filter(|d| is(d, "Secret", "registry-secret")) {
            d["metadata"]["annotations"]["helm.sh/hook"] = json!("pre-install,pre-upgrade");
        }
    }
    // The builder's env: by valueFrom, duplicated, missing.
    let variant = rng.below(5);
    for d in docs.iter_mut() {
        let Some(env) = builder_env(d) else { continue };
        match variant {
            0 => {
                for item in env.iter_mut().filter(|i| i["name"] == "DEIS_REGISTRY_LOCATION") {
                    *item = json!({"name": "DEIS_REGISTRY_LOCATION",
                                   "valueFrom": {"configMapKeyRef": {"name": "registry", "key": "location"}}});
                }
            }
            1 => env.push(json!({"name": "DEIS_REGISTRY_LOCATION", "value": "stale"})),
            2 => env.retain(|i| i["name"] != "DEIS_REGISTRY_LOCATION" && i["name"] != "DEIS_REGISTRY_SECRET_PREFIX"),
            _ => {}
        }
    }
}

fn vary_drycc(docs: &mut Vec<Json>, config: &mut Config, rng: &mut Rng) {
    if config.location == "off-cluster" && rng.chance(40) {
        let host = *rng.pick(&[
            "10.1.2.3:5000",
            "192.168.10.4",
            "[::ffff:10.1.2.3]:5000",
            "[fd00::1]:5000",
            "registry.drycc.svc",
            "docker.io",
            "",
        ]);
        config.secret_data[0].1 = host.to_owned();
    }
    let is_builder = |d: &Json| is(d, "Deployment", "drycc-builder");
    match rng.below(12) {
        // Controller only: still Drycc, by its images.
        0 => docs.retain(|d| !is_builder(d)),
        1 => docs.retain(|d| !is(d, "Secret", "builder-secret")),
        2 => docs.retain(|d| !is(d, "Secret", "controller-creds")),
        3 => {
            for d in docs.iter_mut().filter(|d| is(d, "Secret", "controller-creds")) {
                d["stringData"] = json!({"django-secret-key": "from-string-data", "registry-host": "old.example.com"});
            }
        }
        4 => {
            for d in docs.iter_mut().filter(|d| is_builder(d)) {
                for c in containers_mut(d) {
                    for e in c["env"].as_array_mut().into_iter().flatten() {
                        if e["name"] == "DRYCC_REGISTRY_HOST" {
                            *e = json!({"name": "DRYCC_REGISTRY_HOST",
                                        "valueFrom": {"configMapKeyRef": {"name": "registry", "key": "host"}}});
                        }
                    }
                }
            }
        }
        5 => duplicate(rng, docs, "Secret", "builder-secret"),
        6 => {
            // A container that declares only the prefix.
            docs.push(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "drycc-helper"},
                "spec": {"template": {"spec": {"containers": [{"name": "helper", "image": "registry.drycc.cc/drycc/python-dev:latest",
                    "env": [{"name": "DRYCC_REGISTRY_SECRET_PREFIX", "value": "private-registry"}]}]}}}}));
        }
        7 => {
            // Wired off-cluster by an earlier run that kept the registry.
            for d in docs.iter_mut() {
                if is_builder(d) {
                    for c in containers_mut(d) {
                        let Some(env) = c["env"].as_array_mut() else { continue };
                        env.retain(|e| {
                            !e["name"]
                                .as_str()
                                .is_some_and(|n| n.starts_with("DRYCC_REGISTRY_") && n != "DRYCC_REGISTRY_LOCATION")
                        });
                        for (var, key) in [
                            ("HOST", "registry-host"),
                            ("USERNAME", "registry-username"),
                            ("ORGANIZATION", "registry-organization"),
                        ] {
                            env.push(json!({"name": format!("DRYCC_REGISTRY_{var}"),
                                            "valueFrom": {"secretKeyRef": {"name": "builder-secret", "key": key}}}));
                        }
                    }
                }
                if is(d, "Secret", "builder-secret") || is(d, "Secret", "controller-creds") {
                    d["data"]["registry-host"] = json!("cXVheS5pbw==");
                    d["stringData"] = json!({"registry-username": "u"});
                }
            }
        }
        8 => {
            // The node proxy on another port, and a builder that does not say it.
            for d in docs.iter_mut() {
                if is(d, "DaemonSet", "drycc-registry-proxy") {
                    for c in containers_mut(d) {
                        c["ports"] = json!([{"containerPort": 8080, "hostPort": 6000}]);
                    }
                }
                if is_builder(d) {
                    for c in containers_mut(d) {
                        if let Some(env) = c["env"].as_array_mut() {
                            env.retain(|e| e["name"] != "DRYCC_REGISTRY_PROXY_HOST");
                        }
                    }
                }
            }
        }
        9 => {
            // The operator's own policy under the name of the tool's, beside
            // (or not) a copy the tool wrote.
            let policy = |labels: Json| {
                json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                       "metadata": {"name": "drycc-imagebuilder-registry", "labels": labels},
                       "spec": {"podSelector": {"matchLabels": {"app": "drycc-imagebuilder"}}}})
            };
            docs.push(policy(json!({"team": "ops"})));
            if rng.chance(50) {
                docs.push(policy(json!({"registry.deis.io/generated-by": "workflow-registry"})));
            }
        }
        _ => {}
    }
}

/// The documents written as one stream, each in its own shape.
fn stream(docs: &[Json], rng: &mut Rng, palette: Palette) -> String {
    let mut out = String::new();
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 || rng.chance(70) {
            out.push_str(if rng.chance(10) { "--- # next\n" } else { "---\n" });
        }
        let (text, _) = shapes::document(doc, rng, palette);
        out.push_str(&text);
        if rng.chance(5) {
            out.push_str("...\n");
        }
    }
    out
}

struct Case {
    seed: u64,
    palette: Palette,
}

/// Run one case; `Ok(true)` when the tool refused an input the case allows it to refuse.
fn run_case(k8sjson: &Path, fixtures: &[Fixture], case: &Case) -> Result<bool, String> {
    let mut rng = Rng::new(case.seed);
    let fixture = rng.pick(fixtures);
    let (docs, config) = vary(fixture, &mut rng);
    let input = stream(&docs, &mut rng, case.palette);
    if let Some(dir) = std::env::var_os("WR_FUZZ_SEEDS_DIR") {
        write_fuzz_seed(Path::new(&dir), case.seed, &config, &input);
    }
    let decoded =
        decode(k8sjson, &input).map_err(|e| format!("the generator wrote YAML Kubernetes cannot read: {e}"))?;
    let nonnull: Vec<Json> = docs.iter().filter(|d| !d.is_null()).cloned().collect();
    if decoded != nonnull {
        return Err(format!(
            "the generator changed the meaning of its documents (a test bug):\n{input}"
        ));
    }
    let texts = document_texts(&input);
    match check(k8sjson, &input, &texts, &decoded, &config) {
        Ok(()) => Ok(false),
        Err(Outcome::Refused(_)) if case.palette.aliases => Ok(true),
        Err(other) => Err(other.to_string()),
    }
}

/// Keep the case as a seed for the `filter` fuzz target (fuzz/seed.sh sets
/// WR_FUZZ_SEEDS_DIR): one byte for the configuration, in the target's
/// encoding, then the stream.
fn write_fuzz_seed(dir: &Path, seed: u64, config: &Config, input: &str) {
    let location = common::LOCATIONS
        .iter()
        .position(|l| *l == config.location)
        .expect("a location");
    let namespace = match config.namespace.as_deref() {
        None => 0,
        Some("deis") => 1,
        Some("hephy") => 2,
        Some(_) => 3,
    };
    let choice = location as u8
        | namespace << 2
        | u8::from(config.secret_prefix.is_some()) << 4
        | u8::from(config.keep_on_cluster_registry) << 5
        | u8::from(config.refresher_image.is_some()) << 6
        | u8::from(config.token_refresh_time == "30") << 7;
    let mut bytes = vec![choice];
    bytes.extend_from_slice(input.as_bytes());
    std::fs::create_dir_all(dir).expect("the seeds directory");
    std::fs::write(dir.join(format!("shape-{seed}")), bytes).expect("write a seed");
}

/// Why a run does not agree with the model.
enum Outcome {
    /// The tool refused the input (exit 1, nothing written): allowed only for
    /// inputs whose edits would reach through aliases or merge keys.
    Refused(String),
    Differs(String),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Refused(context) => write!(f, "the tool refused an ordinary input (exit 1)\n{context}"),
            Outcome::Differs(e) => f.write_str(e),
        }
    }
}

fn binary_for(config: &Config) -> Command {
    let mut cmd = common::binary(&config.env());
    cmd.args(config.args());
    cmd
}

/// Run the binary on `input` and hold its output against the model: exit
/// status, meaning (decoded by Kubernetes' decoder), unchanged documents
/// byte for byte, and a second run that changes nothing.
fn check(k8sjson: &Path, input: &str, texts: &[String], decoded: &[Json], config: &Config) -> Result<(), Outcome> {
    let out = common::run(&mut binary_for(config), input);
    let stderr = common::text(&out.stderr);
    let code = out.status.code();
    let context = || {
        format!(
            "configuration {:?} namespace {:?}\n--- input ---\n{input}\n--- stderr ---\n{stderr}",
            config.env(),
            config.namespace
        )
    };
    let differs = |e: String| Outcome::Differs(e);
    let expected = match model::transform(decoded, config) {
        Err(refusals) => {
            if !refusals.iter().any(|r| code == Some(r.exit_code())) || !out.stdout.is_empty() {
                return Err(differs(format!(
                    "the model refuses ({refusals:?}, nothing written) but the tool exited {code:?} with {} bytes\n{}",
                    out.stdout.len(),
                    context()
                )));
            }
            return Ok(());
        }
        Ok(expected) => expected,
    };
    if code == Some(1) && out.stdout.is_empty() {
        return Err(Outcome::Refused(context()));
    }
    if code != Some(0) {
        return Err(differs(format!(
            "the tool exited {code:?} where the model expects success\n{}",
            context()
        )));
    }
    let output = common::text(&out.stdout);
    let actual = decode(k8sjson, &output).map_err(|e| {
        differs(format!(
            "Kubernetes cannot decode the output: {e}\n--- output ---\n{output}\n{}",
            context()
        ))
    })?;
    model::compare(&actual, &expected).map_err(|e| differs(format!("{e}\n--- output ---\n{output}\n{}", context())))?;
    let twice = duplicate_keys(&output);
    if !twice.is_empty() && duplicate_keys(input).is_empty() {
        return Err(differs(format!(
            "the output holds a mapping with two keys Kubernetes reads as one ({}): go-yaml v2 keeps the last, \
             strict readers (yaml.v3, sigs.k8s.io/yaml's strict mode) refuse the document\n--- output ---\n{output}\n{}",
            twice.trim(),
            context()
        )));
    }
    check_untouched_bytes(texts, &output, &expected, decoded)
        .map_err(|e| differs(format!("{e}\n--- output ---\n{output}\n{}", context())))?;
    let again = common::run(&mut binary_for(config), &output);
    if again.status.code() != Some(0) || common::text(&again.stdout) != output {
        return Err(differs(format!(
            "a second run changed the output (exit {:?})\n--- output ---\n{output}\n--- again ---\n{}\n{}",
            again.status.code(),
            common::text(&again.stdout),
            context()
        )));
    }
    Ok(())
}

/// Mappings of `stream` with two keys that decode to one (tests/model/duplicate_keys.py).
fn duplicate_keys(stream: &str) -> String {
    let Some(python) = common::peer("venv/bin/python") else {
        return String::new();
    };
    let mut cmd = Command::new(python);
    cmd.arg(common::root().join("tests/model/duplicate_keys.py"));
    let out = common::run(&mut cmd, stream);
    assert!(out.status.success(), "duplicate_keys.py: {}", common::text(&out.stderr));
    common::text(&out.stdout)
}

/// The whole documents of a stream's text that hold content, without their
/// `---` lines (aligned with what the decoder returns).
fn document_texts(stream: &str) -> Vec<String> {
    let mut docs = common::document_texts(stream);
    docs.retain(|d| {
        d.lines().any(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#') && l != "..."
        })
    });
    docs
}

/// Documents the model keeps unchanged must also keep their bytes: each such
/// input document's text appears in the output as it was.
fn check_untouched_bytes(
    texts: &[String],
    output: &str,
    expected: &[Expected],
    decoded: &[Json],
) -> Result<(), String> {
    for e in expected {
        if let Expected::Input { index, doc } = e {
            if doc == &decoded[*index] && !output.contains(texts[*index].as_str()) {
                return Err(format!(
                    "input document {index} ({}) means the same but its text changed",
                    model::key(doc)
                ));
            }
        }
    }
    Ok(())
}

/// The inputs the cases start from: every fixture, Drycc's chart trimmed
/// (tests/model/drycc-v1.8.3.yaml), and the real charts rendered by Helm 4:
/// Hephy's for each location (RBAC on: its bindings name the release
/// namespace; and once with RBAC off: nothing names it), Drycc's on-cluster
/// (its default) and off-cluster (the three flags off, the seven keys set).
fn fixtures(k8sjson: &Path) -> &'static [Fixture] {
    static POOL: std::sync::OnceLock<Vec<Fixture>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let fixture = |text: &str, drycc: bool| Fixture {
            docs: decode(k8sjson, text).expect("fixtures decode"),
            drycc,
        };
        let mut pool: Vec<Fixture> = common::fixtures()
            .iter()
            .map(|f| fixture(&common::read(f), false))
            .collect();
        let drycc = common::read(&common::root().join("tests/model/drycc-v1.8.3.yaml"));
        pool.extend([fixture(&drycc, true), fixture(&drycc, true)]);
        pool.extend(chart_renders().iter().map(|(r, drycc)| fixture(r, *drycc)));
        pool
    })
}

/// Hephy Workflow v2.23.0 and Drycc Workflow v1.8.3 rendered through Helm
/// 4's SDK with an identity post-renderer (whether each is Drycc's).
fn chart_renders() -> Vec<(String, bool)> {
    let charts = common::root().join("../shared/charts");
    let (hephy, drycc) = (
        charts.join("hephy-workflow-v2.23.0/workflow"),
        charts.join("drycc-workflow-v1.8.3/workflow"),
    );
    if !hephy.is_dir() || !drycc.is_dir() {
        assert!(
            !in_ci(),
            "the real charts in {} are missing (CI: this is a failure)",
            charts.display()
        );
        eprintln!(
            "SKIPPED: the real charts are not in {}: cases use the fixtures only",
            charts.display()
        );
        return vec![];
    }
    let Some(python) = common::peer("venv/bin/python") else {
        return vec![];
    };
    let plugins = common::scratch("differential-identity-plugin");
    std::fs::create_dir_all(plugins.join("identity")).unwrap();
    std::fs::write(
        plugins.join("identity/plugin.yaml"),
        "apiVersion: v1\ntype: postrenderer/v1\nname: identity\nversion: 0.1.0\nruntime: subprocess\n\
         runtimeConfig:\n  platformCommand:\n    - command: /bin/cat\n",
    )
    .unwrap();
    let mut variants: Vec<(std::path::PathBuf, &str, Json)> = common::LOCATIONS
        .iter()
        .map(|l| {
            (
                hephy.clone(),
                "hephy",
                json!({"global": {"registry_location": l, "use_rbac": true}}),
            )
        })
        .chain([(
            hephy.clone(),
            "hephy",
            json!({"global": {"registry_location": "ecr", "use_rbac": false}}),
        )])
        .collect();
    let login = json!({"registryHost": "quay.io", "registryUsername": "myorg+deployer", "registryPassword": "s3cr3t-Passw0rd!"});
    let mut builder = json!({"registry": {"enabled": false}, "registryOrganization": "myorg"});
    let mut controller = json!({"registry": {"enabled": false}});
    for (k, v) in login.as_object().unwrap() {
        builder[k] = v.clone();
        controller[k] = v.clone();
    }
    variants.push((drycc.clone(), "drycc", json!({})));
    variants.push((
        drycc,
        "drycc",
        json!({"registry": {"enabled": false}, "builder": builder, "controller": controller}),
    ));
    let renders: Vec<std::thread::JoinHandle<(String, bool)>> = variants
        .into_iter()
        .map(|(chart, release, values)| {
            let (python, plugins) = (python.clone(), plugins.clone());
            std::thread::spawn(move || {
                let out = Command::new(python)
                    .arg(common::root().join("tests/helm4/run_helm4.py"))
                    .args([chart.as_os_str(), plugins.as_os_str()])
                    .args([
                        "identity",
                        if release == "hephy" { "workflow" } else { release },
                        release,
                    ])
                    .arg(values.to_string())
                    .output()
                    .expect("run Helm 4's SDK");
                assert!(
                    out.status.success(),
                    "Helm 4 render failed: {}",
                    common::text(&out.stderr)
                );
                (common::text(&out.stdout), release == "drycc")
            })
        })
        .collect();
    let rendered = renders.into_iter().map(|h| h.join().expect("render")).collect();
    std::fs::remove_dir_all(plugins).unwrap();
    rendered
}

fn cases(palette: Palette, count: u64, salt: u64) -> Vec<Case> {
    if let Some(seed) = std::env::var("WR_DIFF_SEED").ok().and_then(|s| s.parse().ok()) {
        return vec![Case { seed, palette }];
    }
    let count = std::env::var("WR_DIFF_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(count);
    (0..count)
        .map(|i| Case {
            seed: salt + i,
            palette,
        })
        .collect()
}

fn run_all(cases: Vec<Case>, allow_refusals: bool) {
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let fixtures = fixtures(&k8sjson);
    let mut failures = Vec::new();
    let mut refused = 0;
    let total = cases.len();
    for case in &cases {
        match run_case(&k8sjson, fixtures, case) {
            Ok(r) => refused += usize::from(r),
            Err(e) => failures.push(format!("seed {}: {e}", case.seed)),
        }
    }
    eprintln!("{total} cases, {} failed, {refused} refused", failures.len());
    if std::env::var_os("WR_DIFF_SUMMARY").is_some() {
        for f in &failures {
            let mut lines = f.lines();
            let first = lines.next().unwrap_or("");
            let stderr = lines.skip_while(|l| *l != "--- stderr ---").nth(1).unwrap_or("");
            eprintln!(
                "  {first} {}",
                if first.contains("exited") || first.contains("refused") {
                    stderr
                } else {
                    ""
                }
            );
        }
    }
    assert!(allow_refusals || refused == 0);
    if let Some(first) = failures.first() {
        panic!(
            "{} of {total} cases differ from the reference model; the first:\n{first}",
            failures.len()
        );
    }
}

/// Every fixture exactly as written (no reshaping), every location, with and
/// without `--namespace`: the deterministic core of the suite (it replaces
/// the old oracle test, whose expectations came from the code under test).
#[test]
fn every_fixture_as_written_means_what_the_model_says() {
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let mut failures = Vec::new();
    let mut runs = 0;
    let mut all = common::fixtures();
    all.push(common::root().join("tests/model/drycc-v1.8.3.yaml"));
    for fixture in all {
        let input = common::read(&fixture);
        let decoded = decode(&k8sjson, &input).expect("fixtures decode");
        let texts = document_texts(&input);
        for location in common::LOCATIONS {
            for namespace in [None, Some("deis")] {
                let mut config = Config::for_location(location, common::GCR_KEY);
                config.namespace = namespace.map(str::to_owned);
                runs += 1;
                let what = format!("{} through {location} (--namespace {namespace:?})", fixture.display());
                if let Err(e) = check(&k8sjson, &input, &texts, &decoded, &config) {
                    failures.push(format!("{what}: {e}"));
                }
            }
        }
    }
    assert!(runs >= 50, "only {runs} runs");
    if let Some(first) = failures.first() {
        panic!(
            "{} of {runs} runs differ from the reference model; the first:\n{first}",
            failures.len()
        );
    }
}

#[test]
fn every_ordinary_shape_means_what_the_model_says() {
    run_all(cases(Palette::everything_ordinary(), 300, 1_000), false);
}

#[test]
fn plain_block_style_means_what_the_model_says() {
    let block = Palette {
        comments: true,
        ..Palette::default()
    };
    run_all(cases(block, 100, 50_000), false);
}

/// Issue 20: every name that matters (kinds, names, namespaces, containers,
/// variables, secrets, the keys the edits extend) spelled as only a YAML
/// reader sees through, in documents with no other hint: the output means
/// what the plain spelling would.
#[test]
fn escaped_and_tagged_names_mean_what_the_model_says() {
    let spelled = Palette {
        spellings: true,
        tagged_keys: true,
        flow: true,
        comments: true,
        ..Palette::default()
    };
    run_all(cases(spelled, 200, 70_000), false);
}

#[test]
fn aliases_are_followed_or_refused_never_misread() {
    let palette = Palette {
        aliases: true,
        ..Palette::everything_ordinary()
    };
    run_all(cases(palette, 150, 90_000), true);
}

/// Whether this runs in CI, where a missing peer or chart is a failure.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// A hand-written input, run through the binary and held against the model.
fn hand_case(input: &str, config: &Config) {
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let decoded = decode(&k8sjson, input).expect("the case decodes");
    let texts = document_texts(input);
    if let Err(e) = check(&k8sjson, input, &texts, &decoded, config) {
        panic!("{e}");
    }
}

fn off_cluster() -> Config {
    Config::for_location("off-cluster", common::GCR_KEY)
}

const DEIS_BUILDER: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: deis-builder, namespace: deis}\n\
spec: {template: {spec: {containers: [{name: deis-builder, image: quay.io/deis/builder:v2.18.0}]}}}\n";

// ---- Tool defects found by the model, one reproducer each -------------------------

#[test]
fn finding_1_null_secret_data_keys_are_removed() {
    let input = format!(
        "{DEIS_BUILDER}---\napiVersion: v1\nkind: Secret\nmetadata: {{name: registry-secret, namespace: deis}}\n\
         type: Opaque\ndata:\n  accesskey:\n  region: dXMtd2VzdC0y\n"
    );
    hand_case(&input, &off_cluster());
}

fn location(location: &str) -> Config {
    Config::for_location(location, common::GCR_KEY)
}

/// Drycc's builder and controller as its chart renders them on-cluster (trimmed).
const DRYCC: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: drycc-builder, namespace: drycc}\n\
spec: {template: {spec: {containers: [{name: drycc-builder, image: registry.drycc.cc/drycc/builder:canary, env: [\
{name: DRYCC_REGISTRY_LOCATION, value: on-cluster}, {name: DRYCC_REGISTRY_HOST, value: 'drycc-registry:5000'}, \
{name: DRYCC_REGISTRY_PROXY_HOST, value: '127.0.0.1:5555'}]}]}}}\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: drycc-controller-api, namespace: drycc}\n\
spec: {template: {spec: {containers: [{name: drycc-controller-api, image: registry.drycc.cc/drycc/controller:canary, env: [\
{name: DRYCC_REGISTRY_LOCATION, value: on-cluster}, {name: DRYCC_REGISTRY_SECRET_PREFIX, value: private-registry}]}]}}}\n---\n\
apiVersion: v1\nkind: Service\nmetadata: {name: drycc-registry, namespace: drycc}\n---\n\
apiVersion: v1\nkind: Secret\nmetadata: {name: builder-secret, namespace: drycc}\ntype: Opaque\n";

#[test]
fn finding_2_drycc_controller_creds_keep_their_string_data_keys() {
    let input = format!(
        "{DRYCC}---\napiVersion: v1\nkind: Secret\nmetadata: {{name: controller-creds, namespace: drycc}}\n\
         data: {{service-key: c2VjcmV0}}\nstringData: {{django-secret-key: kept}}\n"
    );
    hand_case(&input, &off_cluster());
}

#[test]
fn finding_3_drycc_builder_variable_from_a_config_map_reads_only_the_secret() {
    let input = DRYCC.replace(
        "{name: DRYCC_REGISTRY_HOST, value: 'drycc-registry:5000'}",
        "{name: DRYCC_REGISTRY_HOST, valueFrom: {configMapKeyRef: {name: registry, key: host}}}",
    );
    hand_case(&input, &off_cluster());
}

#[test]
fn finding_4_drycc_on_cluster_sets_a_configured_prefix_where_declared() {
    let config = Config {
        secret_prefix: Some("acme".into()),
        ..location("on-cluster")
    };
    hand_case(DRYCC, &config);
}

#[test]
fn finding_5_drycc_container_declaring_only_the_prefix_gets_no_location() {
    let input = format!(
        "{DRYCC}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: drycc-helper, namespace: drycc}}\n\
         spec: {{template: {{spec: {{containers: [{{name: helper, image: registry.drycc.cc/drycc/python-dev:latest, \
         env: [{{name: DRYCC_REGISTRY_SECRET_PREFIX, value: private-registry}}]}}]}}}}}}\n"
    );
    hand_case(&input, &off_cluster());
}

#[test]
fn finding_6_items_removed_from_a_list_and_from_a_list_inside_it() {
    let input = format!(
        "{DEIS_BUILDER}---\napiVersion: v1\nkind: List\nitems:\n\
         - {{apiVersion: v1, kind: Service, metadata: {{name: deis-registry, namespace: deis}}}}\n\
         - apiVersion: v1\n  kind: List\n  items:\n  - {{apiVersion: v1, kind: ServiceAccount, metadata: {{name: deis-registry, namespace: deis}}}}\n"
    );
    hand_case(&input, &off_cluster());
}

#[test]
fn finding_7_two_items_removed_from_one_list() {
    let input = format!(
        "apiVersion: v1\nkind: List\nitems:\n- kind: Service\n  metadata: {{name: deis-registry, namespace: deis}}\n\
         - kind: ServiceAccount\n  metadata: {{name: deis-registry, namespace: deis}}\n---\n{DEIS_BUILDER}"
    );
    hand_case(&input, &off_cluster());
}

#[test]
fn finding_8_the_imagebuilder_egress_policy_is_added_once() {
    let input = format!(
        "{DRYCC}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: drycc-imagebuilder, namespace: drycc}}\n\
         spec: {{podSelector: {{matchLabels: {{app: drycc-imagebuilder}}}}, policyTypes: [Egress]}}\n"
    );
    let mut config = off_cluster();
    config.secret_data[0].1 = "10.1.2.3:5000".into();
    hand_case(&input, &config);
}

/// The egress policy is the tool's by its label: the operator's own under
/// that name is left alone, and refused where the tool needs the name.
#[test]
fn an_operators_network_policy_under_the_egress_policys_name_is_never_touched() {
    let theirs = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: drycc-imagebuilder-registry, \
                  namespace: drycc}\nspec: {podSelector: {matchLabels: {app: drycc-imagebuilder}}, policyTypes: [Egress], \
                  egress: [{to: [{ipBlock: {cidr: 10.9.9.9/32}}]}]}\n";
    let ours = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: drycc-imagebuilder-registry, \
                namespace: drycc, labels: {registry.deis.io/generated-by: workflow-registry}}\nspec: {podSelector: {}}\n";
    let policy = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: drycc-imagebuilder, namespace: drycc}\n\
                  spec: {podSelector: {matchLabels: {app: drycc-imagebuilder}}, policyTypes: [Egress]}\n";
    let mut private = off_cluster();
    private.secret_data[0].1 = "10.1.2.3:5000".into();
    for extra in [theirs.to_owned(), format!("{theirs}{ours}")] {
        let input = format!("{DRYCC}{policy}{extra}");
        hand_case(&input, &location("on-cluster"));
        hand_case(&input, &off_cluster());
        hand_case(&input, &private);
    }
}

#[test]
fn finding_9_a_refresher_known_by_its_image_runs_the_configured_image() {
    let input = format!(
        "{DEIS_BUILDER}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: token-refresher, namespace: deis}}\n\
         spec: {{template: {{spec: {{serviceAccountName: deis-registry-token-refresher, containers: [{{name: refresher, \
         image: 'quay.io/hephy/registry-token-refresher:v1.2.2'}}]}}}}}}\n"
    );
    let config = Config {
        refresher_image: Some("registry.example.com/tools/refresher:v9".into()),
        ..location("ecr")
    };
    hand_case(&input, &config);
}

#[test]
fn finding_10_a_value_replaced_at_the_end_of_a_document_keeps_its_line_break() {
    let input = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: deis:deis-registry-token-refresher\n\
         rules:\n- apiGroups: ['']\n  resources: [secrets]\n  verbs:\n  - |-\n    get\n---\n{DEIS_BUILDER}"
    );
    hand_case(&input, &location("ecr"));
}

#[test]
fn finding_11a_stale_secret_keys_written_with_a_tag_are_removed() {
    let input = format!(
        "kind: Secret\nmetadata: {{name: registry-secret, namespace: deis}}\ndata:\n    !!str \"acc\": \"\"\n    \
         !!str \"host\": \"\"\n---\n{DEIS_BUILDER}"
    );
    hand_case(&input, &off_cluster());
}

#[test]
fn finding_11b_an_env_list_whose_key_is_written_as_binary_is_configured() {
    let input = "kind: Deployment\nmetadata: {name: deis-builder, namespace: deis}\nspec:\n  template:\n    spec:\n      \
                 containers:\n      - name: deis-builder\n        !!binary ZW52:\n        - name: A\n          value: b\n";
    hand_case(input, &off_cluster());
}

#[test]
fn finding_12_a_value_key_written_as_binary_is_replaced_not_doubled() {
    let input = "kind: Deployment\nmetadata: {name: deis-builder, namespace: deis}\nspec:\n  template:\n    spec:\n      \
                 containers:\n      - name: deis-builder\n        env:\n        - name: DEIS_REGISTRY_LOCATION\n          \
                 !!binary dmFsdWU=: on-cluster\n";
    hand_case(input, &off_cluster());
}

#[test]
fn finding_10b_a_value_replaced_before_a_document_end_marker_is_configured() {
    let input = format!(
        "kind: ClusterRoleBinding\nmetadata: {{name: \"deis:deis-registry-token-refresher\"}}\n\
         roleRef: {{kind: ClusterRole, name: \"deis:deis-registry-token-refresher\"}}\nsubjects:\n  - kind: ServiceAccount\n    \
         name: deis-registry-token-refresher\n    namespace: >2-\n      elsewhere\n...\n---\n{DEIS_BUILDER}"
    );
    hand_case(&input, &location("ecr"));
}

#[test]
fn finding_13_drycc_without_its_builder_is_configured_without_a_builder_secret() {
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: drycc-controller-api, namespace: drycc}\n\
                 spec: {template: {spec: {containers: [{name: drycc-controller-api, image: registry.drycc.cc/drycc/controller:canary, \
                 env: [{name: DRYCC_REGISTRY_LOCATION, value: on-cluster}]}]}}}\n";
    hand_case(input, &off_cluster());
}

#[test]
fn finding_14_the_only_item_of_a_list_ending_with_an_empty_value_is_removed() {
    let input = format!(
        "{DEIS_BUILDER}---\nkind: Service\nmetadata: {{name: deis-registry, namespace: deis}}\n---\napiVersion: v1\nkind: List\n\
         items:\n- kind: ServiceAccount\n  metadata: {{name: deis-registry-token-refresher}}\n  x:\n"
    );
    hand_case(&input, &location("on-cluster"));
}

#[test]
fn finding_15_drycc_off_cluster_to_docker_hub_as_docker_io() {
    let mut config = off_cluster();
    config.secret_data[0].1 = "docker.io".into();
    hand_case(DRYCC, &config);
}

/// The model checked against the chart it models (the oracle of docs/testing.md): Drycc's
/// default (on-cluster) render taken off-cluster by the model is what the
/// chart itself renders off-cluster (all three `registry.enabled` flags off,
/// the seven host and login keys set): the same documents, every container's
/// environment alike, `builder-secret` with the same data, `controller-creds`
/// with the same keys. The chart's random values (passwords, generated keys,
/// worker names) are not compared.
#[test]
fn the_model_takes_drycc_off_cluster_as_the_chart_renders_it() {
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let renders: Vec<Vec<Json>> = fixtures(&k8sjson)
        .iter()
        .filter(|f| f.drycc && f.docs.len() > 50)
        .map(|f| f.docs.clone())
        .collect();
    let [on, off] = renders.as_slice() else {
        return; // the charts are missing: chart_renders() said so
    };
    let config = off_cluster();
    let expected = model::transform(on, &config).expect("the model configures Drycc off-cluster");
    let model_docs: Vec<&Json> = expected.iter().map(Expected::doc).collect();
    let keys = |docs: &[&Json]| {
        let mut k: Vec<String> = docs.iter().map(|d| model::key(d)).collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&model_docs),
        keys(&off.iter().collect::<Vec<_>>()),
        "the documents differ"
    );
    let env = |doc: &Json| -> Vec<(String, Json)> {
        ["/spec/template/spec", "/spec/jobTemplate/spec/template/spec"]
            .iter()
            .filter_map(|p| doc.pointer(p))
            .flat_map(|spec| ["initContainers", "containers"].map(|l| spec.get(l).cloned()))
            .flatten()
            .flat_map(|list| list.as_array().cloned().unwrap_or_default())
            .map(|c| {
                (
                    c["name"].as_str().unwrap_or("").to_owned(),
                    c.get("env").cloned().unwrap_or(Json::Null),
                )
            })
            .collect()
    };
    let mut compared = 0;
    for m in &model_docs {
        let chart = off
            .iter()
            .find(|d| model::key(d) == model::key(m))
            .expect("matched above");
        match (m["kind"].as_str(), m["metadata"]["name"].as_str()) {
            (Some("Secret"), Some("builder-secret")) => assert_eq!(m["data"], chart["data"], "builder-secret"),
            (Some("Secret"), Some("controller-creds")) => {
                let names = |d: &Json| {
                    let mut k: Vec<String> = d["data"]
                        .as_object()
                        .map(|o| o.keys().cloned().collect())
                        .unwrap_or_default();
                    k.sort();
                    k
                };
                assert_eq!(names(m), names(chart), "controller-creds' keys");
            }
            _ => {
                let (a, b) = (env(m), env(chart));
                let registry = |e: &[(String, Json)]| format!("{e:?}").contains("REGISTRY");
                if registry(&a) || registry(&b) {
                    assert_eq!(a, b, "{}: the containers' environment", model::key(m));
                    compared += 1;
                }
            }
        }
    }
    assert!(
        compared >= 7,
        "only {compared} workloads with registry variables compared"
    );
}

#[test]
fn finding_16_drycc_docker_hub_without_a_host_is_written_docker_io_in_a_new_builder_secret() {
    let mut config = off_cluster();
    config.secret_data[0].1 = String::new();
    let without_secret = DRYCC.replace(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: builder-secret, namespace: drycc}\ntype: Opaque\n",
        "",
    );
    assert_ne!(without_secret, DRYCC);
    hand_case(&without_secret, &config);
    hand_case(DRYCC, &config);
}

#[test]
fn finding_17_keys_written_as_binary_in_flow_mappings_are_found_by_what_they_decode_to() {
    let flow = |data: &str| {
        format!("kind: Secret\nmetadata: {{name: registry-secret, namespace: deis}}\ndata: {data}\n---\n{DEIS_BUILDER}")
    };
    hand_case(&flow("{a: \"\", !!binary Zm9v: \"YmFy\"}"), &location("ecr"));
    hand_case(&flow("{!!binary Zm9v: \"YmFy\", zz: \"YmFy\"}"), &location("ecr"));
}

#[test]
fn finding_18_a_hooks_pass_that_empties_a_list_stays_a_hooks_pass() {
    let input = "kind: Deployment\nmetadata: {name: deis-builder, namespace: deis, annotations: {helm.sh/hook: pre-install}}\n\
                 spec: {template: {spec: {containers: [{name: deis-builder}]}}}\n---\nkind: List\nitems:\n\
                 - kind: ServiceAccount\n  metadata: {name: deis-registry-token-refresher, annotations: {helm.sh/hook: pre-install}}\n";
    hand_case(input, &location("on-cluster"));
}

#[test]
fn finding_19_a_refresher_scaled_to_zero_is_no_legacy_copy() {
    let input = format!(
        "{DEIS_BUILDER}---\napiVersion: v1\nkind: ReplicationController\nmetadata: {{name: deis-registry-token-refresher, namespace: deis}}\n\
         spec:\n  replicas: 0\n  template:\n    spec:\n      initContainers:\n      - {{name: deis-builder, image: example/deis-builder:v1}}\n      \
         containers:\n      - {{name: refresher, image: example/refresher:v1}}\n"
    );
    hand_case(&input, &location("ecr"));
}

#[test]
fn finding_1b_a_string_data_that_is_not_a_mapping_is_removed() {
    let input = format!(
        "{DEIS_BUILDER}---\napiVersion: v1\nkind: Secret\nmetadata: {{name: registry-secret, namespace: deis}}\n\
         type: Opaque\nstringData: password\n"
    );
    hand_case(&input, &off_cluster());
}

#[test]
fn finding_20_drycc_off_cluster_removes_a_string_data_left_with_no_key() {
    let input = DRYCC.replace("type: Opaque\n", "type: Opaque\nstringData:\n  registry-username: u\n");
    hand_case(&input, &off_cluster());
}

#[test]
fn finding_21_drycc_back_on_cluster_rewires_the_builder_and_drops_the_login() {
    let input = DRYCC
        .replace(
            "{name: DRYCC_REGISTRY_HOST, value: 'drycc-registry:5000'}, \
             {name: DRYCC_REGISTRY_PROXY_HOST, value: '127.0.0.1:5555'}",
            "{name: DRYCC_REGISTRY_HOST, valueFrom: {secretKeyRef: {name: builder-secret, key: registry-host}}}, \
             {name: DRYCC_REGISTRY_ORGANIZATION, valueFrom: {secretKeyRef: {name: builder-secret, key: registry-organization}}}",
        )
        .replace(
            "type: Opaque\n",
            "type: Opaque\ndata:\n  registry-host: cXVheS5pbw==\n  registry-organization: bw==\n",
        );
    assert!(
        input.contains("registry-organization}"),
        "the builder is wired off-cluster"
    );
    hand_case(&input, &location("on-cluster"));
}

#[test]
fn finding_22_drycc_on_cluster_reaches_the_node_proxy_on_its_host_port() {
    let input = DRYCC.replace(", {name: DRYCC_REGISTRY_PROXY_HOST, value: '127.0.0.1:5555'}", "")
        + "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: drycc-registry-proxy, namespace: drycc}\n\
           spec: {template: {spec: {containers: [{name: drycc-registry-proxy, image: registry.drycc.cc/drycc/registry:canary, \
           ports: [{containerPort: 8080, hostPort: 6000}]}]}}}\n";
    assert!(!input.contains("5555"), "the builder does not say the proxy");
    hand_case(&input, &location("on-cluster"));
}
