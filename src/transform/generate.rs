//! Documents the transform adds: `registry-secret`, and the token refresher
//! with its ServiceAccount and least-privilege RBAC.

use base64::Engine;

use super::components::{Access, GENERATED_LABEL, GENERATED_VALUE, REFRESHER, REGISTRY_SECRET};
use super::inject::{access_entries, env_items, CREDS_PATH};
use super::plan::Effective;
use crate::config::Settings;
use crate::yaml::emit::{self, Layout, Value};

pub const LOCATION_ANNOTATION: &str = "deis.io/registry-location";

fn metadata(name: &str, namespace: Option<&str>) -> Vec<(String, Value)> {
    let mut meta = vec![("name".to_string(), Value::str(name))];
    if let Some(ns) = namespace {
        meta.push(("namespace".into(), Value::str(ns)));
    }
    meta.push((
        "labels".into(),
        Value::map([
            ("heritage", Value::str("deis")),
            (GENERATED_LABEL, Value::str(GENERATED_VALUE)),
        ]),
    ));
    meta
}

fn document(
    api_version: &str,
    kind: &str,
    metadata: Vec<(String, Value)>,
    rest: Vec<(String, Value)>,
    layout: Layout,
) -> String {
    let mut entries = vec![
        ("apiVersion".to_string(), Value::str(api_version)),
        ("kind".into(), Value::str(kind)),
        ("metadata".into(), Value::Map(metadata)),
    ];
    entries.extend(rest);
    emit::block_entries(&entries, 0, layout)
}

/// A new `registry-secret` document body (without `---`).
pub fn registry_secret(settings: &Settings, namespace: Option<&str>, layout: Layout) -> String {
    let mut meta = metadata(REGISTRY_SECRET, namespace);
    meta.push((
        "annotations".into(),
        Value::map([(LOCATION_ANNOTATION, Value::str(settings.location.name()))]),
    ));
    let b64 = base64::engine::general_purpose::STANDARD;
    let data = settings
        .location
        .secret_data()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::Str(b64.encode(v))))
        .collect();
    document(
        "v1",
        "Secret",
        meta,
        vec![("type".into(), Value::str("Opaque")), ("data".into(), Value::Map(data))],
        layout,
    )
}

/// One of the refresher's access documents (ServiceAccount, ClusterRole,
/// ClusterRoleBinding), which Workflow's chart never shipped: without them,
/// under RBAC, the refresher could neither list namespaces nor write secrets.
pub fn refresher_access(access: Access, settings: &Settings, effective: &Effective, layout: Layout) -> String {
    let namespace = effective.namespace.name.as_deref();
    let (api_version, own_namespace) = match access {
        Access::ServiceAccount => ("v1", namespace),
        Access::ClusterRole | Access::ClusterRoleBinding => ("rbac.authorization.k8s.io/v1", None),
    };
    // The planner refuses to get here without a namespace (the binding needs one).
    let subject_namespace = namespace.unwrap_or_default();
    let rest = access_entries(access, &settings.location, &effective.prefix, subject_namespace)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    document(
        api_version,
        access.kind(),
        metadata(access.name(), own_namespace),
        rest,
        layout,
    )
}

/// The token refresher Deployment, as Workflow's chart rendered it plus a
/// service account.
pub fn refresher_deployment(vars: &[(String, String)], effective: &Effective, layout: Layout) -> String {
    let namespace = effective.namespace.name.as_deref();
    let app = || Value::map([("app", Value::str(REFRESHER))]);
    let env = env_items(vars).into_iter().map(Value::Map).collect();
    let container = Value::map([
        ("name", Value::str(REFRESHER)),
        ("image", Value::str(&effective.refresher_image)),
        ("imagePullPolicy", Value::str("IfNotPresent")),
        ("env", Value::Seq(env)),
        (
            "volumeMounts",
            Value::Seq(vec![Value::map([
                ("name", Value::str(REGISTRY_SECRET)),
                ("mountPath", Value::str(CREDS_PATH)),
                ("readOnly", Value::Bool(true)),
            ])]),
        ),
    ]);
    let pod = Value::map([
        ("serviceAccountName", Value::str(REFRESHER)),
        ("containers", Value::Seq(vec![container])),
        (
            "volumes",
            Value::Seq(vec![Value::map([
                ("name", Value::str(REGISTRY_SECRET)),
                ("secret", Value::map([("secretName", Value::str(REGISTRY_SECRET))])),
            ])]),
        ),
    ]);
    let spec = Value::map([
        ("replicas", Value::Int(1)),
        ("selector", Value::map([("matchLabels", app())])),
        (
            "template",
            Value::map([("metadata", Value::map([("labels", app())])), ("spec", pod)]),
        ),
    ]);
    document(
        "apps/v1",
        "Deployment",
        metadata(REFRESHER, namespace),
        vec![("spec".into(), spec)],
        layout,
    )
}
