//! Properties that must hold for every generated manifest, whatever its env
//! shapes (absent, null, empty flow, block, flow, valueFrom, YAML 1.1-tricky
//! values), kinds, namespaces, platform (Deis or Drycc), spellings of the
//! names that matter (escapes, escaped line breaks, `!!str`, `!!binary`),
//! `kind: List` wrappers, refreshers and bindings, and configuration: the
//! output decodes (as Kubernetes decodes it, through the k8sjson peer) to
//! what the reference model says; untouched documents are byte-identical
//! (whole documents of the output, not a substring search); a second run
//! changes nothing.

mod common;
mod model;

use base64::Engine;
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

/// How a name that matters is written: all of them mean the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spelling {
    Plain,
    /// `"DEIS_\x52EGISTRY_LOCATION"`.
    Escaped,
    /// `!!str "DEIS_REGISTRY_LOCATION"`.
    Str,
    /// `"DEIS_REGIS\` + line break + `   TRY_LOCATION"`.
    LineBreak,
    /// `!!binary REVJU19S...`.
    Binary,
}

/// `name` written as `s`, as the value of a key at column `col`.
fn spell(name: &str, s: Spelling, col: usize) -> String {
    let escaped = || -> String {
        let body: String = name
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 3 == 1 {
                    format!("\\x{:02X}", u32::from(c))
                } else {
                    c.to_string()
                }
            })
            .collect();
        format!("\"{body}\"")
    };
    match s {
        Spelling::Plain => name.to_owned(),
        Spelling::Escaped => escaped(),
        Spelling::Str => format!("!!str \"{name}\""),
        Spelling::LineBreak => {
            let (a, b) = name.split_at(name.len() / 2);
            format!("\"{a}\\\n{}{b}\"", " ".repeat(col + 4))
        }
        Spelling::Binary => format!("!!binary {}", base64::engine::general_purpose::STANDARD.encode(name)),
    }
}

/// The names of one platform.
#[derive(Debug, Clone, Copy)]
struct Flavor {
    drycc: bool,
}

impl Flavor {
    fn location_var(self) -> &'static str {
        if self.drycc {
            "DRYCC_REGISTRY_LOCATION"
        } else {
            "DEIS_REGISTRY_LOCATION"
        }
    }

    fn prefix_var(self) -> &'static str {
        if self.drycc {
            "DRYCC_REGISTRY_SECRET_PREFIX"
        } else {
            "DEIS_REGISTRY_SECRET_PREFIX"
        }
    }

    fn env_names(self) -> [&'static str; 5] {
        [self.location_var(), self.prefix_var(), "FOO", "BAR", "PORT"]
    }

    /// Workload names: the builder, the controller (Drycc's by its image),
    /// the on-cluster registry, an app, the refresher.
    fn workload(self, i: usize) -> &'static str {
        let names = if self.drycc {
            [
                "drycc-builder",
                "drycc-controller-api",
                "drycc-registry",
                "app",
                "drycc-helper",
            ]
        } else {
            [
                "deis-builder",
                "deis-controller",
                "deis-registry",
                "app",
                "deis-registry-token-refresher",
            ]
        };
        names[i % names.len()]
    }

    fn container(self, i: usize) -> &'static str {
        let names = if self.drycc {
            ["drycc-builder", "drycc-controller-api", "web", "worker"]
        } else {
            ["deis-builder", "deis-controller", "web", "worker"]
        };
        names[i % names.len()]
    }

    /// A container's image: the platform's own for its components.
    fn image(self, container: &str) -> String {
        match (self.drycc, container) {
            (true, "drycc-builder") => "registry.drycc.cc/drycc/builder:canary".into(),
            (true, "drycc-controller-api") => "registry.drycc.cc/drycc/controller:canary".into(),
            _ => format!("example/{container}:v1"),
        }
    }

    fn component(self, i: usize) -> (&'static str, &'static str) {
        let all = if self.drycc {
            [
                ("Service", "drycc-registry"),
                ("Secret", "registry-secret"),
                ("Secret", "builder-secret"),
                ("Secret", "controller-creds"),
            ]
        } else {
            [
                ("Service", "deis-registry"),
                ("DaemonSet", "deis-registry-proxy"),
                ("Secret", "registry-secret"),
                ("ServiceAccount", "deis-registry-token-refresher"),
            ]
        };
        all[i % all.len()]
    }
}

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
    /// (index into the flavor's variable names, value)
    Block(Vec<(usize, EnvValue)>),
    Flow(Vec<(usize, &'static str)>),
}

#[derive(Debug, Clone)]
struct Container {
    name: usize,
    /// Set to keep container names unique in a pod.
    suffix: Option<usize>,
    env: Env,
    tail: bool,
}

/// A name with the suffix that keeps it unique.
fn suffixed(name: &str, suffix: Option<usize>) -> String {
    suffix.map_or_else(|| name.to_owned(), |n| format!("{name}-{n}"))
}

#[derive(Debug, Clone)]
enum Doc {
    Workload {
        kind: &'static str,
        name: usize,
        suffix: Option<usize>,
        replicas: u8,
        init: Vec<Container>,
        containers: Vec<Container>,
        compact: bool,
    },
    ConfigMap {
        values: Vec<&'static str>,
    },
    Component(usize),
    /// Deis's token refresher as this tool writes it, varied.
    Refresher {
        image: &'static str,
        scan: Option<&'static str>,
        token: Option<&'static str>,
        automount: bool,
        mount: bool,
    },
    /// A binding of the builder's account: without a namespace of its own, or in another.
    Binding {
        kind: &'static str,
        own: bool,
        subject: &'static str,
    },
    List(Vec<Doc>),
    CommentOnly,
}

fn env_value() -> impl Strategy<Value = EnvValue> {
    prop_oneof![
        prop::sample::select(TRICKY).prop_map(EnvValue::Literal),
        Just(EnvValue::FieldRef)
    ]
}

fn env() -> impl Strategy<Value = Env> {
    prop_oneof![
        Just(Env::Absent),
        Just(Env::Null),
        Just(Env::EmptyFlow),
        prop::collection::vec((0usize..5, env_value()), 1..5).prop_map(Env::Block),
        prop::collection::vec((0usize..5, prop::sample::select(TRICKY)), 1..4).prop_map(Env::Flow),
    ]
}

fn container() -> impl Strategy<Value = Container> {
    (0usize..4, env(), any::<bool>()).prop_map(|(name, env, tail)| Container {
        name,
        suffix: None,
        env,
        tail,
    })
}

fn plain_doc() -> impl Strategy<Value = Doc> {
    prop_oneof![
        4 => (
            prop::sample::select(vec!["Deployment", "DaemonSet", "StatefulSet", "Job", "CronJob", "Pod", "ReplicationController"]),
            0usize..5,
            0u8..2,
            prop::collection::vec(container(), 0..2),
            prop::collection::vec(container(), 1..3),
            any::<bool>(),
        )
            .prop_map(|(kind, name, replicas, init, containers, compact)| Doc::Workload { kind, name, suffix: None, replicas, init, containers, compact }),
        1 => prop::collection::vec(prop::sample::select(TRICKY), 1..6).prop_map(|values| Doc::ConfigMap { values }),
        1 => (0usize..4).prop_map(Doc::Component),
        1 => (
            prop::sample::select(vec![
                "quay.io/deis/registry-token-refresher:v1.1.3",
                "index.docker.io/hephy/registry-token-refresher:canary",
                "registry.example.com/me/registry-token-refresher:v2",
            ]),
            prop::option::of(prop::sample::select(vec!["5", "5s", "0", "30"])),
            prop::option::of(prop::sample::select(vec!["", "30", "0"])),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(image, scan, token, automount, mount)| Doc::Refresher { image, scan, token, automount, mount }),
        1 => (
            prop::sample::select(vec!["RoleBinding", "ClusterRoleBinding"]),
            any::<bool>(),
            prop::sample::select(vec!["deis", "wf", "monitoring"]),
        )
            .prop_map(|(kind, own, subject)| Doc::Binding { kind, own, subject }),
    ]
}

fn doc() -> impl Strategy<Value = Doc> {
    prop_oneof![
        8 => plain_doc(),
        1 => prop::collection::vec(plain_doc(), 1..4).prop_map(Doc::List),
        1 => Just(Doc::CommentOnly),
    ]
}

struct Renderer {
    flavor: Flavor,
    /// How the names that matter are written.
    spelling: Spelling,
    /// The metadata line every namespaced document gets ("" for none).
    namespace: &'static str,
}

impl Renderer {
    fn name(&self, name: &str, col: usize) -> String {
        spell(name, self.spelling, col)
    }

    /// A key the edits extend: escapes only (tagged keys are the spelled
    /// differential cases').
    fn key(&self, key: &str) -> String {
        match self.spelling {
            Spelling::Plain => key.to_owned(),
            _ => spell(key, Spelling::Escaped, 0),
        }
    }

    fn container(&self, out: &mut String, c: &Container, key_col: usize, compact: bool) {
        let dash = if compact { key_col } else { key_col + 2 };
        let pad = |n: usize| " ".repeat(n);
        let name = self.flavor.container(c.name);
        let col = dash + 2;
        out.push_str(&format!(
            "{}- name: {}\n",
            pad(dash),
            self.name(&suffixed(name, c.suffix), col)
        ));
        out.push_str(&format!("{}image: {} # pinned\n", pad(col), self.flavor.image(name)));
        let var = |i: usize| self.name(self.flavor.env_names()[i], col + 4);
        let env = self.key("env");
        match &c.env {
            Env::Absent => {}
            Env::Null => out.push_str(&format!("{}{env}:\n", pad(col))),
            Env::EmptyFlow => out.push_str(&format!("{}{env}: []\n", pad(col))),
            Env::Flow(items) => {
                let items: Vec<String> = items
                    .iter()
                    .map(|(n, v)| format!("{{name: {}, value: {v}}}", var(*n)))
                    .collect();
                out.push_str(&format!("{}{env}: [{}]\n", pad(col), items.join(", ")));
            }
            Env::Block(items) => {
                out.push_str(&format!("{}{env}:\n", pad(col)));
                let item_dash = if compact { col } else { col + 2 };
                for (n, value) in items {
                    out.push_str(&format!("{}- name: {}\n", pad(item_dash), var(*n)));
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

    /// One document's text (without its `---` line).
    fn doc(&self, d: &Doc, i: usize) -> String {
        let mut out = String::new();
        let ns = self.namespace;
        match d {
            Doc::Workload {
                kind,
                name,
                suffix,
                replicas,
                init,
                containers,
                compact,
            } => {
                let name = suffixed(self.flavor.workload(*name), *suffix);
                out.push_str(&format!(
                    "apiVersion: apps/v1\nkind: {}\nmetadata:\n  name: {}\n{ns}spec:\n  replicas: {replicas}\n",
                    self.name(kind, 0),
                    self.name(&name, 2)
                ));
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
                    init.iter().for_each(|c| self.container(&mut out, c, pod_col, *compact));
                }
                out.push_str(&format!("{pad}containers:\n"));
                containers
                    .iter()
                    .for_each(|c| self.container(&mut out, c, pod_col, *compact));
                out.push_str(&format!("{pad}restartPolicy: Always\n"));
            }
            Doc::ConfigMap { values } => {
                out.push_str(&format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n{ns}data:\n"
                ));
                for (i, v) in values.iter().enumerate() {
                    out.push_str(&format!("  k{i}: {v} # comment\n"));
                }
                out.push_str("  block: |\n    line one\n    --- still the block\n");
            }
            Doc::Component(c) => {
                let (kind, name) = self.flavor.component(*c);
                out.push_str(&format!(
                    "apiVersion: v1\nkind: {}\nmetadata:\n  name: {}\n{ns}",
                    self.name(kind, 0),
                    self.name(name, 2)
                ));
                if kind == "Secret" {
                    out.push_str(&format!(
                        "{}:\n  stale: eA==\nstringData:\n  other: x\n",
                        self.key("data")
                    ));
                }
            }
            Doc::Refresher { .. } if self.flavor.drycc => {
                out.push_str(&format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: refresher-{i}\n{ns}"
                ));
            }
            Doc::Refresher {
                image,
                scan,
                token,
                automount,
                mount,
            } => {
                let name = self.name("deis-registry-token-refresher", 2);
                out.push_str(&format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{ns}spec:\n  template:\n    spec:\n"
                ));
                if !automount {
                    out.push_str("      automountServiceAccountToken: false\n");
                }
                out.push_str(&format!(
                    "      containers:\n      - name: {}\n        image: {image}\n        {}:\n",
                    self.name("refresher", 8),
                    self.key("env")
                ));
                for (var, value) in [
                    ("DEIS_NAMESPACE_REFRESH_TIME", scan),
                    ("DEIS_TOKEN_REFRESH_TIME", token),
                ] {
                    if let Some(v) = value {
                        out.push_str(&format!(
                            "        - name: {}\n          value: \"{v}\"\n",
                            self.name(var, 10)
                        ));
                    }
                }
                if *mount {
                    out.push_str(&format!(
                        "        {}:\n        - {{name: registry-secret, mountPath: /var/run/secrets/deis/registry/creds, readOnly: true}}\n",
                        self.key("volumeMounts")
                    ));
                }
            }
            Doc::Binding { kind, own, subject } => {
                let own_ns = if *own { "  namespace: monitoring\n" } else { "" };
                let account = if self.flavor.drycc {
                    "drycc-builder"
                } else {
                    "deis-builder"
                };
                out.push_str(&format!(
                    "apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: workflow-{i}\n{own_ns}\
                     roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}}\n\
                     subjects:\n- kind: ServiceAccount\n  name: {}\n  namespace: {}\n",
                    self.name(account, 2),
                    self.name(subject, 2)
                ));
            }
            Doc::List(items) => {
                out.push_str("apiVersion: v1\nkind: List\nitems:\n");
                for (j, item) in items.iter().enumerate() {
                    for (k, line) in self.doc(item, i * 10 + j).lines().enumerate() {
                        out.push_str(if k == 0 { "- " } else { "  " });
                        out.push_str(line);
                        out.push('\n');
                    }
                }
            }
            Doc::CommentOnly => out.push_str("# HIDDEN: The Secret output has been suppressed\n"),
        }
        out
    }
}

/// Kubernetes requires unique container names in a pod, and the test keys
/// containers by (kind, name, container): make both unique.
fn unique(docs: &[Doc]) -> Vec<Doc> {
    let mut seen_docs = Vec::new();
    let mut fix = |d: &mut Doc, at: usize| {
        if let Doc::Workload {
            kind,
            name,
            suffix,
            init,
            containers,
            ..
        } = d
        {
            if seen_docs.contains(&(*kind, *name, *suffix)) {
                *suffix = Some(at);
            }
            seen_docs.push((*kind, *name, *suffix));
            let mut seen = Vec::new();
            for (j, c) in init.iter_mut().chain(containers.iter_mut()).enumerate() {
                if seen.contains(&(c.name, c.suffix)) {
                    c.suffix = Some(j);
                }
                seen.push((c.name, c.suffix));
            }
        }
    };
    docs.iter()
        .cloned()
        .enumerate()
        .map(|(i, mut d)| {
            match &mut d {
                Doc::List(items) => items
                    .iter_mut()
                    .enumerate()
                    .for_each(|(j, item)| fix(item, 100 + i * 10 + j)),
                other => fix(other, i),
            }
            d
        })
        .collect()
}

fn render(docs: &[Doc], source_lines: bool, r: &Renderer) -> String {
    let docs = unique(docs);
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        out.push_str("---\n");
        if source_lines {
            out.push_str(&format!("# Source: wf/templates/doc-{i}.yaml\n"));
        }
        out.push_str(&r.doc(d, i));
    }
    out
}

fn binary_run(config: &model::Config, input: &str) -> std::process::Output {
    let mut cmd = common::binary(&config.env());
    cmd.args(config.args());
    common::run(&mut cmd, input)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn generated_manifests_mean_what_the_model_says(
        docs in prop::collection::vec(doc(), 1..8),
        source_lines in any::<bool>(),
        drycc in prop::bool::weighted(0.3),
        spelling in prop::sample::select(vec![Spelling::Plain, Spelling::Plain, Spelling::Escaped, Spelling::Str, Spelling::LineBreak, Spelling::Binary]),
        location in prop::sample::select(common::LOCATIONS.to_vec()),
        namespace in prop::sample::select(vec!["  namespace: deis\n", "  namespace: wf\n", "", "  namespace: ~\n"]),
        flag in prop::sample::select(vec![None, Some("deis"), Some("wf")]),
        prefix in prop::option::weighted(0.2, Just("acme")),
    ) {
        let Some(k8sjson) = common::peer("k8sjson") else { return Ok(()) };
        let renderer = Renderer { flavor: Flavor { drycc }, spelling, namespace };
        let input = render(&docs, source_lines, &renderer);
        let mut config = model::Config::for_location(location, common::GCR_KEY);
        config.namespace = flag.map(str::to_owned);
        config.secret_prefix = prefix.map(str::to_owned);
        let decoded = common::k8s_decode(&k8sjson, &input).into_iter().map(|(_, v)| v).collect::<Vec<_>>();
        let out = binary_run(&config, &input);
        let output = common::text(&out.stdout);
        match model::transform(&decoded, &config) {
            Err(refusals) => {
                prop_assert!(refusals.iter().any(|r| out.status.code() == Some(r.exit_code())), "the model refuses ({:?}), the tool exited {:?}:\n{}\n{}", refusals, out.status.code(), common::text(&out.stderr), input);
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
fn spellings_mean_the_name() {
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    for s in [
        Spelling::Plain,
        Spelling::Escaped,
        Spelling::Str,
        Spelling::LineBreak,
        Spelling::Binary,
    ] {
        let yaml = format!("a:\n  b: {}\n", spell("DEIS_REGISTRY_LOCATION", s, 2));
        let decoded = common::k8s_decode(&k8sjson, &yaml);
        assert_eq!(decoded[0].1["a"]["b"], "DEIS_REGISTRY_LOCATION", "{yaml}");
    }
}

#[test]
fn document_texts_splits_on_marker_lines_only() {
    assert_eq!(
        common::document_texts("a: 1\n---\nb: |\n  --- x\n--- # c\nc: 3\n"),
        ["a: 1\n", "b: |\n  --- x\n", "c: 3\n"]
    );
}
