//! The KRM function front end (kpt `fn eval --exec`, kustomize
//! `--enable-exec`): a `ResourceList` in, a `ResourceList` with `results` out.

use std::process::ExitCode;

use super::log::Reporter;
use super::output::write_stdout_text;
use super::{fail, function_configs, run_filter, Failure, FilterArgs};
use crate::config::{self, Problems};
use crate::manifest::parse_stream;
use crate::plugin::krm::{KrmResult, Severity};
use crate::plugin::{function_config, krm, krm_paths};

/// A KRM function call: configuration from `functionConfig` (environment
/// variables and flags still win), `results` for warnings and errors. On
/// error the items go back unchanged with an error result and the exit status
/// is non-zero, so that no tool mistakes a failure for "delete everything".
pub fn run(reporter: &Reporter, args: &FilterArgs, env: config::EnvLookup<'_>, input: &str) -> ExitCode {
    let docs = match parse_stream(input) {
        Ok(docs) => docs,
        Err(e) => return fail(reporter, &Failure::from(e)),
    };
    let list = match krm::read(&docs) {
        Ok(list) => list,
        Err(e) => return fail(reporter, &Failure::from(e)),
    };
    let items = krm::stream(&list.items);
    // The functionConfig and every source the command line names: none is
    // silently dropped because standard input is a ResourceList.
    let function_configs = list
        .function_config
        .as_ref()
        .map(|node| function_config::from_node(node, None))
        .transpose()
        .map_err(|problems| Failure::Config(Problems::new(problems)))
        .and_then(|from_stdin| function_configs(&args.config, from_stdin, env));
    let function_configs = match function_configs {
        Ok(fcs) => fcs,
        Err(failure) => {
            let results = vec![KrmResult::new(Severity::Error, failure.message())];
            let _ = write_stdout_text(reporter, &krm::write(&list.api_version, &items, &results));
            return fail(reporter, &failure);
        }
    };
    match run_filter(args, env, &items, function_configs) {
        Ok((output, warnings)) => {
            let mut results: Vec<KrmResult> = warnings
                .iter()
                .map(ToString::to_string)
                .chain(output.report().warnings)
                .map(|message| KrmResult::new(Severity::Warning, message))
                .collect();
            let r = &output.report();
            for (what, items) in [
                ("configured", &r.injected),
                ("added", &r.added),
                ("replaced", &r.replaced),
                ("removed", &r.removed),
            ] {
                results.extend(
                    items
                        .iter()
                        .map(|i| KrmResult::new(Severity::Info, format!("{what} {i}"))),
                );
            }
            // Warnings travel as `results`; the log gets them too, timestamped.
            for r in results.iter().filter(|r| r.severity == Severity::Warning) {
                reporter.warning_to_log(&r.message);
            }
            reporter.summary(&output.report(), &output.plan);
            write_stdout_text(
                reporter,
                &krm::write(&list.api_version, &krm_paths::annotate(&output.text()), &results),
            )
        }
        Err(failure) => {
            let mut results: Vec<KrmResult> = match &failure {
                Failure::Config(p) => p
                    .warnings
                    .iter()
                    .map(|w| KrmResult::new(Severity::Warning, w.to_string()))
                    .collect(),
                _ => vec![],
            };
            results.push(KrmResult::new(Severity::Error, failure.message()));
            let _ = write_stdout_text(reporter, &krm::write(&list.api_version, &items, &results));
            fail(reporter, &failure)
        }
    }
}
