//! Where a run's configuration comes from: the flags, the environment and
//! every config file given (`--params`, `--values`, `--function-config`,
//! kustomize's `argv[1]`, a KRM `functionConfig`), all read in every mode.

use std::path::PathBuf;

use clap::ValueEnum;

use super::{ConfigArgs, Failure, FilterArgs, LoadRestrictor};
use crate::config::{self, file, EnvLookup, FileKind, Problem, Problems, Resolved, Setting};
use crate::platform::{Given, HELM_NAMESPACE};
use crate::plugin::{function_config, FunctionConfig};
use crate::transform::Options;

/// The transform's options from the flags and the function configs.
pub(super) fn options(
    args: &FilterArgs,
    env: EnvLookup<'_>,
    function_configs: &[FunctionConfig],
) -> Result<Options, Failure> {
    let mut options = Options::default();
    let mut namespaces = Vec::new();
    for fc in function_configs {
        options.context.targeting.targets.extend(fc.targets.iter().cloned());
        options.selectors.extend(fc.selectors.iter().cloned());
        options.keep_on_cluster_registry |= fc.keep_on_cluster_registry;
        namespaces.extend(fc.namespace.as_ref());
    }
    options.context.targeting.targets.extend(args.targets.iter().cloned());
    options.selectors.extend(args.selectors.iter().cloned());
    options.keep_on_cluster_registry |= args.keep_on_cluster_registry;
    options.context.platform = args.platform;
    namespaces.dedup();
    let given = match (namespace_given(args.namespace.as_ref(), env), namespaces.as_slice()) {
        (Some(given), _) => Some(given),
        (None, [one, other, ..]) => {
            return Err(Failure::Config(Problems::new(vec![Problem::general(format!(
                "the function configs name two namespaces, {one:?} and {other:?}: keep one (or pass --namespace)"
            ))])))
        }
        (None, [one]) => Some((one.to_string(), "the function config's namespace".to_owned())),
        (None, []) => None,
    };
    options.context.given = given.map(|(name, origin)| Given { name, origin });
    options.context.helm_namespace = config::env_value(env, HELM_NAMESPACE);
    Ok(options)
}

/// The Workflow namespace as the operator gave it, and where: `--namespace`,
/// then `WORKFLOW_REGISTRY_NAMESPACE`; blank is unset (`--namespace=$NS`, `NS`
/// unset). Not `HELM_NAMESPACE`: Helm's `-n` overrides it without telling a
/// post-renderer, so it comes after the manifest's evidence (`platform::namespace`).
pub(super) fn namespace_given(flag: Option<&String>, env: EnvLookup<'_>) -> Option<(String, String)> {
    let from_env = |name: &str| config::env_value(env, name).map(|v| (v, name.to_owned()));
    flag.map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .map(|n| (n.to_owned(), "--namespace".to_owned()))
        .or_else(|| from_env("WORKFLOW_REGISTRY_NAMESPACE"))
}

/// The function configs of a run, whatever the mode: the one on standard
/// input (KRM) and the one named by `--function-config` (or kustomize's `argv[1]`).
pub(super) fn function_configs(
    args: &ConfigArgs,
    from_stdin: Option<FunctionConfig>,
    env: EnvLookup<'_>,
) -> Result<Vec<FunctionConfig>, Failure> {
    let mut all: Vec<FunctionConfig> = from_stdin.into_iter().collect();
    let failed = |p| Failure::Config(Problems::new(p));
    if let Some(path) = &args.function_config {
        all.push(function_config::from_file(path, None).map_err(failed)?);
    }
    // A temporary file: its `@path`s resolve in the kustomization root (also
    // kustomize's working directory), never next to it.
    if let Some(path) = &args.legacy_exec_config {
        let root = config::env_value(env, config::KUSTOMIZE_ROOT).map(PathBuf::from);
        let root = root.or_else(|| std::env::current_dir().ok());
        all.push(function_config::from_file(path, root.as_deref()).map_err(failed)?);
    }
    Ok(all)
}

/// Every configuration source: flags, environment, `--params`, `--values`
/// and the function configs' settings.
pub(super) fn resolve(args: &ConfigArgs, env: EnvLookup<'_>, fcs: Vec<FunctionConfig>) -> Result<Resolved, Failure> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for (kind, path) in [(FileKind::Params, &args.params), (FileKind::Values, &args.values)] {
        match path.as_deref().map(|path| file::load(kind, path)) {
            Some(Ok(f)) => files.push(f),
            Some(Err(p)) => problems.extend(p),
            None => {}
        }
    }
    if !problems.is_empty() {
        return Err(Failure::Config(Problems::new(problems)));
    }
    files.extend(fcs.into_iter().map(|fc| fc.params));
    // Whether `@path` in a config file may leave its directory:
    // `--load-restrictor`, else `WORKFLOW_REGISTRY_LOAD_RESTRICTOR`.
    const VAR: &str = "WORKFLOW_REGISTRY_LOAD_RESTRICTOR";
    let restrictor = match (args.load_restrictor, config::env_value(env, VAR)) {
        (Some(flag), _) => flag,
        (None, None) => LoadRestrictor::RootOnly,
        (None, Some(text)) => LoadRestrictor::from_str(&text, false).map_err(|_| {
            Failure::Usage(format!(
                "{VAR}={text:?}: expected one of rootOnly, none (or kustomize's LoadRestrictionsRootOnly, \
                 LoadRestrictionsNone)"
            ))
        })?,
    };
    if restrictor == LoadRestrictor::None {
        files.iter_mut().for_each(|file| file.base.unrestrict());
    }
    let flags = [
        (Setting::Location, &args.location),
        (Setting::SecretPrefix, &args.secret_prefix),
    ]
    .into_iter()
    .filter_map(|(setting, value)| Some((setting, value.clone()?)))
    .collect();
    Ok(config::resolve(&config::Inputs {
        flags,
        env: Some(env),
        files,
    }))
}
