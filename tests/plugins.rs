//! The README's recipes for each client, extracted from the README and run
//! verbatim against the real client: Helm 4 (its Go SDK, behind the small
//! `tests/helm4/helm` shim), `kubectl kustomize` (legacy exec plugin) and
//! `kpt fn eval --exec` (KRM function). Clients missing under CI=true fail.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value as Json;
use workflow_registry::transform::{self, Options};

/// The README's recipe `name`: its script, and the files it needs.
fn recipe(name: &str) -> (String, Vec<(String, String)>) {
    let readme = common::read(&common::root().join("README.md"));
    let fenced = |from: usize| {
        let start = readme[from..].find("```").map(|i| from + i).unwrap();
        let body = readme[start..].find('\n').map(|i| start + i + 1).unwrap();
        let end = readme[body..].find("```").map(|i| body + i).unwrap();
        readme[body..end].to_owned()
    };
    let script = readme
        .find(&format!("<!-- recipe: {name} -->"))
        .map(fenced)
        .unwrap_or_else(|| panic!("no recipe {name} in README"));
    let files = readme
        .match_indices(&format!("<!-- recipe-file: {name} "))
        .map(|(at, m)| {
            let path_end = readme[at..].find(" -->").unwrap();
            (readme[at + m.len()..at + path_end].to_owned(), fenced(at))
        })
        .collect();
    (script, files)
}

/// A directory with `workflow-registry` (the built binary) for PATH.
fn bin_dir(scratch: &Path) -> PathBuf {
    let dir = scratch.join("path");
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("workflow-registry");
    if !link.exists() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_workflow-registry"), link).unwrap();
    }
    dir
}

/// Run a recipe in `dir` with bash, `workflow-registry` first on PATH, then
/// `path_prefix` (the Helm shim), then the caller's PATH.
fn run_recipe(name: &str, dir: &Path, path_prefix: Option<&Path>, env: &[(&str, String)]) -> Output {
    let (script, files) = recipe(name);
    for (path, content) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let prefix = path_prefix.map(|p| format!("{}:", p.display())).unwrap_or_default();
    let path = format!(
        "{}:{prefix}{}",
        bin_dir(dir).display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.args(["-euo", "pipefail", "-c", &script])
        .current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    common::text(b)
}

/// Objects as Kubernetes reads them, without the bookkeeping annotations
/// each client adds, sorted by kind/namespace/name.
fn objects(k8sjson: &Path, yaml: &str) -> BTreeMap<String, Json> {
    common::k8s_decode(k8sjson, yaml)
        .into_iter()
        .map(|(key, mut v)| {
            if let Some(meta) = v.get_mut("metadata").and_then(Json::as_object_mut) {
                if let Some(a) = meta.get_mut("annotations").and_then(Json::as_object_mut) {
                    a.retain(|k, _| {
                        !k.starts_with("config.kubernetes.io/")
                            && !k.starts_with("internal.config.kubernetes.io/")
                            && !k.starts_with("kustomize.config.k8s.io/")
                            && k != "config.k8s.io/id"
                    });
                    if a.is_empty() {
                        meta.remove("annotations");
                    }
                }
            }
            (key, v)
        })
        .collect()
}

/// Every YAML file of a package, concatenated.
fn package_yaml(dir: &Path) -> String {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") && p.file_name().is_some_and(|n| n != "Kptfile") {
                files.push(p);
            }
        }
    }
    files.sort();
    files.iter().map(|f| format!("---\n{}", common::read(f))).collect()
}

fn key_file(dir: &Path) {
    std::fs::write(dir.join("key.json"), common::GCR_KEY).unwrap();
}

#[test]
fn helm4_plugin_installed_from_the_repository_renders_every_location_and_strategy() {
    let Some(python) = common::peer("venv/bin/python") else {
        return;
    };
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let dir = common::scratch("helm4");
    // A checkout as `helm plugin install` sees it: plugin.yaml, the hook, a built binary.
    let plugin = dir.join("workflow-registry");
    std::fs::create_dir_all(plugin.join("scripts")).unwrap();
    std::fs::create_dir_all(plugin.join("target/release")).unwrap();
    std::fs::copy(common::root().join("plugin.yaml"), plugin.join("plugin.yaml")).unwrap();
    std::fs::copy(
        common::root().join("scripts/install-binary.sh"),
        plugin.join("scripts/install-binary.sh"),
    )
    .unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_workflow-registry"),
        plugin.join("target/release/workflow-registry"),
    )
    .unwrap();
    let chart = dir.join("workflow");
    copy_dir(&common::root().join("testdata/charts/workflow"), &chart);
    key_file(&dir);
    let shim = common::root().join("tests/helm4");
    let base_env = |extra: Vec<(&'static str, String)>| {
        let mut env = vec![
            ("HELM_PLUGINS", dir.join("plugins").display().to_string()),
            ("WR_HELM4_PYTHON", python.display().to_string()),
            // Helm 4 does not tell the plugin the namespace, and this chart has no RBAC that would.
            ("WORKFLOW_REGISTRY_NAMESPACE", "deis".to_owned()),
        ];
        env.extend(extra);
        env
    };

    // The README recipe, verbatim (gcr, the default combined strategy).
    let out = run_recipe("helm4", &dir, Some(&shim), &base_env(vec![]));
    assert!(out.status.success(), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("Installed plugin: workflow-registry"));
    assert!(
        plugin.join("bin/workflow-registry").exists(),
        "the install hook left a binary"
    );
    let manifest = text(&out.stdout);
    let objs = objects(&k8sjson, &manifest);
    assert_location(&objs, "gcr", "recipe");

    // Every location and every post-render strategy of the SDK.
    let render = |location: &str, strategy: &str, extra: Vec<(&'static str, String)>| {
        let mut env = common::location_env(location);
        env.extend(base_env(extra));
        let mut cmd = Command::new(&python);
        cmd.arg(shim.join("run_helm4.py"))
            .args([
                chart.to_str().unwrap(),
                dir.join("plugins").to_str().unwrap(),
                "workflow-registry",
                "workflow",
                "deis",
            ])
            .args(["--strategy", strategy])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &dir);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    for location in common::LOCATIONS {
        for strategy in ["combined", "separate", "nohooks"] {
            let out = render(location, strategy, vec![]);
            assert!(out.status.success(), "{location} {strategy}: {}", text(&out.stderr));
            let manifest = text(&out.stdout);
            assert_location(
                &objects(&k8sjson, &manifest),
                location,
                &format!("{location} {strategy}"),
            );
            let secrets = common::k8s_decode(&k8sjson, &manifest)
                .iter()
                .filter(|(k, _)| k.starts_with("Secret/") && k.ends_with("/registry-secret"))
                .count();
            assert_eq!(
                secrets,
                usize::from(location != "on-cluster"),
                "{location} {strategy}: added exactly once"
            );
        }
    }

    // A configuration error fails the render, and the reason is in the log.
    let log = dir.join("errors.log");
    let out = render(
        "gcs",
        "combined",
        vec![("WORKFLOW_REGISTRY_LOG", log.display().to_string())],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("plugin \"workflow-registry\" exited with error"),
        "{}",
        text(&out.stderr)
    );
    let logged = std::fs::read_to_string(&log).expect("the error is logged");
    assert!(logged.contains("did you mean \"gcr\"?"), "{logged}");
}

/// What each location must leave in a rendered Workflow.
fn assert_location(objs: &BTreeMap<String, Json>, location: &str, what: &str) {
    let find = |kind: &str, name: &str| {
        objs.iter()
            .find(|(k, _)| k.starts_with(&format!("{kind}/")) && k.ends_with(&format!("/{name}")))
            .map(|(_, v)| v)
    };
    for component in ["deis-builder", "deis-controller"] {
        let dep = find("Deployment", component).unwrap_or_else(|| panic!("{what}: {component} missing"));
        let env = dep
            .pointer("/spec/template/spec/containers/0/env")
            .and_then(Json::as_array)
            .unwrap();
        let values: Vec<&Json> = env
            .iter()
            .filter(|e| e["name"] == "DEIS_REGISTRY_LOCATION")
            .map(|e| &e["value"])
            .collect();
        assert_eq!(values, [&Json::String(location.into())], "{what}: {component}");
    }
    assert_eq!(
        find("Deployment", "deis-registry").is_some(),
        location == "on-cluster",
        "{what}: on-cluster registry"
    );
    assert_eq!(
        find("DaemonSet", "deis-registry-proxy").is_some(),
        location == "on-cluster",
        "{what}: proxy"
    );
    assert_eq!(
        find("Secret", "registry-secret").is_some(),
        location != "on-cluster",
        "{what}: registry-secret"
    );
    let refresher = ["ecr", "gcr"].contains(&location);
    assert_eq!(
        find("Deployment", "deis-registry-token-refresher").is_some(),
        refresher,
        "{what}: refresher"
    );
    assert_eq!(
        find("ClusterRole", "deis:deis-registry-token-refresher").is_some(),
        refresher,
        "{what}: refresher RBAC"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

#[test]
fn kubectl_kustomize_runs_the_legacy_exec_plugin_with_the_same_changes_as_the_filter() {
    let Some(_) = common::tool_on_path("kubectl") else {
        return;
    };
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let dir = common::scratch("kustomize");
    std::fs::create_dir_all(dir.join("overlay")).unwrap();
    let fixture = common::read(&common::root().join("testdata/fixtures/helm-classic-v2.4.1.on-cluster.yaml"));
    std::fs::write(dir.join("overlay/workflow.yaml"), &fixture).unwrap();
    std::fs::write(dir.join("password.txt"), common::SECRETS[0]).unwrap();

    let out = run_recipe("kustomize", &dir, None, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let via_kustomize = objects(&k8sjson, &text(&out.stdout));
    let plain = transform::run(&fixture, &common::settings("off-cluster"), &Options::default()).unwrap();
    assert_eq!(
        via_kustomize,
        objects(&k8sjson, &plain.text()),
        "kustomize's result differs from the plain filter's"
    );
    assert!(via_kustomize.keys().any(|k| k.ends_with("/registry-secret")));

    // A configuration problem fails the build with our message.
    std::fs::write(dir.join("password.txt"), "").unwrap();
    let out = run_recipe("kustomize", &dir, None, &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("REGISTRY_PASSWORD (params: off_cluster_registry.password): is required"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn kpt_fn_eval_exec_keeps_comments_and_quoting_and_fails_on_bad_config() {
    let Some(kpt) = common::tool_on_path("kpt") else { return };
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let fixture = common::read(&common::root().join("testdata/fixtures/helm-v2-v2.18.on-cluster.yaml"));

    // kpt reformats some sequence indentation by itself: compare with a no-op function's result.
    let baseline = common::scratch("kpt-baseline");
    std::fs::create_dir_all(baseline.join("workflow")).unwrap();
    std::fs::write(baseline.join("workflow/workflow.yaml"), &fixture).unwrap();
    std::fs::write(baseline.join("noop.sh"), "#!/bin/sh\ncat\n").unwrap();
    Command::new("chmod")
        .args(["+x", "noop.sh"])
        .current_dir(&baseline)
        .status()
        .unwrap();
    let noop = Command::new(&kpt)
        .args(["fn", "eval", "workflow", "--exec", "./noop.sh"])
        .current_dir(&baseline)
        .output()
        .unwrap();
    assert!(noop.status.success(), "{}", text(&noop.stderr));

    let dir = common::scratch("kpt");
    std::fs::create_dir_all(dir.join("workflow")).unwrap();
    std::fs::write(dir.join("workflow/workflow.yaml"), &fixture).unwrap();
    key_file(&dir);
    let out = run_recipe("kpt", &dir, None, &[]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));

    let ours = package_yaml(&dir.join("workflow"));
    let expected = transform::run(
        &fixture,
        &common::settings("gcr"),
        &Options {
            namespace: Some("deis".into()),
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(
        objects(&k8sjson, &ours),
        objects(&k8sjson, &expected.text()),
        "kpt's result differs from the plain filter's"
    );
    let after = common::read(&dir.join("workflow/workflow.yaml"));
    let before = common::read(&baseline.join("workflow/workflow.yaml"));
    for kept in [
        "# NOTE(bacongobbler): use deis/registry_proxy",
        "{name: AGENT_QUIET, value: \"yes\"}",
        "debug: \"off\"",
        "defaultMode: 0644",
    ] {
        assert!(after.contains(kept), "kpt lost {kept:?}");
    }
    assert_eq!(
        after.matches("# Source:").count(),
        before.matches("# Source:").count() - 4,
        "only the 4 removed documents lose their # Source: line"
    );

    // An invalid config fails, the error is in kpt's output, and the package is untouched.
    let bad = common::read(&dir.join("fn-config.yaml")).replace("registry_location: gcr", "registry_location: gcs");
    std::fs::write(dir.join("bad.yaml"), bad).unwrap();
    std::fs::write(dir.join("workflow/workflow.yaml"), &fixture).unwrap();
    let out = Command::new(&kpt)
        .args([
            "fn",
            "eval",
            "workflow",
            "--exec",
            env!("CARGO_BIN_EXE_workflow-registry"),
            "--fn-config",
            "bad.yaml",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        said.contains("[error]") && said.contains("did you mean"),
        "kpt shows our error result: {said}"
    );

    assert_eq!(common::read(&dir.join("workflow/workflow.yaml")), fixture);
}

#[test]
fn install_hook_explains_when_it_can_neither_find_nor_build_a_binary() {
    let dir = common::scratch("hook");
    std::fs::create_dir_all(dir.join("scripts")).unwrap();
    std::fs::copy(
        common::root().join("scripts/install-binary.sh"),
        dir.join("scripts/install-binary.sh"),
    )
    .unwrap();
    let out = Command::new("sh")
        .arg(dir.join("scripts/install-binary.sh"))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HELM_PLUGIN_DIR", &dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("no prebuilt binary") && err.contains("helm plugin update workflow-registry"),
        "{err}"
    );

    // A prebuilt binary (a release archive) is used as it is.
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_workflow-registry"),
        dir.join("bin/workflow-registry"),
    )
    .unwrap();
    let out = Command::new("sh")
        .arg(dir.join("scripts/install-binary.sh"))
        .env("HELM_PLUGIN_DIR", &dir)
        .output()
        .unwrap();
    assert!(
        out.status.success() && text(&out.stdout).contains("using the prebuilt"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn helm4_plugin_installs_from_the_release_archive_with_its_prebuilt_binary() {
    let Some(python) = common::peer("venv/bin/python") else {
        return;
    };
    let version = common::read(&common::root().join("plugin.yaml"))
        .lines()
        .find_map(|l| l.strip_prefix("version: ").map(str::to_owned))
        .unwrap();
    let dist = common::root().join("target/dist");
    let archive = std::fs::read_dir(&dist).ok().and_then(|d| {
        d.filter_map(Result::ok).map(|e| e.path()).find(|p| {
            p.file_name().is_some_and(|n| {
                n.to_string_lossy()
                    .starts_with(&format!("workflow-registry-{version}-"))
            })
        })
    });
    let Some(archive) = archive else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "no plugin archive in {}: scripts/test builds it",
            dist.display()
        );
        eprintln!("SKIPPED: run scripts/package-plugin.sh (scripts/test does) to test installing the archive");
        return;
    };
    let dir = common::scratch("helm4-archive");
    std::fs::copy(
        &archive,
        dir.join(format!("workflow-registry-{version}-linux-amd64.tgz")),
    )
    .unwrap();
    let shim = common::root().join("tests/helm4");
    let plugins = dir.join("plugins");
    let env = vec![
        ("HELM_PLUGINS", plugins.display().to_string()),
        ("WR_HELM4_PYTHON", python.display().to_string()),
    ];
    let out = run_recipe("helm4-archive", &dir, Some(&shim), &env);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        text(&out.stdout).contains("using the prebuilt"),
        "the archive's own binary is used: {}",
        text(&out.stdout)
    );

    let mut cmd = Command::new(&python);
    cmd.arg(shim.join("run_helm4.py"))
        .args([
            common::root().join("testdata/charts/workflow").to_str().unwrap(),
            plugins.to_str().unwrap(),
            "workflow-registry",
            "workflow",
            "deis",
        ])
        .env_clear()
        .env("HOME", &dir)
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in common::location_env("off-cluster") {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("name: registry-secret"));
}
