//! Documents the transform adds: `registry-secret`, and the token refresher
//! with its ServiceAccount and least-privilege RBAC.

use base64::Engine;

use super::components::{REFRESHER, REFRESHER_RBAC, REGISTRY_SECRET};
use super::inject::{refresher_vars, CREDS_PATH};
use crate::config::Settings;
use crate::yaml::emit::{self, Layout, Value};

pub const LOCATION_ANNOTATION: &str = "deis.io/registry-location";

fn metadata(name: &str, namespace: Option<&str>) -> Vec<(String, Value)> {
    let mut meta = vec![("name".to_string(), Value::str(name))];
    if let Some(ns) = namespace {
        meta.push(("namespace".into(), Value::str(ns)));
    }
    meta.push(("labels".into(), Value::map([("heritage", Value::str("deis"))])));
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

/// The refresher's ServiceAccount, ClusterRole and ClusterRoleBinding: it
/// lists and watches namespaces to find apps, and writes their pull secrets.
/// Workflow's chart shipped none of these, so under RBAC the refresher could
/// do neither.
/// `subject_namespace` is where the binding looks for the ServiceAccount: the
/// Workflow namespace, or a fallback when that is unknown.
pub fn refresher_access(
    namespace: Option<&str>,
    subject_namespace: &str,
    layout: Layout,
) -> Vec<(&'static str, String)> {
    let rule = |resources: &str, verbs: &[&str]| {
        Value::map([
            ("apiGroups", Value::Seq(vec![Value::str("")])),
            ("resources", Value::Seq(vec![Value::str(resources)])),
            ("verbs", Value::Seq(verbs.iter().map(|v| Value::str(*v)).collect())),
        ])
    };
    let service_account = document("v1", "ServiceAccount", metadata(REFRESHER, namespace), vec![], layout);
    let role = document(
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        metadata(REFRESHER_RBAC, None),
        vec![(
            "rules".into(),
            Value::Seq(vec![
                rule("namespaces", &["list", "watch"]),
                rule("secrets", &["get", "create", "update"]),
            ]),
        )],
        layout,
    );
    let binding = document(
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        metadata(REFRESHER_RBAC, None),
        vec![
            (
                "roleRef".into(),
                Value::map([
                    ("apiGroup", Value::str("rbac.authorization.k8s.io")),
                    ("kind", Value::str("ClusterRole")),
                    ("name", Value::str(REFRESHER_RBAC)),
                ]),
            ),
            (
                "subjects".into(),
                Value::Seq(vec![Value::map([
                    ("kind", Value::str("ServiceAccount")),
                    ("name", Value::str(REFRESHER)),
                    ("namespace", Value::str(subject_namespace)),
                ])]),
            ),
        ],
        layout,
    );
    vec![
        ("ServiceAccount", service_account),
        ("ClusterRole", role),
        ("ClusterRoleBinding", binding),
    ]
}

/// The token refresher Deployment, as Workflow's chart rendered it plus a
/// service account.
pub fn refresher_deployment(settings: &Settings, namespace: Option<&str>, layout: Layout) -> String {
    let app = || Value::map([("app", Value::str(REFRESHER))]);
    let env = refresher_vars(settings).into_iter().map(Value::Map).collect();
    let container = Value::map([
        ("name", Value::str(REFRESHER)),
        ("image", Value::str(&settings.refresher_image)),
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
