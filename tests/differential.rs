//! The differential test of issue 8: Workflow manifests in every shape YAML
//! allows go through the binary; Kubernetes' own decoder (the k8sjson peer)
//! reads the input and the output; the reference model (tests/model) says,
//! from the decoded input alone, what the output must decode to. Nothing of
//! the expectation comes from the code under test.
//!
//! Inputs: every fixture, decoded, varied (namespaces present, absent, null,
//! empty, foreign; registry-secrets fresh, stale, foreign, duplicated; env
//! entries by valueFrom, duplicated, missing; user documents that only look
//! like Workflow's) and written back in random shapes (block with indented and
//! indentless sequences, flow, JSON, block scalars, quotes, tags, comments,
//! CRLF, `...` ends), for all four locations. A failure prints its seed; set
//! WR_DIFF_SEED to run that case alone, WR_DIFF_CASES to run more.

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

/// A fixture's documents, varied by `rng`, with the configuration to run.
fn vary(docs: &[Json], rng: &mut Rng) -> (Vec<Json>, Config) {
    let mut docs = docs.to_vec();
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
        config.namespace = Some(rng.pick(&["deis", "hephy", "workflow"]).to_string());
    }
    if rng.chance(15) {
        config.secret_prefix = Some("acme".into());
    }
    if rng.chance(10) {
        config.refresher_image = Some("registry.example.com/tools/refresher:v9".into());
    }
    config.keep_on_cluster_registry = rng.chance(10);
    // The registry-secret: as rendered, removed, stale, duplicated.
    match rng.below(6) {
        0 => docs.retain(|d| !(d["kind"] == "Secret" && d["metadata"]["name"] == "registry-secret")),
        1 => {
            for d in docs
                .iter_mut()
                .filter(|d| d["kind"] == "Secret" && d["metadata"]["name"] == "registry-secret")
            {
                d["data"]["foo"] = json!("YmFy");
                d["data"]["zz-stale"] = json!("YmFy");
                d["stringData"] = json!({"password": "old"});
            }
        }
        2 => {
            let secret = docs
                .iter()
                .find(|d| d["kind"] == "Secret" && d["metadata"]["name"] == "registry-secret")
                .cloned();
            if let Some(s) = secret {
                docs.push(s);
            }
        }
        _ => {}
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
        for d in docs
            .iter_mut()
            .filter(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "deis-controller")
        {
            if let Some(spec) = d.pointer_mut("/spec/template/spec").and_then(Json::as_object_mut) {
                spec.insert(
                    "initContainers".into(),
                    json!([{"name": "wait-for-registry", "image": "busybox:1",
                            "env": [{"name": "DEIS_REGISTRY_LOCATION", "value": "on-cluster"}, {"name": "OTHER", "value": "x"}]}]),
                );
            }
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
    (docs, config)
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
fn run_case(k8sjson: &Path, fixtures: &[Vec<Json>], case: &Case) -> Result<bool, String> {
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
        | u8::from(config.refresher_image.is_some()) << 6;
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
    if let Some(ns) = &config.namespace {
        cmd.args(["--namespace", ns]);
    }
    if let Some(prefix) = &config.secret_prefix {
        cmd.args(["--secret-prefix", prefix]);
    }
    if config.keep_on_cluster_registry {
        cmd.arg("--keep-on-cluster-registry");
    }
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
        Err(refusal) => {
            if code != Some(refusal.exit_code()) || !out.stdout.is_empty() {
                return Err(differs(format!(
                    "the model refuses ({refusal:?}, exit {}, nothing written) but the tool exited {code:?} with {} bytes\n{}",
                    refusal.exit_code(),
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
    let prefix = model::prefix_for(decoded, config);
    model::compare(&actual, &expected, config, &prefix)
        .map_err(|e| differs(format!("{e}\n--- output ---\n{output}\n{}", context())))?;
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

/// The inputs the cases start from: every fixture, and Hephy's real chart
/// rendered by Helm 4 for each location (RBAC on: its bindings name the
/// release namespace; and once with RBAC off: nothing names it).
fn fixtures(k8sjson: &Path) -> &'static [Vec<Json>] {
    static POOL: std::sync::OnceLock<Vec<Vec<Json>>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let mut pool: Vec<Vec<Json>> = common::fixtures()
            .iter()
            .map(|f| decode(k8sjson, &common::read(f)).expect("fixtures decode"))
            .collect();
        pool.extend(
            chart_renders()
                .iter()
                .map(|r| decode(k8sjson, r).expect("Helm's render decodes")),
        );
        pool
    })
}

/// Hephy Workflow v2.23.0 rendered through Helm 4's SDK with an identity
/// post-renderer, for each location with RBAC on, and for ecr with RBAC off.
fn chart_renders() -> Vec<String> {
    let chart = common::root().join("../shared/charts/hephy-workflow-v2.23.0/workflow");
    if !chart.is_dir() {
        assert!(
            !in_ci(),
            "the real chart {} is missing (CI: this is a failure)",
            chart.display()
        );
        eprintln!(
            "SKIPPED: Hephy's chart is not at {}: cases use the fixtures only",
            chart.display()
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
    let variants: Vec<(String, bool)> = common::LOCATIONS
        .iter()
        .map(|l| ((*l).to_owned(), true))
        .chain([("ecr".to_owned(), false)])
        .collect();
    let renders: Vec<std::thread::JoinHandle<String>> = variants
        .into_iter()
        .map(|(location, rbac)| {
            let (python, chart, plugins) = (python.clone(), chart.clone(), plugins.clone());
            std::thread::spawn(move || {
                let values = json!({"global": {"registry_location": location, "use_rbac": rbac}}).to_string();
                let out = Command::new(python)
                    .arg(common::root().join("tests/helm4/run_helm4.py"))
                    .args([chart.as_os_str(), plugins.as_os_str()])
                    .args(["identity", "workflow", "hephy", &values])
                    .output()
                    .expect("run Helm 4's SDK");
                assert!(
                    out.status.success(),
                    "Helm 4 render failed: {}",
                    common::text(&out.stderr)
                );
                common::text(&out.stdout)
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
            eprintln!("  {}", f.lines().next().unwrap_or(""));
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
    for fixture in common::fixtures() {
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
