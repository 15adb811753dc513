//! `workflow-registry verify`, and the pipeline's `--verify` opt-in: the
//! configuration is resolved and validated exactly as for `check`, then the
//! registry is contacted (see [`crate::verify`]).

use std::process::ExitCode;
use std::time::Duration;

use super::args::{Output, ProbeArgs, VerifyArgs};
use super::log::{write_stderr, Reporter};
use super::output::write_stdout_text;
use super::sources::{function_configs, resolve};
use super::Failure;
use crate::config::{self, Location};
use crate::verify::{self, Options};

/// The exit status when a verification step failed (or proved nothing).
pub const EXIT_NOT_VERIFIED: u8 = 4;

/// Run `verify`: 0 when the credentials were proven, 4 when not, 2 for a
/// configuration or usage problem, 3 when the report could not be written.
pub fn run(reporter: &Reporter, args: &VerifyArgs, env: config::EnvLookup<'_>) -> Result<ExitCode, Failure> {
    let resolved = resolve(&args.config, env, function_configs(&args.config, None, env)?)?;
    let (settings, warnings) = config::validate(&resolved).map_err(Failure::Config)?;
    for w in &warnings {
        reporter.warning(&w.to_string());
    }
    let report = probe_registry(&args.probe, args.push_check, &settings.location)?;
    let text = match args.output {
        Output::Table => report.table(),
        Output::Json => report.json(),
    };
    Ok(match write_stdout_text(reporter, &text) {
        written if written != ExitCode::SUCCESS => written,
        _ if report.passed => ExitCode::SUCCESS,
        _ => ExitCode::from(EXIT_NOT_VERIFIED),
    })
}

/// The pipeline opt-in: verify `location` before anything is written, the
/// report on standard error.
pub fn before_writing(probe: &ProbeArgs, location: &Location) -> Result<(), Failure> {
    let report = probe_registry(probe, false, location)?;
    write_stderr(&report.table());
    if report.passed {
        Ok(())
    } else {
        Err(Failure::Verify(format!(
            "registry verification failed, nothing was written: {}",
            report.failures()
        )))
    }
}

/// A usage error about a URL; user information (`user:pass@`) may be a
/// pasted password, so such a URL is not shown.
fn refused(flag: &str, url: &str, why: &str) -> Failure {
    let shown = if url.contains('@') {
        "(not shown: it holds `@`, user information that may be a password; credentials come from the registry \
         settings)"
            .into()
    } else {
        format!("{url:?}")
    };
    Failure::Usage(format!("{flag} {shown}: {why}"))
}

/// Flags to options (the test overrides may only point at loopback), then
/// contact the registry.
fn probe_registry(probe: &ProbeArgs, push_check: bool, location: &Location) -> Result<verify::Report, Failure> {
    let test_endpoint = |flag: &str, value: &Option<String>| match value {
        Some(url) if !verify::Origin::of(url).is_some_and(|o| o.is_loopback()) => Err(refused(
            flag,
            url,
            "only a loopback http(s) URL is accepted (it exists for tests)",
        )),
        _ => Ok(value.as_ref().map(|u| u.trim_end_matches('/').to_owned())),
    };
    let ecr_endpoint = test_endpoint("--test-ecr-endpoint", &probe.test_ecr_endpoint)?;
    let registry_endpoint = test_endpoint("--test-registry-endpoint", &probe.test_registry_endpoint)?;
    let realm = |url: &String| {
        let why = "expected an http(s) URL such as https://gitlab.example.com";
        verify::Origin::of(url).ok_or_else(|| refused("--token-realm (WORKFLOW_REGISTRY_TOKEN_REALM)", url, why))
    };
    let token_realm = probe.token_realm.as_ref().map(realm).transpose()?;
    // The signed assertion goes over plain http only to this machine, by the
    // same loopback rule as the test endpoints.
    if let Some(url) = &probe.allow_token_uri {
        if verify::Origin::of(url).is_some_and(|o| !o.is_https() && !o.is_loopback()) {
            let why = "plain http is accepted only to a loopback host (use https)";
            return Err(refused(
                "--allow-token-uri (WORKFLOW_REGISTRY_ALLOW_TOKEN_URI)",
                url,
                why,
            ));
        }
    }
    // `Default` (not clap) gives 0: the documented default then.
    let seconds = if probe.timeout == 0 { 10 } else { probe.timeout };
    let options = Options {
        ca_file: probe.ca_file.clone(),
        timeout: Duration::from_secs(seconds),
        insecure_registry: probe.insecure_registry,
        push_check,
        token_realm,
        ecr_endpoint,
        registry_endpoint,
        allow_token_uri: probe.allow_token_uri.clone(),
    };
    verify::run(location, &options).map_err(Failure::Usage)
}
