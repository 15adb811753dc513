//! Reading what the process is given: the manifest (standard input or
//! `-f FILE`) and the legacy exec config file that kustomize passes as
//! `argv[1]`. Every read is bounded, every named file must be a regular file
//! (checked after a non-blocking open, so a FIFO cannot hang the run), and
//! every "cannot read" message names the absolute path that was tried. The
//! reading itself is [`crate::files`]'s; this module words it for the
//! manifest and says how large each may be.

use std::path::Path;

use crate::files::{self, Refused};

/// The largest manifest stream read (512 MiB): 15 times the 50,000-document
/// benchmark stream (34 MB), far beyond any rendered chart (Helm keeps a
/// release in one Secret of at most 1 MiB, compressed). Memory use is a
/// small multiple of the input, so a bound keeps `cat /dev/zero |` from
/// exhausting the machine.
pub const MANIFEST_LIMIT: u64 = 512 << 20;

/// The largest legacy exec config file probed (1 MiB): it holds a handful
/// of settings.
pub const CONFIG_PROBE_LIMIT: u64 = 1 << 20;

/// Why a file or stream could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("cannot read {path}: it is {kind}, not a regular file")]
    NotRegular { path: String, kind: &'static str },
    #[error("cannot read {path}: it is larger than the limit of {limit} MiB", limit = limit >> 20)]
    TooLarge { path: String, limit: u64 },
}

impl ReadError {
    /// The path's fault (what was named) rather than the content's (what was in it).
    pub fn is_about_the_path(&self) -> bool {
        !matches!(self, ReadError::TooLarge { .. })
    }
}

/// `path` made absolute against the working directory, for messages: under
/// kustomize the working directory is the kustomization root, which the
/// operator may not expect.
pub fn absolute_display(path: &Path) -> String {
    files::absolute(path).display().to_string()
}

/// Read a regular file of at most `limit` bytes (the one bounded read of
/// [`files::read_regular_file`], worded for the manifest and `argv[1]`).
pub fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    files::read_regular_file(path, limit).map_err(|refused| worded(refused, absolute_display(path), limit))
}

/// Read standard input, at most `limit` bytes.
pub fn read_stdin(limit: u64) -> Result<Vec<u8>, ReadError> {
    let stdin = std::io::stdin();
    // A redirected file has a size: read it into one exact allocation.
    let size = {
        use std::os::fd::AsFd;
        stdin
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .and_then(|fd| std::fs::File::from(fd).metadata().ok())
            .filter(std::fs::Metadata::is_file)
            .map_or(0, |m| m.len())
    };
    files::read_at_most(stdin.lock(), limit, size)
        .map_err(|refused| worded(refused, "standard input".to_owned(), limit))
}

fn worded(refused: Refused, path: String, limit: u64) -> ReadError {
    match refused {
        Refused::Io(source) => ReadError::Io { path, source },
        Refused::NotRegular(kind) => ReadError::NotRegular { path, kind },
        Refused::TooLarge => ReadError::TooLarge { path, limit },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("wr-input-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_regular_file_within_the_limit_is_read_whole() {
        let dir = scratch("ok");
        let path = dir.join("m.yaml");
        std::fs::write(&path, "kind: A\n").unwrap();
        assert_eq!(read_regular_file(&path, 8).unwrap(), b"kind: A\n");
        assert!(matches!(read_regular_file(&path, 7), Err(ReadError::TooLarge { .. })));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_directory_is_refused_naming_its_absolute_path() {
        let dir = scratch("dir");
        let e = read_regular_file(&dir, 1 << 20).unwrap_err();
        assert!(
            matches!(
                e,
                ReadError::NotRegular {
                    kind: "a directory",
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains(&dir.display().to_string()), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
