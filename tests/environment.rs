//! An operator's environment does not change what the tests do or where
//! they write: `scripts/test` runs them through `scripts/clean-env.sh`, and
//! the README's install command, run by the recipe tests, lands in its own
//! root whatever `CARGO_INSTALL_ROOT` and `CARGO_TARGET_DIR` say.

mod common;

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use common::readme;

/// What an operator's shell may well hold, each naming a place or a cluster
/// that a test must never touch, or a setting of the tool itself.
const HOSTILE: [(&str, &str); 12] = [
    ("CARGO_INSTALL_ROOT", "/nonexistent/operator-root"),
    ("CARGO_TARGET_DIR", "/nonexistent/operator-target"),
    ("RUSTFLAGS", "--cfg operator"),
    ("KUBECONFIG", "/nonexistent/operator.kubeconfig"),
    ("HELM_PLUGINS", "/nonexistent/helm-plugins"),
    ("HELM_DATA_HOME", "/nonexistent/helm-data"),
    ("HELM_NAMESPACE", "production"),
    ("XDG_CONFIG_HOME", "/nonexistent/xdg"),
    ("REGISTRY_LOCATION", "gcs"),
    ("WORKFLOW_REGISTRY_NAMESPACE", "production"),
    ("WORKFLOW_REGISTRY_LOG", "/nonexistent/operator.log"),
    ("GNUPGHOME", "/nonexistent/gnupg"),
];

#[test]
fn clean_env_passes_on_none_of_the_operators_settings() {
    let mut cmd = Command::new(common::root().join("scripts/clean-env.sh"));
    cmd.arg("env").envs(HOSTILE).env("CI", "true").env("WR_DIFF_CASES", "7");
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let seen = common::text(&out.stdout);
    for (name, _) in HOSTILE {
        assert!(
            !seen.lines().any(|l| l.starts_with(&format!("{name}="))),
            "{name} reaches the tests:\n{seen}"
        );
    }
    let home = common::root().join("target/test-home");
    assert!(
        seen.lines().any(|l| l == format!("HOME={}", home.display())),
        "HOME is inside the checkout:\n{seen}"
    );
    // What building and running the tests needs stays.
    for kept in ["CI=true", "WR_DIFF_CASES=7", "CARGO_HOME=", "RUSTUP_HOME=", "PATH="] {
        assert!(seen.lines().any(|l| l.starts_with(kept)), "{kept} is dropped:\n{seen}");
    }
}

#[test]
fn scripts_test_runs_cargo_and_the_fuzz_replay_through_clean_env() {
    let script = common::read(&common::root().join("scripts/test"));
    let runs: Vec<&str> = script
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            l.contains("cargo ") || l.contains("fuzz-smoke.sh")
        })
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    assert!(runs.len() >= 3, "{runs:?}");
    for line in runs {
        assert!(line.trim_start().starts_with("scripts/clean-env.sh "), "{line}");
    }
}

/// The install command as the recipe tests build it, from an environment
/// that holds the operator's CARGO_INSTALL_ROOT and CARGO_TARGET_DIR and
/// what `cargo test` sets: ours win, cargo's test settings are gone,
/// CARGO_HOME (the registry) stays.
#[test]
fn the_install_command_sets_its_own_root_and_target_whatever_is_inherited() {
    let base = Path::new("/tmp/readme-install");
    let inherited: Vec<OsString> = [
        "CARGO_INSTALL_ROOT",
        "CARGO_TARGET_DIR",
        "CARGO_MANIFEST_DIR",
        "CARGO_PKG_NAME",
        "RUSTFLAGS",
        "CARGO_HOME",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    let cmd = readme::install_command("cargo install --locked --path .", base, inherited.into_iter());
    let envs: Vec<(String, Option<String>)> = cmd
        .get_envs()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.map(|v| v.to_string_lossy().into_owned()),
            )
        })
        .collect();
    let get = |name: &str| envs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(get("CARGO_INSTALL_ROOT"), Some(Some("/tmp/readme-install/root".into())));
    assert_eq!(get("CARGO_TARGET_DIR"), Some(Some("/tmp/readme-install/target".into())));
    for removed in ["CARGO_MANIFEST_DIR", "CARGO_PKG_NAME", "RUSTFLAGS"] {
        assert_eq!(get(removed), Some(None), "{removed} is removed");
    }
    assert_eq!(get("CARGO_HOME"), None, "CARGO_HOME is left as it is");
}

/// The README's install command, run for real as the recipe tests run it,
/// with the operator's CARGO_INSTALL_ROOT and CARGO_TARGET_DIR in this
/// process's environment: the binary lands in target/readme-install, and
/// nothing is written where the operator's settings point.
#[test]
fn the_readme_install_lands_in_its_own_root_with_the_operators_cargo_settings_set() {
    let scratch = common::scratch("operator");
    let (root, target) = (scratch.join("operator-root"), scratch.join("operator-target"));
    // The only test of this binary that reads the process environment after
    // changing it: no other test here looks at these two variables.
    std::env::set_var("CARGO_INSTALL_ROOT", &root);
    std::env::set_var("CARGO_TARGET_DIR", &target);
    let bin = readme::installed_bin_dir();
    assert_eq!(bin, common::root().join("target/readme-install/root/bin"));
    assert!(bin.join("workflow-registry").is_file());
    assert!(!root.exists(), "installed into the operator's CARGO_INSTALL_ROOT");
    assert!(!target.exists(), "built into the operator's CARGO_TARGET_DIR");
}
