//! The README's recipes for each client, extracted from the README and run
//! verbatim against the real client: Helm 4's CLI (plugin install from a
//! checkout and from a signed archive, verified by Helm itself), Helm 3's
//! `--post-renderer` path, standalone kustomize's exec KRM function,
//! `kubectl kustomize`'s legacy exec plugin and `kpt fn eval --exec`. The
//! Helm recipes that install into a cluster run against the live API server
//! in tests/apiserver/recipes.rs. Clients missing under CI=true fail.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::readme::{
    assert_location, helm3_as_helm, helm_env, key_file, objects, plugin_checkout, recipe, run_recipe, run_script,
};
use common::text;

/// What the plain filter makes of `input` with `env` (the reference the
/// clients' results are compared with).
fn filtered(input: &str, env: &[(&str, String)], args: &[&str]) -> String {
    let out = common::run(common::binary(env).args(args), input);
    assert!(out.status.success(), "the filter: {}", text(&out.stderr));
    text(&out.stdout)
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

/// The repository installed as a plugin by Helm 4 itself (`helm plugin
/// install DIR`, which runs the install hook), then `helm template` through
/// it for every location: the same commands as the README's Helm 4 recipe,
/// without a cluster (tests/apiserver/recipes.rs runs the recipe's install).
#[test]
fn helm4_installs_the_plugin_from_a_checkout_and_renders_every_location() {
    let Some(helm) = common::peer("bin/helm") else { return };
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let dir = common::scratch("helm4");
    plugin_checkout(&dir.join("workflow-registry"));
    common::copy_dir(&common::root().join("testdata/charts/workflow"), &dir.join("workflow"));
    key_file(&dir);
    let env = helm_env(&dir, None);
    let helm_cmd = |args: &[&str], extra: &[(&str, String)]| {
        let mut cmd = Command::new(&helm);
        cmd.args(args)
            .current_dir(&dir)
            .env_clear()
            .env("HOME", &dir)
            .env("PATH", std::env::var("PATH").unwrap_or_default());
        for (k, v) in env.iter().chain(extra) {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };

    let out = helm_cmd(&["plugin", "install", "./workflow-registry"], &[]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Installed plugin: workflow-registry"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        dir.join("workflow-registry/bin/workflow-registry").exists(),
        "the install hook left a binary"
    );

    for location in common::LOCATIONS {
        let mut extra = common::location_env(location);
        // Helm 4 does not tell the plugin the namespace, and this chart has no RBAC that would.
        extra.push(("WORKFLOW_REGISTRY_NAMESPACE", "deis".into()));
        let out = helm_cmd(
            &[
                "template",
                "workflow",
                "./workflow",
                "--namespace",
                "deis",
                "--post-renderer",
                "workflow-registry",
            ],
            &extra,
        );
        assert!(out.status.success(), "{location}: {}", text(&out.stderr));
        let manifest = text(&out.stdout);
        assert_location(&objects(&k8sjson, &manifest), location, location);
        let secrets = common::k8s_decode(&k8sjson, &manifest)
            .iter()
            .filter(|(k, _)| k.starts_with("Secret/") && k.ends_with("/registry-secret"))
            .count();
        assert_eq!(
            secrets,
            usize::from(location != "on-cluster"),
            "{location}: added exactly once"
        );
    }

    // A configuration error fails the render; Helm 4 shows none of our
    // standard error, so the reason is in the log.
    let log = dir.join("errors.log");
    let out = helm_cmd(
        &[
            "template",
            "workflow",
            "./workflow",
            "--post-renderer",
            "workflow-registry",
        ],
        &[
            ("REGISTRY_LOCATION", "gcs".into()),
            ("WORKFLOW_REGISTRY_LOG", log.display().to_string()),
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("plugin \"workflow-registry\" exited with error"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !text(&out.stderr).contains("did you mean"),
        "Helm 4 drops the plugin's stderr"
    );
    let logged = std::fs::read_to_string(&log).expect("the error is logged");
    assert!(logged.contains("did you mean \"gcr\"?"), "{logged}");
}

/// The README's Helm 3 recipe: `--post-renderer` with the binary's path, and
/// `--show-only` still finding a template by its `# Source:` line. Helm 3
/// shows the post-renderer's standard error only when it fails (the README
/// says so, and points at the log for warnings).
#[test]
fn helm3_runs_the_binary_as_its_post_renderer_and_show_only_still_works() {
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let dir = common::scratch("helm3");
    let Some(helm3) = helm3_as_helm(&dir) else { return };
    common::copy_dir(&common::root().join("testdata/charts/workflow"), &dir.join("workflow"));
    let mut env = helm_env(&dir, None);
    let log = dir.join("workflow-registry.log");
    env.push(("WORKFLOW_REGISTRY_LOG", log.display().to_string()));
    let out = run_recipe("helm3-template", &dir, Some(&helm3), &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifest = text(&out.stdout);
    assert_location(&objects(&k8sjson, &manifest), "ecr", "helm3-template");
    assert!(
        !text(&out.stderr).contains("PORT"),
        "Helm 3 hides a successful post-renderer's warnings"
    );
    let logged = common::read(&log);
    assert!(logged.contains("deis config:set PORT="), "{logged}");
    assert!(
        logged.contains("summary"),
        "--verbose goes to the log as well: {logged}"
    );
    let builder = manifest
        .split("\n---\n")
        .find(|d| d.contains("name: deis-builder\n"))
        .expect("the builder");
    assert!(
        builder.contains("# Source: workflow/templates/builder-deployment.yaml"),
        "{builder}"
    );

    let out = run_recipe("helm3-show-only", &dir, Some(&helm3), &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = objects(&k8sjson, &text(&out.stdout));
    assert_eq!(
        shown.keys().collect::<Vec<_>>(),
        ["Deployment//deis-builder"],
        "--show-only finds the template through the kept # Source: line"
    );
    let env_of = &shown["Deployment//deis-builder"]["spec"]["template"]["spec"]["containers"][0]["env"];
    assert!(
        env_of
            .to_string()
            .contains(r#"{"name":"DEIS_REGISTRY_LOCATION","value":"ecr"}"#),
        "{env_of}"
    );

    // A configuration error: Helm 3 fails, with our message in its own.
    let (script, _) = recipe("helm3-template");
    let out = run_script(
        &script.replace("ECR_REGION=eu-west-1", "ECR_REGION=mars-1"),
        &dir,
        Some(&helm3),
        &env,
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("ECR_REGION"), "{}", text(&out.stderr));
}

/// Standalone kustomize runs the binary as an exec KRM function (the README's
/// recipe, `--enable-alpha-plugins --enable-exec`): the same changes as the
/// plain filter, the warnings in the log (kustomize ignores KRM results), and
/// a configuration error fails the build with our message.
#[test]
fn kustomize_runs_the_exec_krm_function_with_the_same_changes_as_the_filter() {
    let Some(kustomize) = common::peer("bin/kustomize") else {
        return;
    };
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let dir = common::scratch("kustomize-exec");
    let fixture = common::read(&common::root().join("testdata/fixtures/helm-classic-v2.4.1.on-cluster.yaml"));
    std::fs::create_dir_all(dir.join("workflow")).unwrap();
    std::fs::write(dir.join("workflow/workflow.yaml"), &fixture).unwrap();
    std::fs::write(dir.join("password.txt"), common::SECRETS[0]).unwrap();
    let bin = kustomize.parent().unwrap();

    let log = dir.join("workflow-registry.log");
    let env = [("WORKFLOW_REGISTRY_LOG", log.display().to_string())];
    let out = run_recipe("kustomize-exec", &dir, Some(bin), &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let via_kustomize = objects(&k8sjson, &text(&out.stdout));
    let mut env = common::location_env("off-cluster");
    env.retain(|(k, _)| *k != "REGISTRY_HOSTNAME" && *k != "REGISTRY_ORGANIZATION");
    env.extend([
        ("REGISTRY_HOSTNAME", "quay.io".into()),
        ("REGISTRY_ORGANIZATION", "myorg".into()),
    ]);
    let plain = filtered(&fixture, &env, &[]);
    assert_eq!(
        via_kustomize,
        objects(&k8sjson, &plain),
        "kustomize's result differs from the plain filter's"
    );
    assert!(via_kustomize.keys().any(|k| k.ends_with("/registry-secret")));
    // The warnings are in the KRM results, which kustomize ignores: only the log has them.
    assert!(!text(&out.stderr).contains("PORT"), "{}", text(&out.stderr));
    let logged = common::read(&log);
    assert!(logged.contains("deis config:set PORT="), "{logged}");
    assert!(!logged.contains(common::SECRETS[0]), "no secret in the log");

    // Without --enable-exec kustomize skips the function silently (the
    // README warns): exit 0, nothing configured.
    let out = Command::new(&kustomize)
        .args(["build", "--enable-alpha-plugins", "workflow/"])
        .current_dir(&dir)
        .env_clear()
        .env("HOME", &dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stdout).contains("registry-secret"),
        "the function did not run"
    );

    // A configuration problem fails the build with our message.
    std::fs::write(dir.join("password.txt"), "").unwrap();
    let out = run_recipe("kustomize-exec", &dir, Some(bin), &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("REGISTRY_PASSWORD (params: off_cluster_registry.password): is required"),
        "{}",
        text(&out.stderr)
    );
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
    let plain = filtered(&fixture, &common::location_env("off-cluster"), &[]);
    assert_eq!(
        via_kustomize,
        objects(&k8sjson, &plain),
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
    let expected = filtered(&fixture, &common::location_env("gcr"), &["--namespace", "deis"]);
    assert_eq!(
        objects(&k8sjson, &ours),
        objects(&k8sjson, &expected),
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

/// The release key as Helm's `--keyring` reads it: the public key exported
/// from the throwaway GnuPG home, in GnuPG's binary format.
fn export_keyring(home: &Path, key: &str, to: &Path) {
    let exported = Command::new("gpg")
        .args(["--batch", "--homedir"])
        .arg(home)
        .args(["--export", key])
        .output()
        .unwrap();
    assert!(exported.status.success() && !exported.stdout.is_empty());
    std::fs::write(to, &exported.stdout).unwrap();
}

/// `helm plugin verify ARCHIVE --keyring KEYRING` (Helm 4's own check of
/// `ARCHIVE.prov`: the signature, then the archive's digest): Err carries
/// what Helm said.
fn helm_verifies(helm: &Path, keyring: &Path, archive: &Path) -> Result<(), String> {
    let dir = archive.parent().unwrap();
    let out = Command::new(helm)
        .args(["plugin", "verify"])
        .arg(archive)
        .arg("--keyring")
        .arg(keyring)
        .env_clear()
        .env("HOME", dir)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{}{}", text(&out.stderr), text(&out.stdout)))
    }
}

#[test]
fn package_plugin_writes_the_archive_its_sha256_and_a_helm_provenance_file() {
    let Some(_) = common::tool_on_path("gpg") else { return };
    let Some(helm) = common::peer("bin/helm") else { return };
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

    // Helm 4 verifies the .prov.
    let prov = out_dir.join(format!("{name}.prov"));
    let keyring = dir.join("release.gpg");
    export_keyring(&home, &key, &keyring);
    helm_verifies(&helm, &keyring, &archive).unwrap();
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

    // And refuses what it must, each copy under the archive's own name:
    // a changed archive, a changed provenance text.
    let signed = common::read(&prov);
    let copy = |what: &str, archive_bytes: Vec<u8>, prov_text: &str| {
        let at = dir.join(what);
        std::fs::create_dir_all(&at).unwrap();
        std::fs::write(at.join(&name), archive_bytes).unwrap();
        std::fs::write(at.join(format!("{name}.prov")), prov_text).unwrap();
        at.join(&name)
    };
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes.push(0);
    let tampered = copy("tampered", bytes, &signed);
    let err = helm_verifies(&helm, &keyring, &tampered).unwrap_err();
    assert!(err.contains("sha256 sum does not match"), "{err}");
    let digest_at = signed.find("sha256:").unwrap() + "sha256:".len();
    let mut forged_text = signed.clone();
    forged_text.replace_range(digest_at..digest_at + 4, "0000");
    assert_ne!(forged_text, signed);
    let forged = copy("forged", std::fs::read(&archive).unwrap(), &forged_text);
    let err = helm_verifies(&helm, &keyring, &forged).unwrap_err();
    assert!(err.to_lowercase().contains("signature"), "{err}");

    // Without a key: no .prov, and no stale one left behind. Relative paths
    // are the caller's (a CI job's `--binary ./wr --out dist`).
    std::fs::copy(env!("CARGO_BIN_EXE_workflow-registry"), dir.join("wr")).unwrap();
    let out = Command::new(common::root().join("scripts/package-plugin.sh"))
        .args(["--binary", "./wr", "--out", "dist"])
        .current_dir(&dir)
        .env("GNUPGHOME", &home)
        .env_remove("GPG_KEY")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        PathBuf::from(text(&out.stdout).trim()),
        archive,
        "written in the caller's dist/"
    );
    assert!(!prov.exists(), "an unsigned build leaves no .prov");
    stop_agent(&home);
}

#[test]
fn helm4_plugin_installs_from_a_signed_release_archive_with_verification_on() {
    let Some(helm) = common::peer("bin/helm") else { return };
    let Some(k8sjson) = common::peer("k8sjson") else { return };
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
    export_keyring(&home, &key, &dir.join("workflow-registry-release.gpg"));
    stop_agent(&home);

    let bin = helm.parent().unwrap();
    let env = helm_env(&dir, None);
    let plugins = dir.join("helm/data/plugins");
    // Unsigned (no .prov next to it): Helm 4 refuses with verification on.
    let out = run_recipe("helm4-archive", &dir, Some(bin), &env);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    let said = text(&out.stderr);
    assert!(said.contains(".prov") || said.contains("provenance"), "{said}");
    assert!(!plugins.join("workflow-registry").exists(), "nothing installed");

    std::fs::copy(
        format!("{}.prov", built.display()),
        format!("{}.prov", archive.display()),
    )
    .unwrap();
    let out = run_recipe("helm4-archive", &dir, Some(bin), &env);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("Installed plugin: workflow-registry"), "{said}");
    assert!(
        said.contains("using the prebuilt"),
        "the archive's own binary is used: {said}"
    );

    // The installed plugin renders.
    common::copy_dir(&common::root().join("testdata/charts/workflow"), &dir.join("workflow"));
    let mut cmd = Command::new(&helm);
    cmd.args([
        "template",
        "workflow",
        "./workflow",
        "--post-renderer",
        "workflow-registry",
    ])
    .current_dir(&dir)
    .env_clear()
    .env("HOME", &dir)
    .env("PATH", std::env::var("PATH").unwrap_or_default())
    .envs(env.iter().cloned())
    .envs(common::location_env("off-cluster"));
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_location(
        &objects(&k8sjson, &text(&out.stdout)),
        "off-cluster",
        "from the archive",
    );

    // A tampered archive is refused, and nothing is installed.
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes.push(0);
    std::fs::write(&archive, bytes).unwrap();
    let _ = std::fs::remove_dir_all(&plugins);
    let out = run_recipe("helm4-archive", &dir, Some(bin), &env);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("sha256 sum does not match"),
        "{}",
        text(&out.stderr)
    );
    assert!(!plugins.join("workflow-registry").exists(), "nothing installed");
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
    let expected = filtered(
        &fixture,
        &[
            ("REGISTRY_LOCATION", "off-cluster".into()),
            ("REGISTRY_HOSTNAME", "quay.io".into()),
            ("REGISTRY_ORGANIZATION", "myorg".into()),
            ("REGISTRY_USERNAME", "myorg+deployer".into()),
            ("REGISTRY_PASSWORD", "example-password".into()),
        ],
        &[],
    );
    assert_eq!(stdout, expected, "the installed binary gives the built binary's output");
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
    let Some(helm) = common::peer("bin/helm") else { return };
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let dir = common::scratch("pipe-recipe");
    let fixture = common::read(&common::root().join("testdata/fixtures/helm-v2-v2.18.on-cluster.yaml"));
    std::fs::write(dir.join("rendered.yaml"), &fixture).unwrap();
    common::copy_dir(&common::root().join("testdata/charts/workflow"), &dir.join("workflow"));
    key_file(&dir);
    let out = run_recipe("pipe", &dir, helm.parent(), &helm_env(&dir, None));
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The raw key in the environment: the same secret as `@key.json`.
    let expected = filtered(&fixture, &common::location_env("gcr"), &["--namespace", "deis"]);
    assert_eq!(common::read(&dir.join("configured.yaml")), expected);
    let from_helm = common::read(&dir.join("from-helm.yaml"));
    assert_location(
        &objects(&k8sjson, &from_helm),
        "gcr",
        "helm template | workflow-registry -f -",
    );
}
