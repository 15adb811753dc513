//! Against the real chart: Hephy Workflow v2.23.0 (`../shared/charts/`),
//! rendered by Helm 4's own SDK. The chart configured for a location from its
//! own values is the oracle; the default render (on-cluster) through the
//! plugin configured by environment for the same location must mean the same,
//! differ only by the documented improvements (docs/semantics.md), and leave
//! every other document byte for byte.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use common::{location_env, text};
use serde_json::Value as Json;

/// The release namespace: not `deis`, RBAC on (the chart's default).
const NAMESPACE: &str = "hephy";

/// The chart, beside the repository (`<repo>/../shared`, or here two levels up).
fn chart() -> Option<PathBuf> {
    let root = common::root();
    let candidates = [
        std::env::var_os("WR_SHARED").map(PathBuf::from),
        Some(root.join("../shared")),
        Some(root.join("../../shared")),
    ];
    let found = candidates
        .into_iter()
        .flatten()
        .map(|s| s.join("charts/hephy-workflow-v2.23.0/workflow"))
        .find(|c| c.join("Chart.yaml").is_file());
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("the Hephy chart is missing (CI=true: this is a failure): expected <repo>/../shared/charts/hephy-workflow-v2.23.0");
        }
        eprintln!("SKIPPED: the Hephy chart is missing (<repo>/../shared/charts/hephy-workflow-v2.23.0)");
    }
    found
}

struct Helm {
    python: PathBuf,
    k8sjson: PathBuf,
    chart: PathBuf,
    /// Plugin folders: `cat` (the chart's own rendering) and ours.
    cat: PathBuf,
    ours: PathBuf,
    dir: PathBuf,
}

fn helm() -> Option<Helm> {
    let chart = chart()?;
    let python = common::peer("venv/bin/python")?;
    let k8sjson = common::peer("k8sjson")?;
    let dir = common::scratch("chart");
    let cat = dir.join("cat");
    std::fs::create_dir_all(&cat).unwrap();
    std::fs::write(
        cat.join("plugin.yaml"),
        "apiVersion: v1\ntype: postrenderer/v1\nname: cat\nversion: 0.1.0\nruntime: subprocess\nruntimeConfig:\n  platformCommand:\n    - os: linux\n      command: /bin/cat\n",
    )
    .unwrap();
    let ours = dir.join("workflow-registry");
    std::fs::create_dir_all(ours.join("bin")).unwrap();
    std::fs::copy(common::root().join("plugin.yaml"), ours.join("plugin.yaml")).unwrap();
    // A link, not a copy: an executable being written while another thread
    // forks is "text file busy" when that thread's child runs it.
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_workflow-registry"),
        ours.join("bin/workflow-registry"),
    )
    .unwrap();
    Some(Helm {
        python,
        k8sjson,
        chart,
        cat,
        ours,
        dir,
    })
}

/// The chart values that configure `location` as the test configuration does.
fn chart_values(location: &str) -> Json {
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

impl Helm {
    /// `helm install --dry-run` through a plugin; (success, stdout, stderr).
    fn render(&self, plugin: &Path, values: &Json, env: &[(&str, String)], strategy: &str) -> (bool, String, String) {
        let mut cmd = Command::new(&self.python);
        cmd.arg(common::root().join("tests/helm4/run_helm4.py"))
            .arg(&self.chart)
            .arg(plugin)
            .arg(plugin.file_name().unwrap())
            .args(["workflow", NAMESPACE])
            .arg(values.to_string())
            .args(["--strategy", strategy])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &self.dir);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    }

    /// The chart's own rendering for `values`.
    fn chart_render(&self, values: &Json) -> String {
        let (ok, out, err) = self.render(&self.cat, values, &[], "combined");
        assert!(ok, "{err}");
        out
    }

    /// The default render through the plugin, configured by `env`.
    fn plugin_render(&self, env: &[(&str, String)], strategy: &str) -> String {
        let (ok, out, err) = self.render(&self.ours, &serde_json::json!({}), env, strategy);
        assert!(ok, "{env:?} {strategy}: {err}");
        out
    }

    fn decode(&self, yaml: &str) -> BTreeMap<String, Json> {
        common::k8s_decode(&self.k8sjson, yaml)
            .into_iter()
            .map(|(_, mut v)| {
                // The release namespace, whether written or left to Helm.
                if v["metadata"]["namespace"] == NAMESPACE {
                    v["metadata"].as_object_mut().unwrap().remove("namespace");
                }
                let key = format!(
                    "{}/{}",
                    v["kind"].as_str().unwrap_or(""),
                    v["metadata"]["name"].as_str().unwrap_or("")
                );
                (key, v)
            })
            .collect()
    }
}

/// The documents of a stream by kind/name, as written.
fn texts(stream: &str) -> BTreeMap<String, String> {
    workflow_registry::manifest::parse_stream(stream)
        .unwrap()
        .iter()
        .filter(|d| d.root.is_some())
        .map(|d| {
            let key = format!("{}/{}", d.kind().unwrap_or(""), d.name().unwrap_or(""));
            (key, d.chunk.text.trim_start_matches("---\n").to_owned())
        })
        .collect()
}

/// The documents the plugin adds that the chart never had (docs/semantics.md).
const IMPROVEMENTS: [&str; 3] = [
    "ServiceAccount/deis-registry-token-refresher",
    "ClusterRole/deis:deis-registry-token-refresher",
    "ClusterRoleBinding/deis:deis-registry-token-refresher",
];
/// Documents whose registry settings are compared by meaning.
const REGISTRY_DOCS: [&str; 4] = [
    "Deployment/deis-builder",
    "Deployment/deis-controller",
    "Secret/registry-secret",
    "Deployment/deis-registry-token-refresher",
];

/// Every container's env as name -> value (literal values; valueFrom as JSON).
fn envs(doc: &Json) -> BTreeMap<String, BTreeMap<String, Json>> {
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
                    let value = if e.get("valueFrom").is_some() {
                        e["valueFrom"].clone()
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
fn secret_data(doc: &Json) -> BTreeMap<String, String> {
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

/// The registry-relevant part of a refresher Deployment.
fn refresher_meaning(doc: &Json) -> Json {
    let spec = &doc["spec"]["template"]["spec"];
    let c = &spec["containers"][0];
    serde_json::json!({
        "image": c["image"],
        "env": envs(doc),
        "mounts": c["volumeMounts"],
        "volumes": spec["volumes"],
    })
}

#[test]
fn the_plugin_means_what_the_chart_renders_for_each_location() {
    let Some(h) = helm() else { return };
    for location in ["off-cluster", "ecr", "gcr"] {
        let oracle_text = h.chart_render(&chart_values(location));
        let ours_text = h.plugin_render(&location_env(location), "combined");
        let oracle = h.decode(&oracle_text);
        let ours = h.decode(&ours_text);
        assert!(
            oracle.len() > 50,
            "{location}: the chart rendered {} documents",
            oracle.len()
        );
        for key in REGISTRY_DOCS.iter().take(3) {
            assert!(oracle.contains_key(*key), "{location}: the chart renders {key}");
        }
        assert_eq!(
            oracle.contains_key("Deployment/deis-registry-token-refresher"),
            location != "off-cluster"
        );

        // Which documents exist: the chart's, plus the documented improvements.
        let missing: Vec<&String> = oracle.keys().filter(|k| !ours.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{location}: missing {missing:?}");
        let extra: Vec<&String> = ours
            .keys()
            .filter(|k| !oracle.contains_key(*k) && !IMPROVEMENTS.contains(&k.as_str()))
            .collect();
        assert!(extra.is_empty(), "{location}: extra {extra:?}");
        let improvements = IMPROVEMENTS.iter().filter(|k| ours.contains_key(**k)).count();
        assert_eq!(
            improvements,
            if location == "off-cluster" { 0 } else { 3 },
            "{location}"
        );

        // The env of every container of every document means the same.
        for (key, doc) in &oracle {
            assert_eq!(envs(doc), envs(&ours[key]), "{location}: env of {key}");
        }
        // The registry-secret decodes to the same values.
        let secret = "Secret/registry-secret";
        assert_eq!(secret_data(&oracle[secret]), secret_data(&ours[secret]), "{location}");
        assert_eq!(oracle[secret]["type"], ours[secret]["type"]);
        assert_eq!(
            oracle[secret]["metadata"]["annotations"]["deis.io/registry-location"],
            ours[secret]["metadata"]["annotations"]["deis.io/registry-location"]
        );
        let refresher = "Deployment/deis-registry-token-refresher";
        if let Some(theirs) = oracle.get(refresher) {
            assert_eq!(
                refresher_meaning(theirs),
                refresher_meaning(&ours[refresher]),
                "{location}"
            );
            assert_eq!(
                ours[refresher]["spec"]["template"]["spec"]["serviceAccountName"],
                "deis-registry-token-refresher"
            );
            let binding = &ours["ClusterRoleBinding/deis:deis-registry-token-refresher"];
            assert_eq!(
                binding["subjects"][0]["namespace"], NAMESPACE,
                "{location}: found from the chart's bindings"
            );
        }

        // Every other document is byte-identical.
        let (oracle_texts, our_texts) = (texts(&oracle_text), texts(&ours_text));
        for (key, t) in &oracle_texts {
            if !REGISTRY_DOCS.contains(&key.as_str()) {
                assert_eq!(Some(t), our_texts.get(key), "{location}: {key} is not byte-identical");
            }
        }
    }
}

/// The filter run directly on a chart rendering.
fn filter(input: &str, env: &[(&str, String)], args: &[&str]) -> std::process::Output {
    common::run(common::binary(env).args(args), input)
}

#[test]
fn location_switches_between_renders_of_different_locations() {
    let Some(h) = helm() else { return };
    let locations = common::LOCATIONS;
    let renders: BTreeMap<&str, String> = locations
        .iter()
        .map(|l| (*l, h.chart_render(&chart_values(l))))
        .collect();
    for from in locations {
        for to in locations {
            let out = filter(&renders[from], &location_env(to), &[]);
            if to == "on-cluster" && from != "on-cluster" {
                assert_eq!(out.status.code(), Some(2), "{from} -> {to}: no registry to keep");
                assert!(out.stdout.is_empty());
                continue;
            }
            assert!(out.status.success(), "{from} -> {to}: {}", text(&out.stderr));
            let ours = h.decode(&text(&out.stdout));
            let oracle = h.decode(&renders[to]);
            for (key, doc) in &oracle {
                let ours_doc = ours.get(key).unwrap_or_else(|| panic!("{from} -> {to}: {key} missing"));
                assert_eq!(envs(doc), envs(ours_doc), "{from} -> {to}: env of {key}");
            }
            let extra: Vec<&String> = ours
                .keys()
                .filter(|k| !oracle.contains_key(*k) && !IMPROVEMENTS.contains(&k.as_str()))
                .collect();
            assert!(extra.is_empty(), "{from} -> {to}: extra {extra:?}");
            if let Some(secret) = oracle.get("Secret/registry-secret") {
                assert_eq!(
                    secret_data(secret),
                    secret_data(&ours["Secret/registry-secret"]),
                    "{from} -> {to}"
                );
            }
        }
    }
}

#[test]
fn without_rbac_the_namespace_must_be_passed_and_then_it_is_used() {
    let Some(h) = helm() else { return };
    let no_rbac = serde_json::json!({"global": {"use_rbac": false}});
    let log = h.dir.join("errors.log");
    let mut env = location_env("ecr");
    env.push(("WORKFLOW_REGISTRY_LOG", log.display().to_string()));
    let (ok, _, _) = h.render(&h.ours, &no_rbac, &env, "combined");
    assert!(!ok, "an unknown namespace with ecr must fail the render");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("WORKFLOW_REGISTRY_NAMESPACE"), "{logged}");

    env.push(("WORKFLOW_REGISTRY_NAMESPACE", NAMESPACE.into()));
    let (ok, out, err) = h.render(&h.ours, &no_rbac, &env, "combined");
    assert!(ok, "{err}");
    let docs = h.decode(&out);
    assert_eq!(
        docs["ClusterRoleBinding/deis:deis-registry-token-refresher"]["subjects"][0]["namespace"],
        NAMESPACE
    );
}

#[test]
fn a_refresh_time_is_refused_with_the_charts_stock_refresher() {
    let Some(h) = helm() else { return };
    // Configured for the plugin.
    let mut env = location_env("ecr");
    env.push(("DEIS_TOKEN_REFRESH_TIME", "30".into()));
    let log = h.dir.join("refresh.log");
    env.push(("WORKFLOW_REGISTRY_LOG", log.display().to_string()));
    let (ok, _, _) = h.render(&h.ours, &serde_json::json!({}), &env, "combined");
    assert!(!ok);
    assert!(std::fs::read_to_string(&log).unwrap().contains("GetRefreshTime"));
    // Rendered by the chart itself (which would crash the refresher): refused too.
    let mut values = chart_values("ecr");
    values["registry-token-refresher"]["token_refresh_time"] = "30".into();
    let rendered = h.chart_render(&values);
    assert!(rendered.contains("value: \"30\""), "the chart renders the value");
    let out = filter(&rendered, &location_env("ecr"), &[]);
    // The value is the input's: exit 1, at its line.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(", line "), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("pkg/config.go"));
}

#[test]
fn the_charts_own_prefix_stands() {
    let Some(h) = helm() else { return };
    let mut values = chart_values("ecr");
    values["global"]["secret_prefix"] = "acme".into();
    let rendered = h.chart_render(&values);
    let out = filter(&rendered, &location_env("ecr"), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let docs = h.decode(&text(&out.stdout));
    for key in [
        "Deployment/deis-builder",
        "Deployment/deis-controller",
        "Deployment/deis-registry-token-refresher",
    ] {
        let env = envs(&docs[key]);
        let prefix = env.values().find_map(|e| e.get("DEIS_REGISTRY_SECRET_PREFIX").cloned());
        assert_eq!(prefix, Some(Json::from("acme")), "{key}");
    }
    assert_eq!(
        docs["ClusterRole/deis:deis-registry-token-refresher"]["rules"][2]["resourceNames"],
        serde_json::json!(["acme-ecr"])
    );
}

#[test]
fn every_strategy_gives_one_secret_and_one_refresher() {
    let Some(h) = helm() else { return };
    for location in ["off-cluster", "ecr", "gcr"] {
        for strategy in ["combined", "separate", "nohooks"] {
            let out = h.plugin_render(&location_env(location), strategy);
            let docs = common::k8s_decode(&h.k8sjson, &out);
            let count = |kind: &str, name: &str| {
                docs.iter()
                    .filter(|(_, v)| v["kind"] == kind && v["metadata"]["name"] == name)
                    .count()
            };
            assert_eq!(count("Secret", "registry-secret"), 1, "{location} {strategy}");
            assert_eq!(
                count("Deployment", "deis-registry-token-refresher"),
                usize::from(location != "off-cluster"),
                "{location} {strategy}"
            );
        }
    }
}
