//! Every golden output against the server: a strict server-side dry run, and
//! the pods of its workloads created by the controllers. A deliberately
//! broken manifest (a duplicate mountPath, a ServiceAccount in another
//! namespace than its pod) fails those same checks, so a pass means something.

use std::path::Path;
use std::time::Duration;

use crate::common;
use common::cluster::{self, ControlPlane};
use common::served::{self, as_served_today, Workload};
use serde_json::Value as Json;

/// The namespace the goldens are written for (the fixtures name `deis`).
const GOLDEN_NAMESPACE: &str = "deis";

/// Every golden output with the fixture it was made from:
/// (name, input text, output text).
fn goldens() -> Vec<(String, String, String)> {
    let dir = common::root().join("testdata/golden");
    let mut out = Vec::new();
    for fixture in common::fixtures() {
        let stem = fixture.file_stem().unwrap().to_string_lossy().into_owned();
        for location in common::LOCATIONS {
            let golden = dir.join(format!("{stem}.{location}.yaml"));
            if golden.is_file() {
                out.push((
                    format!("{stem}.{location}"),
                    common::read(&fixture),
                    common::read(&golden),
                ));
            }
        }
    }
    assert!(out.len() >= 20, "only {} golden outputs found", out.len());
    out
}

/// The documents of a stream as the server receives them (decoded as
/// Kubernetes decodes YAML; legacy API versions as [`as_served_today`]).
fn served_docs(k8sjson: &Path, yaml: &str) -> Vec<Json> {
    common::k8s_decode(k8sjson, yaml)
        .into_iter()
        .map(|(_, doc)| as_served_today(doc))
        .collect()
}

/// The ServiceAccounts that `docs`' pods name but `docs` do not hold.
fn service_accounts_named_but_missing(docs: &[Json]) -> Vec<String> {
    let held: Vec<&str> = docs
        .iter()
        .filter(|d| d["kind"] == "ServiceAccount")
        .filter_map(|d| d["metadata"]["name"].as_str())
        .collect();
    let mut named: Vec<String> = docs
        .iter()
        .filter_map(|d| {
            let spec = &d["spec"]["template"]["spec"];
            spec["serviceAccountName"].as_str().or(spec["serviceAccount"].as_str())
        })
        .filter(|sa| !held.contains(sa))
        .map(str::to_owned)
        .collect();
    named.sort();
    named.dedup();
    named
}

/// Create `docs` for real in `namespace`, in Helm's install order (with the
/// ServiceAccounts that `provided` names: what the fixture leaves to the rest
/// of the chart), wait for the pods of every workload, then delete all of it
/// again but the namespace, dependents first (quicker than deleting the
/// namespace, which the namespace controller empties resource type by
/// resource type). Server-side apply: the namespace may be one of `docs`.
fn create_and_wait_for_pods(
    plane: &ControlPlane,
    namespace: &str,
    docs: &[Json],
    provided: &[String],
) -> Result<served::PodsByOwner, String> {
    plane.namespace(namespace, &[]);
    let mut docs = served::in_namespace(docs, namespace);
    let held: Vec<String> = docs
        .iter()
        .filter(|d| d["kind"] == "ServiceAccount")
        .map(served::key)
        .collect();
    docs.extend(
        provided
            .iter()
            .filter(|sa| !held.contains(&format!("ServiceAccount/{sa}")))
            .map(|sa| {
                serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": sa, "namespace": namespace}})
            }),
    );
    let docs = served::install_order(&docs);
    let created = plane.apply_json(&served::list(&docs), &["apply", "--server-side", "-o", "name"]);
    let result = created
        .and_then(|_| served::wait_for_pods(plane, &served::workloads(&docs, namespace), Duration::from_secs(60)));
    let to_delete: Vec<Json> = docs.into_iter().filter(|d| d["kind"] != "Namespace").collect();
    plane
        .apply_json(
            &served::list(&to_delete),
            &[
                "delete",
                "--ignore-not-found",
                "--cascade=foreground",
                "--wait=true",
                "--timeout=120s",
            ],
        )
        .map_err(|e| format!("deleting what was created in {namespace}: {e}"))?;
    result
}

#[test]
fn every_golden_output_passes_a_strict_server_side_dry_run() {
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let Some(plane) = cluster::control_plane() else { return };
    let _lock = cluster::cluster_scoped_lock();
    plane.namespace(GOLDEN_NAMESPACE, &[]);
    let mut rejected = Vec::new();
    let mut checked = 0;
    for (name, _, output) in goldens() {
        let docs = served_docs(&k8sjson, &output);
        checked += docs.len();
        if let Err(e) = served::dry_run(plane, GOLDEN_NAMESPACE, &docs) {
            rejected.push(format!("{name}:\n{e}"));
        }
    }
    assert!(
        rejected.is_empty(),
        "the API server rejects {} golden output(s) (dryRun=All, fieldValidation=Strict):\n\n{}",
        rejected.len(),
        rejected.join("\n\n")
    );
    assert!(checked > 200, "only {checked} documents checked");
}

/// Pods of the goldens' workloads, created by the controllers: the
/// ServiceAccounts that a fixture's workloads name but the fixture does not
/// hold (the rest of the chart has them) are provided; what the tool adds
/// must stand on its own.
#[test]
fn the_controllers_create_the_pods_of_every_golden_output() {
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let Some(plane) = cluster::control_plane() else { return };
    let _lock = cluster::cluster_scoped_lock();
    let mut failed = Vec::new();
    for (name, input, output) in goldens() {
        let docs = served_docs(&k8sjson, &output);
        let provided = service_accounts_named_but_missing(&served_docs(&k8sjson, &input));
        match create_and_wait_for_pods(plane, GOLDEN_NAMESPACE, &docs, &provided) {
            Ok(pods) => {
                if let Some(refresher) = pods.get("Deployment/deis-registry-token-refresher") {
                    assert_refresher_pod_can_reach_the_api(&name, refresher);
                }
            }
            Err(e) => failed.push(format!("{name}: {e}")),
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

/// The refresher talks to the API with its ServiceAccount's token, which
/// admission mounts into its pod unless something turned that off.
fn assert_refresher_pod_can_reach_the_api(what: &str, pods: &[Json]) {
    assert_eq!(pods.len(), 1, "{what}: one refresher pod");
    let spec = &pods[0]["spec"];
    assert_eq!(
        spec["serviceAccountName"], "deis-registry-token-refresher",
        "{what}: the refresher runs as its own ServiceAccount"
    );
    let mounts = spec["containers"][0]["volumeMounts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        mounts
            .iter()
            .any(|m| m["mountPath"] == "/var/run/secrets/kubernetes.io/serviceaccount"),
        "{what}: the ServiceAccount token is mounted where the refresher's client reads it: {mounts:?}"
    );
}

/// A manifest broken on purpose, for the checks above: each must fail it.
fn broken(kind_of_break: &str) -> Vec<Json> {
    let sa = serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "deis-registry-token-refresher", "namespace": "elsewhere"}});
    let mut deployment = serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "deis-registry-token-refresher"},
        "spec": {"selector": {"matchLabels": {"app": "r"}}, "template": {
            "metadata": {"labels": {"app": "r"}},
            "spec": {"serviceAccountName": "deis-registry-token-refresher", "containers": [{
                "name": "deis-registry-token-refresher", "image": "quay.io/deis/registry-token-refresher:v1.1.3",
                "volumeMounts": [{"name": "registry-secret", "mountPath": "/var/run/secrets/deis/registry/creds"}]}],
                "volumes": [{"name": "registry-secret", "secret": {"secretName": "registry-secret"}}]}}}});
    match kind_of_break {
        "duplicate mountPath" => {
            let mounts = &mut deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"];
            let again = mounts[0].clone();
            mounts.as_array_mut().unwrap().push(again);
            vec![deployment]
        }
        "ServiceAccount in another namespace" => vec![sa, deployment],
        other => panic!("no such break: {other}"),
    }
}

#[test]
fn a_duplicate_mount_path_is_rejected_by_the_dry_run() {
    let Some(plane) = cluster::control_plane() else { return };
    plane.namespace("broken-mounts", &[]);
    let err = served::dry_run(plane, "broken-mounts", &broken("duplicate mountPath")).unwrap_err();
    assert!(err.contains("mountPath") && err.contains("must be unique"), "{err}");
}

#[test]
fn a_service_account_in_another_namespace_than_its_pod_fails_pod_creation() {
    let Some(plane) = cluster::control_plane() else { return };
    plane.namespace("elsewhere", &[]);
    plane.namespace("broken-sa", &[]);
    let docs = broken("ServiceAccount in another namespace");
    // The server accepts each object on its own...
    served::dry_run(plane, "broken-sa", &docs).unwrap();
    // ...but the controllers cannot create the pod.
    let err = create_and_wait_for_pods(plane, "broken-sa", &docs[1..], &[]).unwrap_err();
    assert!(
        err.contains("deis-registry-token-refresher") && err.contains("not found"),
        "{err}"
    );
    let _ = plane.run(&["delete", "namespace", "elsewhere", "--wait=false"]);
}

/// The check that runs on the goldens, on a workload whose pods can be
/// created: the harness itself must pass, or every failure above is noise.
#[test]
fn pods_that_can_be_created_are_found() {
    let Some(plane) = cluster::control_plane() else { return };
    let docs = broken("duplicate mountPath");
    let mut fine = docs[0].clone();
    fine["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
        .as_array_mut()
        .unwrap()
        .truncate(1);
    fine["spec"]["template"]["spec"]["serviceAccountName"] = "default".into();
    let pods = create_and_wait_for_pods(plane, "fine", &[fine], &[]).unwrap();
    let workload = Workload {
        kind: "Deployment".into(),
        name: "deis-registry-token-refresher".into(),
        namespace: "fine".into(),
        pods: 1,
    };
    assert_eq!(pods[&format!("{}/{}", workload.kind, workload.name)].len(), 1);
}

/// Beyond the goldens (default settings): every fixture for every location
/// under each other setting that changes what the tool writes (a chart's
/// own prefix, keeping the on-cluster registry, Hephy's refresher image, a
/// selected extra target) passes the strict dry run as well. The server
/// reads JSON, so the YAML shapes the differential test varies make no
/// difference here; these settings do.
#[test]
fn outputs_under_other_settings_pass_a_strict_server_side_dry_run() {
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let Some(plane) = cluster::control_plane() else { return };
    // (what, arguments, an environment variable)
    type Variant = (
        &'static str,
        &'static [&'static str],
        Option<(&'static str, &'static str)>,
    );
    let variants: [Variant; 4] = [
        ("--secret-prefix acme", &["--secret-prefix", "acme"], None),
        ("--keep-on-cluster-registry", &["--keep-on-cluster-registry"], None),
        (
            "Hephy's refresher image",
            &[],
            Some((
                "REGISTRY_TOKEN_REFRESHER_IMAGE",
                "hephy/registry-token-refresher:v1.2.2",
            )),
        ),
        (
            "--target Deployment/deis-router",
            &["--target", "Deployment/deis-router"],
            None,
        ),
    ];
    let _lock = cluster::cluster_scoped_lock();
    plane.namespace(GOLDEN_NAMESPACE, &[]);
    let (mut checked, mut rejected) = (0, Vec::new());
    for fixture in common::fixtures() {
        let input = common::read(&fixture);
        let name = fixture.file_stem().unwrap().to_string_lossy().into_owned();
        for location in common::LOCATIONS {
            for (what, args, env) in &variants {
                let mut vars = common::location_env(location);
                vars.extend(env.map(|(k, v)| (k, v.to_owned())));
                let out = common::run(
                    common::binary(&vars)
                        .args(["--namespace", GOLDEN_NAMESPACE])
                        .args(*args),
                    &input,
                );
                if !out.status.success() {
                    // A refusal (on-cluster without a registry, a target the
                    // fixture lacks) is the tool's own business, tested elsewhere.
                    continue;
                }
                let docs = served_docs(&k8sjson, &common::text(&out.stdout));
                checked += 1;
                if let Err(e) = served::dry_run(plane, GOLDEN_NAMESPACE, &docs) {
                    rejected.push(format!("{name}, {location}, {what}:\n{e}"));
                }
            }
        }
    }
    assert!(
        rejected.is_empty(),
        "the API server rejects {} output(s):\n\n{}",
        rejected.len(),
        rejected.join("\n\n")
    );
    assert!(checked >= 60, "only {checked} outputs checked");
}
