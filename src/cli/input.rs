//! Reading what the process is given: the manifest (standard input or
//! `-f FILE`) and the legacy exec config file that kustomize passes as
//! `argv[1]`. Every read is bounded, every named file must be a regular file
//! (checked after a non-blocking open, so a FIFO cannot hang the run), and
//! every "cannot read" message names the absolute path that was tried.

use std::fs::File;
use std::io::Read;
use std::path::Path;

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
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// What a non-regular file is, in words.
pub fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    if t.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// Read a regular file of at most `limit` bytes: the type and size are
/// checked at once after opening, and the size again while reading (the
/// file may grow meanwhile).
pub fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let shown = || absolute_display(path);
    let io = |source| ReadError::Io { path: shown(), source };
    let file = open_non_blocking(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular {
            path: shown(),
            kind: file_kind(&meta),
        });
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge { path: shown(), limit });
    }
    let expected = usize::try_from(meta.len()).unwrap_or(0);
    read_bounded(file, limit, expected).map_err(|e| match e {
        Bounded::Io(source) => io(source),
        Bounded::TooLarge => ReadError::TooLarge { path: shown(), limit },
    })
}

/// Read standard input, at most `limit` bytes.
pub fn read_stdin(limit: u64) -> Result<Vec<u8>, ReadError> {
    let stdin = std::io::stdin();
    // A redirected file has a size: read it into one exact allocation
    // instead of growing (and copying) a buffer by doubling.
    let size = {
        use std::os::fd::AsFd;
        stdin
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .and_then(|fd| File::from(fd).metadata().ok())
            .filter(std::fs::Metadata::is_file)
            .map_or(0, |m| m.len())
    };
    let path = || "standard input".to_owned();
    if size > limit {
        return Err(ReadError::TooLarge { path: path(), limit });
    }
    read_bounded(stdin.lock(), limit, usize::try_from(size).unwrap_or(0)).map_err(|e| match e {
        Bounded::Io(source) => ReadError::Io { path: path(), source },
        Bounded::TooLarge => ReadError::TooLarge { path: path(), limit },
    })
}

enum Bounded {
    Io(std::io::Error),
    TooLarge,
}

fn read_bounded(reader: impl Read, limit: u64, expected: usize) -> Result<Vec<u8>, Bounded> {
    let mut buf = Vec::with_capacity(expected.saturating_add(1));
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(Bounded::Io)?;
    if buf.len() as u64 > limit {
        return Err(Bounded::TooLarge);
    }
    Ok(buf)
}

/// Opening a FIFO for reading blocks until a writer appears; O_NONBLOCK
/// makes the open return at once so that the type check can refuse it.
/// (Regular files ignore the flag when read.)
#[cfg(unix)]
fn open_non_blocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_non_blocking(path: &Path) -> std::io::Result<File> {
    File::open(path)
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

    #[test]
    fn the_limit_is_enforced_while_reading_too() {
        let err = read_bounded(std::io::repeat(b'x'), 1000, 0);
        assert!(matches!(err, Err(Bounded::TooLarge)));
        let ok = read_bounded(&b"abc"[..], 3, 0);
        assert!(matches!(ok, Ok(v) if v == b"abc"));
    }
}
