//! `workflow-registry check`: validate the configuration only, and show
//! every resolved setting with its source (secrets masked).

use std::process::ExitCode;

use crate::escape::escape_controls;
use super::log::Reporter;
use super::output::{lost, try_write_stdout};
use super::{fail, resolve, ConfigArgs, Failure};
use crate::config::{self, Secret, Source, DEFINITIONS};

/// Validate and report; exit 0 when valid, 2 otherwise, 3 when the table
/// could not be written.
pub fn run(reporter: &Reporter, args: &ConfigArgs, env: config::EnvLookup<'_>) -> ExitCode {
    let resolved = match resolve(args, env, None) {
        Ok(r) => r,
        Err(failure) => return fail(reporter, &failure),
    };
    let table = try_write_stdout(|out| out.write_all(settings_table(&resolved).as_bytes()));
    match config::validate(&resolved) {
        Ok((settings, warnings)) => {
            for w in &warnings {
                reporter.warning(&w.to_string());
            }
            let valid = format!("configuration is valid for {}\n", settings.location.name());
            match table.and_then(|()| try_write_stdout(|out| out.write_all(valid.as_bytes()))) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => lost(reporter, &e),
            }
        }
        // Invalid configuration is what the operator must learn: exit 2
        // even when the table was lost too.
        Err(problems) => fail(reporter, &Failure::Config(problems)),
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
        // Values come from files and the environment: escaped, none can
        // repaint the terminal or add a row.
        let shown = escape_controls(&shown);
        out.push_str(&format!("{:<32} {:<48} {source}\n", d.setting.name(), shown));
    }
    out
}
