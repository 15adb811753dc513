//! The log file (`--log-file` / `WORKFLOW_REGISTRY_LOG`): opened without
//! following a symlink, only when it is a regular file with one link,
//! created with mode 0600, appended to one timestamped record per line.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::Write as _;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::files::file_kind;

/// Why the log file was not used.
#[derive(Debug, thiserror::Error)]
pub enum LogFileError {
    #[error("not writing the log file {path}: it is a symbolic link (refused: a link planted at that path could redirect the log onto another file)")]
    Symlink { path: String },
    #[error("not writing the log file {path}: it is {kind}, not a regular file")]
    NotRegular { path: String, kind: &'static str },
    #[error("not writing the log file {path}: it has {links} hard links (refused: a planted link could redirect the log onto another file)")]
    HardLinked { path: String, links: u64 },
    #[error("cannot open the log file {path}: {source}")]
    Open { path: String, source: std::io::Error },
}

/// The log file of this run, and the marker that tells its records from
/// those of other runs (concurrent Helm releases append to the same file).
pub struct LogFile {
    file: File,
    path: String,
    marker: String,
    /// After the first failed write the log is given up, with one message.
    failed: Cell<bool>,
}

impl LogFile {
    pub fn open(path: &Path) -> Result<LogFile, LogFileError> {
        let shown = crate::files::absolute(path).display().to_string();
        let file = open_append_no_follow(path).map_err(|e| {
            // Name what is there rather than the errno it caused (EISDIR,
            // ENXIO for a FIFO without a reader, ELOOP for a symlink).
            match std::fs::symlink_metadata(path) {
                Ok(m) if m.file_type().is_symlink() => LogFileError::Symlink { path: shown.clone() },
                Ok(m) if !m.is_file() => LogFileError::NotRegular {
                    path: shown.clone(),
                    kind: file_kind(&m.file_type()),
                },
                _ => LogFileError::Open {
                    path: shown.clone(),
                    source: e,
                },
            }
        })?;
        let meta = file.metadata().map_err(|source| LogFileError::Open {
            path: shown.clone(),
            source,
        })?;
        if !meta.is_file() {
            return Err(LogFileError::NotRegular {
                path: shown,
                kind: file_kind(&meta.file_type()),
            });
        }
        if let Some(links) = hard_links(&meta).filter(|&n| n > 1) {
            return Err(LogFileError::HardLinked { path: shown, links });
        }
        Ok(LogFile {
            file,
            path: shown,
            marker: format!("workflow-registry[{}] run={}", std::process::id(), run_id()),
            failed: Cell::new(false),
        })
    }

    /// One line per record line, all written with a single `write` so that
    /// O_APPEND keeps the lines of one record together when runs overlap.
    /// `lines` are already escaped. Only the first failure is returned: after
    /// it the log is given up for the rest of the run.
    pub fn append(&self, label: &str, lines: &[Cow<'_, str>]) -> std::io::Result<()> {
        if self.failed.get() {
            return Ok(());
        }
        let stamp = rfc3339_utc(SystemTime::now());
        let mut text = String::new();
        for line in lines {
            let _ = writeln!(text, "{stamp} {} {label}: {line}", self.marker);
        }
        (&self.file)
            .write_all(text.as_bytes())
            .inspect_err(|_| self.failed.set(true))
    }

    /// The absolute path, for messages.
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// Append-only, created 0600, never through a symlink in the last
/// component, and non-blocking so that a FIFO planted at the path cannot
/// hang the run (it is refused after the open).
#[cfg(unix)]
fn open_append_no_follow(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_append_no_follow(path: &Path) -> std::io::Result<File> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(std::io::Error::from(std::io::ErrorKind::InvalidInput));
    }
    std::fs::OpenOptions::new().append(true).create(true).open(path)
}

#[cfg(unix)]
fn hard_links(meta: &std::fs::Metadata) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    Some(meta.nlink())
}

#[cfg(not(unix))]
fn hard_links(_meta: &std::fs::Metadata) -> Option<u64> {
    None
}

/// A short random id per run: the pid alone repeats across reboots and containers.
fn run_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.write_u32(std::process::id());
    format!("{:08x}", h.finish() as u32)
}

/// `2026-11-29T22:29:40.123Z`: RFC 3339 in UTC with milliseconds.
pub fn rfc3339_utc(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (y, mo, d, h, mi, s) = crate::verify::clock::civil(i64::try_from(since.as_secs()).unwrap_or(i64::MAX));
    format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z",
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
