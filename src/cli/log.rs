//! Diagnostics where the operator looks: standard error, and the log file
//! (`--log-file` / `WORKFLOW_REGISTRY_LOG`) for Helm 4 and `kubectl kustomize`,
//! which hide a plugin's standard error. What every record and the log file
//! promise: docs/security.md, "What it writes".

use std::borrow::Cow;
use std::cell::Cell;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::escape::escape_controls;
use crate::files::file_kind;
use crate::transform::{Plan, Report};

/// The log file's variable; blank means none, as everywhere (a pipeline that
/// exports `WORKFLOW_REGISTRY_LOG=` must not make every run fail).
pub const LOG_ENV: &str = "WORKFLOW_REGISTRY_LOG";

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

/// Sends every diagnostic of one run to standard error and the log file.
/// `--quiet`: no warnings on standard error (the log still gets them);
/// `--verbose`: the change summary on standard error too.
pub struct Reporter {
    log: Option<LogFile>,
    quiet: bool,
    verbose: bool,
}

impl Reporter {
    /// Open the log file at `path` (if any). A path unsafe to use is refused
    /// with one message on standard error, and the run goes on without a log.
    pub fn open(path: Option<&Path>, quiet: bool, verbose: bool) -> Reporter {
        let log = path.and_then(|path| LogFile::open(path).inspect_err(|e| log_warning(&e.to_string())).ok());
        Reporter { log, quiet, verbose }
    }

    /// An error: always on standard error, and in the log. `lines[0]` is the
    /// headline, then detail lines (each escaped on its own: input cannot add one).
    pub fn error(&self, lines: &[impl AsRef<str>]) {
        self.record(Level::Error, lines, true);
    }

    /// A warning: on standard error unless `--quiet`, always in the log.
    pub fn warning(&self, message: &str) {
        self.record(Level::Warning, &[message], !self.quiet);
    }

    /// A record for the log only: an error clap has already printed in its
    /// own layout, a KRM warning that travels as a `result`, a fact.
    pub fn to_log(&self, level: Level, lines: &[impl AsRef<str>]) {
        self.record(level, lines, false);
    }

    /// The change summary and the plan it carried out: in the log always,
    /// on standard error with `--verbose`.
    pub fn summary(&self, report: &Report, plan: &Plan) {
        if !self.verbose && self.log.is_none() {
            // Nobody reads it: a large plan takes a while to format.
            return;
        }
        let mut lines = summary_lines(report);
        // The plan's document names are escaped where made (`describe`).
        lines.extend(plan.to_string().lines().map(str::to_owned));
        self.record(Level::Summary, &lines, self.verbose);
    }

    fn record(&self, level: Level, lines: &[impl AsRef<str>], to_stderr: bool) {
        let escaped: Vec<Cow<'_, str>> = lines.iter().map(|l| escape_controls(l.as_ref().trim_end())).collect();
        if to_stderr {
            // `workflow-registry: LEVEL: headline`, detail lines as they are; the summary's headline has no level.
            let label = if level == Level::Summary { "" } else { level.label() };
            let colon = if label.is_empty() { "" } else { ": " };
            write_stderr(&format!("workflow-registry: {label}{colon}{}\n", escaped.join("\n")));
        }
        if let Some(log) = &self.log {
            if let Err(e) = log.append(level.label(), &escaped) {
                log_warning(&format!("cannot write the log file {}: {e}", log.path));
            }
        }
    }
}

/// The summary: a headline, then one line per change, each escaped on its
/// own (it names a document from the input).
fn summary_lines(report: &Report) -> Vec<String> {
    let ns = report.namespace.as_deref().unwrap_or("(unset: the release namespace)");
    let (location, source) = (&report.location, &report.namespace_source);
    let mut lines = vec![format!("location {location}, namespace {ns} ({source})")];
    lines.extend(report.notes.iter().map(|n| format!("  note: {}", escape_controls(n))));
    for (label, items) in report.changes() {
        if items.is_empty() {
            lines.push(format!("  {label}: none"));
        }
        lines.extend(items.iter().map(|item| format!("  {label}: {}", escape_controls(item))));
    }
    lines
}

/// A warning about the log file itself: standard error is all there is.
fn log_warning(message: &str) {
    Reporter::open(None, false, false).warning(message);
}

/// Write to standard error, ignoring failure: a closed or full standard error
/// loses the diagnostic (the log still has it), never the run.
pub fn write_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// Why the log file (its absolute path, first) was not used.
#[derive(Debug, thiserror::Error)]
enum LogFileError {
    #[error("not writing the log file {0}: it is a symbolic link (refused: a link planted at that path could redirect the log onto another file)")]
    Symlink(String),
    #[error("not writing the log file {0}: it is {1}, not a regular file")]
    NotRegular(String, &'static str),
    #[error("not writing the log file {0}: it has {1} hard links (refused: a planted link could redirect the log onto another file)")]
    HardLinked(String, u64),
    #[error("cannot open the log file {0}: {1}")]
    Open(String, std::io::Error),
}

/// The log file, and the marker that tells this run's records from those of
/// concurrent runs (Helm releases appending to the same file).
struct LogFile {
    file: File,
    path: String,
    marker: String,
    /// After the first failed write the log is given up, with one message.
    failed: Cell<bool>,
}

impl LogFile {
    fn open(path: &Path) -> Result<LogFile, LogFileError> {
        let shown = crate::files::absolute(path).display().to_string();
        // Append-only, created 0600, never through a symlink in the last
        // component, and non-blocking so that a FIFO planted at the path cannot
        // hang the run (it is refused after the open).
        let opened = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path);
        // Name what is there, not the errno it caused (EISDIR, ENXIO, ELOOP):
        // on the open descriptor, or at the path when the open failed.
        let meta = match &opened {
            Ok(file) => file.metadata(),
            Err(_) => std::fs::symlink_metadata(path),
        };
        let file = match (opened, meta) {
            (_, Ok(m)) if m.file_type().is_symlink() => return Err(LogFileError::Symlink(shown)),
            (_, Ok(m)) if !m.is_file() => return Err(LogFileError::NotRegular(shown, file_kind(&m.file_type()))),
            (Err(source), _) | (Ok(_), Err(source)) => return Err(LogFileError::Open(shown, source)),
            (Ok(_), Ok(m)) if m.nlink() > 1 => return Err(LogFileError::HardLinked(shown, m.nlink())),
            (Ok(file), Ok(_)) => file,
        };
        Ok(LogFile {
            file,
            path: shown,
            marker: format!("workflow-registry[{}] run={}", std::process::id(), run_id()),
            failed: Cell::new(false),
        })
    }

    /// One line per (escaped) record line, in a single `write` so that O_APPEND
    /// keeps a record together when runs overlap. Only the first failure is
    /// returned: the log is given up after it.
    fn append(&self, label: &str, lines: &[Cow<'_, str>]) -> std::io::Result<()> {
        if self.failed.get() {
            return Ok(());
        }
        let stamp = rfc3339_utc(SystemTime::now());
        let text: String = lines
            .iter()
            .map(|line| format!("{stamp} {} {label}: {line}\n", self.marker))
            .collect();
        (&self.file)
            .write_all(text.as_bytes())
            .inspect_err(|_| self.failed.set(true))
    }
}

/// A short random id per run: the pid alone repeats across reboots and containers.
fn run_id() -> String {
    use std::hash::BuildHasher;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let hash = std::collections::hash_map::RandomState::new().hash_one((now, std::process::id()));
    format!("{:08x}", hash as u32)
}

/// `2026-11-29T22:29:40.123Z`: RFC 3339 in UTC with milliseconds.
fn rfc3339_utc(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (y, mo, d, h, mi, s) = crate::verify::clock::civil(i64::try_from(since.as_secs()).unwrap_or(i64::MAX));
    let ms = since.subsec_millis();
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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

    #[test]
    fn timestamps_are_rfc3339_utc_on_known_dates() {
        let at = |secs: u64, millis: u64| rfc3339_utc(UNIX_EPOCH + Duration::from_millis(secs * 1000 + millis));
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 (a leap day of a century leap year), from `date -u -d @951782400`.
        assert_eq!(at(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        // 2026-11-29T22:29:40Z, from `date -u -d @1795991380`.
        assert_eq!(at(1_795_991_380, 999), "2026-11-29T22:29:40.999Z");
        // 2100-03-01 (2100 is not a leap year), from `date -u -d @4107542400`.
        assert_eq!(at(4_107_542_400, 0), "2100-03-01T00:00:00.000Z");
    }
}
