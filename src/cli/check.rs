//! `workflow-registry check`: validate the configuration only, and show
//! every setting the location uses with its value (secrets always masked,
//! host names as they will be written) and the source it came from.

use std::process::ExitCode;

use super::{function_configs, resolve, ConfigArgs, Failure};
use crate::config::{self, Secret, Setting, Source, DEFINITIONS};

/// Validate and report; exit 0 when valid, 2 otherwise.
pub fn run(args: &ConfigArgs, env: config::EnvLookup<'_>) -> ExitCode {
    let resolved = function_configs(args, None)
        .map(|fcs| fcs.into_iter().map(|fc| fc.params).collect())
        .and_then(|files| resolve(args, env, files));
    let resolved = match resolved {
        Ok(r) => r,
        Err(failure) => return report_failure(&failure),
    };
    print!("{}", settings_table(&resolved));
    match config::validate(&resolved) {
        Ok((settings, warnings)) => {
            for w in &warnings {
                eprintln!("workflow-registry: warning: {w}");
            }
            println!("configuration is valid for {}", settings.location.name());
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for w in &problems.warnings {
                eprintln!("workflow-registry: warning: {w}");
            }
            eprint!("workflow-registry: error: {problems}");
            ExitCode::from(2)
        }
    }
}

fn report_failure(failure: &Failure) -> ExitCode {
    if let Failure::Config(problems) = failure {
        for w in &problems.warnings {
            eprintln!("workflow-registry: warning: {w}");
        }
    }
    eprintln!("workflow-registry: error: {}", failure.message());
    ExitCode::from(failure.exit_code())
}

/// Each setting the resolved location uses, its value and where it came
/// from. A secret shows only whether it is set and its length, whatever
/// it looks like (an `@path` included).
pub fn settings_table(resolved: &config::Resolved) -> String {
    let location = resolved.value(Setting::Location);
    let mut out = String::new();
    for d in DEFINITIONS.iter().filter(|d| d.setting.applies_to(location)) {
        let raw = resolved.value(d.setting);
        let shown = if d.secret {
            Secret::new(raw).to_string()
        } else if raw.is_empty() {
            "(empty)".to_owned()
        } else if matches!(
            d.setting,
            Setting::Hostname | Setting::EcrHostname | Setting::GcrHostname
        ) {
            // What the Secret gets; the warning says what was changed.
            printable(&config::normalise_host(raw))
        } else {
            printable(raw)
        };
        let source = match resolved.source(d.setting) {
            Source::Default if d.setting == Setting::EcrRegion => {
                "default (not set: the registry must be in this region)".to_owned()
            }
            Source::Default if !d.default_note.is_empty() => format!("default ({})", d.default_note),
            Source::Default => "default".to_owned(),
            other => other.to_string(),
        };
        out.push_str(&format!("{:<32} {:<48} {source}\n", d.setting.name(), shown));
    }
    out
}

/// The value as it is, or quoted with escapes when it holds a control
/// character (a line break must not forge a row).
fn printable(value: &str) -> String {
    if value.contains(char::is_control) {
        format!("{value:?}")
    } else {
        value.to_owned()
    }
}
