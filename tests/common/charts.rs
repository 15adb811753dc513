//! The real Workflow charts beside the repository (`../shared/charts/`), each
//! with the values that configure a registry location the chart's own way:
//! rendering the chart with those values is the oracle for what the tool,
//! configured for the same location, must make of the chart's default render.
//! Another platform (Drycc, once the tool supports it) is one more [`Chart`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine;
use serde_json::Value as Json;

use super::location_env;

/// A real chart and how the tests drive it.
pub struct Chart {
    /// Its directory name under `charts/`.
    pub name: &'static str,
    /// The chart directory (holding Chart.yaml).
    pub dir: PathBuf,
    pub release: &'static str,
    /// The release namespace (never `deis`, so that nothing passes by a default).
    pub namespace: &'static str,
    /// The locations the tool supports on this chart.
    pub locations: &'static [&'static str],
    /// The chart's values that configure a location as the test configuration does.
    pub values: fn(&str) -> Json,
    /// The documents the tool adds to the chart's own for a location.
    pub added: fn(&str) -> Vec<&'static str>,
    /// A walk through [`Chart::locations`] that takes every switch between
    /// two of them exactly once (an Euler circuit of the complete directed
    /// graph), for the upgrade tests. Its last three steps are rolled back to.
    pub tour: &'static [&'static str],
    /// Text replacements (file under the chart, from, to) without which the
    /// chart does not install on a current Kubernetes at all (an API the
    /// chart was written for was removed), whatever the registry: applied to
    /// a copy before a test installs it.
    pub for_current_kubernetes: &'static [(&'static str, &'static str, &'static str)],
}

/// `../shared/` (or `WR_SHARED`): where the real charts are.
pub fn shared_dir() -> Option<PathBuf> {
    let root = super::root();
    [
        std::env::var_os("WR_SHARED").map(PathBuf::from),
        Some(root.join("../shared")),
        Some(root.join("../../shared")),
    ]
    .into_iter()
    .flatten()
    .find(|s| s.join("charts").is_dir())
}

/// Hephy Workflow v2.23.0; None (a recorded skip, a failure under CI) when it
/// is not beside the repository.
pub fn hephy() -> Option<Chart> {
    let name = "hephy-workflow-v2.23.0";
    let Some(dir) = shared_dir().map(|s| s.join("charts").join(name).join("workflow")) else {
        super::skip(
            &super::test_name(),
            "the real charts are missing",
            "expected <repo>/../shared/charts/ (or WR_SHARED)",
        );
        return None;
    };
    if !dir.join("Chart.yaml").is_file() {
        super::skip(
            &super::test_name(),
            &format!("{} is missing", dir.display()),
            "expected the Hephy chart in ../shared/charts/",
        );
        return None;
    }
    Some(Chart {
        name,
        dir,
        release: "workflow",
        namespace: "hephy",
        locations: &super::LOCATIONS,
        values: hephy_values,
        added: |location| {
            if ["ecr", "gcr"].contains(&location) {
                IMPROVEMENTS.to_vec()
            } else {
                vec![]
            }
        },
        // Ending on-cluster after off-cluster and gcr: rolling back to gcr
        // brings the refresher and its access back, to off-cluster removes them.
        tour: &[
            "on-cluster",
            "off-cluster",
            "ecr",
            "gcr",
            "on-cluster",
            "ecr",
            "off-cluster",
            "gcr",
            "ecr",
            "on-cluster",
            "gcr",
            "off-cluster",
            "on-cluster",
        ],
        // nsqd v2.5.1's PodDisruptionBudget is written for policy/v1beta1,
        // removed in Kubernetes 1.25; policy/v1 has the same fields.
        for_current_kubernetes: &[("charts/nsqd/templates/nsqd-pdb.yaml", "policy/v1beta1", "policy/v1")],
    })
}

/// Hephy's (and Deis v2's) values for `location`, from the test configuration.
fn hephy_values(location: &str) -> Json {
    let env: BTreeMap<&str, String> = location_env(location).into_iter().collect();
    let e = |k: &str| env.get(k).cloned().unwrap_or_default();
    serde_json::json!({
        "global": {"registry_location": location},
        "registry-token-refresher": {
            "off_cluster_registry": {
                "hostname": e("REGISTRY_HOSTNAME"), "organization": e("REGISTRY_ORGANIZATION"),
                "username": e("REGISTRY_USERNAME"), "password": e("REGISTRY_PASSWORD"),
            },
            "ecr": {
                "accesskey": e("ECR_ACCESS_KEY"), "secretkey": e("ECR_SECRET_KEY"),
                "region": if location == "ecr" { e("ECR_REGION") } else { "us-west-2".into() },
                "registryid": e("ECR_REGISTRY_ID"), "hostname": "",
            },
            // The v2 chart takes the key as base64 of the JSON (deis/workflow PR #672).
            "gcr": {"key_json": base64::engine::general_purpose::STANDARD.encode(e("GCR_KEY_JSON")), "hostname": ""},
        }
    })
}

impl Chart {
    /// A copy of the chart in `to` with [`Chart::for_current_kubernetes`] applied.
    pub fn copy_for_current_kubernetes(&self, to: &std::path::Path) -> PathBuf {
        super::copy_dir(&self.dir, to);
        for (file, from, replacement) in self.for_current_kubernetes {
            let path = to.join(file);
            let text = super::read(&path);
            assert!(text.contains(from), "{}: no {from:?} to replace", path.display());
            std::fs::write(&path, text.replace(from, replacement)).unwrap();
        }
        to.to_path_buf()
    }
}

/// The documents the tool adds that the chart never had (docs/semantics.md):
/// the refresher's ServiceAccount and RBAC.
pub const IMPROVEMENTS: [&str; 3] = [
    "ServiceAccount/deis-registry-token-refresher",
    "ClusterRole/deis:deis-registry-token-refresher",
    "ClusterRoleBinding/deis:deis-registry-token-refresher",
];

/// Documents whose registry settings are compared by meaning.
pub const REGISTRY_DOCS: [&str; 4] = [
    "Deployment/deis-builder",
    "Deployment/deis-controller",
    "Secret/registry-secret",
    "Deployment/deis-registry-token-refresher",
];

/// Every container's env as name -> value (literal values; valueFrom as
/// JSON, without the `apiVersion: v1` that the API server fills into a
/// fieldRef, so that a stored object and a rendered one compare).
pub fn envs(doc: &Json) -> BTreeMap<String, BTreeMap<String, Json>> {
    let spec = &doc["spec"]["template"]["spec"];
    ["initContainers", "containers"]
        .iter()
        .flat_map(|k| spec[k].as_array().cloned().unwrap_or_default())
        .map(|c| {
            let env = c["env"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|e| {
                    let value = if let Some(from) = e.get("valueFrom") {
                        let mut from = from.clone();
                        if from.pointer("/fieldRef/apiVersion") == Some(&Json::from("v1")) {
                            from["fieldRef"].as_object_mut().unwrap().remove("apiVersion");
                        }
                        from
                    } else {
                        e.get("value").cloned().unwrap_or(Json::String(String::new()))
                    };
                    (e["name"].as_str().unwrap_or("").to_owned(), value)
                })
                .collect();
            (c["name"].as_str().unwrap_or("").to_owned(), env)
        })
        .collect()
}

/// A Secret's data, decoded; a null value is an empty one (the chart writes
/// `registryid:` for empty, ours `""`).
pub fn secret_data(doc: &Json) -> BTreeMap<String, String> {
    doc["data"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let b = base64::engine::general_purpose::STANDARD
                .decode(v.as_str().unwrap_or(""))
                .unwrap();
            (k.clone(), String::from_utf8(b).unwrap())
        })
        .collect()
}

/// The registry-relevant part of a refresher Deployment (volumes by the
/// secret they name: the server fills in a default mode).
pub fn refresher_meaning(doc: &Json) -> Json {
    let spec = &doc["spec"]["template"]["spec"];
    let c = &spec["containers"][0];
    let volumes: Vec<Json> = spec["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| serde_json::json!({"name": v["name"], "secret": v["secret"]["secretName"]}))
        .collect();
    let mounts: Vec<Json> = c["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| serde_json::json!({"name": m["name"], "mountPath": m["mountPath"], "readOnly": m["readOnly"]}))
        .collect();
    serde_json::json!({
        "image": c["image"],
        "env": envs(doc),
        "mounts": mounts,
        "volumes": volumes,
    })
}
