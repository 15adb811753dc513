//! `verify`: prove, step by step, that the registry credentials work the way
//! the platform will use them, before Workflow is installed with them.
//!
//! `transport` alone talks to the network; `docker_v2` is the registry login
//! every location ends with, and decides where credentials may go; `ecr` and
//! `gcr` first mint the token their refresher would; `report` renders the
//! result and scrubs every secret. Arrows point one way: location modules ->
//! docker_v2 -> transport.

pub(crate) mod clock;
mod docker_v2;
mod ecr;
mod gcr;
mod report;
mod transport;

pub use report::{Class, Report, Step};
pub use transport::Origin;

use crate::config::{Location, Setting};

/// The repository (under the organization) of token scopes and
/// `--push-check`, which cancels its upload: nothing is created.
pub const PROBE_REPOSITORY: &str = "workflow-registry-probe";

/// Docker Hub's registry API host, used when the hostname is empty.
const DOCKER_HUB: &str = "registry-1.docker.io";

/// Registries whose token service is on another host, as their challenges
/// name it: (registry host, token service origin).
const KNOWN_REALMS: &[(&str, &str)] = &[
    ("registry-1.docker.io", "https://auth.docker.io"),
    ("registry.gitlab.com", "https://gitlab.com"),
];

/// How to verify (the flags: docs/verify.md).
#[derive(Debug, Clone)]
pub struct Options {
    /// Extra CA certificates (PEM).
    pub ca_file: Option<std::path::PathBuf>,
    /// Connect and read timeout of each request.
    pub timeout: std::time::Duration,
    pub insecure_registry: bool,
    pub push_check: bool,
    /// The only origin besides the registry's the credentials may go to.
    pub token_realm: Option<Origin>,
    /// Loopback test URLs: the ECR API, and the registry of ecr and gcr.
    pub ecr_endpoint: Option<String>,
    pub registry_endpoint: Option<String>,
    /// A `token_uri` allowed besides Google's (for a test endpoint).
    pub allow_token_uri: Option<String>,
}

/// Verify `location`'s credentials; an error (exit 2) for an unreadable CA
/// file, or a credential too short to scrub (before anything is contacted).
pub fn run(location: &Location, options: &Options) -> Result<Report, String> {
    let short = |secret: &str| !secret.is_empty() && secret.len() < report::SHORTEST_SCRUBBED;
    let too_short = match location {
        Location::OffCluster { password, .. } if short(password.expose()) => Some(Setting::Password),
        Location::Ecr { access_key, .. } if short(access_key.expose()) => Some(Setting::EcrAccessKey),
        Location::Ecr { secret_key, .. } if short(secret_key.expose()) => Some(Setting::EcrSecretKey),
        _ => None,
    };
    if let Some(setting) = too_short {
        return Err(format!(
            "{} is shorter than {} characters: verify could not tell it from ordinary text in what a server answers, \
             so it could reach the report unmasked; nothing was contacted",
            setting.name(),
            report::SHORTEST_SCRUBBED
        ));
    }
    let transport = transport::Transport::new(options.ca_file.as_deref(), options.timeout)?;
    let mut report = Report::new(location.name());
    match location {
        Location::OnCluster => {
            let why = "on-cluster: Workflow runs its own registry in the cluster; there are no credentials to verify";
            report.add(Step::Registry, Class::NotApplicable, why);
        }
        Location::OffCluster {
            hostname,
            organization,
            username,
            password,
        } => {
            let host = if hostname.is_empty() { DOCKER_HUB } else { hostname };
            let plain_http_ok = options.insecure_registry && !hostname.is_empty();
            let known = KNOWN_REALMS
                .iter()
                .filter(|(h, _)| *h == host)
                .map(|(_, realm)| Origin::of(realm));
            let target = docker_v2::Target {
                realms: known.chain([options.token_realm.clone()]).flatten().collect(),
                base: format!("{}://{host}", if plain_http_ok { "http" } else { "https" }),
                plain_http_ok,
                username,
                password: password.expose(),
                repository: match organization.as_str() {
                    "" => PROBE_REPOSITORY.to_owned(),
                    organization => format!("{organization}/{PROBE_REPOSITORY}"),
                },
                push_check: options.push_check,
            };
            docker_v2::probe(&transport, &mut report, &target);
            if report.passed {
                platform_notes(&mut report, hostname, options);
            }
        }
        Location::Ecr {
            access_key,
            secret_key,
            region,
            registry_id,
            hostname,
        } => {
            report.secret(access_key.expose());
            report.secret(secret_key.expose());
            let ecr = ecr::Ecr {
                access_key: access_key.expose(),
                secret_key: secret_key.expose(),
                region,
                registry_id,
                hostname,
            };
            ecr::verify(&transport, &mut report, &ecr, options);
        }
        Location::Gcr { key_json, hostname } => {
            report.secret(key_json.expose());
            gcr::verify(&transport, &mut report, key_json.expose(), hostname, options);
        }
    }
    if options.push_check && matches!(location, Location::Ecr { .. } | Location::Gcr { .. }) {
        let why = "not run for ecr and gcr: their repositories are per app and created on first push";
        report.add(Step::PushCheck, Class::NotApplicable, why);
    }
    Ok(report)
}

/// What every node needs when `verify` reached the registry only with the
/// operator's help (docs/verify.md, "What the nodes need").
fn platform_notes(report: &mut Report, host: &str, options: &Options) {
    if options.insecure_registry {
        let detail = format!("{host} speaks plain http: every node's container runtime must allow it (insecure-registries in Docker's daemon.json; containerd: a certs.d/{host}/hosts.toml whose server is http://{host}), or pulls fail");
        report.add(Step::Platform, Class::Information, detail);
    }
    if options.ca_file.is_some() {
        let detail = format!("verified with --ca-file: if {host}'s certificate needs that CA, every node's container runtime must trust it too (Docker: /etc/docker/certs.d/{host}/ca.crt; containerd: certs.d/{host}/hosts.toml), or pulls fail with \"x509: certificate signed by unknown authority\"");
        report.add(Step::Platform, Class::Information, detail);
    }
}
