//! The KRM function front end (kpt `fn eval --exec`, kustomize
//! `--enable-exec`): a `ResourceList` in, a `ResourceList` with `results` out.

use std::process::ExitCode;

use super::{fail, run_filter, write_stdout, Failure, FilterArgs};
use crate::config::{self, Problems};
use crate::manifest::parse_stream;
use crate::plugin::{function_config, krm};

/// A KRM function call: configuration from `functionConfig` (environment
/// variables and flags still win), `results` for warnings and errors. On
/// error the items go back unchanged with an error result and the exit status
/// is non-zero, so that no tool mistakes a failure for "delete everything".
pub fn run(args: &FilterArgs, env: config::EnvLookup<'_>, input: &str) -> ExitCode {
    let log = args.log_file.as_deref();
    let docs = match parse_stream(input) {
        Ok(docs) => docs,
        Err(e) => return fail(log, &Failure::from(e)),
    };
    let list = match krm::read(&docs) {
        Ok(list) => list,
        Err(e) => return fail(log, &Failure::from(e)),
    };
    let items = krm::stream(&list.items);
    let function_config = match list
        .function_config
        .as_ref()
        .map(function_config::from_node)
        .transpose()
    {
        Ok(fc) => fc,
        Err(problems) => {
            let failure = Failure::Config(Problems::new(problems));
            let results = vec![krm::KrmResult {
                message: failure.message(),
                severity: "error",
            }];
            let _ = write_stdout(log, &krm::write(&list.api_version, &items, &results));
            return fail(log, &failure);
        }
    };
    match run_filter(args, env, &items, function_config) {
        Ok((output, warnings)) => {
            let mut results: Vec<krm::KrmResult> = warnings
                .iter()
                .map(ToString::to_string)
                .chain(output.report.warnings.iter().cloned())
                .map(|message| krm::KrmResult {
                    message,
                    severity: "warning",
                })
                .collect();
            let r = &output.report;
            for (what, items) in [
                ("configured", &r.injected),
                ("added", &r.added),
                ("replaced", &r.replaced),
                ("removed", &r.removed),
            ] {
                results.extend(items.iter().map(|i| krm::KrmResult {
                    message: format!("{what} {i}"),
                    severity: "info",
                }));
            }
            if args.verbose {
                eprint!("{}{}", output.report, output.plan);
            }
            write_stdout(log, &krm::write(&list.api_version, &output.text(), &results))
        }
        Err(failure) => {
            let mut results: Vec<krm::KrmResult> = match &failure {
                Failure::Config(p) => p
                    .warnings
                    .iter()
                    .map(|w| krm::KrmResult {
                        message: w.to_string(),
                        severity: "warning",
                    })
                    .collect(),
                _ => vec![],
            };
            results.push(krm::KrmResult {
                message: failure.message(),
                severity: "error",
            });
            let _ = write_stdout(log, &krm::write(&list.api_version, &items, &results));
            fail(log, &failure)
        }
    }
}
