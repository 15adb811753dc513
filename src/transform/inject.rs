//! Setting the registry variables on a container, and the refresher's mount,
//! volume and service account on its pod.

use super::components::{REFRESHER, REGISTRY_SECRET};
use super::targets::{LOCATION_VAR, PREFIX_VAR};
use crate::config::Settings;
use crate::manifest::Container;
use crate::yaml::edit::{EditError, Editor};
use crate::yaml::emit::Value;
use crate::yaml::tree::Mapping;

/// Where the refresher reads `registry-secret` (contract: same path as the
/// on-cluster registry's own credentials, different secret).
pub const CREDS_PATH: &str = "/var/run/secrets/deis/registry/creds";

fn var(name: &str, value: &str) -> Vec<(String, Value)> {
    vec![("name".into(), Value::str(name)), ("value".into(), Value::str(value))]
}

/// The variables every registry-consuming container gets.
pub fn registry_vars(settings: &Settings) -> Vec<Vec<(String, Value)>> {
    vec![
        var(LOCATION_VAR, settings.location.name()),
        var(PREFIX_VAR, &settings.secret_prefix),
    ]
}

/// The refresher's variables: the registry ones plus its two timers.
pub fn refresher_vars(settings: &Settings) -> Vec<Vec<(String, Value)>> {
    let mut vars = registry_vars(settings);
    // Seconds between scans for new app namespaces, as Workflow's chart set it.
    vars.push(var("DEIS_NAMESPACE_REFRESH_TIME", "5"));
    vars.push(var("DEIS_TOKEN_REFRESH_TIME", &settings.token_refresh_time));
    vars
}

/// Set `vars` on a container: literal values, replacing an existing entry of
/// the same name in place (also a `valueFrom` one), never adding a duplicate.
pub fn set_env(
    editor: &mut Editor<'_>,
    container: &Container<'_, '_>,
    vars: &[Vec<(String, Value)>],
) -> Result<(), EditError> {
    editor.upsert_named(container.node, "env", vars, &[("value", "valueFrom")])
}

/// The refresher container's read-only mount of `registry-secret`.
pub fn mount_credentials(editor: &mut Editor<'_>, container: &Container<'_, '_>) -> Result<(), EditError> {
    let mount = vec![
        ("name".into(), Value::str(REGISTRY_SECRET)),
        ("mountPath".into(), Value::str(CREDS_PATH)),
        ("readOnly".into(), Value::Bool(true)),
    ];
    editor.upsert_named(container.node, "volumeMounts", &[mount], &[])
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
