//! The KRM function front end on every shape of ResourceList (block, flow,
//! JSON), and its refusals: documents after the list, a plain manifest or
//! empty input under `--mode krm`, first lines with multi-byte characters
//! or a BOM. No panic, and no input text on stderr (functionConfig may hold
//! credentials). Expectations come from the inputs, read through k8sjson.

mod common;

use common::{binary, run, text};
use serde_json::{json, Value as Json};

const BUILDER: &str = "{apiVersion: apps/v1, kind: Deployment, metadata: {name: deis-builder, namespace: deis}, spec: \
                       {template: {spec: {containers: [{name: deis-builder, image: x}]}}}}";
const CONFIG_MAP: &str = "{apiVersion: v1, kind: ConfigMap, metadata: {name: other, namespace: deis}, data: {k: v}}";
/// A credential inside functionConfig: it must never reach stderr.
const PASSWORD: &str = "hunter2-KRM-secret";

fn function_config() -> String {
    format!(
        "{{apiVersion: registry.deis.io/v1alpha1, kind: WorkflowRegistry, metadata: {{name: r}}, spec: \
         {{registry_location: off-cluster, off_cluster_registry: {{hostname: quay.io, organization: o, username: u, \
         password: {PASSWORD}}}}}}}"
    )
}

fn krm(input: &str) -> std::process::Output {
    let mut cmd = binary(&[]);
    cmd.args(["--mode", "krm"]);
    run(&mut cmd, input)
}

/// The items of a ResourceList as Kubernetes reads them.
fn items(stdout: &str) -> Vec<Json> {
    let Some(k8sjson) = common::peer("k8sjson") else {
        return vec![];
    };
    let decoded = common::k8s_decode(&k8sjson, stdout);
    decoded
        .into_iter()
        .next()
        .and_then(|(_, list)| list["items"].as_array().cloned())
        .unwrap_or_default()
}

fn assert_configured(input: &str) {
    let out = krm(input);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}\n{input}");
    let stdout = text(&out.stdout);
    let items = items(&stdout);
    if common::peer("k8sjson").is_none() {
        return;
    }
    let named = |kind: &str, name: &str| {
        items
            .iter()
            .find(|i| i["kind"] == json!(kind) && i["metadata"]["name"] == json!(name))
            .cloned()
            .unwrap_or_else(|| panic!("no {kind}/{name} in\n{stdout}"))
    };
    let env = &named("Deployment", "deis-builder")["spec"]["template"]["spec"]["containers"][0]["env"];
    assert_eq!(
        env[0],
        json!({"name": "DEIS_REGISTRY_LOCATION", "value": "off-cluster"}),
        "{stdout}"
    );
    assert_eq!(named("ConfigMap", "other")["data"], json!({"k": "v"}), "{stdout}");
    assert!(named("Secret", "registry-secret")["data"]["password"].is_string());
    assert_eq!(items.len(), 3, "{stdout}");
}

#[test]
fn flow_items_are_read_by_their_spans() {
    let fc = function_config();
    assert_configured(&format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [{BUILDER}, {CONFIG_MAP}]\nfunctionConfig: {fc}\n"
    ));
    assert_configured(&format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [\n  {BUILDER},\n  {CONFIG_MAP},\n]\nfunctionConfig: {fc}\n"
    ));
    assert_configured(&format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {BUILDER}\n- # a comment\n  {CONFIG_MAP}\nfunctionConfig: {fc}\n"
    ));
    assert_configured(&format!(
        "{{apiVersion: config.kubernetes.io/v1, kind: ResourceList, items: [{BUILDER}, {CONFIG_MAP}], functionConfig: {fc}}}\n"
    ));
}

#[test]
fn a_json_resource_list_is_read() {
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let yaml = format!(
        "kind: ResourceList\napiVersion: config.kubernetes.io/v1\nitems: [{BUILDER}, {CONFIG_MAP}]\nfunctionConfig: {}\n",
        function_config()
    );
    let json = &common::k8s_decode(&k8sjson, &yaml)[0].1;
    assert_configured(&format!("{json}\n"));
    assert_configured(&format!("{}\n", serde_json::to_string_pretty(json).unwrap()));
}

#[test]
fn a_bom_or_multibyte_first_line_does_not_panic() {
    let fc = function_config();
    for head in ["\u{feff}", "# é ünïcode\n", "\u{feff}# ✓\n"] {
        assert_configured(&format!(
            "{head}apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [{BUILDER},\n {CONFIG_MAP}]\nfunctionConfig: {fc}\n"
        ));
    }
}

fn assert_refused(input: &str, needle: &str) {
    let out = krm(input);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}\n{input}");
    assert!(stderr.contains(needle), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !stderr.contains(PASSWORD),
        "stderr shows the functionConfig password: {stderr}"
    );
    assert!(text(&out.stdout).is_empty(), "{}", text(&out.stdout));
}

#[test]
fn a_document_after_the_resource_list_is_an_error() {
    let fc = function_config();
    assert_refused(
        &format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [{BUILDER}]\nfunctionConfig: {fc}\n---\n{CONFIG_MAP}\n"),
        "follows the ResourceList",
    );
}

#[test]
fn krm_mode_on_anything_but_a_resource_list_is_an_error() {
    assert_refused(&format!("{BUILDER}\n"), "not `kind: ResourceList`");
    assert_refused(&format!("{BUILDER}\n---\n{CONFIG_MAP}\n"), "not `kind: ResourceList`");
    assert_refused("", "empty");
    assert_refused("# only a comment\n---\n# and another\n", "empty");
    assert_refused("- a\n- b\n", "not a mapping");
    assert_refused(
        &format!(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [a, {BUILDER}]\nfunctionConfig: {}\n",
            function_config()
        ),
        "not a mapping",
    );
}
