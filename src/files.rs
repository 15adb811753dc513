//! Every file the tool reads besides the manifest stream: bounded, typed and,
//! for `@path`s named in a config object, confined to its directory
//! (kustomize's load restrictor), so that a package cannot embed the
//! operator's files in the output Secret. Why each step: docs/configuration.md,
//! "Where a file named in a setting may come from".

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// What is read, and so how large it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A key file named by `@path` (`GCR_KEY_JSON=@key.json`): about 2.3 KiB.
    KeyFile,
    /// A params file, values file or config object: some tens of KiB.
    ConfigFile,
    /// `verify --ca-file`: a PEM bundle (the system's is about 200 KiB).
    CaFile,
    /// kustomize's legacy exec `argv[1]`, probed for our config object: a few settings.
    PluginArgument,
    /// The manifest stream: memory use is a small multiple of it (why 512 MiB: docs/security.md).
    Manifest,
}

impl Kind {
    /// The size limit in bytes, and what the file is, for messages.
    fn spec(self) -> (u64, &'static str) {
        match self {
            Kind::KeyFile => (64 << 10, "key file"),
            Kind::ConfigFile => (4 << 20, "config file"),
            Kind::CaFile => (4 << 20, "CA file"),
            Kind::PluginArgument => (1 << 20, "plugin config"),
            Kind::Manifest => (512 << 20, "manifest"),
        }
    }
}

/// Where relative paths start and how far they may go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Base {
    /// The operator's own choice (environment, flag): the current directory, anywhere.
    #[default]
    Anywhere,
    /// Named by a config object: confined to this canonical directory.
    Confined(PathBuf),
    /// Named by a config object, the load restrictor off: relative to this directory.
    RelativeTo(PathBuf),
}

impl Base {
    /// The confinement for paths named in a config file: `dir` when given,
    /// else the file's directory, else (standard input) the current directory
    /// (kustomize: the kustomization root; kpt: where kpt runs).
    pub fn for_config(config_file: Option<&Path>, dir: Option<&Path>) -> Result<Base, FileError> {
        let dir = match (dir, config_file) {
            (Some(dir), _) => absolute(dir),
            (None, Some(file)) => absolute(file).parent().unwrap_or(Path::new("/")).into(),
            (None, None) => current_dir(),
        };
        let root = std::fs::canonicalize(&dir).map_err(|e| unreadable(&dir, e))?;
        Ok(Base::Confined(root))
    }

    /// Keep the directory, lift the confinement (`--load-restrictor none`).
    pub fn unrestrict(&mut self) {
        if let Base::Confined(dir) = self {
            *self = Base::RelativeTo(std::mem::take(dir));
        }
    }
}

/// Why a file could not be read: every message names the absolute path
/// tried, or a refused path as written and the directory it had to stay in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {0}: {1}")]
    Unreadable(PathBuf, String),
    #[error("cannot read {0}: it is {1}, not a regular file")]
    NotRegular(PathBuf, &'static str),
    #[error("cannot read {0}: it is larger than the limit of {limit}", limit = limit(.1))]
    TooLarge(PathBuf, Kind),
    #[error("cannot read {0}: it is not UTF-8 text")]
    NotText(PathBuf),
    #[error(
        "refused to read {0:?}: a path named in a config file must be relative and stay inside {1} \
         ({2}); to allow it, run with --load-restrictor none or WORKFLOW_REGISTRY_LOAD_RESTRICTOR=none"
    )]
    Escapes(String, PathBuf, &'static str),
}

/// Read a text file named `written`, relative to `base`, within `kind`'s limit.
pub fn read(written: &str, base: &Base, kind: Kind) -> Result<String, FileError> {
    let path = match base {
        Base::Anywhere => absolute(Path::new(written)),
        Base::RelativeTo(dir) => dir.join(written),
        Base::Confined(root) => {
            let escapes = |why| FileError::Escapes(written.to_owned(), root.clone(), why);
            if Path::new(written).is_absolute() {
                return Err(escapes("an absolute path"));
            }
            return match open_beneath(root, written) {
                // cap-std's own refusal, not one of the operating system's.
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && e.raw_os_error().is_none() => {
                    Err(escapes("it, or a symbolic link on the way, leaves that directory"))
                }
                opened => read_text(&root.join(written), kind, opened),
            };
        }
    };
    read_text(&path, kind, open(&path))
}

/// `written` opened below `root`, never outside it.
fn open_beneath(root: &Path, written: &str) -> std::io::Result<File> {
    use cap_std::fs::OpenOptionsExt as _;
    let dir = cap_std::fs::Dir::open_ambient_dir(root, cap_std::ambient_authority())?;
    let mut options = cap_std::fs::OpenOptions::new();
    options.read(true).custom_flags(FLAGS);
    Ok(dir.open_with(written, &options)?.into_std())
}

/// Read a file the operator named (a flag, `argv[1]`): anywhere, bounded.
pub fn read_operator_file(path: &Path, kind: Kind) -> Result<String, FileError> {
    let path = absolute(path);
    read_text(&path, kind, open(&path))
}

/// The bytes of a regular file the operator named, bounded.
pub fn read_bytes(path: &Path, kind: Kind) -> Result<Vec<u8>, FileError> {
    let path = absolute(path);
    read_open(&path, kind, open(&path))
}

pub fn read_stdin(kind: Kind) -> Result<Vec<u8>, FileError> {
    let stdin = std::io::stdin();
    // A redirected file has a size: read it into one exact allocation.
    let size = {
        use std::os::fd::AsFd;
        let fd = stdin.as_fd().try_clone_to_owned().ok();
        let meta = fd.and_then(|fd| File::from(fd).metadata().ok());
        meta.filter(std::fs::Metadata::is_file).map_or(0, |m| m.len())
    };
    read_at_most(stdin.lock(), Path::new("standard input"), kind, size)
}

/// `1 MiB for a plugin config`, `64 KiB for a key file`.
fn limit(kind: &Kind) -> String {
    let (bytes, what) = kind.spec();
    if bytes >= 1 << 20 {
        format!("{} MiB for a {what}", bytes >> 20)
    } else {
        format!("{} KiB for a {what}", bytes >> 10)
    }
}

/// `path` made absolute, not canonicalised: as the operator would recognise
/// it in a message (under kustomize, relative to the kustomization root).
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| current_dir().join(path))
}

fn current_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

fn read_text(path: &Path, kind: Kind, file: std::io::Result<File>) -> Result<String, FileError> {
    let bytes = read_open(path, kind, file)?;
    String::from_utf8(bytes).map_err(|_| FileError::NotText(path.to_path_buf()))
}

fn unreadable(path: &Path, e: std::io::Error) -> FileError {
    FileError::Unreadable(path.to_path_buf(), e.to_string())
}

/// Opened non-blocking (a FIFO must not wait for a writer) and without
/// becoming the controlling terminal.
const FLAGS: i32 = libc::O_NONBLOCK | libc::O_NOCTTY;

fn open(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new().read(true).custom_flags(FLAGS).open(path)
}

/// Read an opened file, its type and size checked on the open descriptor (no
/// race) and the size again while reading (the file may grow).
fn read_open(path: &Path, kind: Kind, file: std::io::Result<File>) -> Result<Vec<u8>, FileError> {
    let file = file.map_err(|e| unreadable(path, e))?;
    let meta = file.metadata().map_err(|e| unreadable(path, e))?;
    if !meta.is_file() {
        return Err(FileError::NotRegular(path.to_path_buf(), file_kind(&meta.file_type())));
    }
    read_at_most(file, path, kind, meta.len())
}

/// Read `reader` to its end, refusing more than `kind`'s limit. `expected`
/// (the claimed size, or 0) gives one exact allocation and an early refusal.
fn read_at_most(reader: impl Read, path: &Path, kind: Kind, expected: u64) -> Result<Vec<u8>, FileError> {
    let limit = kind.spec().0;
    let too_large = || FileError::TooLarge(path.to_path_buf(), kind);
    if expected > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0).saturating_add(1));
    let mut reader = reader.take(limit.saturating_add(1));
    // A regular file ignores O_NONBLOCK, but standard input may have been left
    // non-blocking by whoever started us: wait for data, never a short read.
    while let Err(e) = reader.read_to_end(&mut bytes) {
        if e.kind() != std::io::ErrorKind::WouldBlock {
            return Err(unreadable(path, e));
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// What a file that is not a regular file is, in words.
pub fn file_kind(t: &std::fs::FileType) -> &'static str {
    use std::fs::FileType;
    use std::os::unix::fs::FileTypeExt;
    type Test = fn(&FileType) -> bool;
    let kinds: [(Test, &str); 6] = [
        (FileType::is_dir, "a directory"),
        (FileType::is_symlink, "a symbolic link"),
        (FileTypeExt::is_fifo, "a FIFO (named pipe)"),
        (FileTypeExt::is_char_device, "a character device"),
        (FileTypeExt::is_block_device, "a block device"),
        (FileTypeExt::is_socket, "a socket"),
    ];
    let found = kinds.iter().find(|(is, _)| is(t));
    found.map_or("not a regular file", |(_, what)| what)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("wr-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::canonicalize(dir).unwrap()
    }

    #[test]
    fn confined_paths_stay_inside_after_links() {
        let root = scratch("beneath");
        std::fs::create_dir_all(root.join("pkg/sub")).unwrap();
        std::fs::write(root.join("pkg/key.json"), "{}").unwrap();
        std::fs::write(root.join("outside.json"), "{}").unwrap();
        let pkg = root.join("pkg");
        std::os::unix::fs::symlink("../key.json", pkg.join("sub/up")).unwrap();
        std::os::unix::fs::symlink("../outside.json", pkg.join("out")).unwrap();
        std::os::unix::fs::symlink(root.join("outside.json"), pkg.join("abs")).unwrap();
        std::os::unix::fs::symlink(pkg.join("key.json"), pkg.join("abs-in")).unwrap();
        let base = Base::Confined(pkg.clone());
        assert_eq!(read("key.json", &base, Kind::KeyFile).unwrap(), "{}");
        assert_eq!(read("sub/../key.json", &base, Kind::KeyFile).unwrap(), "{}");
        assert_eq!(read("sub/up", &base, Kind::KeyFile).unwrap(), "{}");
        // An absolute link is refused even where it points inside: the
        // kernel resolves beneath the directory, where `/` is outside.
        for bad in ["../outside.json", "out", "abs", "abs-in", "sub/../../outside.json"] {
            let e = read(bad, &base, Kind::KeyFile).unwrap_err();
            assert!(matches!(e, FileError::Escapes { .. }), "{bad}: {e}");
        }
        let e = read(&root.join("outside.json").display().to_string(), &base, Kind::KeyFile).unwrap_err();
        assert!(e.to_string().contains("an absolute path"), "{e}");
        // Outside the root, a missing file and a present one give the same answer.
        let missing = read("../nope.json", &base, Kind::KeyFile).unwrap_err().to_string();
        let present = read("../outside.json", &base, Kind::KeyFile).unwrap_err().to_string();
        assert_eq!(
            missing.replace("nope", "X"),
            present.replace("outside", "X"),
            "no existence oracle"
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    proptest::proptest! {
        /// Whatever the path (any mix of names, `.`, `..` and links that
        /// point in, out, up or at themselves), what is read is the one
        /// file inside the root, never the one outside it.
        #[test]
        fn confined_reads_never_leave_the_root(parts in proptest::collection::vec(
            proptest::sample::select(vec!["a", "b", ".", "..", "in", "out", "up", "loop", "abs-out", "f"]), 0..8)
        ) {
            let root = fixture_tree();
            let written = parts.join("/");
            if let Ok(text) = read(&written, &Base::Confined(root), Kind::KeyFile) {
                proptest::prop_assert_eq!(text, "inside", "{}", written);
            }
        }
    }

    /// root/{a/{b/, f, in -> ../a, up -> .., out -> ../../x, loop -> loop, abs-out -> /etc}}
    fn fixture_tree() -> PathBuf {
        static TREE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
        TREE.get_or_init(|| {
            let base = scratch("prop");
            std::fs::write(base.join("x"), "outside").unwrap();
            let root = base.join("root");
            let a = root.join("a");
            std::fs::create_dir_all(a.join("b")).unwrap();
            std::fs::write(a.join("f"), "inside").unwrap();
            for dir in [&root, &a, &a.join("b")] {
                std::os::unix::fs::symlink("../a", dir.join("in")).unwrap();
                std::os::unix::fs::symlink("..", dir.join("up")).unwrap();
                std::os::unix::fs::symlink("../../x", dir.join("out")).unwrap();
                std::os::unix::fs::symlink("loop", dir.join("loop")).unwrap();
                std::os::unix::fs::symlink("/etc", dir.join("abs-out")).unwrap();
            }
            root
        })
        .clone()
    }

    #[test]
    fn a_fifo_is_refused_at_once_and_a_limit_holds_while_reading() {
        let root = scratch("fifo");
        let fifo = root.join("fifo");
        let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a node.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        // Without O_NONBLOCK this open would wait for a writer forever.
        let e = read_bytes(&fifo, Kind::KeyFile).unwrap_err();
        assert!(
            e.to_string().ends_with("it is a FIFO (named pipe), not a regular file"),
            "{e:?}"
        );
        // A source that claims nothing and never ends is cut at the limit.
        let (at, limit) = (Path::new("x"), Kind::KeyFile.spec().0);
        let too_large = |r| matches!(r, Err(FileError::TooLarge { .. }));
        assert!(too_large(read_at_most(std::io::repeat(b'x'), at, Kind::KeyFile, 0)));
        // A claimed size beyond the limit is refused before reading.
        assert!(too_large(read_at_most(&b""[..], at, Kind::KeyFile, limit + 1)));
        let full = vec![b'x'; limit as usize];
        assert_eq!(read_at_most(&full[..], at, Kind::KeyFile, limit).unwrap(), full);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn only_regular_files_within_the_limit() {
        let root = scratch("kinds");
        let e = read_operator_file(&root, Kind::ConfigFile).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        let e = read_operator_file(Path::new("/dev/zero"), Kind::KeyFile).unwrap_err();
        assert!(e.to_string().contains("a character device"), "{e}");
        let big = root.join("big");
        std::fs::write(&big, vec![b'x'; 64 * 1024 + 1]).unwrap();
        let e = read_operator_file(&big, Kind::KeyFile).unwrap_err();
        assert!(
            e.to_string().contains("larger than the limit of 64 KiB for a key file"),
            "{e}"
        );
        let e = read_operator_file(Path::new("relative-missing"), Kind::KeyFile).unwrap_err();
        assert!(
            e.to_string()
                .contains(&current_dir().join("relative-missing").display().to_string()),
            "absolute path named: {e}"
        );
        std::fs::remove_dir_all(root).unwrap();
    }
}
