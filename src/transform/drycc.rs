//! The plan for Drycc Workflow (docs/semantics.md, "Drycc Workflow"): what
//! the chart itself renders with all three `registry.enabled` flags off and
//! the registry host and credentials set, from the same configuration the
//! Deis platforms take. Drycc has only on-cluster and off-cluster.

use std::net::IpAddr;

use base64::Engine;
use serde_json::Value as Json;

use super::generate;
use super::plan::{Effective, Generated, Planner, Reason, Wanted};
use crate::config::{Location, Settings};
use crate::manifest::{Body, EnvValue};
use crate::platform::contract::{self as k, Role, DRYCC};
use crate::platform::{Error, Model, Object};

pub fn plan(p: &mut Planner<'_, '_, '_>) -> Result<Effective, Error> {
    let model = p.model;
    let location = p.settings.location.name();
    if !DRYCC.locations.contains(&p.settings.location.kind()) {
        return Err(Error::Config(format!("location {location}: {}", k::DRYCC_LOCATIONS)));
    }
    let mut effective = Effective {
        prefix: p.settings.secret_prefix.clone().unwrap_or_default(),
        ..Effective::default()
    };
    renamed_secrets(model)?;
    p.remove_unused(&DRYCC)?;
    let builder = model.workflows(Role::Builder).next().is_some();
    let off_cluster = matches!(p.settings.location, Location::OffCluster { .. });
    // The on-cluster builder reaches the node proxy at the registry proxy's
    // `hostPort` (the chart's default when the input states none).
    let pods = model.workflows(Role::Registry).filter_map(|o| o.resource.pod());
    let mut containers = pods.flat_map(|pod| &pod.containers);
    let port = containers.find_map(|c| c.host_ports.first().copied());
    let proxy = format!("127.0.0.1:{}", port.unwrap_or(k::DRYCC_PROXY_PORT));
    for (o, c) in p.consumers() {
        p.want_env(o, c, DRYCC.location_var, Wanted::Text(location.into()));
        if !effective.prefix.is_empty() && c.declares(DRYCC.prefix_var) {
            p.want_env(o, c, DRYCC.prefix_var, Wanted::Text(effective.prefix.clone()));
        }
        if o.role != Role::Builder {
            continue;
        }
        if off_cluster {
            for (var, key) in k::DRYCC_BUILDER_VARS {
                p.want_env(o, c, var, Wanted::SecretKey(k::DRYCC_BUILDER_SECRET, key));
            }
            p.want_env(o, c, k::DRYCC_PROXY_VAR, Wanted::Absent);
        } else {
            // What the chart's on-cluster render wires, whatever an earlier
            // off-cluster run (or builder.registry.enabled=false) left.
            let [host, .., organization] = k::DRYCC_BUILDER_VARS.map(|(var, _)| var);
            p.want_env(o, c, host, Wanted::Text(k::DRYCC_REGISTRY_SERVICE.into()));
            // A literal proxy address is the chart's builder.registry.proxy.port.
            let at = c.env_text(k::DRYCC_PROXY_VAR).map_or(proxy.clone(), str::to_owned);
            p.want_env(o, c, k::DRYCC_PROXY_VAR, Wanted::Text(at));
            for (var, key) in k::DRYCC_ON_CLUSTER_LOGIN {
                p.want_env(o, c, var, Wanted::SecretKey(k::REGISTRY_SECRET, key));
            }
            p.want_env(o, c, organization, Wanted::Absent);
        }
    }
    let Some([hostname, ..]) = login(p.settings) else {
        // On-cluster the chart renders no registry keys in builder-secret
        // and controller-creds: an earlier off-cluster login goes.
        let secrets = [Role::Credentials, Role::ControllerCredentials].map(|role| model.workflows(role));
        secrets.into_iter().flatten().for_each(|o| drop_login(p, o));
        egress(p, None)?;
        return Ok(effective);
    };
    let keys = builder_data(p.settings);
    match p.keep_one(Role::Credentials, k::DRYCC_BUILDER_SECRET) {
        Some(o) => merge_keys(p, o, &keys),
        None if !p.hooks_only && builder => p.add(Generated::BuilderSecret, None),
        None => {}
    }
    // controller-creds carries the host and login too (no organization);
    // its other keys (django-secret-key, ...) stay.
    match p.keep_one(Role::ControllerCredentials, k::DRYCC_CONTROLLER_CREDS) {
        Some(o) => merge_keys(p, o, &keys[..3]),
        None if builder && !p.hooks_only => p.warnings.push(format!(
            "the input has no Secret {}: the controller's copy of the registry login is not written",
            k::DRYCC_CONTROLLER_CREDS
        )),
        None => {}
    }
    effective.egress = egress(p, Some(hostname))?;
    Ok(effective)
}

/// Refuse Secrets a kustomize namePrefix or nameSuffix renamed, where the
/// rename shows: the login written under the chart's names would go to a
/// Secret nothing reads (docs/semantics.md, "Renamed Secrets").
fn renamed_secrets(model: &Model<'_, '_>) -> Result<(), Error> {
    let names = [k::DRYCC_BUILDER_SECRET, k::DRYCC_CONTROLLER_CREDS, k::REGISTRY_SECRET];
    let renamed = |secret: &str| names.into_iter().find(|n| secret != *n && secret.contains(n));
    let login_var = |name: &str| k::DRYCC_BUILDER_VARS.iter().any(|(var, _)| *var == name);
    let why = |what: String, name: &str| {
        format!(
            "{what}, which looks like Drycc's {name} renamed by a kustomize namePrefix or nameSuffix: Drycc's \
             builder and this tool read and write the registry login in {} and {} by those names, so the builder \
             would read a renamed Secret without it; keep those names (rename none of the three Secrets)",
            names[..2].join(", "),
            names[2]
        )
    };
    for (role, name) in [(Role::Credentials, names[0]), (Role::ControllerCredentials, names[1])] {
        let secret = |o: &&Object<'_, '_>| {
            o.resource.kind == "Secret" && o.resource.name != name && o.resource.name.contains(name)
        };
        if let (Some(o), None) = (model.workflows(Role::Other).find(secret), model.workflows(role).next()) {
            let what = format!("the input has this Secret and no {name}");
            return Err(o.error(&o.resource.path, why(what, name)));
        }
    }
    for o in model.workflows(Role::Builder) {
        let Some(pod) = o.resource.pod() else { continue };
        for v in &pod.volumes {
            if let Some((secret, name)) = v.secret.as_deref().and_then(|s| Some((s, renamed(s)?))) {
                let what = format!("the builder pod's volume {:?} reads secret {secret:?}", v.name);
                return Err(o.error(&o.resource.pod_path(), why(what, name)));
            }
        }
        for c in &pod.containers {
            for e in c.env.iter().filter(|e| login_var(&e.name)) {
                let EnvValue::SecretKey { secret, .. } = &e.value else {
                    continue;
                };
                if let Some(name) = renamed(secret) {
                    let (container, var) = (&c.name, &e.name);
                    let what = format!("the builder container {container:?} reads {var} from secret {secret:?}");
                    return Err(o.error(&o.resource.container_path(c), why(what, name)));
                }
            }
        }
    }
    Ok(())
}

/// Remove the registry keys of a kept Secret's `data` and `stringData`.
fn drop_login(p: &mut Planner<'_, '_, '_>, o: &Object<'_, '_>) {
    let (false, Body::Secret(secret)) = (p.is_removed(o), &o.resource.body) else {
        return;
    };
    let login = |key: &str| k::DRYCC_BUILDER_VARS.iter().any(|(_, k)| *k == key);
    let data: Vec<&String> = secret.data.iter().map(|(key, _)| key).collect();
    let string_data: Vec<&String> = secret.string_data.iter().flatten().collect();
    unset_keys(p, o, "data", &data, login);
    unset_keys(p, o, "stringData", &string_data, login);
}

/// The off-cluster login, in the order of `DRYCC_BUILDER_VARS`: host,
/// username, password, organization. The configuration reads Docker Hub
/// however written as no host (Deis's "empty = Docker Hub"); Drycc's
/// builder has no default: it gets its name.
fn login(settings: &Settings) -> Option<[&str; 4]> {
    let Location::OffCluster {
        hostname,
        organization,
        username,
        password,
    } = &settings.location
    else {
        return None;
    };
    let host = if hostname.is_empty() { "docker.io" } else { hostname };
    Some([host, username, password.expose(), organization])
}

/// `builder-secret`'s data: each key the builder reads, base64 of its
/// value (none unless off-cluster).
pub fn builder_data(settings: &Settings) -> Vec<(String, String)> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let values = login(settings).into_iter().flatten().map(|v| b64.encode(v));
    let keys = k::DRYCC_BUILDER_VARS.iter().map(|(_, key)| (*key).to_owned());
    keys.zip(values).collect()
}

/// Set `keys` (base64 values) in a Secret's `data`, leaving its other keys.
fn merge_keys(p: &mut Planner<'_, '_, '_>, o: &Object<'_, '_>, keys: &[(String, String)]) {
    let Body::Secret(secret) = &o.resource.body else { return };
    let have = |(key, v): &&(String, String)| secret.data.contains(&(key.clone(), Some(v.clone())));
    let missing: Vec<_> = keys.iter().filter(|kv| !have(kv)).cloned().collect();
    if !missing.is_empty() {
        p.set(o, o.resource.path.clone(), "data", Json::from_iter(missing));
    }
    // A `stringData` key would win over the one set in `data`; its others stay.
    let string_data: Vec<&String> = secret.string_data.iter().flatten().collect();
    unset_keys(p, o, "stringData", &string_data, |k| keys.iter().any(|(w, _)| w == k));
    p.place(o);
}

/// Remove the keys `gone` says of a Secret's `field` (which holds `keys`);
/// a field left with no key goes whole (the editor cannot leave a block
/// mapping empty, and no field means no keys).
fn unset_keys(
    p: &mut Planner<'_, '_, '_>,
    o: &Object<'_, '_>,
    field: &str,
    keys: &[&String],
    gone: impl Fn(&str) -> bool,
) {
    let remove: Vec<&String> = keys.iter().copied().filter(|k| gone(k)).collect();
    if !remove.is_empty() && remove.len() == keys.len() {
        p.unset(o, o.resource.path.clone(), field);
    } else {
        let at = o.resource.path_to(&[field]);
        remove.into_iter().for_each(|key| p.unset(o, at.clone(), key));
    }
}

/// A NetworkPolicy of our own that lets imagebuilder (public addresses only)
/// reach a registry at a private address, kept in step with the host or
/// removed; a cluster-local name is a warning (docs/semantics.md,
/// "imagebuilder's NetworkPolicy").
fn egress(p: &mut Planner<'_, '_, '_>, hostname: Option<&str>) -> Result<Option<(String, u16)>, Error> {
    let policy = p.model.objects.iter().any(|o| {
        o.is_workflows() && o.resource.kind == "NetworkPolicy" && o.resource.name == k::DRYCC_IMAGEBUILDER_POLICY
    });
    let wanted = hostname.filter(|_| policy).and_then(|hostname| {
        let (host, port) = split_port(hostname);
        // `::ffff:10.1.2.3` goes out as IPv4 10.1.2.3.
        match host.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
            Ok(ip) if is_private(ip) => Some((format!("{ip}/{}", if ip.is_ipv4() { 32 } else { 128 }), port)),
            Ok(_) => None,
            Err(_) => {
                let suffixes = [".svc", ".cluster.local", ".local", ".internal"];
                if !host.contains('.') || suffixes.iter().any(|s| host.ends_with(s)) {
                    let name = k::DRYCC_IMAGEBUILDER_POLICY;
                    p.warnings.push(format!(
                        "NetworkPolicy {name}: imagebuilder may reach public addresses only, and {host} looks \
                         cluster-local or private: pushes will time out unless the policy allows it (add an egress \
                         rule for the registry's pods or addresses)"
                    ));
                }
                None
            }
        }
    });
    // The policy is this tool's alone: one without its label is the
    // operator's, never edited or removed, and refused where ours needs its name.
    let model = p.model;
    if let Some(theirs) = model.workflows(Role::ImagebuilderEgress).find(|o| !o.is_generated()) {
        if wanted.is_some() {
            let (name, label) = (k::DRYCC_IMAGEBUILDER_EGRESS, k::GENERATED_LABEL.0);
            let message = format!(
                "has no {label} label, so workflow-registry did not write it, and the egress policy this registry \
                 needs is named {name}: rename it (or remove it)"
            );
            return Err(theirs.error(&theirs.resource.path, message));
        }
        for o in model.workflows(Role::ImagebuilderEgress).filter(|o| o.is_generated()) {
            p.remove(o, Reason::NotNeeded);
        }
        return Ok(None);
    }
    let kept = p.keep_one(Role::ImagebuilderEgress, k::DRYCC_IMAGEBUILDER_EGRESS);
    match (kept, &wanted) {
        (Some(o), None) => p.remove(o, Reason::NotNeeded),
        (Some(o), Some((cidr, port))) => {
            let spec = generate::egress_spec(cidr, *port);
            if !matches!(&o.resource.body, Body::NetworkPolicy(have) if **have == spec) {
                p.set(o, o.resource.path.clone(), "spec", spec);
            }
            p.place(o);
        }
        (None, Some(_)) if !p.hooks_only => p.add(Generated::ImagebuilderEgress, None),
        (None, _) => {}
    }
    Ok(wanted)
}

/// `host[:port]` (IPv6 in brackets); the port defaults to HTTPS's.
fn split_port(hostname: &str) -> (&str, u16) {
    if let Some((ip, tail)) = hostname.strip_prefix('[').and_then(|rest| rest.split_once(']')) {
        return (ip, tail.strip_prefix(':').and_then(|p| p.parse().ok()).unwrap_or(443));
    }
    match hostname.rsplit_once(':') {
        Some((h, port)) if !h.contains(':') => (h, port.parse().unwrap_or(443)),
        _ => (hostname, 443),
    }
}

/// The addresses imagebuilder's policy excepts from its public egress.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_loopback() || v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00 || v6.is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_and_ports() {
        assert_eq!(split_port("10.1.2.3:5000"), ("10.1.2.3", 5000));
        assert_eq!(split_port("[fd00::1]:5000"), ("fd00::1", 5000));
        assert_eq!(split_port("registry.example.com"), ("registry.example.com", 443));
        for (ip, private) in [
            ("10.0.0.1", true),
            ("172.16.5.4", true),
            ("192.168.1.1", true),
            ("8.8.8.8", false),
            ("fd00::1", true),
            ("2001:db8::1", false),
        ] {
            assert_eq!(is_private(ip.parse().unwrap()), private, "{ip}");
        }
    }
}
