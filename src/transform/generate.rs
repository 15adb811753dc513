//! Documents the transform adds, rendered in the stream's layout with YAML
//! 1.1-safe quoting: `registry-secret`, the token refresher with its
//! ServiceAccount and least-privilege RBAC, and for Drycc `builder-secret`
//! and imagebuilder's egress to a private registry.

use serde_json::{json, Value as Json};

use super::plan::{entries, Effective, Generated};
use super::{deis, drycc, refresher};
use crate::config::Settings;
use crate::platform::contract as k;
use crate::platform::Source;
use crate::yaml::emit::{self, Layout};

const RBAC_V1: &str = "rbac.authorization.k8s.io/v1";

/// The body of a generated document (without its `---` line).
pub fn document(what: Generated, settings: &Settings, effective: &Effective, layout: Layout) -> String {
    let namespace = effective.namespace.name.as_deref();
    let location = settings.location.name();
    let (api_version, rest) = match what {
        Generated::RegistrySecret => ("v1", secret(deis::secret_data(settings))),
        Generated::BuilderSecret => ("v1", secret(drycc::builder_data(settings))),
        Generated::RefresherAccount => ("v1", json!({})),
        Generated::RefresherRole => (RBAC_V1, json!({"rules": refresher::rules(location, &effective.prefix)})),
        Generated::RefresherBinding => {
            let (role_ref, subjects) = refresher::binding(namespace.unwrap_or_default());
            (RBAC_V1, json!({"roleRef": role_ref, "subjects": subjects}))
        }
        Generated::Refresher => ("apps/v1", json!({"spec": refresher_spec(settings, effective)})),
        Generated::ImagebuilderEgress => {
            let (cidr, port) = effective.egress.clone().unwrap_or_default();
            ("networking.k8s.io/v1", json!({"spec": egress_spec(&cidr, port)}))
        }
    };
    let (kind, name) = what.id();
    let mut metadata = json!({"name": name});
    let cluster_scoped = matches!(what, Generated::RefresherRole | Generated::RefresherBinding);
    // A namespace known only from HELM_NAMESPACE is not written: the
    // documents land with Workflow's, in the release namespace.
    let placed = namespace.filter(|_| effective.namespace.source != Source::Helm);
    if let (false, Some(ns)) = (cluster_scoped, placed) {
        metadata["namespace"] = json!(ns);
    }
    let heritage = match what {
        Generated::BuilderSecret | Generated::ImagebuilderEgress => "drycc",
        _ => k::HERITAGE.1,
    };
    metadata["labels"] = json!({k::HERITAGE.0: heritage, k::GENERATED_LABEL.0: k::GENERATED_LABEL.1});
    if what == Generated::RegistrySecret {
        metadata["annotations"] = json!({ k::LOCATION_ANNOTATION: location });
    }
    let head = json!({"apiVersion": api_version, "kind": kind, "metadata": metadata});
    let fields: Vec<_> = entries(head).into_iter().chain(entries(rest)).collect();
    emit::block_entries(&fields, 0, layout)
}

/// The spec of the NetworkPolicy that lets Drycc's imagebuilder reach a
/// registry at `cidr`, on `port`.
pub fn egress_spec(cidr: &str, port: u16) -> Json {
    json!({
        "podSelector": {"matchLabels": {"app": k::DRYCC_IMAGEBUILDER_APP}},
        "policyTypes": ["Egress"],
        "egress": [{
            "to": [{"ipBlock": {"cidr": cidr}}],
            "ports": [{"protocol": "TCP", "port": port}],
        }],
    })
}

fn secret(data: Vec<(String, String)>) -> Json {
    json!({"type": "Opaque", "data": Json::from_iter(data)})
}

/// The refresher as Workflow's chart rendered it, plus its account.
fn refresher_spec(settings: &Settings, effective: &Effective) -> Json {
    let app = json!({"app": k::REFRESHER});
    let (location, seconds) = (settings.location.name(), k::NAMESPACE_REFRESH_SECONDS);
    let env = refresher::env(location, &effective.prefix, seconds, &effective.refresh_time)
        .map(|(name, value)| json!({"name": name, "value": value}));
    json!({
        "replicas": 1,
        "selector": {"matchLabels": app},
        "template": {
            "metadata": {"labels": app},
            "spec": {
                "serviceAccountName": k::REFRESHER,
                "containers": [{
                    "name": k::REFRESHER,
                    "image": effective.refresher_image,
                    "imagePullPolicy": "IfNotPresent",
                    "env": env,
                    "volumeMounts": [refresher::creds_mount()],
                }],
                "volumes": [refresher::creds_volume()],
            },
        },
    })
}
