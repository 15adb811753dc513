//! Against the real charts (`../shared/charts/`), rendered by the real Helm
//! 4 CLI (`helm template`): Hephy Workflow v2.23.0 and Drycc Workflow v1.8.3.
//! The chart configured for a location from its own values is the oracle;
//! the default render (on-cluster) through the tool configured by environment
//! for the same location must mean the same (Hephy: but the documented
//! improvements, docs/semantics.md), and leave every other document byte for
//! byte. Hephy's renders go through a post-renderer (ours, or one that passes
//! the stream through), since Helm 4 re-serializes what it hands to one;
//! Drycc's default render is piped through the binary, so that its output is
//! compared with its very input, and goes through the plugin as well, and
//! through Helm 3's post-renderer (the binary's path).
//!
//! Where a chart's render is random (`Chart::random`: generated keys and
//! passwords, certificates, UUIDs, timestamps), two renders are compared by
//! structure there, field by field; everywhere else by value.
//!
//! The post-render strategies `separate` and `nohooks` exist only in Helm
//! 4's Go SDK (no CLI flag): those tests render through the SDK.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::charts::{self, envs, refresher_meaning, same_but_random, secret_data, Chart, IMPROVEMENTS, REGISTRY_DOCS};
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

fn setup(chart: fn() -> Option<Chart>) -> Option<Setup> {
    let chart = chart()?;
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
        self.render_with(Some(plugin), values, env)
    }

    /// `helm template` of the chart with `values` and no post-renderer.
    fn plain_render(&self, values: &Json) -> String {
        let (ok, out, err) = self.render_with(None, values, &[]);
        assert!(ok, "{err}");
        out
    }

    /// `helm template` of the chart with `values`, through `plugin` if any,
    /// with `env`: (success, stdout, stderr).
    fn render_with(&self, plugin: Option<&str>, values: &Json, env: &[(&str, String)]) -> (bool, String, String) {
        self.template(&self.helm, plugin, values, env)
    }

    /// `helm template` of the chart by `helm` with `values`, through
    /// `post_renderer` if any (Helm 4: a plugin's name; Helm 3: a path),
    /// with `env`: (success, stdout, stderr).
    fn template(
        &self,
        helm: &Helm,
        post_renderer: Option<&str>,
        values: &Json,
        env: &[(&str, String)],
    ) -> (bool, String, String) {
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let file = self.dir.join(format!("values-{call}.json"));
        std::fs::write(&file, values.to_string()).unwrap();
        let mut args = vec![
            "template",
            self.chart.release,
            self.chart.dir.to_str().unwrap(),
            "--namespace",
            self.chart.namespace,
            "--values",
            file.to_str().unwrap(),
        ];
        if let Some(post_renderer) = post_renderer {
            args.extend(["--post-renderer", post_renderer]);
        }
        match helm.run(&args, env) {
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
        documents(&self.k8sjson, stream)
            .into_iter()
            .map(|(key, (text, _))| (key, text))
            .collect()
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
    let Some(h) = setup(charts::hephy) else { return };
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

/// Every Secret of `ours` and `oracle` agrees (by name, key and decoded
/// value, but where the chart is random); the message names the Secrets
/// that differ, never a value.
fn assert_secrets_agree(chart: &Chart, oracle: &BTreeMap<String, Json>, ours: &BTreeMap<String, Json>, what: &str) {
    let (theirs, ours) = (
        charts::secrets_but_random(chart, oracle),
        charts::secrets_but_random(chart, ours),
    );
    let differ: BTreeSet<&String> = theirs
        .keys()
        .chain(ours.keys())
        .filter(|k| theirs.get(*k) != ours.get(*k))
        .collect();
    assert!(
        differ.is_empty(),
        "{what}: the data of {differ:?} differ from the chart's"
    );
}

#[test]
fn location_switches_between_renders_of_different_locations() {
    for chart in [charts::hephy, charts::drycc] {
        let Some(h) = setup(chart) else { continue };
        let locations = h.chart.locations;
        let renders: BTreeMap<&str, String> = locations
            .iter()
            .map(|l| (*l, h.chart_render(&chart_values(&h, l))))
            .collect();
        for from in locations {
            for to in locations {
                let step = format!("{}: {from} -> {to}", h.chart.name);
                let out = filter(&renders[from], &location_env(to), &[]);
                if *to == "on-cluster" && *from != "on-cluster" {
                    assert_eq!(out.status.code(), Some(2), "{step}: no registry to keep");
                    assert!(out.stdout.is_empty());
                    continue;
                }
                assert!(out.status.success(), "{step}: {}", text(&out.stderr));
                let ours = h.decode(&text(&out.stdout));
                let oracle = h.decode(&renders[to]);
                for (key, doc) in &oracle {
                    let ours_doc = ours.get(key).unwrap_or_else(|| panic!("{step}: {key} missing"));
                    assert_eq!(envs(doc), envs(ours_doc), "{step}: env of {key}");
                }
                let added = (h.chart.added)(to);
                let extra: Vec<&String> = ours
                    .keys()
                    .filter(|k| !oracle.contains_key(*k) && !added.contains(&k.as_str()))
                    .collect();
                assert!(extra.is_empty(), "{step}: extra {extra:?}");
                assert_secrets_agree(&h.chart, &oracle, &ours, &step);
            }
        }
    }
}

#[test]
fn without_rbac_the_namespace_must_be_passed_and_then_it_is_used() {
    let Some(h) = setup(charts::hephy) else { return };
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

/// Helm hands a post-renderer its own environment, not the namespace its
/// `--namespace` chose: a `HELM_NAMESPACE` left in the shell that differs
/// from the release namespace the chart renders is refused, through Helm 3's
/// `--post-renderer` and Helm 4's plugin, never followed. Where the chart
/// names no namespace (no RBAC), it names only the refresher binding's
/// subject; the generated documents land with Workflow's.
#[test]
fn a_stale_helm_namespace_in_the_shell_is_refused() {
    let Some(h) = setup(charts::hephy) else { return };
    let Some(helm3) = Helm::v3(&h.dir.join("helm3")) else {
        return;
    };
    let log = h.dir.join("stale.log");
    let mut env = location_env("ecr");
    env.push(("WORKFLOW_REGISTRY_LOG", log.display().to_string()));
    env.push(("HELM_NAMESPACE", "stale".into()));
    let binary = env!("CARGO_BIN_EXE_workflow-registry");
    for (helm, post_renderer) in [(&helm3, binary), (&h.helm, "workflow-registry")] {
        let (ok, _, err) = h.template(helm, Some(post_renderer), &serde_json::json!({}), &env);
        assert!(!ok, "{post_renderer}: the render must fail");
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            logged.contains("HELM_NAMESPACE=\"stale\" is set"),
            "{post_renderer}: {logged}{err}"
        );
        std::fs::remove_file(&log).unwrap();
    }
    let no_rbac = serde_json::json!({"global": {"use_rbac": false}});
    env.pop();
    env.push(("HELM_NAMESPACE", h.chart.namespace.into()));
    let (ok, out, err) = h.template(&h.helm, Some("workflow-registry"), &no_rbac, &env);
    assert!(ok, "{err}");
    let docs = documents(&h.k8sjson, &out);
    assert_eq!(docs["Secret/registry-secret"].1["metadata"].get("namespace"), None);
    let binding = &docs["ClusterRoleBinding/deis:deis-registry-token-refresher"].1;
    assert_eq!(binding["subjects"][0]["namespace"], h.chart.namespace);
}

#[test]
fn a_refresh_time_is_refused_with_the_charts_stock_refresher() {
    let Some(h) = setup(charts::hephy) else { return };
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
    let Some(h) = setup(charts::hephy) else { return };
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
fn sdk_render(
    python: &Path,
    chart: &Chart,
    plugins: &Path,
    plugin: &str,
    env: &[(&str, String)],
    strategy: &str,
) -> String {
    let mut cmd = Command::new(python);
    cmd.arg(common::root().join("tests/helm4/run_helm4.py"))
        .arg(&chart.dir)
        .arg(plugins)
        .args([plugin, chart.release, chart.namespace, "{}"])
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
    let Some(h) = setup(charts::hephy) else { return };
    let Some(python) = common::peer("venv/bin/python") else {
        return;
    };
    for location in ["off-cluster", "ecr", "gcr"] {
        for strategy in ["combined", "separate", "nohooks"] {
            let out = sdk_render(
                &python,
                &h.chart,
                &h.helm.plugins,
                "workflow-registry",
                &location_env(location),
                strategy,
            );
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

/// A stream's documents by `Kind/name`: each as written and as Kubernetes
/// decodes it.
type Documents = BTreeMap<String, (String, Json)>;

/// The documents of a stream, by `Kind/name` (unique in a chart's render:
/// checked), as written and as Kubernetes decodes them. The namespace is
/// part of what is compared (the decoded `metadata`), not of the key.
fn documents(k8sjson: &Path, stream: &str) -> Documents {
    // k8sjson prints one line per document that is more than comments and
    // blank lines, in order.
    let written: Vec<String> = common::document_texts(stream)
        .into_iter()
        .filter(|d| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .collect();
    let decoded = common::k8s_decode(k8sjson, stream);
    assert_eq!(written.len(), decoded.len(), "documents of the stream");
    let mut docs = BTreeMap::new();
    for ((_, doc), text) in decoded.into_iter().zip(written) {
        let key = kind_name(&doc);
        assert!(
            docs.insert(key.clone(), (text, doc)).is_none(),
            "{key} twice in the stream"
        );
    }
    docs
}

/// Each document of `ours` means what the document of that name in
/// `oracle` means (but where the chart is random), and they hold the same
/// documents.
fn assert_means_the_charts_render(chart: &Chart, oracle: &Documents, ours: &Documents, what: &str) {
    let missing: Vec<&String> = oracle.keys().filter(|k| !ours.contains_key(*k)).collect();
    let extra: Vec<&String> = ours.keys().filter(|k| !oracle.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: missing {missing:?}, extra {extra:?}"
    );
    for (key, (_, doc)) in oracle {
        if let Err(e) = same_but_random(chart, key, doc, &ours[key].1) {
            panic!("{what}: {e}");
        }
    }
}

/// What Drycc's own off-cluster render changes in its default one (its
/// README, "Registry configuration"): the six documents of the on-cluster
/// registry go; the builder, its Secret, `controller-creds` and every
/// workload of the controller (the upgrade hook Job included) change.
const DRYCC_OFF_CLUSTER_CHANGES: [&str; 16] = [
    "ServiceAccount/drycc-registry",
    "Secret/registry-secret",
    "Service/drycc-registry",
    "DaemonSet/drycc-registry-proxy",
    "Deployment/drycc-registry",
    "CronJob/drycc-registry-cronjob-daily",
    "Deployment/drycc-builder",
    "Secret/builder-secret",
    "Secret/controller-creds",
    "Deployment/drycc-controller-api",
    "Deployment/drycc-controller-celery",
    "Deployment/drycc-controller-metric",
    "Deployment/drycc-controller-mutate",
    "CronJob/drycc-controller-cronjob-daily",
    "CronJob/drycc-controller-cronjob-hourly",
    "Job/drycc-controller-job-upgrade",
];

/// Drycc's default render (Helm 4's `helm template`, no values: on-cluster)
/// piped through the binary configured for each location means exactly what
/// the chart renders with that location's own values: the same documents,
/// each the same but where the chart is random (and there of the same
/// type); every document that the location does not change in the chart's
/// own renders is written byte for byte as read, and on-cluster changes
/// nothing at all. The same render through the plugin means the same.
#[test]
fn drycc_the_tool_means_what_the_chart_renders_for_each_location() {
    let Some(h) = setup(charts::drycc) else { return };
    let input_text = h.plain_render(&serde_json::json!({}));
    let input = documents(&h.k8sjson, &input_text);
    assert!(input.len() > 100, "the chart rendered {} documents", input.len());
    for (key, _) in h.chart.random {
        assert!(input.contains_key(*key), "{key} is listed as random but not rendered");
    }
    for location in h.chart.locations {
        let oracle_text = h.plain_render(&chart_values(&h, location));
        let oracle = documents(&h.k8sjson, &oracle_text);
        let registry = oracle.contains_key("Deployment/drycc-registry");
        assert_eq!(
            registry,
            *location == "on-cluster",
            "{location}: the chart's own registry"
        );

        if *location == "on-cluster" {
            // Two renders of the same values: every field listed as random
            // differs between them (the list is no wider than the chart's
            // randomness), and they agree everywhere else.
            for (key, (_, doc)) in &oracle {
                let (theirs, ours) = (
                    charts::random_values(&h.chart, key, doc),
                    charts::random_values(&h.chart, key, &input[key].1),
                );
                for ((path, a), (_, b)) in theirs.iter().zip(&ours) {
                    assert!(!a.is_empty() && a != b, "{key}: {path} is the same in two renders");
                }
            }
            assert_means_the_charts_render(&h.chart, &oracle, &input, "two default renders");
        }

        let out = filter(&input_text, &location_env(location), &[]);
        assert!(out.status.success(), "{location}: {}", text(&out.stderr));
        let ours_text = text(&out.stdout);
        let ours = documents(&h.k8sjson, &ours_text);
        assert_means_the_charts_render(&h.chart, &oracle, &ours, &format!("piped, {location}"));
        let mut changed = BTreeSet::new();
        for (key, (written, doc)) in &input {
            if oracle
                .get(key)
                .is_some_and(|(_, theirs)| same_but_random(&h.chart, key, doc, theirs).is_ok())
            {
                assert_eq!(
                    Some(written),
                    ours.get(key).map(|(t, _)| t),
                    "{location}: {key} is not byte-identical"
                );
            } else {
                changed.insert(key.as_str());
            }
        }
        if *location == "on-cluster" {
            assert_eq!(ours_text, input_text, "on-cluster changes nothing");
        } else {
            assert_eq!(
                changed,
                BTreeSet::from(DRYCC_OFF_CLUSTER_CHANGES),
                "{location}: the documents the chart's own render changes"
            );
        }

        // Through the plugin, compared with the chart's render through a
        // pass-through post-renderer: Helm 4 re-serializes what goes to one
        // (an empty `annotations:` is dropped).
        let plugin = documents(&h.k8sjson, &h.plugin_render(&location_env(location)));
        let oracle = documents(&h.k8sjson, &h.chart_render(&chart_values(&h, location)));
        assert_means_the_charts_render(&h.chart, &oracle, &plugin, &format!("through the plugin, {location}"));
    }
}

/// Back to on-cluster means Drycc's own on-cluster render (its default):
/// after an off-cluster run that kept the registry (a migration), and on a
/// render whose builder alone was switched off (`builder.registry.enabled
/// = false`), the builder again reaches the registry's Service and node
/// proxy with the registry's own login, and builder-secret and
/// controller-creds hold no registry login. Compared as the API server
/// keeps them: a variable the tool adds comes last, so variables compare by
/// name (no `$(VAR)` names one of the chart's), and a Secret's `data`
/// emptied of its last key is no data, as the chart's null is.
#[test]
fn drycc_back_to_on_cluster_means_the_charts_default_render() {
    let Some(h) = setup(charts::drycc) else { return };
    let default = h.plain_render(&serde_json::json!({}));
    let oracle = as_stored(documents(&h.k8sjson, &default));
    let off = filter(&default, &location_env("off-cluster"), &["--keep-on-cluster-registry"]);
    assert!(off.status.success(), "{}", text(&off.stderr));
    let builder_off = h.plain_render(&serde_json::json!({"builder": {"registry": {"enabled": false}}}));
    for (what, input) in [
        ("off-cluster keeping the registry, then on-cluster", text(&off.stdout)),
        ("builder.registry.enabled=false, then on-cluster", builder_off),
    ] {
        let out = filter(&input, &location_env("on-cluster"), &[]);
        assert!(out.status.success(), "{what}: {}", text(&out.stderr));
        let ours = as_stored(documents(&h.k8sjson, &text(&out.stdout)));
        assert_means_the_charts_render(&h.chart, &oracle, &ours, what);
    }
}

/// Every container's variables in the order of their names, and no empty
/// `data` of a Secret.
fn as_stored(mut docs: Documents) -> Documents {
    for (_, doc) in docs.values_mut() {
        if doc["kind"] == "Secret" && doc["data"].as_object().is_none_or(|d| d.is_empty()) {
            doc.as_object_mut().unwrap().remove("data");
        }
        let spec = match doc["kind"].as_str() {
            Some("CronJob") => "/spec/jobTemplate/spec/template/spec",
            _ => "/spec/template/spec",
        };
        for list in ["initContainers", "containers"] {
            let Some(Json::Array(containers)) = doc.pointer_mut(&format!("{spec}/{list}")) else {
                continue;
            };
            for c in containers {
                if let Some(Json::Array(env)) = c.get_mut("env") {
                    env.sort_by_key(|e| e["name"].as_str().unwrap_or_default().to_owned());
                }
            }
        }
    }
    docs
}

/// Under a kustomize namePrefix Drycc's Secrets are renamed (inside
/// kustomize before the references to them, which a plain render of the
/// kustomization shows renamed too): the login written under the chart's
/// names would not reach the builder, so both are refused (exit 1, nothing
/// written), naming the renamed Secret and why its name must stay.
#[test]
fn drycc_under_a_kustomize_name_prefix_is_refused_naming_the_secret() {
    let Some(h) = setup(charts::drycc) else { return };
    let Some(kustomize) = common::peer("bin/kustomize") else {
        return;
    };
    // kustomize cannot read the render's duplicate keys: it gets the
    // documents as Kubernetes decodes them.
    let decoded = common::k8s_decode(&h.k8sjson, &h.plain_render(&serde_json::json!({})));
    let stream: String = decoded.iter().map(|(_, d)| format!("---\n{d}\n")).collect();
    let dir = h.dir.join("name-prefix");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("workflow.yaml"), stream).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_workflow-registry"), dir.join("workflow-registry")).unwrap();
    std::fs::write(
        dir.join("registry.yaml"),
        "apiVersion: registry.deis.io/v1alpha1\nkind: WorkflowRegistry\nmetadata:\n  name: workflow-registry\n  \
         annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./workflow-registry\nspec:\n  \
         registry_location: off-cluster\n  off_cluster_registry: {hostname: quay.io, organization: o, username: u, \
         password: p}\n",
    )
    .unwrap();
    let build = |transformers: &str| {
        let kustomization = format!("resources:\n- workflow.yaml\nnamePrefix: x-\n{transformers}");
        std::fs::write(dir.join("kustomization.yaml"), kustomization).unwrap();
        Command::new(&kustomize)
            .args(["build", "--enable-alpha-plugins", "--enable-exec", "."])
            .current_dir(&dir)
            .env_clear()
            .env("HOME", &dir)
            .output()
            .unwrap()
    };
    let out = build("transformers:\n- registry.yaml\n");
    let err = text(&out.stderr);
    assert!(!out.status.success() && out.stdout.is_empty(), "{err}");
    assert!(
        err.contains("Secret/x-builder-secret") && err.contains("namePrefix") && err.contains("keep those names"),
        "{err}"
    );

    let prefixed = build("");
    assert!(prefixed.status.success(), "{}", text(&prefixed.stderr));
    for location in h.chart.locations {
        let out = filter(&text(&prefixed.stdout), &location_env(location), &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{location}: {err}");
        assert!(out.stdout.is_empty(), "{location}: nothing is written");
        assert!(
            err.contains("Secret/x-builder-secret") && err.contains("namePrefix") && err.contains("line "),
            "{location}: {err}"
        );
    }
}

/// Drycc has no token refresher: ecr and gcr are refused (exit 2, nothing
/// written), pointing at off-cluster; also when the platform is named.
#[test]
fn drycc_refuses_ecr_and_gcr() {
    let Some(h) = setup(charts::drycc) else { return };
    let input = h.plain_render(&serde_json::json!({}));
    for location in ["ecr", "gcr"] {
        for args in [&[][..], &["--platform", "drycc"][..]] {
            let out = filter(&input, &location_env(location), args);
            assert_eq!(out.status.code(), Some(2), "{location} {args:?}: {}", text(&out.stderr));
            assert!(out.stdout.is_empty(), "{location}: nothing is written");
            assert!(text(&out.stderr).contains("off-cluster"), "{}", text(&out.stderr));
        }
    }
}

/// Helm 3 runs the binary by its path and post-renders no hook
/// (docs/conventions.md, §1.2 and §1.3). Drycc's default render through it,
/// configured off-cluster, means the chart's own off-cluster render (Helm 3
/// with the chart's values) in every document Helm 3 hands over, and each
/// document the location leaves alone is written byte for byte, its
/// `# Source:` line included. The hooks, which `helm template` prints after
/// the post-rendered manifest, are the chart's default ones: under Helm 3
/// the controller's upgrade Job keeps `on-cluster`, which only Helm 4
/// (which post-renders hooks) can change.
#[test]
fn drycc_through_helm3s_post_renderer_means_the_charts_off_cluster_render() {
    let Some(h) = setup(charts::drycc) else { return };
    let Some(helm3) = Helm::v3(&h.dir.join("helm3")) else {
        return;
    };
    let render = |post_renderer: Option<&Path>, values: &Json, env: &[(&str, String)]| {
        let (ok, out, err) = h.template(&helm3, post_renderer.and_then(Path::to_str), values, env);
        assert!(ok, "Helm 3: {err}");
        split_hooks(documents(&h.k8sjson, &out))
    };
    let calls = h.dir.join("helm3-calls");
    let script = recording_script(&h.dir, &calls);
    let (_, oracle) = render(None, &chart_values(&h, "off-cluster"), &[]);
    let (hooks, ours) = render(Some(&script), &serde_json::json!({}), &location_env("off-cluster"));
    assert_means_the_charts_render(&h.chart, &oracle, &ours, "Helm 3, the manifest");

    let calls = recorded(&calls);
    assert_eq!(calls.len(), 1, "Helm 3 runs the post-renderer once");
    let (input, output) = (documents(&h.k8sjson, &calls[0].0), documents(&h.k8sjson, &calls[0].1));
    assert!(input.len() > 90, "Helm 3 handed over {} documents", input.len());
    assert!(!input.values().any(|(_, d)| is_hook(d)), "Helm 3 post-renders no hook");
    for (key, (written, _)) in &input {
        if !DRYCC_OFF_CLUSTER_CHANGES.contains(&key.as_str()) {
            assert!(written.starts_with("# Source: "), "{key}: {written:.80}");
            assert_eq!(
                Some(written),
                output.get(key).map(|(t, _)| t),
                "{key} is not byte-identical"
            );
        }
    }

    // Helm 3 prints the hooks as the chart rendered them by default.
    let (default_hooks, _) = render(None, &serde_json::json!({}), &[]);
    assert_means_the_charts_render(&h.chart, &default_hooks, &hooks, "Helm 3, the hooks");
    let job = "Job/drycc-controller-job-upgrade";
    for (name, env) in envs(&hooks[job].1) {
        assert_eq!(env["DRYCC_REGISTRY_LOCATION"], "on-cluster", "{job}, {name}");
    }
}

/// A postrenderer/v1 plugin `recorded` in `plugins` that runs
/// [`recording_script`] (keeping each invocation in `dir`).
fn add_recording_plugin(plugins: &Path, dir: &Path) {
    let plugin = plugins.join("recorded");
    std::fs::create_dir_all(&plugin).unwrap();
    let script = recording_script(&plugin, dir);
    std::fs::write(
        plugin.join("plugin.yaml"),
        format!(
            "apiVersion: v1\ntype: postrenderer/v1\nname: recorded\nversion: 0.1.0\nruntime: subprocess\n\
             runtimeConfig:\n  platformCommand:\n    - command: {}\n",
            script.display()
        ),
    )
    .unwrap();
}

/// An executable `at/run.sh` that runs the binary (with its arguments) and
/// keeps each invocation's input and output in `dir` (`N.in`, `N.out`):
/// what a post-renderer is given is seen only this way.
fn recording_script(at: &Path, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let script = at.join("run.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nset -e\nn=$(date +%s%N)-$$\ncat > '{dir}'/$n.in\n'{bin}' \"$@\" < '{dir}'/$n.in > '{dir}'/$n.out\ncat '{dir}'/$n.out\n",
            dir = dir.display(),
            bin = env!("CARGO_BIN_EXE_workflow-registry"),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    script
}

/// Each invocation recorded in `dir`: (input, output).
fn recorded(dir: &Path) -> Vec<(String, String)> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "in"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| (common::read(p), common::read(&p.with_extension("out"))))
        .collect()
}

/// `docs` as Helm 4 keeps what a post-renderer wrote: without the
/// annotation it added for the post-renderer (and without `annotations`
/// where that was the only one).
fn as_helm_keeps(mut docs: Documents) -> Documents {
    for (_, doc) in docs.values_mut() {
        let meta = doc["metadata"].as_object_mut().unwrap();
        if let Some(Json::Object(a)) = meta.get_mut("annotations") {
            a.remove("postrenderer.helm.sh/postrender-filename");
            if a.is_empty() {
                meta.remove("annotations");
            }
        }
    }
    docs
}

fn is_hook(doc: &Json) -> bool {
    doc["metadata"]["annotations"]["helm.sh/hook"].is_string()
}

/// `docs` split into Helm hooks and the rest (the release's manifest).
fn split_hooks(docs: Documents) -> (Documents, Documents) {
    docs.into_iter().partition(|(_, (_, d))| is_hook(d))
}

/// Helm 4 post-renders Drycc's hooks too (its Go SDK's strategies): under
/// `separate` the hooks-only pass configures the controller's upgrade Job
/// (it carries DRYCC_REGISTRY_LOCATION) as the chart's off-cluster render
/// does, adds nothing and leaves the other hooks as read; under `combined`
/// the one stream does both; under `nohooks` the hooks never reach the tool.
/// Every strategy's manifest means the chart's own off-cluster render.
#[test]
fn drycc_hooks_are_configured_under_every_sdk_strategy() {
    let Some(h) = setup(charts::drycc) else { return };
    let Some(python) = common::peer("venv/bin/python") else {
        return;
    };
    // Through a pass-through post-renderer, as every render here: Helm 4
    // re-serializes what goes to one (an empty `annotations:` is dropped).
    let oracle = documents(&h.k8sjson, &h.chart_render(&chart_values(&h, "off-cluster")));
    let (hooks, manifest) = split_hooks(oracle);
    let job = "Job/drycc-controller-job-upgrade";
    assert!(hooks.contains_key(job), "the chart's hooks: {:?}", hooks.keys());
    for (name, env) in envs(&hooks[job].1) {
        assert_eq!(
            env["DRYCC_REGISTRY_LOCATION"], "off-cluster",
            "the chart's {job}, {name}"
        );
    }

    let plugins = h.dir.join("sdk-plugins");
    for strategy in ["separate", "combined", "nohooks"] {
        let calls = h.dir.join(format!("calls-{strategy}"));
        add_recording_plugin(&plugins, &calls);
        let printed = sdk_render(
            &python,
            &h.chart,
            &plugins,
            "recorded",
            &location_env("off-cluster"),
            strategy,
        );
        // The SDK prints the manifest (its hooks are kept apart).
        let printed = documents(&h.k8sjson, &printed);
        assert_means_the_charts_render(&h.chart, &manifest, &printed, strategy);

        let calls = recorded(&calls);
        let passes: Vec<(Documents, Documents)> = calls
            .iter()
            .map(|(i, o)| (documents(&h.k8sjson, i), as_helm_keeps(documents(&h.k8sjson, o))))
            .collect();
        let hook_passes: Vec<&(_, _)> = passes
            .iter()
            .filter(|(i, _)| i.values().any(|(_, d)| is_hook(d)))
            .collect();
        match strategy {
            "separate" => {
                assert_eq!(passes.len(), 2, "separate: a manifest pass and a hooks pass");
                let (input, output) = hook_passes[0];
                assert!(
                    input.values().all(|(_, d)| is_hook(d)),
                    "the hooks pass holds hooks only"
                );
                assert_means_the_charts_render(&h.chart, &hooks, output, "separate, the hooks pass");
                // The hooks the location does not change in the chart's own
                // renders (passport's and quickwit's upgrade Jobs) are
                // written as read.
                let mut unchanged = 0;
                for (key, (_, doc)) in as_helm_keeps(input.clone()) {
                    if same_but_random(&h.chart, &key, &doc, &hooks[&key].1).is_ok() {
                        assert_eq!(
                            Some(&input[&key].0),
                            output.get(&key).map(|(t, _)| t),
                            "{key} is not as read"
                        );
                        unchanged += 1;
                    }
                }
                assert_eq!(unchanged, hooks.len() - 1, "separate: the hooks left as read");
                assert_ne!(input[job].0, output[job].0, "the upgrade Job is configured");
            }
            "combined" => {
                assert_eq!(passes.len(), 1, "combined: one stream");
                let mut everything = manifest.clone();
                everything.extend(hooks.clone());
                assert_means_the_charts_render(&h.chart, &everything, &passes[0].1, "combined");
            }
            _ => assert!(hook_passes.is_empty(), "nohooks: no hook reaches the post-renderer"),
        }
        assert_eq!(hook_passes.len(), usize::from(strategy != "nohooks"), "{strategy}");
    }
}
