//! Shared test helpers: the test configuration of each location (fake
//! credentials), fixtures, and a runner for the built binary.
#![allow(dead_code)]

pub mod charts;
pub mod cluster;
pub mod helm;
pub mod readme;
pub mod served;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use workflow_registry::config::{self, Settings};

pub const LOCATIONS: [&str; 4] = ["on-cluster", "off-cluster", "ecr", "gcr"];

/// A service-account key with a fake PEM: enough for validation, useless to anyone.
pub const GCR_KEY: &str = r#"{"type": "service_account", "project_id": "my-proj", "private_key_id": "abc123",
 "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEv-NOT-A-REAL-KEY\n-----END PRIVATE KEY-----\n",
 "client_email": "deis@my-proj.iam.gserviceaccount.com"}"#;

/// Secret values used by the test configurations: none may ever appear in
/// any output except inside the registry Secret (base64-encoded).
pub const SECRETS: [&str; 4] = [
    "s3cr3t-Passw0rd!",
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "MIIEv-NOT-A-REAL-KEY",
];

/// The environment of the test configuration for `location`.
pub fn location_env(location: &str) -> Vec<(&'static str, String)> {
    let mut env = vec![("REGISTRY_LOCATION", location.to_owned())];
    let more: Vec<(&'static str, &str)> = match location {
        "off-cluster" => vec![
            ("REGISTRY_HOSTNAME", "quay.io"),
            ("REGISTRY_ORGANIZATION", "myorg"),
            ("REGISTRY_USERNAME", "myorg+deployer"),
            ("REGISTRY_PASSWORD", SECRETS[0]),
        ],
        "ecr" => vec![
            ("ECR_ACCESS_KEY", SECRETS[1]),
            ("ECR_SECRET_KEY", SECRETS[2]),
            ("ECR_REGION", "eu-west-1"),
            ("ECR_REGISTRY_ID", "123456789012"),
        ],
        "gcr" => vec![("GCR_KEY_JSON", GCR_KEY)],
        _ => vec![],
    };
    env.extend(more.into_iter().map(|(k, v)| (k, v.to_owned())));
    env
}

/// Validated settings for `location`'s test configuration.
pub fn settings(location: &str) -> Settings {
    settings_from(&location_env(location))
}

pub fn settings_from(env: &[(&'static str, String)]) -> Settings {
    let lookup = |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
    let inputs = config::Inputs {
        env: Some(&lookup),
        ..config::Inputs::default()
    };
    config::validate(&config::resolve(&inputs))
        .expect("test configuration is valid")
        .0
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every fixture manifest, sorted.
pub fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("testdata/fixtures"))
        .expect("testdata/fixtures")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The built binary with a clean environment (nothing leaks in from the
/// developer's shell) plus `env`.
pub fn binary(env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_workflow-registry"));
    cmd.env_clear();
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Run with `stdin` as input.
pub fn run(cmd: &mut Command, stdin: &str) -> Output {
    let (child, writer) = start_with_input(cmd, stdin);
    let out = child.wait_with_output().unwrap();
    // The binary may refuse before reading it all: a failed write is its answer.
    let _ = writer.join().unwrap();
    out
}

/// Run with `stdin` as input and a deadline: a hang (a FIFO read) is a
/// failure, not a stuck suite.
pub fn run_within(cmd: &mut Command, stdin: &str, seconds: u64) -> Output {
    spawn_within(cmd, stdin.as_bytes(), None, None, Duration::from_secs(seconds)).output
}

/// What [`spawn_within`] saw: the output (what was captured) and how long
/// the run took.
pub struct Finished {
    pub output: Output,
    pub elapsed: Duration,
}

/// Spawn `cmd` with `stdin` as input, stdout and stderr as given (None:
/// captured, drained while it runs), and kill it after `limit`: a hang is a
/// failure, not a stuck suite.
pub fn spawn_within(
    cmd: &mut Command,
    stdin: &[u8],
    stdout: Option<Stdio>,
    stderr: Option<Stdio>,
    limit: Duration,
) -> Finished {
    use std::io::{Read, Write};
    let start = Instant::now();
    let capture_out = stdout.is_none();
    let capture_err = stderr.is_none();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(stdout.unwrap_or_else(Stdio::piped))
        .stderr(stderr.unwrap_or_else(Stdio::piped))
        .spawn()
        .expect("spawn the binary");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .filter(|_| capture_out)
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .filter(|_| capture_err)
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the run did not finish within {limit:?} (hung, on a file read?)");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    writer.join().unwrap();
    Finished {
        output: Output {
            status,
            stdout: out.join().unwrap(),
            stderr: err.join().unwrap(),
        },
        elapsed,
    }
}

/// Spawn with piped standard streams; a thread writes `stdin` (so that a
/// child that does not read cannot block the test on a full pipe).
fn start_with_input(
    cmd: &mut Command,
    stdin: &str,
) -> (std::process::Child, std::thread::JoinHandle<std::io::Result<()>>) {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the binary");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.as_bytes().to_vec();
    let writer = std::thread::spawn(move || {
        let written = input.write_all(&data);
        drop(input);
        written
    });
    (child, writer)
}

/// The whole documents of a stream's text, without their `---` lines (a
/// line of `---` alone or followed by a space starts a document).
pub fn document_texts(stream: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in stream.split_inclusive('\n') {
        if line.starts_with("---") && matches!(line.as_bytes().get(3), None | Some(b'\n' | b' ' | b'\r')) {
            docs.push(String::new());
        } else if let Some(doc) = docs.last_mut() {
            doc.push_str(line);
        }
    }
    docs
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Compare with a golden file; `UPDATE_GOLDEN=1` rewrites it instead (then
/// review the diff before committing). Under CI it refuses: a rewrite there
/// would make every golden test pass without comparing anything.
pub fn assert_golden(path: &Path, actual: &str) {
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| !v.is_empty()) {
        assert!(
            !under_ci(),
            "UPDATE_GOLDEN is set under CI: golden files are rewritten only on a developer's machine, then reviewed"
        );
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}: run with UPDATE_GOLDEN=1 and review it",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output, first at line {}:\n  expected: {:?}\n  actual:   {:?}\n(UPDATE_GOLDEN=1 rewrites it; review the diff)",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

/// Whether this run is CI's: `CI` set to anything but empty, `false` or `0`
/// (CI services say `true`, `1`, `yes`, or a provider's name). Under CI a
/// test that cannot run is a failure, never a skip.
pub fn under_ci() -> bool {
    ci_says_strict(std::env::var("CI").ok().as_deref())
}

/// The rule behind [`under_ci`], on a given value of `CI`.
pub fn ci_says_strict(ci: Option<&str>) -> bool {
    ci.map(str::trim)
        .is_some_and(|v| !v.is_empty() && !v.eq_ignore_ascii_case("false") && v != "0")
}

/// A test that cannot run for lack of `what`: a failure under CI; otherwise
/// a skip that stays visible. It is appended to `target/test-skips.txt`
/// (scripts/test empties it first and lists it at the end, after cargo's own
/// summary, which counts a skipped test as passed) and printed on stderr.
pub fn skip(test: &str, what: &str, remedy: &str) {
    if under_ci() {
        panic!("{test}: {what} (CI is set: a test that cannot run is a failure); {remedy}");
    }
    let line = format!("{test}: {what}; {remedy}\n");
    let list = std::env::var_os("WR_SKIPS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/test-skips.txt"));
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&list)
        .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
    if let Err(e) = written {
        eprintln!("cannot record the skip in {}: {e}", list.display());
    }
    eprint!("SKIPPED {line}");
}

/// The name of the running test (the thread's name under the default harness).
pub fn test_name() -> String {
    std::thread::current().name().unwrap_or("a test").to_owned()
}

/// A real peer the tests run against (built by scripts/setup-peers.sh into
/// target/peers). Missing: a failure under CI, a recorded skip otherwise.
pub fn peer(relative: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("WR_PEERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/peers"));
    let path = dir.join(relative);
    if path.exists() {
        return Some(path);
    }
    skip(
        &test_name(),
        &format!("peer {} is missing", path.display()),
        "run scripts/setup-peers.sh",
    );
    None
}

/// A tool expected on PATH (kubectl, kpt, gpg), with the same missing-peer rule.
pub fn tool_on_path(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|p| p.is_file()))
        .unwrap_or_default();
    if found.is_none() {
        skip(
            &test_name(),
            &format!("{name} is not on PATH"),
            "run scripts/setup-peers.sh",
        );
    }
    found
}

/// Each document as the API server decodes it (through the k8sjson peer),
/// keyed by kind/namespace/name.
pub fn k8s_decode(k8sjson: &Path, yaml: &str) -> Vec<(String, serde_json::Value)> {
    let out = run_k8sjson(k8sjson, yaml);
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            assert!(!line.starts_with("ERROR"), "Kubernetes cannot decode: {line}\n{yaml}");
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let key = format!(
                "{}/{}/{}",
                v["kind"].as_str().unwrap_or(""),
                v["metadata"]["namespace"].as_str().unwrap_or(""),
                v["metadata"]["name"].as_str().unwrap_or("")
            );
            (key, v)
        })
        .collect()
}

/// Run the k8sjson peer (Kubernetes' YAML decoder) on `yaml`: it prints one
/// line per document, its JSON or `ERROR ...`. The whole input is written.
pub fn run_k8sjson(k8sjson: &Path, yaml: &str) -> Output {
    let (child, writer) = start_with_input(&mut Command::new(k8sjson), yaml);
    let out = child.wait_with_output().expect("k8sjson output");
    writer.join().expect("writer").expect("write to k8sjson");
    out
}

/// A fresh scratch directory of its own for each call: tests run in
/// parallel, and two calls with the same name (one helper used by several
/// tests) must not remove each other's files.
pub fn scratch(name: &str) -> PathBuf {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("wr-{name}-{}-{call}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Put the built binary at `dest` for a test that runs it from there: a hard
/// link where possible, never a copy written while other test threads fork
/// (a child between fork and exec would hold the half-written copy open, and
/// running it would fail with "text file busy").
pub fn place_binary(dest: &Path) {
    let bin = Path::new(env!("CARGO_BIN_EXE_workflow-registry"));
    if std::fs::hard_link(bin, dest).is_err() {
        std::os::unix::fs::symlink(bin, dest).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
    }
}

/// A named pipe at `path` (opening it for reading blocks until a writer
/// comes: what the tool must never do).
pub fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
}

/// Copy the directory tree `from` to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        }
    }
}
