//! Properties that must hold for every generated manifest, whatever its env
//! shapes (absent, null, empty flow, block, flow, valueFrom, YAML 1.1-tricky
//! values), kinds, namespaces and configuration: the output decodes (as
//! Kubernetes decodes it, through the k8sjson peer) to what the reference
//! model says; untouched documents are byte-identical (whole documents of the
//! output, not a substring search); a second run changes nothing.

mod common;
mod model;

use proptest::prelude::*;

/// Values a YAML 1.1 reader would misread if their quotes were lost.
const TRICKY: &[&str] = &[
    "\"on\"",
    "\"yes\"",
    "\"y\"",
    "\"0777\"",
    "\"1e3\"",
    "\"~\"",
    "'no'",
    "\"\"",
    "plain",
    "\"héllo ☸\"",
    "0644",
    "on",
    "\"1:20\"",
];

#[derive(Debug, Clone)]
enum EnvValue {
    Literal(&'static str),
    FieldRef,
}

#[derive(Debug, Clone)]
enum Env {
    Absent,
    Null,
    EmptyFlow,
    Block(Vec<(&'static str, EnvValue)>),
    Flow(Vec<(&'static str, &'static str)>),
}

#[derive(Debug, Clone)]
struct Container {
    name: &'static str,
    env: Env,
    tail: bool,
}

#[derive(Debug, Clone)]
enum Doc {
    Workload {
        kind: &'static str,
        name: &'static str,
        replicas: u8,
        init: Vec<Container>,
        containers: Vec<Container>,
        compact: bool,
    },
    ConfigMap {
        values: Vec<&'static str>,
    },
    Component {
        kind: &'static str,
        name: &'static str,
    },
    CommentOnly,
}

fn env_value() -> impl Strategy<Value = EnvValue> {
    prop_oneof![
        prop::sample::select(TRICKY).prop_map(EnvValue::Literal),
        Just(EnvValue::FieldRef)
    ]
}

fn env_name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "DEIS_REGISTRY_LOCATION",
        "DEIS_REGISTRY_SECRET_PREFIX",
        "FOO",
        "BAR",
        "PORT",
    ])
}

fn env() -> impl Strategy<Value = Env> {
    prop_oneof![
        Just(Env::Absent),
        Just(Env::Null),
        Just(Env::EmptyFlow),
        prop::collection::vec((env_name(), env_value()), 1..5).prop_map(Env::Block),
        prop::collection::vec((env_name(), prop::sample::select(TRICKY)), 1..4).prop_map(Env::Flow),
    ]
}

fn container() -> impl Strategy<Value = Container> {
    (
        prop::sample::select(vec!["deis-builder", "deis-controller", "web", "worker"]),
        env(),
        any::<bool>(),
    )
        .prop_map(|(name, env, tail)| Container { name, env, tail })
}

fn doc() -> impl Strategy<Value = Doc> {
    prop_oneof![
        4 => (
            prop::sample::select(vec!["Deployment", "DaemonSet", "StatefulSet", "Job", "CronJob", "Pod", "ReplicationController"]),
            prop::sample::select(vec!["deis-builder", "deis-controller", "app", "deis-registry-token-refresher"]),
            0u8..2,
            prop::collection::vec(container(), 0..2),
            prop::collection::vec(container(), 1..3),
            any::<bool>(),
        )
            .prop_map(|(kind, name, replicas, init, containers, compact)| Doc::Workload { kind, name, replicas, init, containers, compact }),
        1 => prop::collection::vec(prop::sample::select(TRICKY), 1..6).prop_map(|values| Doc::ConfigMap { values }),
        1 => prop::sample::select(vec![("Service", "deis-registry"), ("DaemonSet", "deis-registry-proxy"), ("Secret", "registry-secret"), ("ServiceAccount", "deis-registry-token-refresher")])
            .prop_map(|(kind, name)| Doc::Component { kind, name }),
        1 => Just(Doc::CommentOnly),
    ]
}

fn render_container(out: &mut String, c: &Container, key_col: usize, compact: bool) {
    let dash = if compact { key_col } else { key_col + 2 };
    let pad = |n: usize| " ".repeat(n);
    out.push_str(&format!("{}- name: {}\n", pad(dash), c.name));
    let col = dash + 2;
    out.push_str(&format!("{}image: example/{}:v1 # pinned\n", pad(col), c.name));
    match &c.env {
        Env::Absent => {}
        Env::Null => out.push_str(&format!("{}env:\n", pad(col))),
        Env::EmptyFlow => out.push_str(&format!("{}env: []\n", pad(col))),
        Env::Flow(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|(n, v)| format!("{{name: {n}, value: {v}}}"))
                .collect();
            out.push_str(&format!("{}env: [{}]\n", pad(col), items.join(", ")));
        }
        Env::Block(items) => {
            out.push_str(&format!("{}env:\n", pad(col)));
            let item_dash = if compact { col } else { col + 2 };
            for (name, value) in items {
                out.push_str(&format!("{}- name: {name}\n", pad(item_dash)));
                match value {
                    EnvValue::Literal(v) => out.push_str(&format!("{}value: {v}\n", pad(item_dash + 2))),
                    EnvValue::FieldRef => out.push_str(&format!(
                        "{}valueFrom:\n{}fieldRef: {{fieldPath: metadata.namespace}}\n",
                        pad(item_dash + 2),
                        pad(item_dash + 4)
                    )),
                }
            }
        }
    }
    if c.tail {
        out.push_str(&format!("{}args: [\"--flag\", \"yes\"]\n", pad(col)));
    }
}

/// Kubernetes requires unique container names in a pod, and the test keys
/// containers by (kind, name, container): make both unique.
fn unique(docs: &[Doc]) -> Vec<Doc> {
    let mut seen_docs = Vec::new();
    docs.iter()
        .cloned()
        .enumerate()
        .map(|(i, mut d)| {
            if let Doc::Workload {
                kind,
                name,
                init,
                containers,
                ..
            } = &mut d
            {
                if seen_docs.contains(&(*kind, *name)) {
                    *name = Box::leak(format!("{name}-{i}").into_boxed_str());
                }
                seen_docs.push((*kind, *name));
                let mut seen = Vec::new();
                for (j, c) in init.iter_mut().chain(containers.iter_mut()).enumerate() {
                    if seen.contains(&c.name) {
                        c.name = Box::leak(format!("{}-{j}", c.name).into_boxed_str());
                    }
                    seen.push(c.name);
                }
            }
            d
        })
        .collect()
}

/// `namespace` is the metadata line every namespaced document gets ("" for none).
fn render(docs: &[Doc], source_lines: bool, namespace: &str) -> String {
    let docs = unique(docs);
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        out.push_str("---\n");
        if source_lines {
            out.push_str(&format!("# Source: wf/templates/doc-{i}.yaml\n"));
        }
        match d {
            Doc::Workload {
                kind,
                name,
                replicas,
                init,
                containers,
                compact,
            } => {
                out.push_str(&format!("apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {name}\n{namespace}spec:\n  replicas: {replicas}\n"));
                let (pod_col, prefix) = match *kind {
                    "Pod" => (2, String::new()),
                    "CronJob" => (
                        10,
                        "  jobTemplate:\n    spec:\n      template:\n        spec:\n".to_string(),
                    ),
                    _ => (
                        6,
                        "  template:\n    metadata:\n      labels: {app: x}\n    spec:\n".to_string(),
                    ),
                };
                out.push_str(&prefix);
                let pad = " ".repeat(pod_col);
                if !init.is_empty() {
                    out.push_str(&format!("{pad}initContainers:\n"));
                    init.iter()
                        .for_each(|c| render_container(&mut out, c, pod_col, *compact));
                }
                out.push_str(&format!("{pad}containers:\n"));
                containers
                    .iter()
                    .for_each(|c| render_container(&mut out, c, pod_col, *compact));
                out.push_str(&format!("{pad}restartPolicy: Always\n"));
            }
            Doc::ConfigMap { values } => {
                out.push_str("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n");
                for (i, v) in values.iter().enumerate() {
                    out.push_str(&format!("  k{i}: {v} # comment\n"));
                }
                out.push_str("  block: |\n    line one\n    --- still the block\n");
            }
            Doc::Component { kind, name } => {
                out.push_str(&format!(
                    "apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n{namespace}"
                ));
                if *kind == "Secret" {
                    out.push_str("data:\n  stale: eA==\nstringData:\n  other: x\n");
                }
            }
            Doc::CommentOnly => out.push_str("# HIDDEN: The Secret output has been suppressed\n"),
        }
    }
    out
}

fn binary_run(config: &model::Config, input: &str) -> std::process::Output {
    let mut cmd = common::binary(&config.env());
    if let Some(ns) = &config.namespace {
        cmd.args(["--namespace", ns]);
    }
    common::run(&mut cmd, input)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn generated_manifests_mean_what_the_model_says(
        docs in prop::collection::vec(doc(), 1..8),
        source_lines in any::<bool>(),
        location in prop::sample::select(common::LOCATIONS.to_vec()),
        namespace in prop::sample::select(vec!["  namespace: deis\n", "  namespace: wf\n", "", "  namespace: ~\n"]),
        flag in prop::sample::select(vec![None, Some("deis"), Some("wf")]),
    ) {
        let Some(k8sjson) = common::peer("k8sjson") else { return Ok(()) };
        let input = render(&docs, source_lines, namespace);
        let mut config = model::Config::for_location(location, common::GCR_KEY);
        config.namespace = flag.map(str::to_owned);
        let decoded = common::k8s_decode(&k8sjson, &input).into_iter().map(|(_, v)| v).collect::<Vec<_>>();
        let out = binary_run(&config, &input);
        let output = common::text(&out.stdout);
        match model::transform(&decoded, &config) {
            Err(refusals) => {
                prop_assert!(refusals.iter().any(|r| out.status.code() == Some(r.exit_code())), "the model refuses ({:?}), the tool exited {:?}:\n{}", refusals, out.status.code(), input);
                prop_assert!(output.is_empty());
                return Ok(());
            }
            Ok(expected) => {
                prop_assert_eq!(out.status.code(), Some(0), "{}\n{}", common::text(&out.stderr), input);
                let actual = common::k8s_decode(&k8sjson, &output).into_iter().map(|(_, v)| v).collect::<Vec<_>>();
                if let Err(e) = model::compare(&actual, &expected) {
                    return Err(TestCaseError::fail(format!("{e}\n--- input\n{input}--- output\n{output}")));
                }
                // Unchanged in meaning: unchanged in bytes, as a whole document of the output.
                let inputs = common::document_texts(&input);
                let outputs = common::document_texts(&output);
                let with_content: Vec<&String> = inputs.iter().filter(|t| t.lines().any(|l| !l.trim().is_empty() && !l.starts_with('#'))).collect();
                for e in &expected {
                    if let model::Expected::Input { index, doc } = e {
                        if doc == &decoded[*index] {
                            prop_assert!(outputs.contains(with_content[*index]), "document {} changed its text:\n{}\n=>\n{}", index, input, output);
                        }
                    }
                }
            }
        }
        // Idempotent.
        let again = binary_run(&config, &output);
        prop_assert_eq!(common::text(&again.stdout), output, "a second run changed the output:\n{}", input);
    }
}

#[test]
fn document_texts_splits_on_marker_lines_only() {
    assert_eq!(
        common::document_texts("a: 1\n---\nb: |\n  --- x\n--- # c\nc: 3\n"),
        ["a: 1\n", "b: |\n  --- x\n", "c: 3\n"]
    );
}
