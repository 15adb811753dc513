//! The plan for Deis Workflow and Hephy: the location on every consumer,
//! `registry-secret`, the on-cluster registry, and the token refresher with
//! its account and least-privilege RBAC (docs/semantics.md, "Deis Workflow
//! and Hephy").

use std::collections::BTreeSet;

use base64::Engine;
use serde_json::{json, Value as Json};

use super::plan::{Effective, Generated, Planner, Reason, Wanted};
use super::refresher;
use crate::config::{Location, Settings};
use crate::manifest::resource::Mount;
use crate::manifest::{Body, Container, Pod};
use crate::platform::contract::{self as k, Role, DEIS};
use crate::platform::{Error, Object, HOW_TO_PASS};

pub fn plan(p: &mut Planner<'_, '_, '_>) -> Result<Effective, Error> {
    let model = p.model;
    let location = p.settings.location.name();
    let needs_refresher = p.settings.location.needs_token_refresher();
    let workflow = model.has_workflow();
    if workflow {
        p.warnings.extend(DEIS.location_advice(p.settings.location.kind()));
    }
    p.remove_unused(&DEIS)?;
    if !needs_refresher {
        for o in Role::REFRESHER_PARTS.iter().flat_map(|role| model.workflows(*role)) {
            p.remove(o, Reason::NotNeeded);
        }
    }
    registry_secret(p, workflow);
    let prefix = prefix(p);
    let mut effective = Effective {
        prefix: prefix.clone(),
        ..Effective::default()
    };
    if needs_refresher && workflow {
        refresher(p, &mut effective)?;
    }
    for (o, c) in p.consumers() {
        p.want_env(o, c, DEIS.location_var, Wanted::Text(location.into()));
        p.want_env(o, c, DEIS.prefix_var, Wanted::Text(prefix.clone()));
    }
    Ok(effective)
}

/// `registry-secret` with exactly the location's keys, or none on-cluster.
fn registry_secret(p: &mut Planner<'_, '_, '_>, workflow: bool) {
    let location = p.settings.location.name();
    if p.settings.location == Location::OnCluster {
        for o in p.model.workflows(Role::Credentials) {
            p.remove(o, Reason::NotNeeded);
        }
        return;
    }
    let Some(o) = p.keep_one(Role::Credentials, k::REGISTRY_SECRET) else {
        if workflow && !p.hooks_only {
            p.add(Generated::RegistrySecret, None);
        }
        return;
    };
    let Body::Secret(secret) = &o.resource.body else { return };
    let wanted = secret_data(p.settings);
    let data = o.resource.path_to(&["data"]);
    if secret.data.is_empty() {
        p.set(o, o.resource.path.clone(), "data", Json::from_iter(wanted));
    } else {
        let unwanted = |key: &&String| !wanted.iter().any(|(w, _)| w == *key);
        for key in secret.data.iter().map(|(key, _)| key).filter(unwanted) {
            p.unset(o, data.clone(), key);
        }
        let have = |(key, value): &(String, String)| secret.data.contains(&(key.clone(), Some(value.clone())));
        for (key, value) in wanted.into_iter().filter(|w| !have(w)) {
            p.set(o, data.clone(), &key, Json::String(value));
        }
    }
    if secret.secret_type != "Opaque" {
        p.set(o, o.resource.path.clone(), "type", json!("Opaque"));
    }
    if secret.string_data.is_some() {
        p.unset(o, o.resource.path.clone(), "stringData");
    }
    let labelled = o.resource.label(k::HERITAGE.0) == Some(k::HERITAGE.1);
    if !labelled || o.resource.annotation(k::LOCATION_ANNOTATION) != Some(location) {
        let metadata = json!({
            "labels": {k::HERITAGE.0: k::HERITAGE.1},
            "annotations": {k::LOCATION_ANNOTATION: location},
        });
        p.set(o, o.resource.path.clone(), "metadata", metadata);
    }
    p.place(o);
}

/// The secret's data: each key of the location, base64 of its value.
pub fn secret_data(settings: &Settings) -> Vec<(String, String)> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let data = settings.location.secret_data().into_iter();
    data.map(|(key, v)| (key.to_owned(), b64.encode(v))).collect()
}

/// The secret prefix: the configured one (noting a chart prefix it
/// replaces), else the one Workflow's consumers agree on, else the default.
fn prefix(p: &mut Planner<'_, '_, '_>) -> String {
    let mut chart = BTreeSet::new();
    for (_, c) in p.model.consumers(&p.options.context.targeting) {
        chart.extend(c.env_text(DEIS.prefix_var).filter(|v| !v.is_empty()).map(str::to_owned));
    }
    match (p.settings.secret_prefix.clone(), chart.len()) {
        (Some(configured), _) => {
            let others: Vec<&str> = chart.iter().map(String::as_str).filter(|c| *c != configured).collect();
            let others = others.join(", ");
            if !others.is_empty() {
                p.notes.push(format!(
                    "the configured secret prefix {configured:?} replaced the chart's {others}"
                ));
            }
            configured
        }
        (None, 1) => chart.into_iter().next().unwrap_or_default(),
        (None, 0) => k::DEFAULT_SECRET_PREFIX.to_owned(),
        (None, _) => {
            let (var, default) = (DEIS.prefix_var, k::DEFAULT_SECRET_PREFIX);
            let chart = chart.into_iter().collect::<Vec<_>>().join(", ");
            p.warnings.push(format!(
                "Workflow's containers disagree on {var} ({chart}): all now get {default:?}; set the prefix \
                 (registry_token_refresher.secretPrefix or --secret-prefix) to choose another"
            ));
            default.to_owned()
        }
    }
}

/// The token refresher, its ServiceAccount, ClusterRole and binding: one of
/// each, reused where the input has them and made able to run.
fn refresher(p: &mut Planner<'_, '_, '_>, effective: &mut Effective) -> Result<(), Error> {
    let kept = p.keep_one(Role::Refresher, k::REFRESHER);
    let account = p.keep_one(Role::RefresherAccount, k::REFRESHER);
    let role = p.keep_one(Role::RefresherRole, k::REFRESHER_RBAC);
    let binding = p.keep_one(Role::RefresherBinding, k::REFRESHER_RBAC);
    // A refresher whose container cannot be told is a bad manifest (exit 1),
    // reported before any configuration error it would otherwise hide.
    let found = kept.map(|o| -> Result<_, Error> {
        let not_a_workload = || o.error(&o.resource.path, "not a workload");
        let pod = o.resource.pod().ok_or_else(not_a_workload)?;
        let c = refresher::container(pod).map_err(|m| o.error(&o.resource.pod_path(), m))?;
        Ok(c.map(|c| (o, pod, c)))
    });
    let found = found.transpose()?.flatten();
    if p.hooks_only {
        return Ok(());
    }
    let location = p.settings.location.name();
    let Some(namespace) = p.model.namespace.name.clone() else {
        return Err(Error::Config(format!(
            "the Workflow namespace is unknown (Workflow's builder and controller Deployments state none, and no \
             binding of the chart names it), and location {location} needs it: the refresher's ClusterRoleBinding \
             must name the namespace of its ServiceAccount; {HOW_TO_PASS}"
        )));
    };
    let image = refresher::image(p, found.and_then(|(_, _, c)| c.image.as_deref()));
    effective.refresher_image = image.clone();
    effective.refresh_time = refresher::refresh_time(p, found.map(|(o, _, c)| (o, c)), &image)?;
    let prefix = effective.prefix.clone();
    if let Some((o, pod, c)) = found {
        let namespace_refresh = refresher::namespace_refresh(o, c)?;
        for (name, value) in refresher::env(location, &prefix, &namespace_refresh, &effective.refresh_time) {
            p.want_env(o, c, name, Wanted::Text(value.to_owned()));
        }
        can_run(p, o, pod, c, &image, account)?;
    }
    let before = kept.map(|o| o.doc.index);
    match account {
        Some(o) => p.place(o),
        None => p.add(Generated::RefresherAccount, before),
    }
    let rules = refresher::rules(location, &prefix);
    match role.map(|o| (o, &o.resource.body)) {
        Some((o, Body::ClusterRole(have))) => {
            if have.rules != rules {
                p.set(o, o.resource.path.clone(), "rules", rules);
            }
            if have.aggregated {
                // The aggregation controller would replace the rules with
                // those of every role its selectors match.
                p.unset(o, o.resource.path.clone(), "aggregationRule");
            }
        }
        Some(_) => {}
        None => p.add(Generated::RefresherRole, before),
    }
    match binding.map(|o| (o, &o.resource.body)) {
        Some((o, Body::Binding(b))) => {
            let (role_ref, subjects) = refresher::binding(&namespace);
            if b.role_ref != Some(("ClusterRole".to_owned(), k::REFRESHER_RBAC.to_owned())) {
                p.set(o, o.resource.path.clone(), "roleRef", role_ref);
            }
            let right = matches!(b.subjects.as_slice(), [s] if s.kind == "ServiceAccount" && s.name == k::REFRESHER
                && s.namespace.as_deref() == Some(namespace.as_str()));
            if !right {
                p.set(o, o.resource.path.clone(), "subjects", subjects);
            }
        }
        Some(_) => {}
        None => p.add(Generated::RefresherBinding, before),
    }
    if found.is_none() {
        p.add(Generated::Refresher, None);
    }
    Ok(())
}

/// What the kept refresher needs to start: its credentials mounted where it
/// reads them (and nothing else there), the image, its own ServiceAccount
/// with a token, and Workflow's namespace.
fn can_run(
    p: &mut Planner<'_, '_, '_>,
    o: &Object<'_, '_>,
    pod: &Pod,
    c: &Container,
    image: &str,
    account: Option<&Object<'_, '_>>,
) -> Result<(), Error> {
    let (name, secret, path) = (&c.name, k::REGISTRY_SECRET, k::CREDS_PATH);
    let (container, pod_at) = (o.resource.container_path(c), o.resource.pod_path());
    let in_container = |message: String| Err(o.error(&container, message));
    if let Some(m) = c.mounts.iter().find(|m| m.path == path && m.volume != secret) {
        return in_container(format!(
            "the refresher container {name:?} mounts volume {:?} at {path}, where it must read registry-secret: \
             remove that mount (the API server refuses two volumes at one path)",
            m.volume
        ));
    }
    if let Some(v) = pod.volumes.iter().find(|v| v.name == secret) {
        let wrong = match (v.sources, v.secret.as_deref()) {
            (1, Some(s)) if s == secret && !v.secret_items => None,
            // kustomize's namePrefix renames the secret and this reference to it.
            (1, Some(other)) if other != secret => Some(format!(
                "the refresher pod's volume {secret:?} reads secret {other:?}, but Workflow's components read \
                 {secret} by that name: keep that name (a kustomize namePrefix or nameSuffix must not rename it)"
            )),
            (1, Some(_)) => Some(format!(
                "the refresher pod's volume {secret:?} projects only the keys its `items` list, and the refresher \
                 reads every key this tool writes: remove `items`"
            )),
            _ => Some(format!(
                "the refresher pod's volume {secret:?} is not the secret {secret}: rename that volume"
            )),
        };
        if let Some(message) = wrong {
            return Err(o.error(&pod_at, message));
        }
    }
    if let Some(m) = c.mounts.iter().find(|m| m.sub_path && m.path == path) {
        return in_container(format!(
            "the refresher container {name:?} mounts one path of volume {:?} (`subPath`) at {path}, where it reads \
             every key of registry-secret: remove `subPath`",
            m.volume
        ));
    }
    let creds = |m: &Mount| m.volume == secret && m.path == path && m.read_only;
    let mount_right =
        c.mounts.iter().filter(|m| m.path == path || m.volume == secret).count() == 1 && c.mounts.iter().any(creds);
    if !mount_right {
        p.upsert(o, container.clone(), "volumeMounts", refresher::creds_mount());
    }
    if !pod.volumes.iter().any(|v| v.name == secret) {
        p.upsert(o, pod_at.clone(), "volumes", refresher::creds_volume());
    }
    if c.image.as_deref() != Some(image) {
        p.set(o, container, "image", json!(image));
    }
    if pod.service_account.as_deref() != Some(k::REFRESHER) {
        p.set(o, pod_at.clone(), "serviceAccountName", json!(k::REFRESHER));
    }
    if !refresher::gets_token(pod, account) {
        p.set(o, pod_at, "automountServiceAccountToken", json!(true));
    }
    p.place(o);
    Ok(())
}
