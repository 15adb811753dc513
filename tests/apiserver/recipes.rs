//! The README's Helm recipes that install into a cluster, run verbatim
//! against the live API server: Helm 4's (install the plugin from a
//! checkout, then `helm install` through it) and Helm 3's (`helm install`
//! with the binary's path). Afterwards the cluster holds the bundled chart
//! configured for the recipe's location, and every pod can be created.

use std::path::Path;
use std::time::Duration;

use serde_json::Value as Json;

use crate::common;
use common::cluster::{self, ControlPlane};
use common::readme::{assert_location, helm3_as_helm, helm_env, key_file, plugin_checkout, run_recipe};
use common::served;
use common::text;

/// The release's objects in `namespace` and cluster-wide, keyed as
/// `readme::assert_location` reads them (`Kind/namespace/name`).
fn installed(plane: &ControlPlane, namespace: &str) -> std::collections::BTreeMap<String, Json> {
    let out = plane
        .run(&[
            "get",
            "deployments,daemonsets,secrets,serviceaccounts,clusterroles,clusterrolebindings,jobs",
            "--all-namespaces",
            "-o",
            "json",
        ])
        .unwrap();
    let list: Json = serde_json::from_str(&out).unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["metadata"]["annotations"]["meta.helm.sh/release-namespace"] == namespace)
        .map(|o| {
            let key = format!(
                "{}/{}/{}",
                o["kind"].as_str().unwrap_or(""),
                o["metadata"]["namespace"].as_str().unwrap_or(""),
                o["metadata"]["name"].as_str().unwrap_or("")
            );
            (key, o.clone())
        })
        .collect()
}

/// Uninstall the release (also when a check failed) and remove its namespace.
struct Release<'a> {
    helm: &'a Path,
    dir: &'a Path,
    env: Vec<(&'static str, String)>,
    plane: &'a ControlPlane,
}

impl Drop for Release<'_> {
    fn drop(&mut self) {
        let _ = std::process::Command::new(self.helm)
            .args(["uninstall", "workflow", "--namespace", "deis", "--wait"])
            .current_dir(self.dir)
            .env_clear()
            .env("HOME", self.dir)
            .envs(self.env.iter().cloned())
            .output();
        let _ = self
            .plane
            .run(&["delete", "namespace", "deis", "--wait=true", "--timeout=120s"]);
    }
}

/// Run `recipe` in `dir` (the bundled chart and key.json there) with
/// `helm_bin` first on PATH, then check the cluster for `location`.
fn install_recipe(
    recipe: &str,
    dir: &Path,
    helm_bin: &Path,
    helm: &Path,
    plane: &'static ControlPlane,
    location: &str,
) {
    common::copy_dir(&common::root().join("testdata/charts/workflow"), &dir.join("workflow"));
    key_file(dir);
    let env = helm_env(dir, Some(&plane.kubeconfig));
    // The recipes install into `deis`, as the goldens test's objects do:
    // the namespace is removed afterwards, with what the recipe installed.
    let _release = Release {
        helm,
        dir,
        env: env.clone(),
        plane,
    };
    // The bundled chart is a trimmed Workflow: its builder runs as a
    // ServiceAccount that the rest of Workflow's chart would bring.
    plane.namespace("deis", &[]);
    let sa =
        r#"{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "deis-builder", "namespace": "deis"}}"#;
    plane.apply_json(sa, &["apply", "--server-side"]).unwrap();
    // The chart's pre-install hook is a Job, which Helm waits for.
    let jobs = plane.jobs_succeed();
    let out = run_recipe(recipe, dir, Some(helm_bin), &env);
    drop(jobs);
    assert!(
        out.status.success(),
        "{recipe}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let objs = installed(plane, "deis");
    assert_location(&objs, location, recipe);
    // The hook Job is not the release's (Helm keeps hooks apart).
    let docs: Vec<Json> = objs.values().filter(|o| o["kind"] != "Job").cloned().collect();
    served::wait_for_pods(plane, &served::workloads(&docs, "deis"), Duration::from_secs(90))
        .unwrap_or_else(|e| panic!("{recipe}: {e}"));
}

#[test]
fn the_helm4_recipe_installs_the_plugin_and_the_chart_through_it() {
    let Some(helm) = common::peer("bin/helm") else { return };
    let Some(plane) = cluster::control_plane() else { return };
    let _lock = cluster::cluster_scoped_lock();
    let dir = common::scratch("helm4-recipe");
    plugin_checkout(&dir.join("workflow-registry"));
    install_recipe("helm4", &dir, helm.parent().unwrap(), &helm, plane, "gcr");
    assert!(
        dir.join("workflow-registry/bin/workflow-registry").exists(),
        "the install hook left a binary"
    );
    let log = common::read(&dir.join("workflow-registry.log"));
    assert!(log.contains("location gcr"), "{log}");
    assert!(!log.contains(common::SECRETS[3]), "no secret in the log");
}

#[test]
fn the_helm3_recipe_installs_the_chart_through_the_binarys_path() {
    let Some(plane) = cluster::control_plane() else { return };
    let dir = common::scratch("helm3-recipe");
    let Some(bin) = helm3_as_helm(&dir) else { return };
    let _lock = cluster::cluster_scoped_lock();
    install_recipe("helm3", &dir, &bin, &bin.join("helm"), plane, "ecr");
}
