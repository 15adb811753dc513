//! Documents the transform adds, rendered in the stream's layout with YAML
//! 1.1-safe quoting: `registry-secret`, the token refresher with its
//! ServiceAccount and least-privilege RBAC, and for Drycc `builder-secret`
//! and imagebuilder's egress to a private registry.

use super::plan::{Effective, Generated};
use super::{deis, drycc, refresher};
use crate::config::Settings;
use crate::platform::contract::{self as k, DEIS};
use crate::yaml::emit::{self, Layout, Value};

/// The body of a generated document (without its `---` line).
pub fn document(what: Generated, settings: &Settings, effective: &Effective, layout: Layout) -> String {
    let namespace = effective.namespace.name.as_deref();
    let location = settings.location.name();
    let (api_version, namespaced, rest, heritage) = match what {
        Generated::RegistrySecret => (
            "v1",
            true,
            secret(deis::secret_data(settings)),
            Some((k::LOCATION_ANNOTATION, location)),
        ),
        Generated::BuilderSecret => ("v1", true, secret(drycc::builder_data(settings)), None),
        Generated::RefresherAccount => ("v1", true, vec![], None),
        Generated::RefresherRole => (
            "rbac.authorization.k8s.io/v1",
            false,
            vec![("rules".into(), refresher::rules(location, &effective.prefix))],
            None,
        ),
        Generated::RefresherBinding => {
            let (role_ref, subjects) = refresher::binding(namespace.unwrap_or_default());
            (
                "rbac.authorization.k8s.io/v1",
                false,
                vec![("roleRef".into(), role_ref), ("subjects".into(), subjects)],
                None,
            )
        }
        Generated::Refresher => (
            "apps/v1",
            true,
            vec![("spec".into(), refresher_spec(settings, effective))],
            None,
        ),
        Generated::ImagebuilderEgress => {
            let (cidr, port) = effective.egress.clone().unwrap_or_default();
            let spec = egress_spec(&cidr, port);
            ("networking.k8s.io/v1", true, vec![("spec".into(), spec)], None)
        }
    };
    let mut metadata = vec![("name".to_string(), Value::str(what.name()))];
    if let (true, Some(ns)) = (namespaced, namespace) {
        metadata.push(("namespace".into(), Value::str(ns)));
    }
    let heritage_value = match what {
        Generated::BuilderSecret | Generated::ImagebuilderEgress => "drycc",
        _ => k::HERITAGE.1,
    };
    metadata.push((
        "labels".into(),
        Value::map([
            (k::HERITAGE.0, Value::str(heritage_value)),
            (k::GENERATED_LABEL.0, Value::str(k::GENERATED_LABEL.1)),
        ]),
    ));
    if let Some((key, value)) = heritage {
        metadata.push(("annotations".into(), Value::map([(key, Value::str(value))])));
    }
    let mut entries = vec![
        ("apiVersion".to_string(), Value::str(api_version)),
        ("kind".into(), Value::str(what.kind())),
        ("metadata".into(), Value::Map(metadata)),
    ];
    entries.extend(rest);
    emit::block_entries(&entries, 0, layout)
}

/// The spec of the NetworkPolicy that lets Drycc's imagebuilder reach a
/// registry at `cidr`, on `port`.
pub fn egress_spec(cidr: &str, port: u16) -> Value {
    let rule = Value::map([
        (
            "to",
            Value::Seq(vec![Value::map([(
                "ipBlock",
                Value::map([("cidr", Value::str(cidr))]),
            )])]),
        ),
        (
            "ports",
            Value::Seq(vec![Value::map([
                ("protocol", Value::str("TCP")),
                ("port", Value::Int(port.into())),
            ])]),
        ),
    ]);
    Value::map([
        (
            "podSelector",
            Value::map([(
                "matchLabels",
                Value::map([("app", Value::str(k::DRYCC_IMAGEBUILDER_APP))]),
            )]),
        ),
        ("policyTypes", Value::Seq(vec![Value::str("Egress")])),
        ("egress", Value::Seq(vec![rule])),
    ])
}

fn secret(data: Vec<(String, String)>) -> Vec<(String, Value)> {
    vec![
        ("type".into(), Value::str("Opaque")),
        (
            "data".into(),
            Value::Map(data.into_iter().map(|(key, v)| (key, Value::Str(v))).collect()),
        ),
    ]
}

/// The refresher as Workflow's chart rendered it, plus its account.
fn refresher_spec(settings: &Settings, effective: &Effective) -> Value {
    let app = || Value::map([("app", Value::str(k::REFRESHER))]);
    let env = [
        (DEIS.location_var, settings.location.name()),
        (DEIS.prefix_var, effective.prefix.as_str()),
        (k::NAMESPACE_REFRESH_VAR, k::NAMESPACE_REFRESH_SECONDS),
        (k::TOKEN_REFRESH_VAR, effective.refresh_time.as_str()),
    ]
    .into_iter()
    .map(|(name, value)| Value::map([("name", Value::str(name)), ("value", Value::str(value))]))
    .collect();
    let container = Value::map([
        ("name", Value::str(k::REFRESHER)),
        ("image", Value::str(&effective.refresher_image)),
        ("imagePullPolicy", Value::str("IfNotPresent")),
        ("env", Value::Seq(env)),
        (
            "volumeMounts",
            Value::Seq(vec![Value::map([
                ("name", Value::str(k::REGISTRY_SECRET)),
                ("mountPath", Value::str(k::CREDS_PATH)),
                ("readOnly", Value::Bool(true)),
            ])]),
        ),
    ]);
    let pod = Value::map([
        ("serviceAccountName", Value::str(k::REFRESHER)),
        ("containers", Value::Seq(vec![container])),
        (
            "volumes",
            Value::Seq(vec![Value::map([
                ("name", Value::str(k::REGISTRY_SECRET)),
                ("secret", Value::map([("secretName", Value::str(k::REGISTRY_SECRET))])),
            ])]),
        ),
    ]);
    Value::map([
        ("replicas", Value::Int(1)),
        ("selector", Value::map([("matchLabels", app())])),
        (
            "template",
            Value::map([("metadata", Value::map([("labels", app())])), ("spec", pod)]),
        ),
    ])
}
