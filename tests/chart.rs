//! Against the real chart: Hephy Workflow v2.23.0 (`../shared/charts/`),
//! rendered by the real Helm 4 CLI (`helm template`). The chart configured
//! for a location from its own values is the oracle; the default render
//! (on-cluster) through the plugin configured by environment for the same
//! location must mean the same, differ only by the documented improvements
//! (docs/semantics.md), and leave every other document byte for byte. Both
//! go through a post-renderer (ours, or one that passes the stream through),
//! since Helm 4 re-serializes what it hands to one.
//!
//! The post-render strategies `separate` and `nohooks` exist only in Helm
//! 4's Go SDK (no CLI flag): that test renders through the SDK.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::charts::{self, envs, refresher_meaning, secret_data, Chart, IMPROVEMENTS, REGISTRY_DOCS};
use common::helm::Helm;
use common::{location_env, text};
use serde_json::Value as Json;

/// The chart, Helm 4 with our plugin and a pass-through one, the decoder.
struct Setup {
    chart: Chart,
    helm: Helm,
    k8sjson: PathBuf,
    dir: PathBuf,
}

fn setup() -> Option<Setup> {
    let chart = charts::hephy()?;
    let k8sjson = common::peer("k8sjson")?;
    let dir = common::scratch("chart");
    let helm = Helm::v4(&dir.join("helm"))?;
    helm.link_our_plugin();
    helm.add_cat_plugin();
    Some(Setup {
        chart,
        helm,
        k8sjson,
        dir,
    })
}

impl Setup {
    /// `helm template` of the chart with `values`, through `plugin`, with
    /// `env`: (success, stdout, stderr).
    fn render(&self, plugin: &str, values: &Json, env: &[(&str, String)]) -> (bool, String, String) {
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let file = self.dir.join(format!("values-{call}.json"));
        std::fs::write(&file, values.to_string()).unwrap();
        let args = [
            "template",
            self.chart.release,
            self.chart.dir.to_str().unwrap(),
            "--namespace",
            self.chart.namespace,
            "--values",
            file.to_str().unwrap(),
            "--post-renderer",
            plugin,
        ];
        match self.helm.run(&args, env) {
            Ok(out) => (true, out, String::new()),
            Err(e) => (false, String::new(), e),
        }
    }

    /// The chart's own rendering for `values`.
    fn chart_render(&self, values: &Json) -> String {
        let (ok, out, err) = self.render("cat", values, &[]);
        assert!(ok, "{err}");
        out
    }

    /// The default render through the plugin, configured by `env`.
    fn plugin_render(&self, env: &[(&str, String)]) -> String {
        let (ok, out, err) = self.render("workflow-registry", &serde_json::json!({}), env);
        assert!(ok, "{env:?}: {err}");
        out
    }

    /// Each object as Kubernetes reads it, by kind/name, the release
    /// namespace dropped whether written or left to Helm.
    fn decode(&self, yaml: &str) -> BTreeMap<String, Json> {
        common::k8s_decode(&self.k8sjson, yaml)
            .into_iter()
            .map(|(_, mut v)| {
                if v["metadata"]["namespace"] == self.chart.namespace {
                    v["metadata"].as_object_mut().unwrap().remove("namespace");
                }
                (kind_name(&v), v)
            })
            .collect()
    }

    /// The documents of a stream by kind/name, as written.
    fn texts(&self, stream: &str) -> BTreeMap<String, String> {
        // k8sjson prints one line per document that is more than comments
        // and blank lines, in order.
        let written: Vec<String> = common::document_texts(stream)
            .into_iter()
            .filter(|d| {
                d.lines()
                    .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            })
            .collect();
        let decoded = common::k8s_decode(&self.k8sjson, stream);
        assert_eq!(written.len(), decoded.len(), "documents of the stream");
        decoded.iter().map(|(_, v)| kind_name(v)).zip(written).collect()
    }
}

fn kind_name(v: &Json) -> String {
    format!(
        "{}/{}",
        v["kind"].as_str().unwrap_or(""),
        v["metadata"]["name"].as_str().unwrap_or("")
    )
}

/// The chart values that configure `location` as the test configuration does.
fn chart_values(s: &Setup, location: &str) -> Json {
    (s.chart.values)(location)
}

#[test]
fn the_plugin_means_what_the_chart_renders_for_each_location() {
    let Some(h) = setup() else { return };
    for location in ["off-cluster", "ecr", "gcr"] {
        let oracle_text = h.chart_render(&chart_values(&h, location));
        let ours_text = h.plugin_render(&location_env(location));
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
        assert!(
            secret_data(&oracle[secret]) == secret_data(&ours[secret]),
            "{location}: registry-secret's data differs from the chart's"
        );
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
                binding["subjects"][0]["namespace"], h.chart.namespace,
                "{location}: found from the chart's bindings"
            );
        }

        // Every other document is byte-identical, but hooks: the chart
        // generates their keys and passwords at random on every render.
        let (oracle_texts, our_texts) = (h.texts(&oracle_text), h.texts(&ours_text));
        for (key, t) in &oracle_texts {
            let hook = oracle[key]["metadata"]["annotations"]["helm.sh/hook"].is_string();
            if !REGISTRY_DOCS.contains(&key.as_str()) && !hook {
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
    let Some(h) = setup() else { return };
    let locations = common::LOCATIONS;
    let renders: BTreeMap<&str, String> = locations
        .iter()
        .map(|l| (*l, h.chart_render(&chart_values(&h, l))))
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
                assert!(
                    secret_data(secret) == secret_data(&ours["Secret/registry-secret"]),
                    "{from} -> {to}: registry-secret's data differs"
                );
            }
        }
    }
}

#[test]
fn without_rbac_the_namespace_must_be_passed_and_then_it_is_used() {
    let Some(h) = setup() else { return };
    let no_rbac = serde_json::json!({"global": {"use_rbac": false}});
    let log = h.dir.join("errors.log");
    let mut env = location_env("ecr");
    env.push(("WORKFLOW_REGISTRY_LOG", log.display().to_string()));
    let (ok, _, _) = h.render("workflow-registry", &no_rbac, &env);
    assert!(!ok, "an unknown namespace with ecr must fail the render");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("WORKFLOW_REGISTRY_NAMESPACE"), "{logged}");

    env.push(("WORKFLOW_REGISTRY_NAMESPACE", h.chart.namespace.into()));
    let (ok, out, err) = h.render("workflow-registry", &no_rbac, &env);
    assert!(ok, "{err}");
    let docs = h.decode(&out);
    assert_eq!(
        docs["ClusterRoleBinding/deis:deis-registry-token-refresher"]["subjects"][0]["namespace"],
        h.chart.namespace
    );
}

#[test]
fn a_refresh_time_is_refused_with_the_charts_stock_refresher() {
    let Some(h) = setup() else { return };
    // Configured for the plugin.
    let mut env = location_env("ecr");
    env.push(("DEIS_TOKEN_REFRESH_TIME", "30".into()));
    let log = h.dir.join("refresh.log");
    env.push(("WORKFLOW_REGISTRY_LOG", log.display().to_string()));
    let (ok, _, _) = h.render("workflow-registry", &serde_json::json!({}), &env);
    assert!(!ok);
    assert!(std::fs::read_to_string(&log).unwrap().contains("GetRefreshTime"));
    // Rendered by the chart itself (which would crash the refresher): refused too.
    let mut values = chart_values(&h, "ecr");
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
    let Some(h) = setup() else { return };
    let mut values = chart_values(&h, "ecr");
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

/// A render through Helm 4's Go SDK (helm-python-sdk's binding of it), with a
/// post-render strategy: only the SDK has `separate` and `nohooks`.
fn sdk_render(python: &Path, chart: &Chart, plugins: &Path, env: &[(&str, String)], strategy: &str) -> String {
    let mut cmd = Command::new(python);
    cmd.arg(common::root().join("tests/helm4/run_helm4.py"))
        .arg(&chart.dir)
        .arg(plugins)
        .args(["workflow-registry", chart.release, chart.namespace, "{}"])
        .args(["--strategy", strategy])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", plugins);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{strategy}: {}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn every_sdk_strategy_gives_one_secret_and_one_refresher() {
    let Some(h) = setup() else { return };
    let Some(python) = common::peer("venv/bin/python") else {
        return;
    };
    for location in ["off-cluster", "ecr", "gcr"] {
        for strategy in ["combined", "separate", "nohooks"] {
            let out = sdk_render(&python, &h.chart, &h.helm.plugins, &location_env(location), strategy);
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
