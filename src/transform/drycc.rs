//! The plan for Drycc Workflow (docs/semantics.md, "Drycc Workflow"): what
//! the chart itself renders with all three `registry.enabled` flags off and
//! the registry host and credentials set, from the same configuration the
//! Deis platforms take. Drycc has only on-cluster and off-cluster.

use std::net::IpAddr;

use base64::Engine;

use super::plan::{Effective, Generated, Op, Planner, Reason, Wanted};
use crate::config::Location;
use crate::manifest::Body;
use crate::platform::contract::{self as k, Role, DRYCC};
use crate::platform::{Error, Owner};
use crate::yaml::emit::Value;

pub fn plan(p: &mut Planner<'_, '_, '_>) -> Result<Effective, Error> {
    let model = p.model;
    let location = p.location();
    if !DRYCC.has_location(location) {
        return Err(Error::Config(format!(
            "location {location}: Drycc Workflow has no token refresher, so only on-cluster and off-cluster; \
             for ECR or Artifact Registry use off-cluster with the registry's host and a long-lived login \
             (docs/configuration.md, \"Drycc Workflow\")"
        )));
    }
    let mut effective = Effective {
        namespace: model.namespace.clone(),
        prefix: p.settings.secret_prefix.clone().unwrap_or_default(),
        refresh_time: String::new(),
        refresher_image: String::new(),
        egress: None,
    };
    for o in model.objects.iter().filter(|o| o.owner == Owner::Orphan) {
        p.remove(o, Reason::Orphan);
    }
    let registry: Vec<_> = model.workflows(Role::Registry).collect();
    let builder = model.workflows(Role::Builder).next().is_some();
    if location == "on-cluster" && registry.is_empty() && builder && p.additions_allowed {
        return Err(Error::Config(
            "location on-cluster, but the input holds Drycc Workflow without its registry (no drycc-registry): this \
             tool cannot create it; render the chart with registry.enabled, builder.registry.enabled and \
             controller.registry.enabled set to true, or choose off-cluster"
                .into(),
        ));
    }
    let consumers: Vec<_> = model.consumers(&p.options.context.targeting).collect();
    let Location::OffCluster {
        hostname,
        organization,
        username,
        password,
    } = &p.settings.location
    else {
        for (o, c) in consumers {
            p.want_env(o, c, DRYCC.location_var, Wanted::Text(location.into()));
        }
        return Ok(effective);
    };
    if hostname.is_empty() {
        return Err(Error::Config(
            "REGISTRY_HOSTNAME is empty: Drycc's builder pushes to the host in builder-secret, and has no default; \
             for Docker Hub set it to docker.io"
                .into(),
        ));
    }
    if !p.options.keep_on_cluster_registry {
        for o in &registry {
            p.remove(o, Reason::NotNeeded);
        }
    }
    let consumers: Vec<_> = consumers.into_iter().filter(|(o, _)| !p.is_removed(o)).collect();
    for (o, c) in consumers {
        p.want_env(o, c, DRYCC.location_var, Wanted::Text(location.into()));
        if !effective.prefix.is_empty() && c.declares(DRYCC.prefix_var) {
            p.want_env(o, c, DRYCC.prefix_var, Wanted::Text(effective.prefix.clone()));
        }
        if o.role == Role::Builder && c.declares(DRYCC.location_var) {
            for (var, key) in k::DRYCC_BUILDER_VARS {
                p.want_env(o, c, var, Wanted::SecretKey(k::DRYCC_BUILDER_SECRET, key));
            }
            p.want_env(o, c, k::DRYCC_PROXY_VAR, Wanted::Absent);
        }
    }
    let values = [hostname.as_str(), username, password.expose(), organization];
    let keys: Vec<(&str, &str)> = k::DRYCC_BUILDER_VARS.iter().map(|(_, key)| *key).zip(values).collect();
    match p.keep_one(Role::Credentials, k::DRYCC_BUILDER_SECRET) {
        Some(o) => merge_keys(p, o, &keys),
        None if p.additions_allowed && builder => p.add(Generated::BuilderSecret, None),
        None => {}
    }
    // controller-creds carries the host and login too (no organization);
    // its other keys (django-secret-key, ...) stay.
    match p.keep_one(Role::ControllerCredentials, k::DRYCC_CONTROLLER_CREDS) {
        Some(o) => merge_keys(p, o, &keys[..3]),
        None if builder && p.additions_allowed => p.warnings.push(format!(
            "the input has no Secret {}: the controller's copy of the registry login is not written",
            k::DRYCC_CONTROLLER_CREDS
        )),
        None => {}
    }
    effective.egress = imagebuilder_egress(p, hostname);
    Ok(effective)
}

/// Set `keys` (plain values) in a Secret's `data`, leaving its other keys.
fn merge_keys(p: &mut Planner<'_, '_, '_>, o: &crate::platform::Object<'_, '_>, keys: &[(&str, &str)]) {
    let Body::Secret(secret) = &o.resource.body else { return };
    let b64 = base64::engine::general_purpose::STANDARD;
    let wanted: Vec<(String, String)> = keys.iter().map(|(key, v)| ((*key).to_owned(), b64.encode(v))).collect();
    let missing: Vec<(String, Value)> = wanted
        .into_iter()
        .filter(|w| !secret.data.contains(w))
        .map(|(key, v)| (key, Value::Str(v)))
        .collect();
    if !missing.is_empty() {
        p.edit(
            o,
            Op::Set {
                at: o.resource.path.clone(),
                key: "data".into(),
                value: Value::Map(missing),
            },
        );
    }
    if secret.string_data {
        p.edit(
            o,
            Op::Unset {
                at: o.resource.path.clone(),
                key: "stringData".into(),
            },
        );
    }
    p.place(o);
}

/// Drycc's imagebuilder may reach only public addresses (its NetworkPolicy
/// excepts 10/8, 172.16/12, 192.168/16 and fc00::/7): a registry at a private
/// address gets a NetworkPolicy of its own that lets imagebuilder reach it
/// (policies add up); a cluster-local name cannot be allowed by address,
/// and is a warning naming the policy.
fn imagebuilder_egress(p: &mut Planner<'_, '_, '_>, hostname: &str) -> Option<(String, u16)> {
    let policy = p.model.objects.iter().any(|o| {
        o.is_workflows() && o.resource.kind == "NetworkPolicy" && o.resource.name == k::DRYCC_IMAGEBUILDER_POLICY
    });
    if !policy {
        return None;
    }
    let (host, port) = split_port(hostname);
    match host.parse::<IpAddr>() {
        Ok(ip) if is_private(ip) => {
            let cidr = match ip {
                IpAddr::V4(_) => format!("{ip}/32"),
                IpAddr::V6(_) => format!("{ip}/128"),
            };
            if p.additions_allowed {
                p.add(Generated::ImagebuilderEgress, None);
            }
            Some((cidr, port))
        }
        Ok(_) => None,
        Err(_) => {
            let local = !host.contains('.')
                || [".svc", ".cluster.local", ".local", ".internal"]
                    .iter()
                    .any(|s| host.ends_with(s));
            if local {
                p.warnings.push(format!(
                    "NetworkPolicy {}: imagebuilder may reach public addresses only, and {host} looks cluster-local \
                     or private: pushes will time out unless the policy allows it (add an egress rule for the \
                     registry's pods or addresses)",
                    k::DRYCC_IMAGEBUILDER_POLICY
                ));
            }
            None
        }
    }
}

/// `host[:port]` (IPv6 in brackets); the port defaults to HTTPS's.
fn split_port(hostname: &str) -> (&str, u16) {
    if let Some(rest) = hostname.strip_prefix('[') {
        if let Some((ip, tail)) = rest.split_once(']') {
            return (ip, tail.strip_prefix(':').and_then(|p| p.parse().ok()).unwrap_or(443));
        }
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
