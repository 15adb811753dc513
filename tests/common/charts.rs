//! The real Workflow charts beside the repository (`../shared/charts/`), each
//! with the values that configure a registry location the chart's own way:
//! rendering the chart with those values is the oracle for what the tool,
//! configured for the same location, must make of the chart's default render.
//! Each platform is one [`Chart`]: Hephy Workflow v2.23.0 and Drycc Workflow
//! v1.8.3.

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
    /// Where the chart's own render is random (a new value on every render),
    /// field by field: `Kind/name` and the paths of [`mask_random`] in it.
    /// Everything else the chart renders is the same on every render.
    pub random: &'static [(&'static str, &'static [&'static str])],
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

/// The chart `name` under `../shared/charts/`; None (a recorded skip, a
/// failure under CI) when it is not there.
fn chart_dir(name: &str) -> Option<PathBuf> {
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
            &format!("expected the chart {name} in ../shared/charts/"),
        );
        return None;
    }
    Some(dir)
}

/// Every real chart the tests drive, each once (None where one is missing:
/// a recorded skip, a failure under CI).
pub fn all() -> Vec<Option<Chart>> {
    vec![hephy(), drycc()]
}

/// Hephy Workflow v2.23.0; None (a recorded skip, a failure under CI) when it
/// is not beside the repository.
pub fn hephy() -> Option<Chart> {
    let name = "hephy-workflow-v2.23.0";
    let dir = chart_dir(name)?;
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
        // randAlphaNum, randAscii and genPrivateKey, all in pre-install hooks
        // (which Helm keeps apart from the release's objects).
        random: &[
            ("Secret/builder-key-auth", &["/data/builder-key"]),
            (
                "Secret/builder-ssh-private-keys",
                &["/data/ssh-host-rsa-key", "/data/ssh-host-ecdsa-key"],
            ),
            ("Secret/database-creds", &["/data/user", "/data/password"]),
            ("Secret/deploy-hook-key", &["/data/secret-key"]),
            ("Secret/django-secret-key", &["/data/secret-key"]),
            ("Secret/logger-redis-creds", &["/data/password"]),
        ],
    })
}

/// Drycc Workflow v1.8.3 (release = namespace = `drycc`, as its `install.sh`
/// does); None (a recorded skip, a failure under CI) when it is not beside
/// the repository.
pub fn drycc() -> Option<Chart> {
    let name = "drycc-workflow-v1.8.3";
    let dir = chart_dir(name)?;
    Some(Chart {
        name,
        dir,
        release: "drycc",
        namespace: "drycc",
        locations: &["on-cluster", "off-cluster"],
        values: drycc_values,
        // The off-cluster registry of the test configuration (quay.io) is at
        // a public address: imagebuilder's own NetworkPolicy lets it through,
        // and the tool adds nothing the chart lacks.
        added: |_| vec![],
        tour: &["on-cluster", "off-cluster", "on-cluster"],
        for_current_kubernetes: &[],
        // The chart's README ("Not deterministic") and its templates:
        // randAlphaNum/randAscii and lookups that find nothing offline,
        // genPrivateKey, genCA/genSignedCert, uuidv4 and now.
        random: &[
            (
                "Secret/builder-ssh-private-keys",
                &["/data/ssh-host-rsa-key", "/data/ssh-host-ecdsa-key"],
            ),
            (
                "Secret/controller-creds",
                &[
                    "/data/service-key",
                    "/data/django-secret-key",
                    "/data/deploy-hook-secret-key",
                ],
            ),
            (
                "Secret/controller-mutate-cert",
                &[
                    "/data/key",
                    "/data/ca.key",
                    "/data/ca.crt",
                    "/data/tls.key",
                    "/data/tls.crt",
                ],
            ),
            (
                "MutatingWebhookConfiguration/drycc-controller-mutate",
                &[
                    "/webhooks/*/clientConfig/caBundle",
                    "/webhooks/*/clientConfig/service/path",
                ],
            ),
            (
                "Secret/database-creds",
                &[
                    "/data/superuser-password",
                    "/data/replicator-password",
                    "/data/user",
                    "/data/password",
                ],
            ),
            (
                "Secret/grafana-creds",
                &["/data/admin-username", "/data/admin-password"],
            ),
            (
                "Secret/passport-creds",
                &[
                    "/data/django-secret-key",
                    "/data/oidc-rsa-private-key",
                    "/data/drycc-passport-controller-key",
                    "/data/drycc-passport-controller-secret",
                    "/data/drycc-passport-grafana-key",
                    "/data/drycc-passport-grafana-secret",
                ],
            ),
            (
                "Secret/registry-secret",
                &["/data/secret", "/data/username", "/data/password"],
            ),
            ("Secret/storage-creds", &["/data/accesskey", "/data/secretkey"]),
            ("Secret/valkey-creds", &["/data/password"]),
            // `celery ... worker -n {{uuidv4}}@%h ...`: the worker's name only.
            (
                "Deployment/drycc-controller-celery",
                &["/spec/template/spec/containers/*/args/*#uuid"],
            ),
            // JSON in a ConfigMap value: each fixture's timestamps.
            (
                "ConfigMap/controller-config",
                &[
                    "/data/limit-specs.json/*/fields/created",
                    "/data/limit-specs.json/*/fields/updated",
                    "/data/limit-plans.json/*/fields/created",
                    "/data/limit-plans.json/*/fields/updated",
                ],
            ),
        ],
    })
}

/// Drycc's values for `location`, from the test configuration: what its
/// README says a fully off-cluster configuration needs (all three
/// `registry.enabled` flags off, the builder's four and the controller's
/// three host and login keys).
fn drycc_values(location: &str) -> Json {
    if location == "on-cluster" {
        return serde_json::json!({});
    }
    assert_eq!(location, "off-cluster", "Drycc has on-cluster and off-cluster only");
    let env: BTreeMap<&str, String> = location_env(location).into_iter().collect();
    let (host, user, password) = (
        &env["REGISTRY_HOSTNAME"],
        &env["REGISTRY_USERNAME"],
        &env["REGISTRY_PASSWORD"],
    );
    serde_json::json!({
        "registry": {"enabled": false},
        "builder": {
            "registry": {"enabled": false},
            "registryHost": host, "registryUsername": user, "registryPassword": password,
            "registryOrganization": env["REGISTRY_ORGANIZATION"],
        },
        "controller": {
            "registry": {"enabled": false},
            "registryHost": host, "registryUsername": user, "registryPassword": password,
        },
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
/// fieldRef, so that a stored object and a rendered one compare). A
/// CronJob's containers are those of its job template.
pub fn envs(doc: &Json) -> BTreeMap<String, BTreeMap<String, Json>> {
    let spec = match doc["kind"].as_str() {
        Some("CronJob") => &doc["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        _ => &doc["spec"]["template"]["spec"],
    };
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

/// The random paths of `chart` in the document `key` (`Kind/name`).
fn random_paths(chart: &Chart, key: &str) -> Vec<&'static str> {
    chart
        .random
        .iter()
        .filter(|(k, _)| *k == key)
        .flat_map(|(_, paths)| paths.iter().copied())
        .collect()
}

/// Apply `f` to every value at `path` in `value`: `/`-separated keys, `*`
/// for every item of a list or every key of a map. Where the path goes on
/// from a string, the string is read as JSON (a ConfigMap value holding a
/// JSON file) and replaced by what it decodes to. Returns how many values
/// `f` saw.
fn at_path(value: &mut Json, segments: &[&str], f: &mut dyn FnMut(&mut Json)) -> usize {
    let Some((first, rest)) = segments.split_first() else {
        f(value);
        return 1;
    };
    if let Json::String(text) = value {
        let Ok(mut parsed) = serde_json::from_str::<Json>(text) else {
            return 0;
        };
        let n = at_path(&mut parsed, segments, f);
        *value = parsed;
        return n;
    }
    match (value, *first) {
        (Json::Array(items), "*") => items.iter_mut().map(|v| at_path(v, rest, f)).sum(),
        (Json::Object(map), "*") => map.values_mut().map(|v| at_path(v, rest, f)).sum(),
        (Json::Array(items), index) => match index.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
            Some(v) => at_path(v, rest, f),
            None => 0,
        },
        (Json::Object(map), key) => map.get_mut(key).map_or(0, |v| at_path(v, rest, f)),
        _ => 0,
    }
}

/// The UUIDs (8-4-4-4-12 hexadecimal digits) in `text`, where they start.
fn uuids(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let shape = |at: usize| {
        b.len() >= at + 36
            && (0..36).all(|i| match i {
                8 | 13 | 18 | 23 => b[at + i] == b'-',
                _ => b[at + i].is_ascii_hexdigit(),
            })
    };
    (0..b.len()).filter(|&at| shape(at)).collect()
}

/// One random path applied to `doc`: each value at `path` becomes what alone
/// can be compared of it (its JSON type: `<random string>`), or with a
/// `#uuid` suffix each UUID in the string becomes `<uuid>`. Returns the
/// random values it replaced.
fn mask_path(doc: &mut Json, path: &str) -> Vec<Json> {
    let (path, uuid_only) = match path.strip_suffix("#uuid") {
        Some(p) => (p, true),
        None => (path, false),
    };
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut seen = Vec::new();
    at_path(doc, &segments, &mut |v| {
        if uuid_only {
            let Json::String(s) = v else { return };
            let starts = uuids(s);
            for at in starts.iter().rev() {
                seen.push(Json::from(&s[*at..*at + 36]));
                s.replace_range(*at..*at + 36, "<uuid>");
            }
        } else {
            let kind = match v {
                Json::Null => "null",
                Json::Bool(_) => "boolean",
                Json::Number(_) => "number",
                Json::String(_) => "string",
                Json::Array(_) => "list",
                Json::Object(_) => "map",
            };
            seen.push(std::mem::replace(v, Json::from(format!("<random {kind}>"))));
        }
    });
    seen
}

/// `doc` (the document `key`, `Kind/name`, of `chart`'s render) with every
/// field where the chart is random replaced by what can be compared of it
/// (its type; in a string with a random part, the rest); Err names a random
/// path that holds no random value in it (the list no longer fits the chart).
pub fn mask_random(chart: &Chart, key: &str, doc: &Json) -> Result<Json, String> {
    let mut doc = doc.clone();
    for path in random_paths(chart, key) {
        if mask_path(&mut doc, path).is_empty() {
            return Err(format!("{}: {key} has no random value at {path}", chart.name));
        }
    }
    Ok(doc)
}

/// The random values of document `key`, path by path (what
/// [`mask_random`] replaces).
pub fn random_values(chart: &Chart, key: &str, doc: &Json) -> Vec<(&'static str, Vec<Json>)> {
    let mut doc = doc.clone();
    random_paths(chart, key)
        .into_iter()
        .map(|path| (path, mask_path(&mut doc, path)))
        .collect()
}

/// Whether `a` and `b` (the document `key` of two renders of `chart`) are
/// the same where the chart is not random, and of the same type where it is;
/// Err says where they first differ (never a Secret's value).
pub fn same_but_random(chart: &Chart, key: &str, a: &Json, b: &Json) -> Result<(), String> {
    let (a, b) = (mask_random(chart, key, a)?, mask_random(chart, key, b)?);
    match first_difference(&a, &b, "") {
        None => Ok(()),
        Some(at) if a["kind"] == "Secret" => Err(format!("{key} differs at {at}")),
        Some(at) => Err(format!(
            "{key} differs at {at}: {} | {}",
            a.pointer(&at).map_or("(none)".into(), ToString::to_string),
            b.pointer(&at).map_or("(none)".into(), ToString::to_string)
        )),
    }
}

/// The JSON pointer of the first place where `a` and `b` differ.
fn first_difference(a: &Json, b: &Json, at: &str) -> Option<String> {
    let escape = |k: &str| k.replace('~', "~0").replace('/', "~1");
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_difference(p, q, &format!("{at}/{}", escape(k))),
                _ => Some(format!("{at}/{}", escape(k))),
            })
        }
        (Json::Array(x), Json::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, &format!("{at}/{i}"))),
        _ if a == b => None,
        _ => Some(at.to_owned()),
    }
}

/// Each Secret of `docs` (`Kind/name` -> object) by name: its data decoded
/// (and any `stringData`, which the API server merges into `data`), each
/// value where the chart is random as None (its key still compared).
pub fn secrets_but_random(
    chart: &Chart,
    docs: &BTreeMap<String, Json>,
) -> BTreeMap<String, BTreeMap<String, Option<String>>> {
    docs.iter()
        .filter(|(_, d)| d["kind"] == "Secret")
        .map(|(key, doc)| {
            let random = random_paths(chart, key);
            let mut data: BTreeMap<String, Option<String>> =
                secret_data(doc).into_iter().map(|(k, v)| (k, Some(v))).collect();
            for (k, v) in doc["stringData"].as_object().into_iter().flatten() {
                data.insert(k.clone(), Some(v.as_str().unwrap_or("").to_owned()));
            }
            for (k, v) in data.iter_mut() {
                if random.contains(&format!("/data/{k}").as_str()) {
                    *v = None;
                }
            }
            (key.clone(), data)
        })
        .collect()
}
