//! The command-line front end: parse flags, gather configuration, run the
//! (pure) transform, map every failure to one message and an exit status.

mod args;
mod check;
mod completions;
mod help;
mod krm_function;
mod log;
mod output;
mod sources;
mod verify;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory;

pub use args::{Cli, Command, ConfigArgs, FilterArgs, LoadRestrictor, Mode};
use sources::function_configs;

use crate::config::{self, Problems};
use crate::files::{self, FileError};
use crate::manifest::InputError;
use crate::plugin::{function_config, krm, FunctionConfig};
use crate::transform::{self, Report};
use log::{Level, Reporter};

/// Why a run failed, and so its exit status: the input manifest (1), the
/// configuration or the command line (2), the opt-in registry verification (4).
#[derive(Debug)]
pub enum Failure {
    Input(String),
    Config(Problems),
    Usage(String),
    Verify(String),
}

impl Failure {
    /// Report it (with the warnings that came with it) and pick the exit status.
    fn report(&self, reporter: &Reporter) -> ExitCode {
        if let Failure::Config(problems) = self {
            for w in &problems.warnings {
                reporter.warning(&w.to_string());
            }
        }
        reporter.error(&self.lines());
        ExitCode::from(match self {
            Failure::Input(_) => 1,
            Failure::Config(_) | Failure::Usage(_) => 2,
            Failure::Verify(_) => verify::EXIT_NOT_VERIFIED,
        })
    }

    /// A headline, then one line per configuration problem (each escaped on
    /// its own when reported, so input can never add a line).
    fn lines(&self) -> Vec<String> {
        match self {
            Failure::Input(m) | Failure::Usage(m) | Failure::Verify(m) => vec![m.clone()],
            Failure::Config(problems) => problems.lines(),
        }
    }
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Self {
        Failure::Input(e.to_string())
    }
}

impl From<transform::Error> for Failure {
    fn from(e: transform::Error) -> Self {
        match e {
            transform::Error::Input(e) => e.into(),
            transform::Error::Config(message) => {
                Failure::Config(Problems::new(vec![config::Problem::general(message)]))
            }
        }
    }
}

pub fn main() -> ExitCode {
    mask_panics();
    // Every environment variable the tool reads is read through this one lookup.
    let env: config::EnvLookup<'_> = &config::process_env;
    let env_log = config::env_value(env, log::LOG_ENV).map(std::path::PathBuf::from);
    let args = match config::env_problems() {
        problems if problems.is_empty() => legacy_exec_args(std::env::args_os().collect(), env),
        problems => Err(Failure::Config(Problems::new(problems))),
    };
    let args = match args {
        Ok(args) => args,
        Err(failure) => return failure.report(&Reporter::open(env_log.as_deref(), false, false)),
    };
    let cli = match args::parse(args, std::io::stdin().is_terminal(), env) {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e, env_log.as_deref()),
    };
    let log_path = cli.filter.log_file.clone().or(env_log);
    let reporter = Reporter::open(log_path.as_deref(), cli.filter.quiet, cli.filter.verbose);
    let run = match cli.command {
        Some(Command::Completions { shell }) => Ok(output::write_stdout_text(&reporter, &completions::script(shell))),
        Some(Command::Check(config)) => check::run(&reporter, &config, env),
        Some(Command::Verify(args)) => verify::run(&reporter, &args, env),
        None => filter(&reporter, &cli.filter, env),
    };
    run.unwrap_or_else(|failure| failure.report(&reporter))
}

/// `--help` and `--version` (clap's status 0) go to standard output, exit 3
/// if lost; a usage error to standard error in clap's layout and to the log.
fn clap_exit(e: &clap::Error, log: Option<&Path>) -> ExitCode {
    let code = e.exit_code();
    if code == 0 {
        let written = output::try_write_stdout(|out| write!(out, "{}", e.render()));
        return written.map_or(ExitCode::from(output::OUTPUT_LOST), |()| ExitCode::SUCCESS);
    }
    let reporter = Reporter::open(log, false, false);
    let rendered = e.render().to_string();
    log::write_stderr(&rendered);
    let lines: Vec<&str> = rendered
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| if i == 0 { l.trim_start_matches("error: ") } else { l })
        .collect();
    reporter.to_log(Level::Error, &lines);
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}

/// kustomize runs a legacy exec plugin as `PLUGIN CONFIG_FILE [ARGS...]` with
/// `KUSTOMIZE_PLUGIN_CONFIG_ROOT` set: make that `--legacy-exec-config
/// CONFIG_FILE`. The ARGS (`argsOneLiner`/`argsFromFile`) are the package's,
/// not the operator's: as flags they could lift the load restrictor or name
/// any input, so they are dropped. `argv[1]` is read only as a small regular
/// file; a FIFO or device is refused at once (docs/security.md).
fn legacy_exec_args(mut args: Vec<OsString>, env: config::EnvLookup<'_>) -> Result<Vec<OsString>, Failure> {
    let config_file = args.get(1).filter(|first| {
        config::env_value(env, config::KUSTOMIZE_ROOT).is_some()
            && !first.to_string_lossy().starts_with('-')
            && Cli::command().get_subcommands().all(|c| c.get_name() != **first)
            && *first != "help"
            // Not there: not a config file; clap reports the stray argument.
            && !std::fs::symlink_metadata(first).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
    });
    let Some(first) = config_file else {
        return Ok(args);
    };
    let bytes = files::read_bytes(Path::new(first), files::Kind::PluginArgument)
        .map_err(|e| Failure::Usage(format!("kustomize plugin config: {e}")))?;
    if String::from_utf8(bytes).is_ok_and(|text| function_config::text_is_config(&text)) {
        args.truncate(2);
        args.insert(1, "--legacy-exec-config".into());
    }
    Ok(args)
}

/// The manifest in, the manifest (or a KRM `ResourceList`) out.
fn filter(reporter: &Reporter, args: &FilterArgs, env: config::EnvLookup<'_>) -> Result<ExitCode, Failure> {
    let input = read_input(args.input_file())?;
    if args.mode == Mode::Krm || (args.mode == Mode::Auto && krm::is_resource_list(&input)) {
        return krm_function::run(reporter, args, env, &input);
    }
    let (output, report) = run_filter(args, env, &input, function_configs(&args.config, None, env)?)?;
    for w in &report.warnings {
        reporter.warning(w);
    }
    reporter.summary(&report, &output.plan);
    Ok(output::write_stdout(reporter, |out| output.write_to(out)))
}

/// Configuration, then the transform; nothing is written. The report's
/// warnings are the configuration's, then the transform's.
pub fn run_filter<'a>(
    args: &FilterArgs,
    env: config::EnvLookup<'_>,
    input: &'a str,
    function_configs: Vec<FunctionConfig>,
) -> Result<(transform::Output<'a>, Report), Failure> {
    let options = sources::options(args, env, &function_configs)?;
    let resolved = sources::resolve(&args.config, env, function_configs)?;
    let (settings, warnings) = config::validate(&resolved).map_err(Failure::Config)?;
    let output = transform::run(input, &settings, &options)?;
    if args.verify {
        verify::before_writing(&args.probe, &settings.location)?;
    }
    let mut report = output.report();
    report.warnings.splice(..0, warnings.iter().map(ToString::to_string));
    Ok((output, report))
}

/// The manifest: `-f FILE` (a regular file; `-f -` is standard input) or
/// standard input, bounded ([`files::Kind::Manifest`]), UTF-8.
fn read_input(file: Option<&Path>) -> Result<String, Failure> {
    let bytes = match file {
        Some(path) => files::read_bytes(path, files::Kind::Manifest).map_err(|e| match e {
            // `-f /dev/stdin` or `-f <(helm template ...)` name a pipe.
            FileError::NotRegular { .. } => Failure::Usage(format!(
                "{e} (to read a pipe or standard input, pass -f - or leave out -f)"
            )),
            FileError::TooLarge { .. } => Failure::Input(e.to_string()),
            e => Failure::Usage(e.to_string()),
        })?,
        None => files::read_stdin(files::Kind::Manifest).map_err(|e| Failure::Input(e.to_string()))?,
    };
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes().get(..at).unwrap_or_default().iter().filter(|&&b| b == b'\n').count() + 1;
        Failure::Input(format!("the input is not UTF-8 text: invalid byte at line {line} (byte offset {at}); Kubernetes manifests are UTF-8"))
    })
}

/// A panic never shows its message (it may quote a functionConfig or key
/// file, with credentials): only where it happened, on standard error,
/// written so that a closed stderr cannot turn it into an abort.
fn mask_panics() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        log::write_stderr(&format!(
            "workflow-registry: internal error{at} (details not shown: they may quote the input, which may hold \
             credentials); please report it\n"
        ));
    }));
}
