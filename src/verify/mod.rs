//! `verify`: contact the configured registry and prove, step by step, that
//! the credentials work, before Workflow is installed with them.
//!
//! `transport` is the only module that talks to the network; `docker_v2` is
//! the registry login every location ends with; `ecr` and `gcr` first mint
//! the short-lived token their refresher would; `report` renders the result.
//! Arrows point one way: location modules -> docker_v2 -> transport.

mod clock;
mod docker_v2;
mod ecr;
mod gcr;
mod report;
mod transport;

pub use report::{Class, Report, Step};
pub use transport::TransportOptions;

use crate::config::Location;

/// The repository named in token scopes and used by `--push-check`
/// (`<organization>/workflow-registry-probe`); the push check cancels its
/// upload, so nothing is created.
pub const PROBE_REPOSITORY: &str = "workflow-registry-probe";

/// Docker Hub's registry API host, used when the hostname is empty.
pub const DOCKER_HUB: &str = "https://registry-1.docker.io";

/// How to verify.
#[derive(Debug, Clone)]
pub struct Options {
    pub transport: TransportOptions,
    /// The operator marked the off-cluster registry as plain http.
    pub insecure_registry: bool,
    /// Prove push access (off-cluster): start a blob upload and cancel it.
    pub push_check: bool,
    /// For testing only: the ECR API endpoint (a loopback URL).
    pub ecr_endpoint: Option<String>,
    /// For testing only: the registry to log in to for ecr and gcr (a loopback URL).
    pub registry_endpoint: Option<String>,
    /// Allow this exact `token_uri` besides Google's (for a test endpoint).
    pub allow_token_uri: Option<String>,
}

/// Whether `url` is `http(s)://` to a loopback address: the only place the
/// test overrides may point.
pub fn is_loopback_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")) else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Verify the credentials of `location`. An error (exit 2) when the
/// transport cannot be set up (an unreadable CA file).
pub fn run(location: &Location, options: &Options) -> Result<Report, String> {
    let transport = transport::Transport::new(&options.transport)?;
    let secrets: Vec<String> = location
        .secret_data()
        .iter()
        .filter(|(k, _)| matches!(*k, "password" | "accesskey" | "secretkey" | "key.json"))
        .map(|(_, v)| (*v).to_owned())
        .collect();
    let mut report = Report::new(location.name(), secrets);
    match location {
        Location::OnCluster => report.add(
            "registry",
            Class::NotApplicable,
            "on-cluster: Workflow runs its own registry in the cluster; there are no credentials to verify",
        ),
        Location::OffCluster {
            hostname,
            organization,
            username,
            password,
        } => {
            let base = if hostname.is_empty() {
                DOCKER_HUB.to_owned()
            } else if options.insecure_registry {
                format!("http://{hostname}")
            } else {
                format!("https://{hostname}")
            };
            let repository = if organization.is_empty() {
                PROBE_REPOSITORY.to_owned()
            } else {
                format!("{organization}/{PROBE_REPOSITORY}")
            };
            docker_v2::probe(
                &transport,
                &mut report,
                &docker_v2::Target {
                    base,
                    plain_http_ok: options.insecure_registry && !hostname.is_empty(),
                    username,
                    password: password.expose(),
                    repository,
                    push_check: options.push_check,
                },
            );
        }
        Location::Ecr {
            access_key,
            secret_key,
            region,
            registry_id,
            hostname,
        } => {
            ecr::verify(
                &transport,
                &mut report,
                &ecr::Ecr {
                    access_key: access_key.expose(),
                    secret_key: secret_key.expose(),
                    region,
                    registry_id,
                    hostname,
                },
                options,
            );
            push_check_not_run(&mut report, options);
        }
        Location::Gcr { key_json, hostname } => {
            gcr::verify(&transport, &mut report, key_json.expose(), hostname, options);
            push_check_not_run(&mut report, options);
        }
    }
    Ok(report)
}

fn push_check_not_run(report: &mut Report, options: &Options) {
    if options.push_check {
        report.add(
            "push check",
            Class::NotApplicable,
            "not run for ecr and gcr: their repositories are per app and created on first push",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls() {
        for ok in [
            "http://127.0.0.1:5056",
            "https://localhost/",
            "http://[::1]:80/x",
            "http://127.1.2.3",
        ] {
            assert!(is_loopback_url(ok), "{ok}");
        }
        for bad in [
            "http://10.0.0.1",
            "https://api.ecr.us-west-2.amazonaws.com",
            "http://127.0.0.1.evil.com",
            "http://user@127.0.0.1",
            "ftp://127.0.0.1",
            "127.0.0.1:5000",
        ] {
            assert!(!is_loopback_url(bad), "{bad}");
        }
    }
}
