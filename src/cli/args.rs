//! Command-line flags. Each is defined once here; its help comes from here.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use super::help;
use crate::config::{env_value, EnvLookup};
use crate::platform::contract::LocationKind;
use crate::platform::Platform;
use crate::transform::{Selector, Target};

#[derive(Debug, Parser)]
#[command(
    name = "workflow-registry",
    version,
    about = "Point a rendered Deis Workflow (or Hephy) manifest at a container registry.",
    long_about = help::LONG_ABOUT,
    after_help = "Settings come from environment variables (see --help for the full list). Exit status: 0 ok, 1 bad input manifest, 2 bad configuration or usage, 3 output lost (write error), 4 registry verification failed (verify, --verify).",
    after_long_help = help::after_long_help(),
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the configuration only: print each resolved setting and its
    /// source (secrets masked); exit 0 when valid, 2 otherwise.
    Check(ConfigArgs),
    /// Contact the configured registry and prove the credentials work
    /// (configuration as for `check`); exit 0 when verified, 4 otherwise.
    Verify(VerifyArgs),
    /// Print a shell completion script.
    Completions {
        // clap_complete's own enum, offering only the shells whose scripts are tested.
        #[arg(value_parser = PossibleValuesParser::new(["bash", "zsh", "fish"])
            .map(|name| name.parse::<clap_complete::Shell>().expect("clap_complete knows bash, zsh and fish")))]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub probe: ProbeArgs,
    /// Also prove push access (off-cluster): start a blob upload and
    /// cancel it, leaving nothing behind.
    #[arg(long)]
    pub push_check: bool,
    /// `table` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Json,
}

/// How `verify` (and the pipeline's `--verify`) reaches the registry.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ProbeArgs {
    /// Trust the CA certificates in this PEM file as well as the system's
    /// (a private registry's CA) [env: WORKFLOW_REGISTRY_CA_FILE].
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// The off-cluster registry speaks plain http (no TLS): only then is
    /// http:// used [env: WORKFLOW_REGISTRY_INSECURE_REGISTRY].
    #[arg(long)]
    pub insecure_registry: bool,

    /// Connect and read timeout of each verification request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout: u64,

    /// The off-cluster registry's token service, when its challenge names one
    /// on another host (self-managed GitLab: https://gitlab.example.com): the
    /// only host besides the registry that receives the credentials
    /// [env: WORKFLOW_REGISTRY_TOKEN_REALM].
    #[arg(long, value_name = "URL")]
    pub token_realm: Option<String>,

    /// For testing only: send ECR's GetAuthorizationToken to this loopback
    /// URL instead of api.ecr.<region>.amazonaws.com
    /// [env: WORKFLOW_REGISTRY_TEST_ECR_ENDPOINT].
    #[arg(long, value_name = "URL", hide_short_help = true)]
    pub test_ecr_endpoint: Option<String>,

    /// For testing only: log in to this loopback registry URL instead of the
    /// ECR proxy endpoint or the GCR host
    /// [env: WORKFLOW_REGISTRY_TEST_REGISTRY_ENDPOINT].
    #[arg(long, value_name = "URL", hide_short_help = true)]
    pub test_registry_endpoint: Option<String>,

    /// Allow the GCR key's token_uri to be this URL besides Google's own
    /// (a test token endpoint); any other token_uri is refused
    /// [env: WORKFLOW_REGISTRY_ALLOW_TOKEN_URI].
    #[arg(long, value_name = "URL", hide_short_help = true)]
    pub allow_token_uri: Option<String>,
}

/// Where settings come from, besides the environment.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConfigArgs {
    /// Read settings from Workflow's tpl/generate_params.toml (only the
    /// registry keys; environment variables win over it when non-empty).
    #[arg(long, value_name = "FILE")]
    pub params: Option<PathBuf>,

    /// The registry location, overriding REGISTRY_LOCATION and the params file.
    #[arg(long, value_name = "LOCATION", value_parser = LocationArg)]
    pub location: Option<String>,

    /// Prefix of the pull secrets in app namespaces [default: private-registry].
    #[arg(long, value_name = "PREFIX")]
    pub secret_prefix: Option<String>,

    /// Read settings from a chart's values file: Workflow v2.5+ / Hephy's
    /// (global.registry_location, global.secret_prefix and the
    /// registry-token-refresher values) or Drycc's (the registry.enabled
    /// flags, builder.registry* and controller.registry*), told by its keys;
    /// same precedence as --params.
    #[arg(long, value_name = "FILE")]
    pub values: Option<PathBuf>,

    /// Read settings and options from a WorkflowRegistry config object
    /// (apiVersion: registry.deis.io/v1alpha1); kustomize passes it as the
    /// first argument of a legacy exec plugin. Environment variables still win.
    #[arg(long, value_name = "FILE")]
    pub function_config: Option<PathBuf>,

    /// The config file kustomize passes a legacy exec plugin as `argv[1]`
    /// (a temporary file: its `@path`s resolve in KUSTOMIZE_PLUGIN_CONFIG_ROOT).
    #[arg(long, value_name = "FILE", hide = true)]
    pub legacy_exec_config: Option<PathBuf>,

    /// Whether `@path` values in a config file (--params, --values, a
    /// function config) must stay inside that file's directory: `rootOnly`
    /// (the default) or `none`, as kustomize's --load-restrictor (whose
    /// spellings LoadRestrictionsRootOnly and LoadRestrictionsNone are read
    /// too) [env: WORKFLOW_REGISTRY_LOAD_RESTRICTOR].
    #[arg(long, value_name = "RESTRICTOR")]
    pub load_restrictor: Option<LoadRestrictor>,
}

/// `--load-restrictor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LoadRestrictor {
    #[value(name = "rootOnly", alias = "LoadRestrictionsRootOnly")]
    RootOnly,
    #[value(name = "none", alias = "LoadRestrictionsNone")]
    None,
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct FilterArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    /// Read the manifest from FILE instead of standard input (`-` is
    /// standard input). FILE must be a regular file of at most 512 MiB.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// The Workflow namespace [env: WORKFLOW_REGISTRY_NAMESPACE; default: the
    /// namespace of Workflow's builder and controller Deployments, else of the
    /// subjects of the chart's bindings of their ServiceAccounts, else
    /// HELM_NAMESPACE (refused when those name another), else unknown].
    #[arg(long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Which Workflow the manifest is, when its documents cannot tell (its
    /// images and names renamed beyond recognition) or tell two: `deis` (Deis
    /// Workflow or Hephy) or `drycc` [default: recognised from the manifest].
    #[arg(long, value_name = "PLATFORM", value_parser = PossibleValuesParser::new([
        PossibleValue::new("deis").help("Deis Workflow or Hephy"),
        PossibleValue::new("drycc").help("Drycc Workflow"),
    ]).map(|name| if name == "deis" { Platform::Deis } else { Platform::Drycc }))]
    pub platform: Option<Platform>,

    /// Also configure this workload's containers (or one container).
    /// Repeatable.
    #[arg(long = "target", value_name = "KIND/NAME[/CONTAINER]")]
    pub targets: Vec<Target>,

    /// Also configure every container of each document this JSONPath (RFC
    /// 9535) query selects; it runs on a one-element array holding the
    /// document, e.g. "$[?@.metadata.labels.app == 'my-builder']". Repeatable.
    #[arg(long = "select", value_name = "JSONPATH")]
    pub selectors: Vec<Selector>,

    /// Keep the on-cluster registry and its proxy even when the location is
    /// elsewhere (e.g. while migrating images).
    #[arg(long)]
    pub keep_on_cluster_registry: bool,

    /// Print a summary of what changed on standard error (secrets masked).
    #[arg(short, long)]
    pub verbose: bool,

    /// Do not print warnings on standard error (errors still are; the log
    /// file still gets every warning).
    #[arg(short, long)]
    pub quiet: bool,

    /// Also append errors, warnings and the change summary to this file, one
    /// timestamped line each (Helm 4 and kubectl kustomize hide a plugin's
    /// standard error). Default: $WORKFLOW_REGISTRY_LOG (empty: no log). A
    /// new file gets mode 0600; a symlink or non-regular file is refused.
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,

    /// How to read standard input: `auto` treats a `kind: ResourceList` as a
    /// KRM function call (kpt, kustomize --enable-exec) and anything else as a
    /// manifest stream.
    #[arg(long, value_enum, default_value_t = Mode::Auto)]
    pub mode: Mode,

    /// Verify the registry credentials (as `workflow-registry verify` does)
    /// before writing anything; on failure nothing is written and the exit
    /// status is 4. Off by default: many renderers run offline
    /// [env: WORKFLOW_REGISTRY_VERIFY].
    #[arg(long)]
    pub verify: bool,

    #[command(flatten)]
    pub probe: ProbeArgs,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    #[default]
    Auto,
    /// A multi-document manifest stream (Helm, pipes, kustomize legacy exec).
    Filter,
    /// A KRM `ResourceList`.
    Krm,
}

impl FilterArgs {
    /// The manifest file to read, or `None` for standard input (no `-f`, or
    /// `-f -` as every Unix filter spells it).
    pub fn input_file(&self) -> Option<&Path> {
        self.file.as_deref().filter(|path| path.as_os_str() != "-")
    }
}

/// Parse the command line the way an operator means it: options before the
/// subcommand (`--params FILE check`), which clap rejects, are parsed again
/// with the subcommand first; a bare run at a terminal, which would wait for
/// a manifest nobody types, is a usage error with a hint.
pub fn parse(argv: Vec<OsString>, stdin_is_terminal: bool, env: EnvLookup<'_>) -> Result<Cli, clap::Error> {
    let mut cli = Cli::try_parse_from(&argv).or_else(|error| match subcommand_first(&argv) {
        Some(reordered) if error.exit_code() != 0 => Cli::try_parse_from(reordered).map_err(|_| error),
        _ => Err(error),
    })?;
    if stdin_is_terminal && cli.command.is_none() && cli.filter.input_file().is_none() {
        return Err(Cli::command().error(
            clap::error::ErrorKind::MissingRequiredArgument,
            "no manifest: standard input is a terminal. Pipe a rendered manifest in, or name a file:\n  \
             helm template workflow ./workflow -n deis | workflow-registry\n  \
             workflow-registry -f rendered.yaml\n\
             Check a configuration without a manifest: workflow-registry check",
        ));
    }
    // Options not given as flags, from their variables (through `env`).
    cli.filter.verify |= is_yes(env_value(env, "WORKFLOW_REGISTRY_VERIFY"));
    cli.filter.probe.fill_from(env);
    if let Some(Command::Verify(verify)) = &mut cli.command {
        verify.probe.fill_from(env);
    }
    Ok(cli)
}

impl ProbeArgs {
    fn fill_from(&mut self, env: EnvLookup<'_>) {
        let var = |name: &str| env_value(env, name);
        if self.ca_file.is_none() {
            self.ca_file = var("WORKFLOW_REGISTRY_CA_FILE").map(PathBuf::from);
        }
        self.insecure_registry |= is_yes(var("WORKFLOW_REGISTRY_INSECURE_REGISTRY"));
        for (value, name) in [
            (&mut self.token_realm, "WORKFLOW_REGISTRY_TOKEN_REALM"),
            (&mut self.test_ecr_endpoint, "WORKFLOW_REGISTRY_TEST_ECR_ENDPOINT"),
            (
                &mut self.test_registry_endpoint,
                "WORKFLOW_REGISTRY_TEST_REGISTRY_ENDPOINT",
            ),
            (&mut self.allow_token_uri, "WORKFLOW_REGISTRY_ALLOW_TOKEN_URI"),
        ] {
            *value = value.take().or_else(|| var(name));
        }
    }
}

/// A yes/no variable, read as clap reads one: set, and none of `0`,
/// `false`, `no`, `off`, `n`, `f` in any case.
fn is_yes(value: Option<String>) -> bool {
    value.is_some_and(|v| !["0", "false", "no", "off", "n", "f"].contains(&v.to_ascii_lowercase().as_str()))
}

/// `argv` with the first word that names a subcommand moved right after the
/// program name, when it is not already there.
fn subcommand_first(argv: &[OsString]) -> Option<Vec<OsString>> {
    let command = Cli::command();
    let at = argv.iter().enumerate().skip(2).find_map(|(i, word)| {
        let word = word.to_str()?;
        command.get_subcommands().any(|sub| sub.get_name() == word).then_some(i)
    })?;
    let mut reordered = argv.to_vec();
    reordered[1..=at].rotate_right(1);
    Some(reordered)
}

/// `--location`'s values: a location's name, or blank, which counts as
/// unset as every blank value does (`--post-renderer-args=--location=$LOC`
/// with `LOC` empty falls back to the environment).
#[derive(Debug, Clone, Copy)]
struct LocationArg;

impl TypedValueParser for LocationArg {
    type Value = String;

    fn parse_ref(&self, cmd: &clap::Command, arg: Option<&clap::Arg>, value: &OsStr) -> Result<String, clap::Error> {
        match value.to_str() {
            Some(blank) if blank.trim().is_empty() => Ok(blank.to_owned()),
            _ => PossibleValuesParser::new(LocationKind::names()).parse_ref(cmd, arg, value),
        }
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(LocationKind::names().into_iter().map(PossibleValue::new)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(argv: Vec<OsString>, terminal: bool) -> Result<Cli, clap::Error> {
        parse(argv, terminal, &|_| None)
    }

    fn argv(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn options_before_the_subcommand_are_read_as_its_options() {
        let cli = parsed(argv(&["wr", "--params", "p.toml", "--location", "gcr", "check"]), false).unwrap();
        match cli.command {
            Some(Command::Check(config)) => {
                assert_eq!(config.params.as_deref(), Some(Path::new("p.toml")));
                assert_eq!(config.location.as_deref(), Some("gcr"));
            }
            other => panic!("expected check, got {other:?}"),
        }
    }

    #[test]
    fn a_value_that_spells_a_subcommand_stays_a_value() {
        let cli = parsed(argv(&["wr", "--namespace", "check"]), false).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.filter.namespace.as_deref(), Some("check"));
    }

    #[test]
    fn a_filter_only_option_before_check_is_still_an_error() {
        let err = parsed(argv(&["wr", "--verbose", "check"]), false).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn dash_is_standard_input() {
        let cli = parsed(argv(&["wr", "-f", "-"]), false).unwrap();
        assert_eq!(cli.filter.input_file(), None);
        let cli = parsed(argv(&["wr", "-f", "in.yaml"]), false).unwrap();
        assert_eq!(cli.filter.input_file(), Some(Path::new("in.yaml")));
    }

    #[test]
    fn a_bare_run_at_a_terminal_is_a_usage_error_with_a_hint() {
        let err = parsed(argv(&["wr"]), true).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("workflow-registry -f rendered.yaml"), "{err}");
        for ok in [
            &["wr", "-f", "x.yaml"][..],
            &["wr", "check"],
            &["wr", "completions", "bash"],
        ] {
            assert!(parsed(argv(ok), true).is_ok(), "{ok:?}");
        }
        assert!(
            parsed(argv(&["wr", "-f", "-"]), true).is_err(),
            "-f - reads the terminal too"
        );
        assert!(parsed(argv(&["wr"]), false).is_ok(), "a pipe is read as usual");
    }
}
