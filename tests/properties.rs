//! Properties that must hold for every manifest: idempotence, untouched
//! documents byte-identical, exactly one DEIS_REGISTRY_LOCATION per target
//! container, and nothing but the intended fields changing value as a YAML
//! 1.1 reader (Kubernetes) sees them.

mod common;

use proptest::prelude::*;
use serde_json::Value as Json;

use workflow_registry::manifest::parse_stream;
use workflow_registry::transform::{self, Options};
use workflow_registry::yaml::yaml11;

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

fn render(docs: &[Doc], source_lines: bool) -> String {
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
                out.push_str(&format!("apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: deis\nspec:\n  replicas: {replicas}\n"));
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
                    "apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: deis\n"
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

/// The env entries of every container of every workload document:
/// (document name, container name, env entries as JSON).
fn containers_env(stream: &str) -> Vec<(String, String, String, Vec<Json>, Json, bool)> {
    let mut out = Vec::new();
    for doc in parse_stream(stream).expect("output parses") {
        let Some(root) = &doc.root else { continue };
        let json = yaml11::to_json(root);
        for c in workflow_registry::manifest::containers(&doc) {
            let env = match c.node.get("env") {
                Some(node) => match yaml11::to_json(node) {
                    Json::Array(items) => items,
                    _ => vec![],
                },
                None => vec![],
            };
            out.push((
                doc.kind().unwrap_or("").to_owned(),
                doc.name().unwrap_or("").to_owned(),
                c.name.to_owned(),
                env,
                json.clone(),
                c.init,
            ));
        }
    }
    out
}

use common::without_intended;

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_for_generated_manifests(
        docs in prop::collection::vec(doc(), 1..8),
        source_lines in any::<bool>(),
        location in prop::sample::select(common::LOCATIONS.to_vec()),
    ) {
        let input = render(&docs, source_lines);
        let settings = common::settings(location);
        // The generator puts everything in namespace deis; Workflow's namespace
        // is only known from it when a deis-builder/deis-controller Deployment is generated.
        let options = Options { namespace: Some("deis".into()), ..Options::default() };
        let out = match transform::run(&input, &settings, &options) {
            // The documented refusal: on-cluster on Workflow without its registry.
            Err(transform::Error::Config(m)) if location == "on-cluster" && m.contains("without its registry") => return Ok(()),
            // The documented refusal: a refresher pod whose refresher container
            // cannot be told by image, variables or name.
            Err(transform::Error::Input(e)) if ["ecr", "gcr"].contains(&location) && e.message.contains("cannot tell which container is the token refresher") => return Ok(()),
            other => other.map_err(|e| TestCaseError::fail(format!("{e}\n{input}")))?,
        };

        // Idempotent.
        let out_text = out.text();
            let again = transform::run(&out_text, &settings, &options)
            .map_err(|e| TestCaseError::fail(format!("the output does not parse: {e}\n--- input\n{input}--- output\n{}", out.text())))?;

        prop_assert_eq!(&again.text(), &out.text(), "second run changed the output:\n{}", input);

        // Untouched documents are byte-identical; changed ones are reported.
        let r = &out.report;
        for doc in parse_stream(&input).unwrap() {
            let d = doc.describe();
            let reported = r.replaced.contains(&d) || r.removed.contains(&d) || r.injected.iter().any(|i| i.starts_with(&format!("{d} container ")));
            if !reported && doc.root.is_some() {
                prop_assert!(out.text().contains(doc.chunk.text), "{} changed without being reported:\n{}\n=>\n{}", d, input, out.text());
            }
        }

        // Exactly one DEIS_REGISTRY_LOCATION per target container, a literal with the location.
        let before = containers_env(&input);
        let after = containers_env(&out.text());
        let declares = |env: &[Json]| env.iter().any(|e| ["DEIS_REGISTRY_LOCATION", "DEIS_REGISTRY_SECRET_PREFIX"].iter().any(|v| e.get("name") == Some(&Json::String((*v).into()))));
        for (kind, name, container, env, _, _) in &after {
            let entries: Vec<&Json> = env.iter().filter(|e| e.get("name") == Some(&Json::String("DEIS_REGISTRY_LOCATION".into()))).collect();
            prop_assert!(entries.len() <= 1, "{kind}/{name} {container}: duplicate DEIS_REGISTRY_LOCATION\n{}", out.text());
            let Some((_, _, _, env_before, doc_before, _)) = before.iter().find(|b| (&b.0, &b.1, &b.2) == (kind, name, container)) else { continue };
            let legacy_rc = kind == "ReplicationController"
                && doc_before.pointer("/spec/replicas") == Some(&Json::from(0))
                && !before.iter().any(|b| (&b.0, &b.1) == (kind, name) && declares(&b.3));
            let known = ["deis-builder", "deis-controller", "deis-registry-token-refresher"].contains(&container.as_str());
            // In the refresher Deployment, the refresher is the container of that name, else the only one.
            let refresher_doc = kind == "Deployment" && name == "deis-registry-token-refresher" && ["ecr", "gcr"].contains(&location);
            let in_doc: Vec<_> = before.iter().filter(|b| (&b.0, &b.1) == (kind, name) && !b.5).collect();
            let is_refresher = refresher_doc
                && (container == "deis-registry-token-refresher"
                    || (!in_doc.iter().any(|b| b.2 == "deis-registry-token-refresher") && in_doc.len() == 1 && in_doc.first().is_some_and(|b| &b.2 == container)));
            if declares(env_before) || (known && !legacy_rc) || is_refresher {
                prop_assert_eq!(entries.len(), 1, "{}/{} {}: not configured\n{}", kind, name, container, out.text());
                prop_assert_eq!(entries[0].get("value"), Some(&Json::String(location.into())));
                prop_assert!(entries[0].get("valueFrom").is_none());
            } else {
                prop_assert_eq!(&env_before, &env, "{}/{} {}: not a target, yet its env changed", kind, name, container);
            }
        }

        // Read as YAML 1.1, configured documents differ only in the intended fields.
        for (kind, name, container, _, doc_after, _) in &after {
            if let Some(b) = before.iter().find(|b| (&b.0, &b.1, &b.2) == (kind, name, container)) {
                prop_assert_eq!(without_intended(b.4.clone()), without_intended(doc_after.clone()), "{}/{} changed beyond the intended fields:\n{}", kind, name, out.text());
            }
        }
    }
}
