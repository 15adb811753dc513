//! Drycc Workflow's real chart, configured by the binary as Helm 3's
//! post-renderer (its path): every object it writes off-cluster is one the
//! live API server accepts under a strict server-side dry run, as it
//! accepts the chart's own off-cluster render. tests/chart.rs compares the
//! two by meaning; this is the server's word that the written objects are
//! valid ones, field by field. Then, for each of Drycc's locations, the
//! objects are created for real and the controllers must create every pod
//! of every workload: the platform the tool configured can start, not only
//! its documents are each right (docs/testing.md, "Against a live API
//! server").

use std::time::Duration;

use serde_json::Value as Json;

use crate::common;
use common::charts;
use common::cluster;
use common::helm::Helm;
use common::served;

/// The binary, as Helm 3's post-renderer (its path).
const OURS: &str = env!("CARGO_BIN_EXE_workflow-registry");

/// The API group of the Gateway API (Drycc's Gateway and routes): the test
/// server serves none of its CRDs, and the tool never touches its objects.
const GATEWAY_API: &str = "gateway.networking.k8s.io/";

/// `helm template` of Drycc's chart by Helm 3 into `namespace` with
/// `values`, through `post_renderer` (the binary, or a wrapper of it)
/// configured by `env` if there is one; the objects as the server receives
/// them (Kubernetes' YAML decoder), hooks included, those of the Gateway
/// API left out.
fn render(
    helm3: &Helm,
    chart: &charts::Chart,
    namespace: &str,
    values: &Json,
    post_renderer: Option<&str>,
    env: &[(&str, String)],
) -> Vec<Json> {
    let k8sjson = common::peer("k8sjson").expect("k8sjson");
    let file = helm3
        .home
        .join(format!("values-{namespace}-{}.json", post_renderer.is_some()));
    std::fs::write(&file, values.to_string()).unwrap();
    let mut args = vec![
        "template",
        chart.release,
        chart.dir.to_str().unwrap(),
        "--namespace",
        namespace,
        "--values",
        file.to_str().unwrap(),
    ];
    if let Some(post_renderer) = post_renderer {
        args.extend(["--post-renderer", post_renderer]);
    }
    let out = helm3
        .run(&args, env)
        .unwrap_or_else(|e| panic!("Helm 3 renders Drycc: {e}"));
    common::k8s_decode(&k8sjson, &out)
        .into_iter()
        .map(|(_, doc)| doc)
        .filter(|d| !d["apiVersion"].as_str().unwrap_or("").starts_with(GATEWAY_API))
        .collect()
}

#[test]
fn drycc_off_cluster_through_helm3_passes_a_strict_server_side_dry_run() {
    let Some(chart) = charts::drycc() else { return };
    let Some(plane) = cluster::control_plane() else { return };
    let dir = common::scratch("drycc-dry-run");
    let Some(helm3) = Helm::v3(&dir.join("helm3")) else {
        return;
    };
    let oracle = render(
        &helm3,
        &chart,
        chart.namespace,
        &(chart.values)("off-cluster"),
        None,
        &[],
    );
    let ours = render(
        &helm3,
        &chart,
        chart.namespace,
        &serde_json::json!({}),
        Some(OURS),
        &common::location_env("off-cluster"),
    );
    assert!(ours.len() > 90, "only {} objects rendered", ours.len());
    // Dry runs create nothing, and no other test uses Drycc's names (the
    // pods test below creates its objects under other namespaces, whose
    // names the chart's cluster-scoped names begin with): no cluster-scoped
    // lock is needed.
    plane.namespace(chart.namespace, &[]);
    served::dry_run(plane, chart.namespace, &oracle)
        .unwrap_or_else(|e| panic!("the server rejects the chart's own off-cluster render:\n{e}"));
    served::dry_run(plane, chart.namespace, &ours).unwrap_or_else(|e| {
        panic!("the server rejects what the tool wrote (dryRun=All, fieldValidation=Strict):\n{e}")
    });
}

/// The namespace that `location`'s objects are created in: one of its own
/// per location, and not the dry run's `drycc`. The chart names its
/// cluster-scoped objects after the release namespace
/// (`drycc-off-cluster:drycc-builder`, `drycc-off-cluster-controller-mutate`),
/// so the two locations' ClusterRoles, bindings and webhook never collide,
/// nor collide with the dry run's.
fn pods_namespace(location: &str) -> String {
    format!("drycc-{location}")
}

/// Deletes what a location created when dropped, also when a check failed,
/// as the other tests share the cluster: the cluster-scoped objects first
/// (the chart's MutatingWebhookConfiguration fails closed on `jobs/status`
/// updates of Drycc's Jobs, and no webhook pod ever runs to answer it),
/// then the namespace, without waiting (its controller empties it in the
/// background; nothing else uses it).
struct Created<'a> {
    plane: &'a cluster::ControlPlane,
    namespace: String,
    cluster_scoped: Vec<Json>,
}

impl Drop for Created<'_> {
    fn drop(&mut self) {
        if !self.cluster_scoped.is_empty() {
            let _ = self.plane.apply_json(
                &served::list(&self.cluster_scoped),
                &["delete", "--ignore-not-found", "--wait=false"],
            );
        }
        let _ = self
            .plane
            .run(&["delete", "namespace", &self.namespace, "--wait=false"]);
    }
}

/// Create `docs` (rendered into `namespace`) for real, in Helm's install
/// order, hooks included (Helm would run its post-install Jobs), and wait
/// until the controllers have created every pod of every Deployment,
/// StatefulSet, DaemonSet and Job (admission checks each pod's
/// ServiceAccount; no FailedCreate event or ReplicaFailure may stand).
/// CronJobs are not waited for: their schedule decides when they make a
/// pod. Everything is deleted again on the way out.
fn create_and_wait_for_pods(
    plane: &cluster::ControlPlane,
    namespace: &str,
    docs: &[Json],
) -> Result<served::PodsByOwner, String> {
    let docs = served::install_order(&served::in_namespace(docs, namespace));
    let workloads = served::workloads(&docs, namespace);
    // Twelve Deployments, nine StatefulSets, three DaemonSets and three
    // Jobs in v1.8.3: a render that lost most of them proves nothing.
    assert!(
        workloads.len() >= 20,
        "{namespace}: only {} workloads rendered",
        workloads.len()
    );
    plane.namespace(namespace, &[]);
    let _created = Created {
        plane,
        namespace: namespace.to_owned(),
        cluster_scoped: docs.iter().filter(|d| served::cluster_scoped(d)).cloned().collect(),
    };
    plane
        .apply_json(&served::list(&docs), &["apply", "--server-side", "-o", "name"])
        .map_err(|e| format!("the server refuses to create the objects: {e}"))?;
    served::wait_for_pods(plane, &workloads, Duration::from_secs(90))
}

/// Drycc's chart by default (its on-cluster values), configured for each
/// of its locations by the binary as Helm 3's post-renderer, rendered into
/// a namespace of its own and created for real: the controllers create
/// every pod of every workload.
#[test]
fn the_controllers_create_every_pod_of_drycc_for_each_location() {
    let Some(chart) = charts::drycc() else { return };
    let Some(plane) = cluster::control_plane() else { return };
    let dir = common::scratch("drycc-pods");
    let Some(helm3) = Helm::v3(&dir.join("helm3")) else {
        return;
    };
    let mut failed = Vec::new();
    for location in chart.locations {
        let namespace = pods_namespace(location);
        let docs = render(
            &helm3,
            &chart,
            &namespace,
            &serde_json::json!({}),
            Some(OURS),
            &common::location_env(location),
        );
        if let Err(e) = create_and_wait_for_pods(plane, &namespace, &docs) {
            failed.push(format!("{location} (namespace {namespace}): {e}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

/// The check above, on an output that is wrong as a whole while each
/// document is right: a post-renderer that runs the tool, then renames the
/// controller's ServiceAccount, so that the pods that run as
/// `drycc-controller` name one that is not there. The server accepts every
/// object; the controllers cannot create those pods, and the check says so.
#[test]
fn a_drycc_output_without_the_controllers_service_account_fails_the_pods_check() {
    let Some(chart) = charts::drycc() else { return };
    let Some(plane) = cluster::control_plane() else { return };
    let dir = common::scratch("drycc-broken");
    let Some(helm3) = Helm::v3(&dir.join("helm3")) else {
        return;
    };
    let wrapper = dir.join("renames-the-service-account");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n{OURS} \"$@\" | awk '/^---/ {{ k = 0 }} /^kind: ServiceAccount$/ {{ k = 1 }} \
             k && /^  name: drycc-controller$/ {{ $0 = \"  name: drycc-controller-renamed\" }} {{ print }}'\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let namespace = "drycc-broken";
    let docs = render(
        &helm3,
        &chart,
        namespace,
        &serde_json::json!({}),
        Some(wrapper.to_str().unwrap()),
        &common::location_env("off-cluster"),
    );
    assert!(
        docs.iter()
            .any(|d| served::key(d) == "ServiceAccount/drycc-controller-renamed"),
        "the wrapper renamed the ServiceAccount"
    );
    let err = create_and_wait_for_pods(plane, namespace, &docs).expect_err("the check must fail");
    assert!(err.contains("serviceaccount \"drycc-controller\" not found"), "{err}");
}
