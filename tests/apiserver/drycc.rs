//! Drycc Workflow's real chart, configured off-cluster by the binary as
//! Helm 3's post-renderer (its path): every object it writes is one the
//! live API server accepts under a strict server-side dry run, as it
//! accepts the chart's own off-cluster render. tests/chart.rs compares the
//! two by meaning; this is the server's word that the written objects are
//! valid ones, field by field.

use serde_json::Value as Json;

use crate::common;
use common::charts;
use common::cluster;
use common::helm::Helm;
use common::served;

/// The API group of the Gateway API (Drycc's Gateway and routes): the test
/// server serves none of its CRDs, and the tool never touches its objects.
const GATEWAY_API: &str = "gateway.networking.k8s.io/";

/// `helm template` of Drycc's chart by Helm 3 with `values`, through the
/// binary configured by `env` if `post_render`; the objects as the server
/// receives them (Kubernetes' YAML decoder), hooks included, those of the
/// Gateway API left out.
fn render(helm3: &Helm, chart: &charts::Chart, values: &Json, post_render: bool, env: &[(&str, String)]) -> Vec<Json> {
    let k8sjson = common::peer("k8sjson").expect("k8sjson");
    let file = helm3.home.join(format!("values-{post_render}.json"));
    std::fs::write(&file, values.to_string()).unwrap();
    let mut args = vec![
        "template",
        chart.release,
        chart.dir.to_str().unwrap(),
        "--namespace",
        chart.namespace,
        "--values",
        file.to_str().unwrap(),
    ];
    if post_render {
        args.extend(["--post-renderer", env!("CARGO_BIN_EXE_workflow-registry")]);
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
    let oracle = render(&helm3, &chart, &(chart.values)("off-cluster"), false, &[]);
    let ours = render(
        &helm3,
        &chart,
        &serde_json::json!({}),
        true,
        &common::location_env("off-cluster"),
    );
    assert!(ours.len() > 90, "only {} objects rendered", ours.len());
    // Dry runs create nothing, and no other test uses Drycc's names: no
    // cluster-scoped lock is needed.
    plane.namespace(chart.namespace, &[]);
    served::dry_run(plane, chart.namespace, &oracle)
        .unwrap_or_else(|e| panic!("the server rejects the chart's own off-cluster render:\n{e}"));
    served::dry_run(plane, chart.namespace, &ours).unwrap_or_else(|e| {
        panic!("the server rejects what the tool wrote (dryRun=All, fieldValidation=Strict):\n{e}")
    });
}
