//! `workflow-registry check`: validate the configuration only, and show
//! every resolved setting with its source (secrets masked).

use std::process::ExitCode;

use super::{resolve, ConfigArgs};
use crate::config::{self, Secret, Source, DEFINITIONS};

/// Validate and report; exit 0 when valid, 2 otherwise.
pub fn run(args: &ConfigArgs, env: config::EnvLookup<'_>) -> ExitCode {
    let resolved = match resolve(args, env, None) {
        Ok(r) => r,
        Err(failure) => {
            eprintln!("workflow-registry: error: {}", failure.message());
            return ExitCode::from(failure.exit_code());
        }
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

/// Every setting, its value (secrets masked) and where it came from.
pub fn settings_table(resolved: &config::Resolved) -> String {
    let mut out = String::new();
    for d in DEFINITIONS {
        let raw = resolved.value(d.setting);
        let shown = if d.secret && !raw.starts_with('@') {
            Secret::new(raw).to_string()
        } else if raw.is_empty() {
            "(empty)".to_owned()
        } else {
            raw.to_owned()
        };
        let source = match resolved.source(d.setting) {
            Source::Default => "default".to_owned(),
            other => other.to_string(),
        };
        out.push_str(&format!("{:<32} {:<48} {source}\n", d.setting.name(), shown));
    }
    out
}
