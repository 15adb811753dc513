//! The README's recipes for each client, extracted from the README and run
//! verbatim against the real client: Helm 4 (its Go SDK, behind the small
//! `tests/helm4/helm` shim), `kubectl kustomize` (legacy exec plugin) and
//! `kpt fn eval --exec` (KRM function). Clients missing under CI=true fail.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::text;
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

/// The `bin/` directory that the README's install command filled: the
/// recipes run with that on PATH, as an operator who followed the README has
/// it. The command runs once per test process, verbatim, from the repository
/// root, into `target/readme-install/` (its own target directory, so that it
/// neither waits for nor disturbs the `cargo test` that runs it).
fn installed_bin_dir() -> PathBuf {
    static INSTALLED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let (script, _) = recipe("install");
            let base = common::root().join("target/readme-install");
            let mut cmd = Command::new("bash");
            cmd.args(["-euo", "pipefail", "-c", &script])
                .current_dir(common::root())
                .env("CARGO_INSTALL_ROOT", base.join("root"))
                .env("CARGO_TARGET_DIR", base.join("target"));
            // What `cargo test` sets for this test binary is not the operator's environment.
            for (key, _) in std::env::vars_os() {
                let key = key.to_string_lossy();
                if key.starts_with("CARGO_") && key != "CARGO_HOME" || key == "RUSTFLAGS" {
                    cmd.env_remove(&*key);
                }
            }
            let out = cmd.output().map_err(|e| format!("cannot run bash: {e}"))?;
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

/// Run a recipe in `dir` with bash, `workflow-registry` first on PATH, then
/// `path_prefix` (the Helm shim), then the caller's PATH.
fn run_recipe(name: &str, dir: &Path, path_prefix: Option<&Path>, env: &[(&str, String)]) -> Output {
    let (script, files) = recipe(name);
    for (path, content) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    run_script(&script, dir, path_prefix, env)
}

/// Run `script` as [`run_recipe`] does.
fn run_script(script: &str, dir: &Path, path_prefix: Option<&Path>, env: &[(&str, String)]) -> Output {
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

/// Every file under `dir`, recursively.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files
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
    common::place_binary(&plugin.join("target/release/workflow-registry"));
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

    // The added documents land next to workflow.yaml under the names operators
    // look for (Workflow's docs: `deis-registry-secret.yaml`), none with a colon.
    let mut files: Vec<String> = walk(&dir.join("workflow"))
        .iter()
        .map(|p| p.strip_prefix(dir.join("workflow")).unwrap().display().to_string())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "deis-registry-secret.yaml",
            "deis-registry-token-refresher-clusterrole.yaml",
            "deis-registry-token-refresher-clusterrolebinding.yaml",
            "deis-registry-token-refresher-deployment.yaml",
            "deis-registry-token-refresher-serviceaccount.yaml",
            "workflow.yaml",
        ],
        "files kpt wrote"
    );
    let secret_file = common::read(&dir.join("workflow/deis-registry-secret.yaml"));
    assert!(
        secret_file.contains("kind: Secret") && secret_file.contains("name: registry-secret"),
        "{secret_file}"
    );

    let ours = package_yaml(&dir.join("workflow"));
    let expected = transform::run(&fixture, &common::settings("gcr"), &Options::in_namespace("deis")).unwrap();
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
    common::place_binary(&dir.join("bin/workflow-registry"));
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

/// A throwaway GnuPG home holding one signing key without a passphrase, and
/// that key's fingerprint.
fn throwaway_key(dir: &Path) -> (PathBuf, String) {
    let home = dir.join("gnupg");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let gpg = |args: &[&str]| {
        let out = Command::new("gpg")
            .args(["--batch", "--homedir"])
            .arg(&home)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "gpg {args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    gpg(&[
        "--passphrase",
        "",
        "--quick-gen-key",
        "workflow-registry test release <release@example.invalid>",
        "rsa2048",
        "sign",
        "never",
    ]);
    let listing = gpg(&["--with-colons", "--list-secret-keys"]);
    let fingerprint = listing
        .lines()
        .find_map(|l| l.strip_prefix("fpr:::::::::"))
        .and_then(|l| l.split(':').next())
        .expect("a fingerprint")
        .to_owned();
    (home, fingerprint)
}

/// Stop the gpg-agent that a throwaway home started.
fn stop_agent(home: &Path) {
    let _ = Command::new("gpgconf")
        .args(["--kill", "gpg-agent"])
        .env("GNUPGHOME", home)
        .status();
}

/// What Helm's `provenance.Signatory.Verify` checks, done independently:
/// the clear-signed block's signature against the keyring in `home` (gpg),
/// then the `sha256:` that its `files:` section gives for `name` against the
/// archive's own digest. `Err` says which check failed.
fn verify_like_helm(home: &Path, prov: &Path, archive: &Path, name: &str) -> Result<(), String> {
    let signed = common::read(prov);
    let body = signed
        .strip_prefix("-----BEGIN PGP SIGNED MESSAGE-----\n")
        .and_then(|rest| rest.split_once("\n\n"))
        .and_then(|(headers, rest)| {
            assert!(headers.contains("Hash: SHA512"), "Helm signs with SHA512: {headers}");
            rest.split_once("\n-----BEGIN PGP SIGNATURE-----\n")
        })
        .map(|(body, _)| body)
        .ok_or("not a clear-signed message")?;
    // RFC 4880 7.1: lines starting with a dash are escaped with "- ".
    let plain: String = body
        .lines()
        .map(|l| l.strip_prefix("- ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let out = Command::new("gpg")
        .args(["--batch", "--homedir"])
        .arg(home)
        .arg("--verify")
        .arg(prov)
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(format!("bad signature: {}", text(&out.stderr)));
    }
    let (_metadata, sums) = plain
        .split_once("\n...\n")
        .ok_or("no `...` between metadata and files")?;
    let claimed = sums
        .strip_prefix("files:\n")
        .ok_or("no files: section")?
        .lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{name}: sha256:")))
        .ok_or_else(|| format!("provenance does not contain a SHA for a file named {name:?}"))?
        .to_owned();
    let out = Command::new("sha256sum").arg(archive).output().unwrap();
    let actual = text(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    if claimed != actual {
        return Err(format!("sha256 sum does not match for {name}: {claimed} != {actual}"));
    }
    Ok(())
}

#[test]
fn package_plugin_writes_the_archive_its_sha256_and_a_helm_provenance_file() {
    let Some(_) = common::tool_on_path("gpg") else { return };
    let dir = common::scratch("package");
    let (home, key) = throwaway_key(&dir);
    let out_dir = dir.join("dist");
    let out = Command::new(common::root().join("scripts/package-plugin.sh"))
        .args([
            "--sign",
            &key,
            "--binary",
            env!("CARGO_BIN_EXE_workflow-registry"),
            "--out",
        ])
        .arg(&out_dir)
        .env("GNUPGHOME", &home)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let archive = PathBuf::from(text(&out.stdout).trim());
    let name = archive.file_name().unwrap().to_string_lossy().into_owned();
    let version = common::read(&common::root().join("plugin.yaml"))
        .lines()
        .find_map(|l| l.strip_prefix("version: ").map(str::to_owned))
        .unwrap();
    assert!(
        name.starts_with(&format!("workflow-registry-{version}-")) && name.ends_with(".tgz"),
        "{name}"
    );
    assert_eq!(archive.parent(), Some(out_dir.as_path()));

    // The .sha256 file checks with the standard tool.
    let check = Command::new("sha256sum")
        .args(["-c", &format!("{name}.sha256")])
        .current_dir(&out_dir)
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check.stdout));

    // The .prov verifies the way Helm verifies it.
    let prov = out_dir.join(format!("{name}.prov"));
    verify_like_helm(&home, &prov, &archive, &name).unwrap();
    let listing = Command::new("tar").arg("-tzf").arg(&archive).output().unwrap();
    for member in [
        "workflow-registry/plugin.yaml",
        "workflow-registry/bin/workflow-registry",
    ] {
        assert!(
            text(&listing.stdout).lines().any(|l| l == member),
            "{member} in the archive"
        );
    }

    // And catches what it must: a changed archive, a changed provenance text.
    let tampered = dir.join("tampered.tgz");
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes.push(0);
    std::fs::write(&tampered, bytes).unwrap();
    let err = verify_like_helm(&home, &prov, &tampered, &name).unwrap_err();
    assert!(err.contains("sha256 sum does not match"), "{err}");
    let forged = dir.join("forged.prov");
    let signed = common::read(&prov);
    let digest_at = signed.find("sha256:").unwrap() + "sha256:".len();
    let mut forged_text = signed.clone();
    forged_text.replace_range(digest_at..digest_at + 4, "0000");
    assert_ne!(forged_text, signed);
    std::fs::write(&forged, forged_text).unwrap();
    let err = verify_like_helm(&home, &forged, &archive, &name).unwrap_err();
    assert!(err.contains("bad signature"), "{err}");

    // Without a key: no .prov, and no stale one left behind.
    let out = Command::new(common::root().join("scripts/package-plugin.sh"))
        .args(["--binary", env!("CARGO_BIN_EXE_workflow-registry"), "--out"])
        .arg(&out_dir)
        .env("GNUPGHOME", &home)
        .env_remove("GPG_KEY")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!prov.exists(), "an unsigned build leaves no .prov");
    stop_agent(&home);
}

#[test]
fn helm4_plugin_installs_from_a_signed_release_archive_with_verification_on() {
    let Some(python) = common::peer("venv/bin/python") else {
        return;
    };
    let Some(_) = common::tool_on_path("gpg") else { return };
    let dir = common::scratch("helm4-archive");
    let (home, key) = throwaway_key(&dir);
    // The archive where scripts/package-plugin.sh writes it, under the name the recipe uses.
    let (script, _) = recipe("helm4-archive");
    let archive_path = script
        .split_whitespace()
        .find(|w| w.ends_with(".tgz"))
        .expect("the recipe names the archive");
    assert!(
        archive_path.starts_with("target/dist/"),
        "the recipe names where the script writes"
    );
    // Where the script writes by default (it prints the path relative to the repository).
    let built = Command::new(common::root().join("scripts/package-plugin.sh"))
        .args(["--sign", &key, "--binary", env!("CARGO_BIN_EXE_workflow-registry")])
        .env("GNUPGHOME", &home)
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", text(&built.stderr));
    let written = text(&built.stdout).trim().to_owned();
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        assert_eq!(written, archive_path, "the recipe names the file the script writes");
    } else {
        assert_eq!(
            written.rsplit_once('/').map(|(d, _)| d),
            archive_path.rsplit_once('/').map(|(d, _)| d),
            "the recipe names the directory the script writes to"
        );
    }
    let built = common::root().join(&written);
    let archive = dir.join(archive_path);
    std::fs::create_dir_all(archive.parent().unwrap()).unwrap();
    std::fs::copy(&built, &archive).unwrap();
    // The release key as Helm's --keyring reads it (an exported public key).
    let exported = Command::new("gpg")
        .args(["--batch", "--homedir"])
        .arg(&home)
        .args(["--export", &key])
        .output()
        .unwrap();
    assert!(!exported.stdout.is_empty());
    std::fs::write(dir.join("workflow-registry-release.gpg"), &exported.stdout).unwrap();
    stop_agent(&home);

    let shim = common::root().join("tests/helm4");
    let plugins = dir.join("plugins");
    let env = vec![
        ("HELM_PLUGINS", plugins.display().to_string()),
        ("WR_HELM4_PYTHON", python.display().to_string()),
    ];
    // Unsigned (no .prov next to it): Helm 4 refuses with verification on.
    let out = run_recipe("helm4-archive", &dir, Some(&shim), &env);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no provenance file"),
        "{}",
        text(&out.stderr)
    );

    std::fs::copy(
        format!("{}.prov", built.display()),
        format!("{}.prov", archive.display()),
    )
    .unwrap();
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

    // A tampered archive is refused.
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes.push(0);
    std::fs::write(&archive, bytes).unwrap();
    let _ = std::fs::remove_dir_all(&plugins);
    let out = run_recipe("helm4-archive", &dir, Some(&shim), &env);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("sha256 sum does not match"),
        "{}",
        text(&out.stderr)
    );
}

/// The quick start's three commands: the install recipe, the pipe (run
/// verbatim with the installed binary on PATH), the test command.
#[test]
fn readme_quick_start_installs_then_pipes_with_the_installed_binary() {
    let readme = common::read(&common::root().join("README.md"));
    let quick_start = &readme[readme.find("## Quick start").expect("a quick start")..];
    let block = quick_start
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a code block in the quick start");
    let commands: Vec<&str> = block
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    let (install, _) = recipe("install");
    // Two commands: install and run the tool on a bundled manifest; run the tests.
    assert_eq!(commands.len(), 2, "{commands:?}");
    let (first, run) = commands[0]
        .split_once(" && ")
        .expect("the first command installs, then runs the tool");
    assert_eq!(
        first,
        install.trim(),
        "the quick start begins with the README's install command"
    );
    assert!(!first.contains("--quiet"), "the first command shows progress");
    assert_eq!(commands[1], "scripts/test");
    let out = run_script(run, &common::root(), None, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let fixture = common::read(&common::root().join("testdata/fixtures/helm-v2-v2.18.on-cluster.yaml"));
    let expected = transform::run(
        &fixture,
        &common::settings_from(&[
            ("REGISTRY_LOCATION", "off-cluster".into()),
            ("REGISTRY_HOSTNAME", "quay.io".into()),
            ("REGISTRY_ORGANIZATION", "myorg".into()),
            ("REGISTRY_USERNAME", "myorg+deployer".into()),
            ("REGISTRY_PASSWORD", "example-password".into()),
        ]),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        stdout,
        expected.text(),
        "the installed binary gives the library's output"
    );
    assert!(stdout.contains("name: registry-secret") && stdout.contains("value: \"off-cluster\""));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("removed: document"),
        "--verbose shows what changed: {stderr}"
    );
    assert!(
        stderr.contains("deis config:set PORT="),
        "the PORT warning is shown: {stderr}"
    );
}

#[test]
fn readme_check_recipe_validates_the_params_file() {
    let dir = common::scratch("check-recipe");
    std::fs::write(dir.join("password.txt"), common::SECRETS[0]).unwrap();
    let out = run_recipe("check", &dir, None, &[]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(said.contains("valid for off-cluster"), "{said}");
    assert!(!said.contains(common::SECRETS[0]), "the password is masked: {said}");

    std::fs::write(dir.join("password.txt"), "").unwrap();
    let out = run_recipe("check", &dir, None, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("REGISTRY_PASSWORD"), "{}", text(&out.stderr));
}

#[test]
fn readme_pipe_recipe_reads_a_file_and_standard_input_alike() {
    let Some(python) = common::peer("venv/bin/python") else {
        return;
    };
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let dir = common::scratch("pipe-recipe");
    let fixture = common::read(&common::root().join("testdata/fixtures/helm-v2-v2.18.on-cluster.yaml"));
    std::fs::write(dir.join("rendered.yaml"), &fixture).unwrap();
    copy_dir(&common::root().join("testdata/charts/workflow"), &dir.join("workflow"));
    key_file(&dir);
    let shim = common::root().join("tests/helm4");
    let env = [
        ("HELM_PLUGINS", dir.join("plugins").display().to_string()),
        ("WR_HELM4_PYTHON", python.display().to_string()),
    ];
    let out = run_recipe("pipe", &dir, Some(&shim), &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let in_deis = Options::in_namespace("deis");
    let expected = transform::run(&fixture, &common::settings("gcr"), &in_deis).unwrap();
    assert_eq!(common::read(&dir.join("configured.yaml")), expected.text());
    let from_helm = common::read(&dir.join("from-helm.yaml"));
    assert_location(
        &objects(&k8sjson, &from_helm),
        "gcr",
        "helm template | workflow-registry -f -",
    );
}
