//! Precedence (docs/configuration.md): the first non-blank value of flag,
//! environment, config files (one level: two that disagree are a conflict,
//! not a silent choice), default. Blank is unset, as an empty value was in Workflow.

use std::collections::BTreeMap;

use super::file::File;
use super::setting::{FileKind, Setting, Source, DEFINITIONS};
use super::{Problem, Warning};
use crate::files::Base;
use crate::platform::HELM_NAMESPACE;

/// Reads one environment variable: [`process_env`] in the binary, a fixed
/// set in tests. Every variable the tool reads is read through one.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The start of every variable of the tool's own (`WORKFLOW_REGISTRY_LOG`, ...).
pub const OWN_PREFIX: &str = "WORKFLOW_REGISTRY_";
/// The variable operators set by mistake for `REGISTRY_LOCATION`.
pub const DEIS_REGISTRY_LOCATION: &str = "DEIS_REGISTRY_LOCATION";
/// Set by kustomize when it runs a legacy exec plugin: the kustomization root.
pub const KUSTOMIZE_ROOT: &str = "KUSTOMIZE_PLUGIN_CONFIG_ROOT";

/// Whether the tool reads `name`: a setting's, its own, or one another program sets for it.
fn is_read(name: &str) -> bool {
    name.starts_with(OWN_PREFIX)
        || [DEIS_REGISTRY_LOCATION, KUSTOMIZE_ROOT, HELM_NAMESPACE].contains(&name)
        || DEFINITIONS.iter().any(|d| d.env == Some(name))
}

/// The process's environment. Every name read must be one [`is_read`] knows,
/// so that [`env_problems`] has checked its value: a rule for the code (the
/// names are constants), checked in tests, never a panic in a release build.
pub fn process_env(name: &str) -> Option<String> {
    debug_assert!(
        is_read(name),
        "{name} is read without being known to config::resolve::is_read"
    );
    std::env::var(name).ok()
}

/// Each variable the tool reads whose value is not UTF-8 (a Latin-1 byte pasted
/// in): an error, as unset it would silently change the run. Never the value.
pub fn env_problems() -> Vec<Problem> {
    let mut vars: Vec<String> = std::env::vars_os()
        .filter(|(_, value)| value.to_str().is_none())
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| is_read(name))
        .collect();
    vars.sort();
    let why = "the value is not UTF-8 text (a byte of another encoding, such as a Latin-1 no-break space, pasted \
               in?); set it again as UTF-8, or unset it";
    let problem = |var: &String| Problem::general(format!("env {var}: {why}"));
    vars.iter().map(problem).collect()
}

/// A variable's value, trimmed, when set and not blank (blank is unset, as in Workflow).
pub fn env_value(env: EnvLookup<'_>, name: &str) -> Option<String> {
    env(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

#[derive(Default)]
pub struct Inputs<'a> {
    pub flags: Vec<(Setting, String)>,
    pub env: Option<EnvLookup<'a>>,
    /// Every config file given, in order: they share one level of precedence.
    pub files: Vec<File>,
}

/// Two config files that set one setting to different values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub setting: Setting,
    pub first: (String, Source),
    pub second: (String, Source),
}

/// Each setting's value (trimmed) and source, before validation.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// Each value, its source, and where an `@path` in it resolves (a file's directory).
    pub values: BTreeMap<Setting, (String, Source, Base)>,
    pub warnings: Vec<Warning>,
    /// `DEIS_REGISTRY_LOCATION` from the environment: the chart never read it,
    /// but operators set it by mistake (a public install script exported it).
    pub deis_registry_location: Option<String>,
    /// Config files that disagree where no flag or variable decides.
    pub conflicts: Vec<Conflict>,
    /// Whether a values file given is Drycc Workflow's.
    pub drycc_values: bool,
}

impl Resolved {
    pub fn value(&self, setting: Setting) -> &str {
        self.values.get(&setting).map_or("", |(v, ..)| v.as_str())
    }

    pub fn source(&self, setting: Setting) -> Source {
        self.values.get(&setting).map_or(Source::Default, |(_, s, _)| s.clone())
    }

    /// Whether the operator set this setting (any source but the default).
    pub fn is_explicit(&self, setting: Setting) -> bool {
        self.source(setting).is_explicit()
    }
}

pub fn resolve(inputs: &Inputs<'_>) -> Resolved {
    let mut resolved = Resolved::default();
    let env = |name: &str| inputs.env.and_then(|get| get(name));
    resolved.warnings = inputs.files.iter().flat_map(|f| f.warnings.iter().cloned()).collect();
    resolved.drycc_values = inputs.files.iter().any(|f| f.kind == FileKind::DryccValues);
    for def in DEFINITIONS {
        // Each candidate value: its text, source and where its `@path` resolves.
        let flag = inputs.flags.iter().find(|(s, _)| *s == def.setting);
        let flag = flag.map(|(_, v)| (v.clone(), Source::Flag(def.flag.unwrap_or("")), Base::Anywhere));
        let var = def.env.and_then(|v| Some((env(v)?, Source::Env(v), Base::Anywhere)));
        let files = inputs.files.iter().filter_map(|file| {
            let (value, key) = file.get(def.setting)?;
            let source = Source::File(file.kind, key.to_owned());
            Some((value.to_owned(), source, file.base.clone()))
        });
        let mut candidates: Vec<(String, Source, Base)> = flag.into_iter().chain(var).chain(files).collect();
        let blank = |(raw, ..): &&(String, Source, Base)| !raw.is_empty() && raw.trim().is_empty();
        for (_, source, _) in candidates.iter().filter(blank) {
            let message = format!("is only white space (from {source}): counted as unset");
            resolved.warnings.push(Warning::about(def.setting, message));
        }
        candidates.retain(|(raw, ..)| !raw.trim().is_empty());
        let Some((raw, source, base)) = candidates.first() else {
            if !def.default.is_empty() {
                let default = (def.default.to_owned(), Source::Default, Base::Anywhere);
                resolved.values.insert(def.setting, default);
            }
            continue;
        };
        let trimmed = raw.trim();
        // Config files share a level: only they come after a file's value.
        let other = candidates[1..].iter().find(|(other, ..)| other.trim() != trimmed);
        if let (Source::File(..), Some((other, other_source, _))) = (source, other) {
            resolved.conflicts.push(Conflict {
                setting: def.setting,
                first: (trimmed.to_owned(), source.clone()),
                second: (other.trim().to_owned(), other_source.clone()),
            });
        }
        // JSON ignores surrounding white space, and a TOML multi-line string always ends with a newline.
        if trimmed.len() != raw.len() && def.setting != Setting::GcrKeyJson {
            let message =
                format!("leading or trailing white space (from {source}) was trimmed; check for a paste error");
            resolved.warnings.push(Warning::about(def.setting, message));
        }
        let value = (trimmed.to_owned(), source.clone(), base.clone());
        resolved.values.insert(def.setting, value);
    }
    resolved.deis_registry_location = inputs.env.and_then(|env| env_value(env, DEIS_REGISTRY_LOCATION));
    resolved
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{file, FileKind};

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn flag_then_env_then_params_then_default() {
        let env = env_of(&[
            ("REGISTRY_LOCATION", "ecr"),
            ("ECR_REGION", ""),
            ("REGISTRY_HOSTNAME", " quay.io\n"),
        ]);
        let params = file::parse(
            FileKind::Params,
            "registry_location = \"gcr\"\n[ecr]\nregion = \"eu-west-1\"\n",
        )
        .unwrap();
        let inputs = Inputs {
            env: Some(&env),
            files: vec![params],
            ..Inputs::default()
        };
        let r = resolve(&inputs);
        assert_eq!(
            (r.value(Setting::Location), r.source(Setting::Location)),
            ("ecr", Source::Env("REGISTRY_LOCATION"))
        );
        // Empty env counts as unset: the params file wins.
        assert_eq!(r.value(Setting::EcrRegion), "eu-west-1");
        assert_eq!(r.value(Setting::SecretPrefix), "private-registry");
        assert_eq!(r.source(Setting::SecretPrefix), Source::Default);
        assert_eq!(r.value(Setting::Hostname), "quay.io");
        assert!(r.warnings.iter().any(|w| w.setting == Some(Setting::Hostname)));

        let inputs = Inputs {
            flags: vec![(Setting::Location, "off-cluster".into())],
            env: Some(&env),
            ..Inputs::default()
        };
        assert_eq!(resolve(&inputs).value(Setting::Location), "off-cluster");
    }
}
