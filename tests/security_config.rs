//! Hostile configuration and a hostile filesystem (docs/security.md):
//! each test runs the attack itself against the built binary.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::{binary, location_env, mkfifo, run_within, text, GCR_KEY};

const BUILDER: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-builder\n  namespace: deis\nspec:\n  template:\n    spec:\n      containers:\n      - name: deis-builder\n        env:\n        - name: DEIS_REGISTRY_LOCATION\n          value: \"on-cluster\"\n";

/// A second key, "outside the package": its marker must never reach any output.
const OUTSIDE_MARKER: &str = "OUTSIDE-THE-PACKAGE-KEY";

fn outside_key() -> String {
    GCR_KEY.replace("MIIEv-NOT-A-REAL-KEY", OUTSIDE_MARKER)
}

/// A package directory `pkg/` with a key inside it, and a key outside it.
struct Layout {
    root: PathBuf,
    pkg: PathBuf,
}

impl Layout {
    fn new(name: &str) -> Layout {
        let root = std::fs::canonicalize(common::scratch(name)).unwrap();
        let pkg = root.join("pkg");
        std::fs::create_dir_all(pkg.join("keys")).unwrap();
        std::fs::write(pkg.join("keys/key.json"), GCR_KEY).unwrap();
        std::fs::write(root.join("outside.json"), outside_key()).unwrap();
        std::os::unix::fs::symlink("../../outside.json", pkg.join("keys/link.json")).unwrap();
        std::os::unix::fs::symlink(root.join("outside.json"), pkg.join("abs-link.json")).unwrap();
        Layout { root, pkg }
    }

    fn config(&self, key_path: &str) -> PathBuf {
        let path = self.pkg.join("registry.yaml");
        std::fs::write(
            &path,
            format!(
                "apiVersion: registry.deis.io/v1alpha1\nkind: WorkflowRegistry\nmetadata: {{name: r}}\n\
                 spec:\n  registry_location: gcr\n  gcr:\n    key_json: \"@{key_path}\"\n"
            ),
        )
        .unwrap();
        path
    }
}

impl Drop for Layout {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn assert_refused(what: &str, out: &Output) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
    assert!(out.stdout.is_empty(), "{what}: nothing on stdout");
    assert!(stderr.contains("refused to read"), "{what}: {stderr}");
    assert!(
        stderr.contains("--load-restrictor none"),
        "{what} says how to allow it: {stderr}"
    );
    assert!(!stderr.contains(OUTSIDE_MARKER), "{what}");
}

#[test]
fn a_function_config_cannot_read_outside_its_package() {
    let l = Layout::new("confined-fc");
    let outside = l.root.join("outside.json").display().to_string();
    for key in [
        outside.as_str(),
        "../outside.json",
        "keys/../../outside.json",
        "keys/link.json",
        "abs-link.json",
    ] {
        let config = l.config(key);
        let out = run_within(binary(&[]).arg("--function-config").arg(&config), BUILDER, 20);
        assert_refused(key, &out);
    }
    // Inside the package, relative to the config file's directory (not the
    // current directory, which is elsewhere here).
    let config = l.config("keys/key.json");
    let out = run_within(
        binary(&[]).arg("--function-config").arg(&config).current_dir(&l.root),
        BUILDER,
        20,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("name: registry-secret"));
    // The operator can lift the restriction, by flag or variable.
    let config = l.config("../outside.json");
    let out = run_within(
        binary(&[])
            .args(["--load-restrictor", "none", "--function-config"])
            .arg(&config),
        BUILDER,
        20,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run_within(
        binary(&[("WORKFLOW_REGISTRY_LOAD_RESTRICTOR", "LoadRestrictionsNone".into())])
            .arg("--function-config")
            .arg(&config),
        BUILDER,
        20,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn a_krm_function_config_is_confined_to_the_current_directory() {
    let l = Layout::new("confined-krm");
    let list = |key: &str| {
        format!(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  \
             metadata: {{name: deis-builder, namespace: deis}}\n  spec: {{template: {{spec: {{containers: \
             [{{name: deis-builder}}]}}}}}}\nfunctionConfig:\n  apiVersion: registry.deis.io/v1alpha1\n  \
             kind: WorkflowRegistry\n  metadata: {{name: r}}\n  spec:\n    registry_location: gcr\n    \
             namespace: deis\n    gcr: {{key_json: \"@{key}\"}}\n"
        )
    };
    for key in ["../outside.json", "keys/link.json", "/etc/hostname"] {
        let out = run_within(binary(&[]).current_dir(&l.pkg), &list(key), 20);
        let stdout = text(&out.stdout);
        assert_ne!(out.status.code(), Some(0), "{key}");
        assert!(
            text(&out.stderr).contains("refused to read"),
            "{key}: {}",
            text(&out.stderr)
        );
        assert!(
            !stdout.contains(OUTSIDE_MARKER) && !stdout.contains("registry-secret"),
            "{key}"
        );
    }
    let out = run_within(binary(&[]).current_dir(&l.pkg), &list("keys/key.json"), 20);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("registry-secret"));
}

#[test]
fn a_params_or_values_file_is_confined_too() {
    let l = Layout::new("confined-files");
    let params = l.pkg.join("params.toml");
    std::fs::write(
        &params,
        "registry_location = \"gcr\"\n[gcr]\nkey_json = \"@../outside.json\"\n",
    )
    .unwrap();
    let out = run_within(binary(&[]).arg("--params").arg(&params), BUILDER, 20);
    assert_refused("--params", &out);
    let values = l.pkg.join("values.yaml");
    std::fs::write(
        &values,
        "global: {registry_location: gcr}\nregistry-token-refresher:\n  gcr: {key_json: \"@keys/link.json\"}\n",
    )
    .unwrap();
    let out = run_within(binary(&[]).arg("--values").arg(&values), BUILDER, 20);
    assert_refused("--values", &out);
    // The environment is the operator's own choice: anywhere.
    let env = [
        ("REGISTRY_LOCATION", "gcr".to_string()),
        ("GCR_KEY_JSON", format!("@{}", l.root.join("outside.json").display())),
    ];
    let out = run_within(&mut binary(&env), BUILDER, 20);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn fifos_devices_and_directories_fail_at_once() {
    let dir = common::scratch("special-files");
    let fifo = dir.join("fifo");
    mkfifo(&fifo);
    let fifo = fifo.display().to_string();
    let dirname = dir.display().to_string();
    for (value, what) in [
        (format!("@{fifo}"), "a FIFO"),
        ("@/dev/zero".to_owned(), "a character device"),
        (format!("@{dirname}"), "a directory"),
    ] {
        let env = [
            ("REGISTRY_LOCATION", "gcr".to_string()),
            ("GCR_KEY_JSON", value.clone()),
        ];
        let out = run_within(&mut binary(&env), BUILDER, 10);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{value}: {stderr}");
        assert!(stderr.contains(what), "{value}: {stderr}");
    }
    for flag in ["--params", "--values", "--function-config"] {
        for path in [fifo.as_str(), "/dev/zero", dirname.as_str()] {
            let out = run_within(binary(&[]).args([flag, path]), BUILDER, 10);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{flag} {path}: {stderr}");
            assert!(stderr.contains("not a regular file"), "{flag} {path}: {stderr}");
            assert!(stderr.contains(path), "names the path: {stderr}");
        }
    }
    let big = dir.join("big.json");
    std::fs::write(&big, vec![b' '; 65 * 1024]).unwrap();
    let env = [
        ("REGISTRY_LOCATION", "gcr".to_string()),
        ("GCR_KEY_JSON", format!("@{}", big.display())),
    ];
    let out = run_within(&mut binary(&env), BUILDER, 10);
    assert!(
        text(&out.stderr).contains("larger than the limit of 64 KiB"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_relative_key_path_that_cannot_be_read_names_the_absolute_path() {
    let dir = std::fs::canonicalize(common::scratch("abs-path")).unwrap();
    let env = [
        ("REGISTRY_LOCATION", "gcr".to_string()),
        ("GCR_KEY_JSON", "@key.json".to_string()),
    ];
    let out = run_within(binary(&env).current_dir(&dir), BUILDER, 10);
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&dir.join("key.json").display().to_string()), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn check_masks_every_secret_whatever_it_looks_like() {
    let mut tabled = 0;
    for (var, location) in [
        ("REGISTRY_PASSWORD", "off-cluster"),
        ("ECR_ACCESS_KEY", "ecr"),
        ("ECR_SECRET_KEY", "ecr"),
        ("GCR_KEY_JSON", "gcr"),
    ] {
        let mut env = location_env(location);
        env.retain(|(k, _)| *k != var);
        // For GCR_KEY_JSON the value names a key file, which must be read for
        // the configuration to be valid (and the table shown): one is.
        let value = if var == "GCR_KEY_JSON" {
            let dir = common::scratch("check-masks");
            let file = dir.join("my-secret-file");
            std::fs::write(&file, GCR_KEY).unwrap();
            format!("@{}", file.display())
        } else {
            "@my-secret-file".to_owned()
        };
        env.push((var, value.clone()));
        let out = run_within(binary(&env).arg("check"), "", 10);
        let shown = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!shown.contains("my-secret-file"), "{var}: {shown}");
        // Valid: the table shows it masked. Refused (an access key must
        // look like one): nothing on stdout, and the problem masks it too.
        if out.status.success() {
            let masked = format!("{var:<32} (secret, {} characters)", value.chars().count());
            assert!(text(&out.stdout).contains(&masked), "{}", text(&out.stdout));
            tabled += 1;
        } else {
            assert!(out.stdout.is_empty(), "{var}");
        }
    }
    assert!(tabled >= 3, "only {tabled} valid configurations showed their table");
}

#[test]
fn an_ipv6_host_with_trailing_junk_is_refused() {
    let mut env = location_env("off-cluster");
    env.retain(|(k, _)| *k != "REGISTRY_HOSTNAME");
    env.push(("REGISTRY_HOSTNAME", "[::1]\nevil: true".into()));
    let out = run_within(&mut binary(&env), BUILDER, 10);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let mut env = location_env("off-cluster");
    env.retain(|(k, _)| *k != "REGISTRY_HOSTNAME");
    env.push(("REGISTRY_HOSTNAME", "[::1]:5000".into()));
    let out = run_within(&mut binary(&env), BUILDER, 10);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Every output of a run except the registry Secret's data, which is the
/// one place a secret belongs.
fn visible(out: &Output) -> String {
    let stdout: String = text(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("  ") || !l.contains(':') || !is_secret_data_line(l))
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        "{}\n--- stderr\n{}\n--- {:?}",
        stdout,
        text(&out.stderr),
        out.status.code()
    )
}

fn is_secret_data_line(line: &str) -> bool {
    let key = line.trim_start().split(':').next().unwrap_or("");
    ["password", "accesskey", "secretkey", "key.json"].contains(&key)
}

/// BUILDER as the one item of a KRM ResourceList.
fn resource_list() -> String {
    let item: String = BUILDER
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{}{l}\n", if i == 0 { "- " } else { "  " }))
        .collect();
    format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n{item}")
}

/// What the operator sees when `var` is `value` at `location`: the filter
/// (with `--verbose`), `check` and a KRM function; and the filter's exit status.
fn shown_with(location: &str, var: &str, value: &str) -> (String, Option<i32>) {
    let mut env = location_env(location);
    env.retain(|(k, _)| *k != var);
    env.push((var, value.to_owned()));
    let filter = run_within(binary(&env).arg("--verbose"), BUILDER, 10);
    let check = run_within(binary(&env).arg("check"), "", 10);
    let krm = run_within(&mut binary(&env), &resource_list(), 10);
    let shown = format!(
        "{}\n=== check\n{}\n=== krm\n{}",
        visible(&filter),
        visible(&check),
        visible(&krm)
    );
    (shown, filter.status.code())
}

/// No secret shows anywhere, whatever it looks like: a run with one value
/// and a run with another of the same length give the same output, on the
/// success path and on every error path, as a filter (with `--verbose`),
/// in `check` and in a KRM function's `results`. This holds for values that start
/// with `@`, contain the masking text itself, or are substrings of other
/// output (where looking for the value in the output proves nothing).
#[test]
fn no_secret_leaks_whatever_its_value_looks_like() {
    let pairs: [(&str, &str); 5] = [
        ("@some/secret/file", "@other/secret/fil"),
        ("(secret, 5 characters)", "(secret, 7 characters)"),
        ("deis", "zzzz"),
        ("registry-secret", "qqqqqqqq-qqqqqq"),
        ("value", "VALUE"),
    ];
    for (var, location) in [
        ("REGISTRY_PASSWORD", "off-cluster"),
        ("ECR_ACCESS_KEY", "ecr"),
        ("ECR_SECRET_KEY", "ecr"),
        ("GCR_KEY_JSON", "gcr"),
    ] {
        for (a, b) in pairs {
            if var == "GCR_KEY_JSON" && a.starts_with('@') {
                continue; // a key file's path, not the key: "cannot read" names it
            }
            let runs = [a, b].map(|value| shown_with(location, var, value).0);
            assert_eq!(
                runs[0], runs[1],
                "{var}={a:?} vs {b:?}: the output depends on the secret"
            );
        }
    }
    // A key pasted after `@` by mistake is not a path to name.
    let keys = [
        "@{\"type\": \"service_account\", \"private_key\": \"first\"}",
        "@{\"type\": \"service_account\", \"private_key\": \"other\"}",
    ];
    let runs = keys.map(|value| shown_with("gcr", "GCR_KEY_JSON", value).0);
    assert_eq!(runs[0], runs[1], "GCR_KEY_JSON=@<key>: the output depends on the key");
    assert!(runs[0].contains("not a path"), "{}", runs[0]);
}

/// A password pasted into a hostname (`https://user:password@host`) is not
/// shown either: refused, and the output is the same whatever it is.
#[test]
fn a_hostname_with_a_password_in_it_is_refused_without_showing_it() {
    for (var, location) in [
        ("REGISTRY_HOSTNAME", "off-cluster"),
        ("ECR_HOSTNAME", "ecr"),
        ("GCR_HOSTNAME", "gcr"),
    ] {
        let runs = ["https://u:first-password@quay.io", "https://u:other-password@quay.io"].map(|value| {
            let (shown, status) = shown_with(location, var, value);
            assert_eq!(status, Some(2), "{var}: {shown}");
            shown
        });
        assert_eq!(runs[0], runs[1], "{var}: the output depends on the password");
        assert!(runs[0].contains(var) && runs[0].contains("contains `@`"), "{}", runs[0]);
    }
}

/// The same for the URLs `verify` takes: a token realm or a test endpoint
/// with user information is refused without being shown.
#[test]
fn a_verify_url_with_a_password_in_it_is_refused_without_showing_it() {
    let cases = [(
        "WORKFLOW_REGISTRY_TOKEN_REALM",
        "https://u:{}@gitlab.example.com",
        "--token-realm",
    )];
    for (var, url, flag) in cases {
        let runs = ["first-password", "other-password"].map(|password| {
            let mut env = location_env("off-cluster");
            env.push((var, url.replace("{}", password)));
            let out = run_within(binary(&env).arg("verify"), "", 10);
            assert_eq!(out.status.code(), Some(2), "{var}: {}", visible(&out));
            visible(&out)
        });
        assert_eq!(runs[0], runs[1], "{var}: the output depends on the password");
        assert!(runs[0].contains(flag) && runs[0].contains("not shown"), "{}", runs[0]);
    }
    for flag in ["--test-registry-endpoint", "--test-ecr-endpoint"] {
        let url = "https://u:first-password@gitlab.example.com";
        let out = run_within(binary(&location_env("off-cluster")).args(["verify", flag, url]), "", 10);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert!(!visible(&out).contains("first-password"), "{}", visible(&out));
    }
}

/// A kustomize legacy exec plugin gets its config as a temporary file
/// (`argv[1]`, in the system's temporary directory) and the kustomization
/// root in `KUSTOMIZE_PLUGIN_CONFIG_ROOT`: `@path`s resolve in that root.
#[test]
fn a_legacy_exec_config_resolves_in_the_kustomization_root() {
    let l = Layout::new("legacy-exec");
    let tmp = l.root.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(tmp.join("key.json"), outside_key()).unwrap();
    let config = |key: &str| {
        let path = tmp.join("kust-plugin-config-1");
        std::fs::write(
            &path,
            format!("apiVersion: registry.deis.io/v1alpha1\nkind: WorkflowRegistry\nmetadata: {{name: r}}\nspec:\n  registry_location: gcr\n  gcr: {{key_json: \"@{key}\"}}\n"),
        )
        .unwrap();
        path
    };
    let env = [("KUSTOMIZE_PLUGIN_CONFIG_ROOT", l.pkg.display().to_string())];
    let out = run_within(
        binary(&env).arg(config("keys/key.json")).current_dir(&l.pkg),
        BUILDER,
        20,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("registry-secret"));
    // Next to the temporary file is not the package.
    let out = run_within(binary(&env).arg(config("key.json")).current_dir(&l.pkg), BUILDER, 20);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&l.pkg.join("key.json").display().to_string()),
        "{}",
        text(&out.stderr)
    );
    let out = run_within(
        binary(&env).arg(config("../tmp/key.json")).current_dir(&l.pkg),
        BUILDER,
        20,
    );
    assert_refused("a legacy exec config", &out);
}

/// The same through the real `kubectl kustomize`.
#[test]
fn kubectl_kustomize_confines_the_plugin_config_to_the_kustomization() {
    let Some(kubectl) = common::tool_on_path("kubectl") else {
        return;
    };
    let l = Layout::new("kustomize-confined");
    let overlay = l.pkg.join("overlay");
    std::fs::create_dir_all(&overlay).unwrap();
    std::fs::write(overlay.join("workflow.yaml"), BUILDER).unwrap();
    std::fs::write(overlay.join("key.json"), GCR_KEY).unwrap();
    std::fs::write(
        overlay.join("kustomization.yaml"),
        "resources:\n- workflow.yaml\ntransformers:\n- registry.yaml\n",
    )
    .unwrap();
    let plugin_home = l.root.join("plugins");
    let plugin_dir = plugin_home.join("registry.deis.io/v1alpha1/workflowregistry");
    std::fs::create_dir_all(&plugin_dir).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_workflow-registry"),
        plugin_dir.join("WorkflowRegistry"),
    )
    .unwrap();
    let build = |key: &str| {
        std::fs::write(
            overlay.join("registry.yaml"),
            format!("apiVersion: registry.deis.io/v1alpha1\nkind: WorkflowRegistry\nmetadata: {{name: r}}\nspec:\n  registry_location: gcr\n  namespace: deis\n  gcr: {{key_json: \"@{key}\"}}\n"),
        )
        .unwrap();
        Command::new(&kubectl)
            .args(["kustomize", "--enable-alpha-plugins"])
            .arg(&overlay)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &l.root)
            .env("KUSTOMIZE_PLUGIN_HOME", &plugin_home)
            .output()
            .unwrap()
    };
    let out = build("key.json");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("name: registry-secret"));
    let out = build("../../outside.json");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("refused to read"), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("registry-secret"));
}

/// The same through the real `kpt fn eval --exec`: the functionConfig comes
/// on standard input, so `@path`s resolve in (and stay in) the directory
/// kpt runs in.
#[test]
fn kpt_confines_the_function_config_to_the_directory_it_runs_in() {
    let Some(kpt) = common::tool_on_path("kpt") else { return };
    let l = Layout::new("kpt-confined");
    // kpt reads every .yaml and .json file of the package as a resource.
    let pkg = l.root.join("kptpkg");
    std::fs::create_dir_all(pkg.join("keys")).unwrap();
    std::fs::write(pkg.join("workflow.yaml"), BUILDER).unwrap();
    std::fs::write(pkg.join("keys/key"), GCR_KEY).unwrap();
    let eval = |key: &str| {
        let fc = l.root.join("fn-config.yaml");
        std::fs::write(
            &fc,
            format!("apiVersion: registry.deis.io/v1alpha1\nkind: WorkflowRegistry\nmetadata: {{name: r}}\nspec:\n  registry_location: gcr\n  gcr: {{key_json: \"@{key}\"}}\n"),
        )
        .unwrap();
        Command::new(&kpt)
            .args(["fn", "eval", ".", "--output", "stdout", "--exec"])
            .arg(env!("CARGO_BIN_EXE_workflow-registry"))
            .arg("--fn-config")
            .arg(&fc)
            .current_dir(&pkg)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &l.root)
            .output()
            .unwrap()
    };
    let out = eval("keys/key");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("name: registry-secret"),
        "{}",
        text(&out.stdout)
    );
    let out = eval("../outside.json");
    assert!(!out.status.success());
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("refused to read"), "{all}");
    assert!(!all.contains(OUTSIDE_MARKER));
}

#[test]
fn an_unknown_load_restrictor_is_a_usage_error() {
    let out = run_within(binary(&[]).args(["--load-restrictor", "off"]), BUILDER, 10);
    assert_eq!(out.status.code(), Some(2));
    let out = run_within(
        &mut binary(&[("WORKFLOW_REGISTRY_LOAD_RESTRICTOR", "off".into())]),
        BUILDER,
        10,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("WORKFLOW_REGISTRY_LOAD_RESTRICTOR=\"off\": expected one of rootOnly, none"));
    assert!(out.stdout.is_empty());
    // Blank counts as unset, as everywhere (off-cluster: the builder alone
    // cannot run on-cluster, which needs the registry in the input too).
    let out = run_within(
        &mut binary(&[
            ("WORKFLOW_REGISTRY_LOAD_RESTRICTOR", " ".into()),
            ("REGISTRY_LOCATION", "off-cluster".into()),
            ("REGISTRY_ORGANIZATION", "myorg".into()),
            ("REGISTRY_USERNAME", "u".into()),
            ("REGISTRY_PASSWORD", "p".into()),
        ]),
        BUILDER,
        10,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}
