//! Setting the registry variables on a container, the refresher's mount,
//! volume, image and service account, and its access rules.

use super::components::{Access, REFRESHER, REFRESHER_RBAC, REGISTRY_SECRET};
use crate::config::Location;
use crate::manifest::Container;
use crate::yaml::edit::{EditError, Editor};
use crate::yaml::emit::Value;
use crate::yaml::tree::Mapping;

/// Where the refresher reads `registry-secret` (contract: same path as the
/// on-cluster registry's own credentials, different secret).
pub const CREDS_PATH: &str = "/var/run/secrets/deis/registry/creds";

/// Env entries `name: ..., value: ...` for `vars`.
pub fn env_items(vars: &[(String, String)]) -> Vec<Vec<(String, Value)>> {
    vars.iter()
        .map(|(name, value)| vec![("name".into(), Value::str(name)), ("value".into(), Value::str(value))])
        .collect()
}

/// Set `vars` on a container: literal values, replacing an existing entry of
/// the same name in place (also a `valueFrom` one), never adding a duplicate.
pub fn set_env(
    editor: &mut Editor<'_>,
    container: &Container<'_, '_>,
    vars: &[(String, String)],
) -> Result<(), EditError> {
    editor.upsert_named(container.node, "env", &env_items(vars), &[("value", "valueFrom")])
}

/// The refresher container's read-only mount of `registry-secret`, and its image.
pub fn refresher_container(
    editor: &mut Editor<'_>,
    container: &Container<'_, '_>,
    image: Option<&str>,
) -> Result<(), EditError> {
    let mount = vec![
        ("name".into(), Value::str(REGISTRY_SECRET)),
        ("mountPath".into(), Value::str(CREDS_PATH)),
        ("readOnly".into(), Value::Bool(true)),
    ];
    editor.upsert_named(container.node, "volumeMounts", &[mount], &[])?;
    if let Some(image) = image {
        editor.set_entry(container.node, "image", &Value::str(image));
    }
    Ok(())
}

/// The refresher pod's `registry-secret` volume and service account.
pub fn refresher_pod(editor: &mut Editor<'_>, pod_spec: &Mapping<'_>) -> Result<(), EditError> {
    let volume = vec![
        ("name".into(), Value::str(REGISTRY_SECRET)),
        (
            "secret".into(),
            Value::map([("secretName", Value::str(REGISTRY_SECRET))]),
        ),
    ];
    editor.upsert_named(pod_spec, "volumes", &[volume], &[])?;
    editor.set_entry(pod_spec, "serviceAccountName", &Value::str(REFRESHER));
    Ok(())
}

/// Exactly the calls the refresher makes (`boot.go`, `pkg/secrets.go`): it
/// lists namespaces, creates its pull secret in each, and updates it by name.
pub fn refresher_rules(location: &Location, prefix: &str) -> Value {
    let rule = |resources: &str, verb: &str, names: Option<String>| {
        let mut fields = vec![
            ("apiGroups".to_owned(), Value::Seq(vec![Value::str("")])),
            ("resources".to_owned(), Value::Seq(vec![Value::str(resources)])),
        ];
        if let Some(name) = names {
            fields.push(("resourceNames".to_owned(), Value::Seq(vec![Value::Str(name)])));
        }
        fields.push(("verbs".to_owned(), Value::Seq(vec![Value::str(verb)])));
        Value::Map(fields)
    };
    Value::Seq(vec![
        rule("namespaces", "list", None),
        rule("secrets", "create", None),
        rule("secrets", "update", Some(format!("{prefix}-{}", location.name()))),
    ])
}

/// The binding's role reference and its one subject.
pub fn binding(namespace: &str) -> (Value, Value) {
    (
        Value::map([
            ("apiGroup", Value::str("rbac.authorization.k8s.io")),
            ("kind", Value::str("ClusterRole")),
            ("name", Value::str(REFRESHER_RBAC)),
        ]),
        Value::Seq(vec![Value::map([
            ("kind", Value::str("ServiceAccount")),
            ("name", Value::str(REFRESHER)),
            ("namespace", Value::str(namespace)),
        ])]),
    )
}

/// The entries an access document must hold: (key, value).
pub fn access_entries(
    access: Access,
    location: &Location,
    prefix: &str,
    namespace: &str,
) -> Vec<(&'static str, Value)> {
    match access {
        Access::ServiceAccount => vec![],
        Access::ClusterRole => vec![("rules", refresher_rules(location, prefix))],
        Access::ClusterRoleBinding => {
            let (role_ref, subjects) = binding(namespace);
            vec![("roleRef", role_ref), ("subjects", subjects)]
        }
    }
}
