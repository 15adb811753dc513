//! Diagnostics where the operator looks: standard error, and the log file
//! (`--log-file` / `WORKFLOW_REGISTRY_LOG`) that Helm 4 and `kubectl kustomize`
//! users read because those tools hide a plugin's standard error.
//!
//! Three promises hold for every record:
//! - it cannot forge another record: control characters (line breaks, ESC
//!   sequences, bidi overrides) that come from the input are escaped, on
//!   standard error and in the log alike;
//! - writing it never panics and never changes the exit status: a closed or
//!   full standard error, or a log file that cannot be written, loses only
//!   the diagnostic (the log is the fallback for stderr, and the other way round);
//! - the log file is opened safely (see `log_file`).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use super::log_file::LogFile;
use crate::escape::escape_controls;
use crate::transform::{Plan, Report};

/// The environment variable naming the log file; set but blank means none
/// (as everywhere: a pipeline that exports `WORKFLOW_REGISTRY_LOG=` must not
/// make every run fail).
pub const LOG_ENV: &str = "WORKFLOW_REGISTRY_LOG";

/// How a record is labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    /// The change summary (what `--verbose` prints).
    Summary,
    /// A fact worth keeping in the log only (e.g. the reader closed the pipe).
    Info,
}

impl Level {
    fn label(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Summary => "summary",
            Level::Info => "info",
        }
    }
}

/// What goes to standard error besides errors.
#[derive(Debug, Clone, Copy, Default)]
pub struct Verbosity {
    /// `--quiet`: no warnings on standard error (they still go to the log).
    pub quiet: bool,
    /// `--verbose`: the change summary on standard error too.
    pub verbose: bool,
}

/// Sends every diagnostic of one run to standard error and the log file.
pub struct Reporter {
    log: Option<LogFile>,
    verbosity: Verbosity,
}

impl Reporter {
    /// Open the log file at `path` (if any). A path that cannot be used
    /// safely is refused with one message on standard error and the run goes
    /// on without a log: losing the log must not lose the operator's work.
    pub fn open(path: Option<&Path>, verbosity: Verbosity) -> Reporter {
        let log = path.and_then(|path| match LogFile::open(path) {
            Ok(log) => Some(log),
            Err(e) => {
                write_stderr(&format!(
                    "workflow-registry: warning: {}\n",
                    escape_controls(&e.to_string())
                ));
                None
            }
        });
        Reporter { log, verbosity }
    }

    /// An error: always on standard error, and in the log. `lines[0]` is the
    /// headline, the rest are detail lines the program laid out (each one
    /// escaped on its own, so that input cannot add a line).
    pub fn error(&self, lines: &[&str]) {
        self.record(Level::Error, lines, true);
    }

    /// An error for the log only (clap has already printed it in its own layout).
    pub fn error_to_log(&self, lines: &[&str]) {
        self.record(Level::Error, lines, false);
    }

    /// A warning: on standard error unless `--quiet`, always in the log.
    pub fn warning(&self, message: &str) {
        self.record(Level::Warning, &[message], !self.verbosity.quiet);
    }

    /// A warning for the log only (KRM mode, where warnings are `results`).
    pub fn warning_to_log(&self, message: &str) {
        self.record(Level::Warning, &[message], false);
    }

    /// A fact for the log only.
    pub fn info_to_log(&self, message: &str) {
        self.record(Level::Info, &[message], false);
    }

    /// The change summary and the plan it carried out: in the log always,
    /// on standard error with `--verbose`.
    pub fn summary(&self, report: &Report, plan: &Plan) {
        if !self.verbosity.verbose && self.log.is_none() {
            // Nobody reads it: a large plan takes a while to format.
            return;
        }
        let mut lines = summary_lines(report);
        // Document names in the plan are escaped where they are made
        // (`describe`), so its lines cannot be forged by the input.
        lines.extend(plan.to_string().lines().map(str::to_owned));
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        self.record(Level::Summary, &refs, self.verbosity.verbose);
    }

    fn record(&self, level: Level, lines: &[&str], to_stderr: bool) {
        let escaped: Vec<Cow<'_, str>> = lines.iter().map(|l| escape_controls(l.trim_end())).collect();
        if to_stderr {
            write_stderr(&stderr_text(level, &escaped));
        }
        if let Some(log) = &self.log {
            if let Err(e) = log.append(level.label(), &escaped) {
                write_stderr(&format!(
                    "workflow-registry: warning: cannot write the log file {}: {e}\n",
                    escape_controls(log.path())
                ));
            }
        }
    }
}

/// The summary as standard error has always shown it: a headline, then one
/// line per change. Each entry names a document from the input, so each is
/// its own line and gets escaped on its own.
fn summary_lines(report: &Report) -> Vec<String> {
    let ns = report.namespace.as_deref().unwrap_or("(unset: the release namespace)");
    let mut lines = vec![format!(
        "location {}, namespace {ns} ({})",
        report.location, report.namespace_source
    )];
    lines.extend(report.notes.iter().map(|n| format!("  note: {}", escape_controls(n))));
    for (label, items) in [
        ("configured", &report.injected),
        ("added", &report.added),
        ("replaced", &report.replaced),
        ("removed", &report.removed),
    ] {
        if items.is_empty() {
            lines.push(format!("  {label}: none"));
        }
        lines.extend(items.iter().map(|item| format!("  {label}: {}", escape_controls(item))));
    }
    lines
}

/// Standard error's layout: `workflow-registry: LEVEL: headline`, detail
/// lines as they are. The summary keeps its historical headline without a level.
fn stderr_text(level: Level, lines: &[Cow<'_, str>]) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        match (i, level) {
            (0, Level::Summary) => {
                let _ = writeln!(out, "workflow-registry: {line}");
            }
            (0, _) => {
                let _ = writeln!(out, "workflow-registry: {}: {line}", level.label());
            }
            _ => {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}

/// Write to standard error, ignoring failure: a closed, full or broken
/// standard error loses the diagnostic (the log file still has it) but must
/// never panic nor turn a good run into a failed one.
pub fn write_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_items_cannot_add_lines() {
        let report = Report {
            location: "gcr".into(),
            namespace: Some("deis".into()),
            injected: vec!["Deployment/evil\nworkflow-registry: error: forged".into()],
            ..Report::default()
        };
        let lines = summary_lines(&report);
        assert_eq!(lines.len(), 5, "{lines:?}");
        assert!(lines.iter().all(|l| !l.contains('\n')));
    }
}
