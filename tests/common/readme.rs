//! The README's recipes, extracted from the README and run verbatim: the
//! install command (once per test process, into a root of its own), then each
//! recipe with that installed `workflow-registry` first on PATH.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value as Json;

use super::text;

/// The README's recipe `name`: its script, and the files it needs.
pub fn recipe(name: &str) -> (String, Vec<(String, String)>) {
    let readme = super::read(&super::root().join("README.md"));
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

/// The README's install command as the tests run it: from the repository
/// root, into `base/root` with `base/target` as its target directory (so
/// that it neither waits for nor disturbs the `cargo test` that runs it).
/// `inherited` is the environment the test process got: what `cargo test`
/// set for this binary (`CARGO_*`, `RUSTFLAGS`) is dropped, and so is what
/// the operator set that would move the install (`CARGO_INSTALL_ROOT`,
/// `CARGO_TARGET_DIR`); our own settings are written last, so that nothing
/// inherited can override them. `CARGO_HOME` stays: it holds the registry.
pub fn install_command(script: &str, base: &Path, inherited: impl Iterator<Item = OsString>) -> Command {
    let mut cmd = Command::new("bash");
    cmd.args(["-euo", "pipefail", "-c", script]).current_dir(super::root());
    for key in inherited {
        let name = key.to_string_lossy();
        if name.starts_with("CARGO_") && name != "CARGO_HOME" || name == "RUSTFLAGS" {
            cmd.env_remove(&key);
        }
    }
    cmd.env("CARGO_INSTALL_ROOT", base.join("root"))
        .env("CARGO_TARGET_DIR", base.join("target"));
    cmd
}

/// The `bin/` directory that the README's install command filled: the
/// recipes run with that on PATH, as an operator who followed the README has
/// it. The command runs once per test process, into
/// `target/readme-install/` ([`install_command`]).
pub fn installed_bin_dir() -> PathBuf {
    static INSTALLED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let (script, _) = recipe("install");
            let base = super::root().join("target/readme-install");
            let inherited = std::env::vars_os().map(|(k, _)| k);
            let out = install_command(&script, &base, inherited)
                .output()
                .map_err(|e| format!("cannot run bash: {e}"))?;
            let bin = base.join("root/bin");
            let stderr = text(&out.stderr);
            if !out.status.success() || !bin.join("workflow-registry").is_file() {
                return Err(format!("the README's install command failed:\n{stderr}"));
            }
            if !stderr.contains("Installed package") && !stderr.contains("Replaced package") {
                return Err(format!("cargo install did not say what it installed:\n{stderr}"));
            }
            Ok(bin)
        })
        .clone()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Run a recipe in `dir` with bash: its files written there first, the
/// installed `workflow-registry` first on PATH, then `path_prefix`, then the
/// caller's PATH; HOME is `dir`, and nothing else of the caller's
/// environment is passed on but `env`.
pub fn run_recipe(name: &str, dir: &Path, path_prefix: Option<&Path>, env: &[(&str, String)]) -> Output {
    let (script, files) = recipe(name);
    for (path, content) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    run_script(&script, dir, path_prefix, env)
}

/// Run `script` as [`run_recipe`] does.
pub fn run_script(script: &str, dir: &Path, path_prefix: Option<&Path>, env: &[(&str, String)]) -> Output {
    let prefix = path_prefix.map(|p| format!("{}:", p.display())).unwrap_or_default();
    let path = format!(
        "{}:{prefix}{}",
        installed_bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.args(["-euo", "pipefail", "-c", script])
        .current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Helm's directories under `home`, and no cluster unless `kubeconfig`
/// names one: the environment a Helm recipe runs with. Plugins go where
/// Helm's data home puts them (`plugins`): Helm 4 installs a plugin from a
/// directory or an archive there whatever HELM_PLUGINS says (helm/helm#32646).
pub fn helm_env(home: &Path, kubeconfig: Option<&Path>) -> Vec<(&'static str, String)> {
    let at = |p: &str| home.join(p).display().to_string();
    vec![
        ("HELM_CONFIG_HOME", at("helm/config")),
        ("HELM_DATA_HOME", at("helm/data")),
        ("HELM_CACHE_HOME", at("helm/cache")),
        (
            "KUBECONFIG",
            kubeconfig.map_or_else(|| at("no-cluster.kubeconfig"), |k| k.display().to_string()),
        ),
    ]
}

/// A directory holding `helm`, a link to Helm 3: the README calls each
/// client `helm`, as operators do.
pub fn helm3_as_helm(dir: &Path) -> Option<PathBuf> {
    let helm3 = super::peer("bin/helm3")?;
    let bin = dir.join("helm3-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let link = bin.join("helm");
    if !link.exists() {
        std::os::unix::fs::symlink(helm3, &link).unwrap();
    }
    Some(bin)
}

/// A checkout of this repository as `helm plugin install` sees it, at
/// `at`: plugin.yaml, the install hook, and a built binary where
/// `cargo build --release` puts it.
pub fn plugin_checkout(at: &Path) {
    std::fs::create_dir_all(at.join("scripts")).unwrap();
    std::fs::create_dir_all(at.join("target/release")).unwrap();
    std::fs::copy(super::root().join("plugin.yaml"), at.join("plugin.yaml")).unwrap();
    std::fs::copy(
        super::root().join("scripts/install-binary.sh"),
        at.join("scripts/install-binary.sh"),
    )
    .unwrap();
    super::place_binary(&at.join("target/release/workflow-registry"));
}

/// Objects as Kubernetes reads them, without the bookkeeping annotations
/// each client adds, sorted by kind/namespace/name.
pub fn objects(k8sjson: &Path, yaml: &str) -> BTreeMap<String, Json> {
    super::k8s_decode(k8sjson, yaml)
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

/// `key.json` in `dir`: the test configuration's GCR key.
pub fn key_file(dir: &Path) {
    std::fs::write(dir.join("key.json"), super::GCR_KEY).unwrap();
}

/// What each location must leave of the bundled chart (testdata/charts/workflow):
/// `objs` keyed `Kind/namespace/name`.
pub fn assert_location(objs: &BTreeMap<String, Json>, location: &str, what: &str) {
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
