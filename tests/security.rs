//! Hostile I/O: each test runs the attack itself against the built binary
//! (a symlink planted at the log path, a forged log line, a FIFO or device
//! where a file is expected, an endless stdin, a full or closed stdout and
//! stderr) and checks the documented outcome (docs/security.md).

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::{binary, location_env, mkfifo, run, scratch, text, SECRETS};

const BUILDER: &str = "---\n# Source: wf/templates/builder.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-builder\n  namespace: deis\nspec:\n  template:\n    spec:\n      containers:\n      - name: deis-builder\n        env:\n        - name: DEIS_REGISTRY_LOCATION\n          value: \"on-cluster\"\n";

/// The warning every non-on-cluster run gives (Workflow's contract).
const PORT_WARNING: &str = "every app needs `deis config:set PORT=<port>`";

/// The ecr configuration: its run warns (PORT) and configures the builder.
fn ecr_env() -> Vec<(&'static str, String)> {
    location_env("ecr")
}

struct Ran {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

/// [`common::spawn_within`], its output as text.
fn spawn(cmd: &mut Command, stdin: &[u8], stdout: Option<Stdio>, stderr: Option<Stdio>, limit: Duration) -> Ran {
    let run = common::spawn_within(cmd, stdin, stdout, stderr, limit);
    Ran {
        status: run.output.status,
        stdout: text(&run.output.stdout),
        stderr: text(&run.output.stderr),
        elapsed: run.elapsed,
    }
}

/// The binary under a 4 GB address-space cap (`ulimit -v`), so that a
/// binary without its bounds cannot take the machine; a clean environment
/// plus `env`. `tail` is shell text after the binary: redirections, or
/// `"$@"` for the arguments the caller adds.
fn capped(tail: &str, env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v 4000000; exec \"$0\" {tail}"))
        .arg(env!("CARGO_BIN_EXE_workflow-registry"))
        .env_clear();
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

const LIMIT: Duration = Duration::from_secs(20);

/// No panic message, no panic exit status (101), no abort.
fn assert_no_panic(what: &str, ran: &Ran) {
    assert!(!ran.stderr.contains("panicked"), "{what}: {}", ran.stderr);
    assert!(
        ran.status.code().is_some(),
        "{what}: killed by a signal: {:?}",
        ran.status
    );
    assert_ne!(ran.status.code(), Some(101), "{what}: panicked");
}

/// The write end of a pipe whose read end is already closed: every write
/// fails with EPIPE, deterministically (no race with a `head` that exits).
fn closed_pipe() -> Stdio {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: pipe() fills two fresh descriptors that we then own.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: both descriptors were just created and are owned here only.
    let (read, write) = unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) };
    drop(read);
    Stdio::from(write)
}

fn dev_full() -> Stdio {
    Stdio::from(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full"),
    )
}

/// One log line: `2026-11-29T22:29:40.123Z workflow-registry[PID] run=ID LEVEL: text`.
/// Returns (run marker, level, text), or None if the line is not a record.
fn parse_record(line: &str) -> Option<(String, String, String)> {
    let (stamp, rest) = line.split_once(' ')?;
    let b = stamp.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    let shape = b.len() == 24
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..23)
        && b[23] == b'Z';
    if !shape {
        return None;
    }
    let (program, rest) = rest.split_once(' ')?;
    let pid = program.strip_prefix("workflow-registry[")?.strip_suffix(']')?;
    pid.parse::<u32>().ok()?;
    let (run, rest) = rest.split_once(' ')?;
    let id = run.strip_prefix("run=")?;
    if id.len() != 8 || !id.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let (level, message) = rest.split_once(": ")?;
    if !["error", "warning", "summary", "info"].contains(&level) {
        return None;
    }
    Some((program.to_owned() + " " + run, level.to_owned(), message.to_owned()))
}

/// Every line of the log must be one record (nothing a manifest injected).
fn records(log: &str) -> Vec<(String, String, String)> {
    log.lines()
        .map(|l| parse_record(l).unwrap_or_else(|| panic!("not a log record: {l:?}\n--- log\n{log}")))
        .collect()
}

// ---- 1. the log file ----------------------------------------------------

#[test]
fn log_file_is_created_0600_with_one_timestamped_record_per_line_run_after_run() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("log-format");
    let log = dir.join("wr.log");
    let mut env = ecr_env();
    env.push(("WORKFLOW_REGISTRY_LOG", log.display().to_string()));
    let first = run(&mut binary(&env), BUILDER);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a new log file is private to its owner");

    let bad = env
        .iter()
        .filter(|(k, _)| *k != "ECR_REGION")
        .cloned()
        .collect::<Vec<_>>();
    let mut bad = bad;
    bad.push(("ECR_REGION", "mars-1".into()));
    let second = run(&mut binary(&bad), BUILDER);
    assert_eq!(second.status.code(), Some(2));

    let logged = std::fs::read_to_string(&log).unwrap();
    let recs = records(&logged);
    let runs: Vec<&String> = recs.iter().map(|(r, _, _)| r).collect();
    let first_run = runs[0];
    let switch = runs.iter().position(|r| *r != first_run).expect("two runs in the log");
    assert!(
        runs[switch..].iter().all(|r| *r == runs[switch]),
        "one run after another: {logged}"
    );
    assert!(
        recs[..switch]
            .iter()
            .any(|(_, l, m)| l == "warning" && m.contains(PORT_WARNING)),
        "{logged}"
    );
    assert!(
        recs[..switch]
            .iter()
            .any(|(_, l, m)| l == "summary" && m.contains("location ecr, namespace deis")),
        "{logged}"
    );
    assert!(
        recs[switch..]
            .iter()
            .any(|(_, l, m)| l == "error" && m.contains("ECR_REGION")),
        "{logged}"
    );
    for s in SECRETS {
        assert!(!logged.contains(s), "the log leaks a secret");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_symlink_planted_at_the_log_path_is_refused_and_the_work_is_still_done() {
    let dir = scratch("log-symlink");
    let victim = dir.join("victim.conf");
    std::fs::write(&victim, "precious\n").unwrap();
    let planted = dir.join("wr.log");
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    // A dangling link too: following it would create a file of the attacker's choosing.
    let dangling = dir.join("dangling.log");
    let created = dir.join("created-by-the-tool");
    std::os::unix::fs::symlink(&created, &dangling).unwrap();

    let expected = run(&mut binary(&ecr_env()), BUILDER);
    for link in [&planted, &dangling] {
        let mut env = ecr_env();
        env.push(("WORKFLOW_REGISTRY_LOG", link.display().to_string()));
        let out = run(&mut binary(&env), BUILDER);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(out.stdout, expected.stdout, "the work is still done");
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!(
                "not writing the log file {}: it is a symbolic link",
                link.display()
            )),
            "{err}"
        );
        assert!(err.contains(PORT_WARNING), "the warnings still reach stderr: {err}");
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(!created.exists(), "a dangling link's target was created");
    std::fs::remove_dir_all(dir).unwrap();
}

/// `verify`'s CA file is read as every other file is: bounded, and never a
/// FIFO or a device (which would hang `helm install` under
/// `WORKFLOW_REGISTRY_VERIFY`, or fill the memory with `/dev/zero`).
#[test]
fn a_ca_file_that_is_a_fifo_a_device_or_a_directory_is_refused_without_hanging() {
    let dir = scratch("ca-nonregular");
    let fifo = dir.join("ca.pem");
    mkfifo(&fifo);
    let env = [
        ("REGISTRY_LOCATION", "off-cluster".to_owned()),
        ("REGISTRY_HOSTNAME", "127.0.0.1:9".to_owned()),
        ("REGISTRY_ORGANIZATION", "team".to_owned()),
        ("REGISTRY_USERNAME", "user".to_owned()),
        ("REGISTRY_PASSWORD", "pass".to_owned()),
    ];
    for (path, kind) in [
        (fifo.as_path(), "it is a FIFO (named pipe), not a regular file"),
        (Path::new("/dev/zero"), "it is a character device, not a regular file"),
        (dir.as_path(), "it is a directory, not a regular file"),
    ] {
        let ran = spawn(
            binary(&env).args(["verify", "--ca-file"]).arg(path),
            b"",
            None,
            None,
            LIMIT,
        );
        assert_no_panic(kind, &ran);
        assert_eq!(ran.status.code(), Some(2), "{kind}: {}", ran.stderr);
        assert!(ran.stdout.is_empty());
        let said = format!("the CA file: cannot read {}: {kind}", path.display());
        assert!(ran.stderr.contains(&said), "{}", ran.stderr);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_fifo_a_directory_or_a_hard_link_at_the_log_path_is_refused_without_hanging() {
    let dir = scratch("log-nonregular");
    let fifo = dir.join("fifo.log");
    mkfifo(&fifo);
    let directory = dir.join("dir.log");
    std::fs::create_dir(&directory).unwrap();
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let hard = dir.join("hard.log");
    std::fs::hard_link(&victim, &hard).unwrap();

    // Someone reads the FIFO: without the type check the log would go to them.
    let fifo_reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags_nonblock()
                .open(&fifo)
                .unwrap();
            let mut got = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                let mut buf = [0u8; 4096];
                match std::io::Read::read(&mut f, &mut buf) {
                    Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
                    _ => std::thread::sleep(Duration::from_millis(20)),
                }
            }
            got
        })
    };
    std::thread::sleep(Duration::from_millis(100));

    for (path, kind) in [
        (&fifo, "it is a FIFO (named pipe), not a regular file"),
        (&directory, "it is a directory, not a regular file"),
        (&hard, "it has 2 hard links"),
    ] {
        let mut env = ecr_env();
        env.push(("WORKFLOW_REGISTRY_LOG", path.display().to_string()));
        let out = spawn(&mut binary(&env), BUILDER.as_bytes(), None, None, LIMIT);
        assert_eq!(out.status.code(), Some(0), "{kind}: {}", out.stderr);
        assert!(out.stdout.contains("value: \"ecr\""), "{kind}: the work is done");
        assert!(
            out.stderr
                .contains(&format!("not writing the log file {}: {kind}", path.display())),
            "{}",
            out.stderr
        );
    }
    assert!(
        fifo_reader.join().unwrap().is_empty(),
        "nothing was written into the FIFO"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    std::fs::remove_dir_all(dir).unwrap();
}

trait NonBlock {
    fn custom_flags_nonblock(&mut self) -> &mut Self;
}

impl NonBlock for std::fs::OpenOptions {
    fn custom_flags_nonblock(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NONBLOCK)
    }
}

/// A `# Source:` comment is the chart author's text: a lone CR and ESC
/// sequences in it must not start a new (forged) line in the log, nor
/// repaint the operator's terminal.
#[test]
fn a_manifest_cannot_forge_log_lines_or_terminal_output() {
    let dir = scratch("forge");
    let log = dir.join("wr.log");
    let forged = "---\n# Source: wf/a.yaml\r2026-01-01T00:00:00.000Z workflow-registry[1] run=00000000 error: FORGED\u{1b}[2K\u{1b}]0;title\u{7}\u{2028}x\nkind: Deployment\nmetadata:\n  name: deis-builder\nx: [\n";
    let mut env = ecr_env();
    env.push(("WORKFLOW_REGISTRY_LOG", log.display().to_string()));
    let out = run(&mut binary(&env), forged);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    let logged = std::fs::read_to_string(&log).unwrap();
    for (what, s) in [("stderr", &err), ("log", &logged)] {
        let bad: Vec<char> = s
            .chars()
            .filter(|&c| (c.is_control() && c != '\n') || c == '\u{2028}')
            .collect();
        assert!(bad.is_empty(), "{what} carries raw control characters {bad:?}: {s:?}");
        assert!(s.contains("FORGED"), "{what} still shows the text, escaped: {s}");
    }
    assert_eq!(err.lines().count(), 1, "one error, one line: {err}");
    let recs = records(&logged);
    assert_eq!(recs.len(), 1, "{logged}");
    assert!(recs[0].2.contains("wf/a.yaml\\r2026-01-01"), "{logged}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_empty_workflow_registry_log_means_no_log_file() {
    let mut env = ecr_env();
    env.push(("WORKFLOW_REGISTRY_LOG", String::new()));
    let out = run(&mut binary(&env), BUILDER);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("value: \"ecr\""));
    assert!(!text(&out.stderr).contains("log"), "{}", text(&out.stderr));
}

// ---- 2. warnings where the operator looks -------------------------------

#[test]
fn warnings_and_the_summary_go_to_the_log_and_quiet_silences_only_stderr() {
    let dir = scratch("quiet");
    let log = dir.join("wr.log");
    let mut env = ecr_env();
    env.push(("WORKFLOW_REGISTRY_LOG", log.display().to_string()));
    let loud = run(&mut binary(&ecr_env()), BUILDER);
    let quiet = run(binary(&env).arg("--quiet"), BUILDER);
    assert!(quiet.status.success(), "{}", text(&quiet.stderr));
    assert_eq!(quiet.stdout, loud.stdout, "diagnostics never go into the manifest");
    assert!(text(&loud.stderr).contains(PORT_WARNING));
    assert!(quiet.stderr.is_empty(), "--quiet: {}", text(&quiet.stderr));
    let logged = std::fs::read_to_string(&log).unwrap();
    let recs = records(&logged);
    assert!(
        recs.iter().any(|(_, l, m)| l == "warning" && m.contains(PORT_WARNING)),
        "{logged}"
    );
    assert!(
        recs.iter()
            .any(|(_, l, m)| l == "summary" && m.contains("configured: document 0 (Deployment/deis-builder")),
        "the change summary is logged without --verbose: {logged}"
    );
    // Errors are never silenced.
    let mut bad = env.clone();
    bad.retain(|(k, _)| *k != "ECR_REGION");
    bad.push(("ECR_REGION", "mars-1".into()));
    let failed = run(binary(&bad).arg("-q"), BUILDER);
    assert_eq!(failed.status.code(), Some(2));
    assert!(text(&failed.stderr).contains("ECR_REGION"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn krm_function_warnings_and_summary_are_logged_too() {
    let dir = scratch("krm-log");
    let log = dir.join("wr.log");
    let list = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: deis-builder\n    namespace: deis\n  spec:\n    template:\n      spec:\n        containers:\n        - name: deis-builder\nfunctionConfig:\n  apiVersion: registry.deis.io/v1alpha1\n  kind: WorkflowRegistry\n  metadata: {name: r}\n  spec: {registry_location: ecr}\n";
    let mut env = ecr_env();
    env.retain(|(k, _)| *k != "REGISTRY_LOCATION");
    env.push(("WORKFLOW_REGISTRY_LOG", log.display().to_string()));
    let out = run(&mut binary(&env), list);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let logged = std::fs::read_to_string(&log).unwrap();
    let recs = records(&logged);
    assert!(
        recs.iter().any(|(_, l, m)| l == "warning" && m.contains(PORT_WARNING)),
        "{logged}"
    );
    assert!(recs.iter().any(|(_, l, _)| l == "summary"), "{logged}");
    std::fs::remove_dir_all(dir).unwrap();
}

// ---- 3. no panic on I/O -------------------------------------------------

/// A command that writes standard output: name, arguments, environment, input.
struct Writer {
    what: &'static str,
    args: Vec<&'static str>,
    env: Vec<(&'static str, String)>,
    input: &'static [u8],
}

/// The commands that write standard output, each with its input.
fn writers() -> Vec<Writer> {
    let w = |what, args: &[&'static str], env, input| Writer {
        what,
        args: args.to_vec(),
        env,
        input,
    };
    vec![
        w("filter", &[], ecr_env(), BUILDER.as_bytes()),
        w("check", &["check"], ecr_env(), b""),
        w("completions", &["completions", "bash"], vec![], b""),
        w("--help", &["--help"], vec![], b""),
        w("--version", &["--version"], vec![], b""),
    ]
}

#[test]
fn a_full_stdout_ends_with_exit_3_without_a_panic() {
    for Writer { what, args, env, input } in writers() {
        let out = spawn(binary(&env).args(&args), input, Some(dev_full()), None, LIMIT);
        assert_no_panic(what, &out);
        assert_eq!(out.status.code(), Some(3), "{what}: {}", out.stderr);
        if what != "--help" && what != "--version" {
            assert!(
                out.stderr.contains("cannot write the output: No space left on device"),
                "{what}: {}",
                out.stderr
            );
        }
    }
}

#[test]
fn a_closed_pipe_on_stdout_ends_with_exit_3_quietly() {
    for Writer { what, args, env, input } in writers() {
        let out = spawn(binary(&env).args(&args), input, Some(closed_pipe()), None, LIMIT);
        assert_no_panic(what, &out);
        assert_eq!(out.status.code(), Some(3), "{what}: {}", out.stderr);
        assert!(
            !out.stderr.contains("cannot write"),
            "{what}: a reader that left is no error: {}",
            out.stderr
        );
    }
}

/// `check | head -1` and `completions bash | head -1` as an operator types
/// them: whichever way the race goes, no panic and a documented status.
#[test]
fn piping_into_head_never_panics() {
    for round in 0..10 {
        for (what, args) in [("check", "check"), ("completions", "completions bash")] {
            let out = spawn(
                Command::new("bash")
                    .arg("-c")
                    .arg(format!("\"$0\" {args} | head -1 >/dev/null; exit ${{PIPESTATUS[0]}}"))
                    .arg(env!("CARGO_BIN_EXE_workflow-registry"))
                    .env_clear()
                    .env("PATH", "/usr/bin:/bin")
                    .env("REGISTRY_LOCATION", "on-cluster"),
                b"",
                None,
                None,
                LIMIT,
            );
            assert_no_panic(&format!("{what} round {round}"), &out);
            assert!(
                matches!(out.status.code(), Some(0 | 3)),
                "{what} round {round}: exit 0 (all written) or 3 (output lost): {:?}",
                out.status
            );
        }
    }
}

#[test]
fn a_full_broken_or_closed_stderr_loses_only_the_diagnostics() {
    let dir = scratch("stderr");
    let expected = run(&mut binary(&ecr_env()), BUILDER);
    assert!(text(&expected.stderr).contains(PORT_WARNING));
    let mut bad = ecr_env();
    bad.retain(|(k, _)| *k != "ECR_REGION");
    bad.push(("ECR_REGION", "mars-1".into()));
    for (how, stderr) in [
        ("full", Some(dev_full())),
        ("broken", Some(closed_pipe())),
        ("closed", None),
    ] {
        let log = dir.join(format!("{how}.log"));
        let mut env = ecr_env();
        env.push(("WORKFLOW_REGISTRY_LOG", log.display().to_string()));
        let mut cmd = match &stderr {
            Some(_) => binary(&env),
            None => {
                // `exec 2>&-`: the binary starts with descriptor 2 closed.
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg("exec 2>&-; exec \"$0\" \"$@\"")
                    .arg(env!("CARGO_BIN_EXE_workflow-registry"))
                    .env_clear()
                    .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
                c
            }
        };
        let out = spawn(
            &mut cmd,
            BUILDER.as_bytes(),
            None,
            stderr.or(Some(Stdio::null())),
            LIMIT,
        );
        assert_eq!(out.status.code(), Some(0), "stderr {how}: the run succeeds");
        assert_eq!(
            out.stdout.as_bytes(),
            &expected.stdout[..],
            "stderr {how}: the output is complete"
        );
        let logged = std::fs::read_to_string(&log).unwrap();
        assert!(
            logged.contains(PORT_WARNING),
            "stderr {how}: the log still has the warning"
        );

        // A failure keeps its status when its message cannot be shown.
        let stderr = match how {
            "full" => dev_full(),
            _ => closed_pipe(),
        };
        let out = spawn(&mut binary(&bad), BUILDER.as_bytes(), None, Some(stderr), LIMIT);
        assert_eq!(
            out.status.code(),
            Some(2),
            "stderr {how}: bad configuration is still exit 2"
        );
        assert!(out.stdout.is_empty());
    }
    std::fs::remove_dir_all(dir).unwrap();
}

// ---- 4. reading the manifest and argv[1] --------------------------------

#[test]
fn f_must_name_a_regular_file_refused_at_once_naming_its_absolute_path() {
    let dir = scratch("f-types");
    let fifo = dir.join("manifest.fifo");
    mkfifo(&fifo);
    let cases = [
        ("manifest.fifo", "a FIFO (named pipe)"),
        (".", "a directory"),
        ("/dev/zero", "a character device"),
        // Standard input is a pipe here (as with `-f <(...)`).
        ("/dev/stdin", "a FIFO (named pipe)"),
    ];
    for (arg, kind) in cases {
        let out = spawn(
            binary(&ecr_env()).current_dir(&dir).args(["-f", arg]),
            b"",
            None,
            None,
            LIMIT,
        );
        let shown = if arg.starts_with('/') {
            PathBuf::from(arg)
        } else {
            std::path::absolute(dir.join(arg)).unwrap()
        };
        assert_eq!(out.status.code(), Some(2), "{arg}: {}", out.stderr);
        assert!(out.stdout.is_empty());
        assert!(
            out.stderr.contains(&format!(
                "cannot read {}: it is {kind}, not a regular file",
                shown.display()
            )),
            "{arg}: {}",
            out.stderr
        );
        assert!(out.elapsed < Duration::from_secs(5), "{arg}: refused at once");
        assert!(
            out.stderr.contains("pass -f - or leave out -f"),
            "{arg}: {}",
            out.stderr
        );
    }
    let missing = spawn(
        binary(&ecr_env()).current_dir(&dir).args(["-f", "nope.yaml"]),
        b"",
        None,
        None,
        LIMIT,
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        missing
            .stderr
            .contains(&format!("cannot read {}", dir.join("nope.yaml").display())),
        "the absolute path tried: {}",
        missing.stderr
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn f_dash_reads_standard_input() {
    let from_stdin = run(&mut binary(&ecr_env()), BUILDER);
    let dash = run(binary(&ecr_env()).args(["-f", "-"]), BUILDER);
    assert_eq!(dash.status.code(), Some(0), "{}", text(&dash.stderr));
    assert_eq!(dash.stdout, from_stdin.stdout);
}

/// Endless standard input (`/dev/zero`) and a sparse file beyond the limit
/// (512 MiB): refused with exit 1, the limit enforced while reading. The
/// address-space cap keeps a binary without the bound from taking the machine.
#[test]
fn an_oversized_manifest_is_refused_and_reading_stays_bounded() {
    let dir = scratch("huge");
    let huge = dir.join("huge.yaml");
    File::create(&huge).unwrap().set_len((512 << 20) + 1).unwrap();
    for (what, redirect) in [
        ("stdin /dev/zero", "< /dev/zero".to_owned()),
        ("stdin sparse file", format!("< '{}'", huge.display())),
        ("-f sparse file", format!("-f '{}'", huge.display())),
    ] {
        let out = spawn(
            &mut capped(&redirect, &ecr_env()),
            b"",
            None,
            None,
            Duration::from_secs(60),
        );
        assert_no_panic(what, &out);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", out.stderr);
        assert!(
            out.stderr.contains("is larger than the limit of 512 MiB"),
            "{what}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty());
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// kustomize's legacy exec passes a config file as argv[1]; the probe that
/// recognises it must not block on a FIFO nor read a device or a huge file.
#[test]
fn the_legacy_exec_probe_of_argv1_never_hangs_nor_reads_unbounded() {
    let dir = scratch("argv1");
    let fifo = dir.join("config.fifo");
    mkfifo(&fifo);
    let big = dir.join("big-config");
    File::create(&big).unwrap().set_len(2 << 20).unwrap();
    let mut env = ecr_env();
    env.push(("KUSTOMIZE_PLUGIN_CONFIG_ROOT", dir.display().to_string()));
    for (arg, expect) in [
        (
            fifo.display().to_string(),
            "it is a FIFO (named pipe), not a regular file".to_owned(),
        ),
        (
            "/dev/zero".to_owned(),
            "it is a character device, not a regular file".to_owned(),
        ),
        (
            big.display().to_string(),
            "is larger than the limit of 1 MiB".to_owned(),
        ),
    ] {
        let out = spawn(capped("\"$@\"", &env).arg(&arg), BUILDER.as_bytes(), None, None, LIMIT);
        assert_no_panic(&arg, &out);
        assert_eq!(out.status.code(), Some(2), "{arg}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!("cannot read {arg}")),
            "{arg}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(&expect), "{arg}: {}", out.stderr);
        assert!(out.elapsed < Duration::from_secs(5), "{arg}: refused at once");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// `kubectl kustomize` hides a plugin's standard error on success: the
/// warnings and the change summary must reach the log file instead.
#[test]
fn under_kubectl_kustomize_warnings_reach_the_log_file() {
    let Some(kubectl) = common::tool_on_path("kubectl") else {
        return;
    };
    let dir = scratch("kustomize");
    let overlay = dir.join("overlay");
    let plugin_dir = dir.join("plugins/registry.deis.io/v1alpha1/workflowregistry");
    std::fs::create_dir_all(&overlay).unwrap();
    std::fs::create_dir_all(&plugin_dir).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_workflow-registry"),
        plugin_dir.join("WorkflowRegistry"),
    )
    .unwrap();
    std::fs::write(overlay.join("workflow.yaml"), BUILDER).unwrap();
    std::fs::write(
        overlay.join("kustomization.yaml"),
        "resources:\n- workflow.yaml\ntransformers:\n- registry.yaml\n",
    )
    .unwrap();
    std::fs::write(
        overlay.join("registry.yaml"),
        "apiVersion: registry.deis.io/v1alpha1\nkind: WorkflowRegistry\nmetadata:\n  name: r\nspec:\n  registry_location: ecr\n",
    )
    .unwrap();
    let log = dir.join("wr.log");
    let mut env = ecr_env();
    env.retain(|(k, _)| *k != "REGISTRY_LOCATION");
    let out = Command::new(kubectl)
        .args(["kustomize", "--enable-alpha-plugins"])
        .arg(&overlay)
        .current_dir(&dir)
        .env_clear()
        .env("HOME", &dir)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KUSTOMIZE_PLUGIN_HOME", dir.join("plugins"))
        .env("WORKFLOW_REGISTRY_LOG", &log)
        .envs(env)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("value: ecr"), "{}", text(&out.stdout));
    let logged = std::fs::read_to_string(&log).expect("the log file is written under kustomize");
    let recs = records(&logged);
    assert!(
        recs.iter().any(|(_, l, m)| l == "warning" && m.contains(PORT_WARNING)),
        "{logged}"
    );
    assert!(
        recs.iter()
            .any(|(_, l, m)| l == "summary" && m.contains("location ecr")),
        "{logged}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// `check` shows values: one read from the environment (or a params file)
/// must not send terminal control sequences nor add a line.
#[test]
fn check_escapes_control_characters_in_the_values_it_shows() {
    let env = vec![
        ("REGISTRY_LOCATION", "off-cluster".to_owned()),
        ("REGISTRY_HOSTNAME", "quay.io".to_owned()),
        ("REGISTRY_ORGANIZATION", "my\u{1b}[2Jorg\nFORGED_SETTING x".to_owned()),
        ("REGISTRY_USERNAME", "user".to_owned()),
        ("REGISTRY_PASSWORD", "pass".to_owned()),
    ];
    let out = run(binary(&env).arg("check"), "");
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    for (what, s) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(
            !s.chars().any(|c| c.is_control() && c != '\n'),
            "{what} carries raw control characters: {s:?}"
        );
        assert!(!s.lines().any(|l| l.starts_with("FORGED_SETTING")), "{what}: {s}");
    }
    // Refused (no setting takes control characters), so nothing on stdout;
    // the value is shown escaped in the problem.
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("my\\u{1b}[2Jorg\\nFORGED_SETTING x"), "{stderr}");
}
