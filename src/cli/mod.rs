//! The command-line front end: parse flags, gather configuration, run the
//! transform, and map every failure to one message and an exit status.
//! All I/O of the plain filter lives here; the transform itself is pure.

mod args;
mod check;
mod completions;
mod help;
mod krm_function;

use std::io::{IsTerminal, Read, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::process::ExitCode;

pub use args::{Cli, Command, ConfigArgs, FilterArgs, Mode, Shell};

use crate::config::{self, params, Problems, Setting, Settings, Warning};
use crate::manifest::InputError;
use crate::plugin::{function_config, krm, FunctionConfig};
use crate::transform::{self, Options, Targeting};

/// Why a run failed, and so which exit status it ends with.
#[derive(Debug)]
pub enum Failure {
    /// Exit 1: the input manifest is at fault.
    Input(String),
    /// Exit 2: the configuration is at fault.
    Config(Problems),
    /// Exit 2: the command line is at fault.
    Usage(String),
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Input(_) => 1,
            Failure::Config(_) | Failure::Usage(_) => 2,
        }
    }

    fn message(&self) -> String {
        match self {
            Failure::Input(m) | Failure::Usage(m) => m.clone(),
            Failure::Config(problems) => problems.to_string().trim_end().to_owned(),
        }
    }
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Self {
        Failure::Input(e.to_string())
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match args::parse(
        legacy_exec_args(std::env::args_os().collect()),
        std::io::stdin().is_terminal(),
    ) {
        Ok(cli) => cli,
        Err(e) => {
            let code = e.exit_code();
            if code != 0 {
                log_to_file(
                    std::env::var_os("WORKFLOW_REGISTRY_LOG").as_deref().map(Path::new),
                    &e.to_string(),
                );
            }
            let _ = e.print();
            return ExitCode::from(u8::try_from(code).unwrap_or(2));
        }
    };
    let env = |name: &str| std::env::var(name).ok();
    match cli.command {
        Some(Command::Completions { shell }) => write_stdout(None, &completions::script(shell)),
        Some(Command::Check { config }) => check::run(&config, &env),
        None => filter(&cli.filter, &env),
    }
}

/// kustomize runs a legacy exec plugin as `PLUGIN CONFIG_FILE [ARGS...]`
/// with `KUSTOMIZE_PLUGIN_CONFIG_ROOT` set: turn that into
/// `--function-config CONFIG_FILE [ARGS...]`.
fn legacy_exec_args(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let is_config = |path: &std::ffi::OsStr| {
        std::fs::read_to_string(path).is_ok_and(|text| {
            crate::yaml::tree::parse(text.trim_start_matches("---\n"))
                .ok()
                .flatten()
                .is_some_and(|r| function_config::is_config(&r))
        })
    };
    if std::env::var_os("KUSTOMIZE_PLUGIN_CONFIG_ROOT").is_some() && args.len() > 1 && is_config(&args[1]) {
        args.insert(1, "--function-config".into());
    }
    args
}

fn filter(args: &FilterArgs, env: config::EnvLookup<'_>) -> ExitCode {
    let log = args.log_file.as_deref();
    let input = match read_input(args.input_file()) {
        Ok(input) => input,
        Err(failure) => {
            report_line(log, &format!("error: {}", failure.message()));
            return ExitCode::from(failure.exit_code());
        }
    };
    let krm = match args.mode {
        Mode::Krm => true,
        Mode::Filter => false,
        Mode::Auto => krm::is_resource_list(&input),
    };
    if krm {
        return krm_function::run(args, env, &input);
    }
    let function_config = match &args.function_config {
        Some(path) => match function_config::from_file(path) {
            Ok(fc) => Some(fc),
            Err(problems) => return fail(log, &Failure::Config(Problems::new(problems))),
        },
        None => None,
    };
    match run_filter(args, env, &input, function_config) {
        Ok((output, warnings)) => {
            for w in warnings
                .iter()
                .map(ToString::to_string)
                .chain(output.report.warnings.iter().cloned())
            {
                report_line(log, &format!("warning: {w}"));
            }
            if args.verbose {
                eprint!("{}", output.report);
            }
            write_output(log, &output)
        }
        Err(failure) => fail(log, &failure),
    }
}

/// Report a failure (with the warnings that came with it) and pick the exit status.
fn fail(log: Option<&Path>, failure: &Failure) -> ExitCode {
    if let Failure::Config(problems) = failure {
        for w in &problems.warnings {
            report_line(log, &format!("warning: {w}"));
        }
    }
    report_line(log, &format!("error: {}", failure.message()));
    ExitCode::from(failure.exit_code())
}

fn write_stdout(log: Option<&Path>, text: &str) -> ExitCode {
    write_with(log, |out| out.write_all(text.as_bytes()))
}

fn write_output(log: Option<&Path>, output: &transform::Output<'_>) -> ExitCode {
    write_with(log, |out| output.write_to(out))
}

fn write_with(log: Option<&Path>, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> ExitCode {
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match write(&mut stdout).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            report_line(log, &format!("error: cannot write the output: {e}"));
            ExitCode::from(1)
        }
    }
}

/// Configuration, then the transform. Nothing is written here.
pub fn run_filter<'a>(
    args: &FilterArgs,
    env: config::EnvLookup<'_>,
    input: &'a str,
    function_config: Option<FunctionConfig>,
) -> Result<(transform::Output<'a>, Vec<Warning>), Failure> {
    let fc = function_config.unwrap_or_default();
    let (settings, warnings) = load_settings_with(&args.config, env, Some(fc.params).filter(|p| !p.values.is_empty()))?;
    let mut targets = fc.targets;
    targets.extend(args.targets.iter().cloned());
    let mut selectors = fc.selectors;
    selectors.extend(args.selectors.iter().cloned());
    let options = Options {
        namespace: args.namespace.clone().or(fc.namespace),
        targeting: Targeting { targets, selectors },
        keep_on_cluster_registry: args.keep_on_cluster_registry || fc.keep_on_cluster_registry,
    };
    let output = transform::run(input, &settings, &options)?;
    Ok((output, warnings))
}

fn load_settings_with(
    args: &ConfigArgs,
    env: config::EnvLookup<'_>,
    function_config: Option<params::Params>,
) -> Result<(Settings, Vec<Warning>), Failure> {
    let resolved = resolve(args, env, function_config)?;
    config::validate(&resolved).map_err(Failure::Config)
}

fn resolve(
    args: &ConfigArgs,
    env: config::EnvLookup<'_>,
    function_config: Option<params::Params>,
) -> Result<config::Resolved, Failure> {
    let from_function_config = function_config.is_some();
    let params = match (&args.params, function_config) {
        (_, Some(fc)) => Some(fc),
        (Some(path), None) => Some(params::load(path).map_err(|p| Failure::Config(Problems::new(p)))?),
        (None, None) => None,
    };
    let mut flags = Vec::new();
    if let Some(location) = &args.location {
        flags.push((Setting::Location, location.clone()));
    }
    if let Some(prefix) = &args.secret_prefix {
        flags.push((Setting::SecretPrefix, prefix.clone()));
    }
    Ok(config::resolve(&config::Inputs {
        flags,
        env: Some(env),
        params,
        params_are_function_config: from_function_config,
    }))
}

fn read_input(file: Option<&Path>) -> Result<String, Failure> {
    let bytes = match file {
        Some(path) => {
            std::fs::read(path).map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?
        }
        None => {
            // A redirected file has a size: read it into one exact allocation
            // instead of growing (and copying) a buffer by doubling.
            let stdin = std::io::stdin();
            let size = stdin
                .as_fd()
                .try_clone_to_owned()
                .ok()
                .and_then(|fd| std::fs::File::from(fd).metadata().ok());
            let mut buf = Vec::with_capacity(size.filter(|m| m.is_file()).map_or(0, |m| m.len() as usize + 1));
            stdin
                .lock()
                .read_to_end(&mut buf)
                .map_err(|e| Failure::Input(format!("cannot read standard input: {e}")))?;
            buf
        }
    };
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        Failure::Input(format!("the input is not UTF-8 text: invalid byte at line {line} (byte offset {at}); Kubernetes manifests are UTF-8"))
    })
}

/// One line on standard error, and in the log file when one is configured.
fn report_line(log: Option<&Path>, line: &str) {
    eprintln!("workflow-registry: {line}");
    log_to_file(log, line);
}

fn log_to_file(log: Option<&Path>, text: &str) {
    if let Some(path) = log {
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| writeln!(f, "workflow-registry: {}", text.trim_end()));
        if let Err(e) = written {
            eprintln!(
                "workflow-registry: warning: cannot write the log file {}: {e}",
                path.display()
            );
        }
    }
}
