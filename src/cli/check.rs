//! `workflow-registry check`: validate the configuration only, and show
//! every setting the location uses with its value (secrets always masked,
//! host names as they will be written) and the source it came from.

use std::process::ExitCode;

use super::log::Reporter;
use super::output::write_stdout_text;
use super::sources::{function_configs, namespace_given, resolve};
use super::{ConfigArgs, Failure};
use crate::config::{self, Problem, Problems, Secret, Setting, Source, DEFINITIONS};
use crate::escape::escape_controls;
use crate::platform::HELM_NAMESPACE;

/// Validate and report; exit 0 when valid, 2 otherwise (nothing on standard
/// output: the problems name each setting and its source), 3 when the table is lost.
pub fn run(reporter: &Reporter, args: &ConfigArgs, env: config::EnvLookup<'_>) -> Result<ExitCode, Failure> {
    let resolved = resolve(args, env, function_configs(args, None, env)?)?;
    let table = settings_table(&resolved);
    // The filter's refusal of a namespace from the environment (the flag and
    // config object are checked where they are read).
    let helm = config::env_value(env, HELM_NAMESPACE).map(|ns| (ns, HELM_NAMESPACE.to_owned()));
    let namespaces = namespace_given(None, env).into_iter().chain(helm);
    let namespace: Vec<Problem> = namespaces
        .filter(|(ns, _)| !crate::names::is_dns_label(ns))
        .map(|(ns, var)| {
            Problem::general(format!(
                "{var}: found {ns:?}, expected a namespace name (lowercase letters, digits and `-`, starting and \
                 ending with a letter or digit, at most 63 characters)"
            ))
        })
        .collect();
    let mut problems = match config::validate(&resolved) {
        Ok((settings, warnings)) if namespace.is_empty() => {
            for w in warnings.iter().chain(&config::check_warnings(&settings)) {
                reporter.warning(&w.to_string());
            }
            let valid = format!("{table}configuration is valid for {}\n", settings.location.name());
            return Ok(write_stdout_text(reporter, &valid));
        }
        Ok((_, warnings)) => Problems {
            problems: Vec::new(),
            warnings,
        },
        Err(problems) => problems,
    };
    problems.problems.extend(namespace);
    Err(Failure::Config(problems))
}

/// Each setting the resolved location uses, its value and its source. A
/// secret shows only whether it is set and its length (an `@path` included).
pub fn settings_table(resolved: &config::Resolved) -> String {
    let location = resolved.value(Setting::Location);
    let mut out = String::new();
    for d in DEFINITIONS.iter().filter(|d| d.setting.applies_to(location)) {
        let raw = resolved.value(d.setting);
        let shown = if d.secret {
            Secret::new(raw).to_string()
        } else if raw.is_empty() {
            "(empty)".to_owned()
        } else if raw.contains('@') && d.setting.is_host() {
            "(not shown: it contains `@`, perhaps a password)".to_owned()
        } else if d.setting.is_host() {
            // What the Secret gets; the warning says what was changed.
            config::normalise_host(raw)
        } else {
            raw.to_owned()
        };
        let source = match resolved.source(d.setting) {
            Source::Default if !d.note.is_empty() => format!("default ({})", d.note),
            Source::Default => "default".to_owned(),
            other => other.to_string(),
        };
        // Escaped: no value can repaint the terminal or add a row.
        let shown = escape_controls(&shown);
        out.push_str(&format!("{:<32} {:<48} {source}\n", d.setting.name(), shown));
    }
    out
}
