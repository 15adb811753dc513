//! The KRM function front end (kpt `fn eval --exec`, kustomize
//! `--enable-exec`): a `ResourceList` in, a `ResourceList` with `results` out.

use std::process::ExitCode;

use super::log::{Level, Reporter};
use super::output::write_stdout_text;
use super::{function_configs, run_filter, Failure, FilterArgs};
use crate::config::{EnvLookup, Problems};
use crate::manifest::parse_stream;
use crate::plugin::krm::Severity;
use crate::plugin::{function_config, krm, krm_paths};

/// A KRM function call: configuration from `functionConfig` (the environment
/// and flags still win), `results` for warnings and errors. On error the items
/// go back unchanged with an error result and a non-zero status (never "delete everything").
pub fn run(reporter: &Reporter, args: &FilterArgs, env: EnvLookup<'_>, input: &str) -> Result<ExitCode, Failure> {
    let docs = parse_stream(input)?;
    let list = krm::read(&docs)?;
    // Every source the command line names too, none dropped silently.
    let run = list
        .function_config
        .as_ref()
        .map(|node| function_config::from_node(node, None, None))
        .transpose()
        .map_err(|problems| Failure::Config(Problems::new(problems)))
        .and_then(|from_stdin| function_configs(&args.config, from_stdin, env))
        .and_then(|fcs| run_filter(args, env, &list.items, fcs));
    match run {
        Ok((output, report)) => {
            // Warnings travel as `results`; the log gets them too, timestamped.
            for w in &report.warnings {
                reporter.to_log(Level::Warning, &[w]);
            }
            let mut results: Vec<_> = report.warnings.iter().map(|w| (Severity::Warning, w.clone())).collect();
            for (what, items) in report.changes() {
                results.extend(items.iter().map(|i| (Severity::Info, format!("{what} {i}"))));
            }
            reporter.summary(&report, &output.plan);
            let text = krm::write(&list.api_version, &krm_paths::annotate(&output.text()), &results);
            Ok(write_stdout_text(reporter, &text))
        }
        Err(failure) => {
            let mut results: Vec<_> = match &failure {
                Failure::Config(p) => p.warnings.iter().map(|w| (Severity::Warning, w.to_string())).collect(),
                _ => vec![],
            };
            results.push((Severity::Error, failure.lines().join("\n")));
            let _ = write_stdout_text(reporter, &krm::write(&list.api_version, &list.items, &results));
            Err(failure)
        }
    }
}
