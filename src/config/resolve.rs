//! Precedence: the first non-blank value of flag, environment variable,
//! config files (params file, values file, function config: one level),
//! default. A value that is set but empty or only white space counts as
//! unset, as an empty one did in Workflow; two config files that disagree
//! are a conflict, not a silent choice.

use std::collections::BTreeMap;

use super::file::File;
use super::setting::{Setting, Source, DEFINITIONS};
use super::Warning;
use crate::files::Base;

/// Reads one environment variable: [`process_env`] in the binary, a fixed
/// set in tests. Every variable the tool reads is read through one.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process's environment (a value that is not UTF-8 counts as unset).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A variable's value when it is set and not blank, trimmed: blank counts
/// as unset everywhere, as an empty value did in Workflow.
pub fn env_value(env: EnvLookup<'_>, name: &str) -> Option<String> {
    env(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The raw sources to resolve from.
#[derive(Default)]
pub struct Inputs<'a> {
    pub flags: Vec<(Setting, String)>,
    pub env: Option<EnvLookup<'a>>,
    /// Every config file given (params, values, function configs), in the
    /// order given. They share one level of precedence.
    pub files: Vec<File>,
    /// `--load-restrictor none`: `@path` values in config files may leave
    /// the file's directory.
    pub unrestricted_files: bool,
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
    pub values: BTreeMap<Setting, (String, Source)>,
    pub warnings: Vec<Warning>,
    /// `DEIS_REGISTRY_LOCATION` from the environment: the chart never read it,
    /// but operators set it by mistake (Workflow pitfall 8).
    pub deis_registry_location: Option<String>,
    /// Where an `@path` in each value resolves (values from config files
    /// resolve against the file's directory).
    pub bases: BTreeMap<Setting, Base>,
    /// Config files that disagree where no flag or variable decides.
    pub conflicts: Vec<Conflict>,
}

impl Resolved {
    pub fn value(&self, setting: Setting) -> &str {
        self.values.get(&setting).map_or("", |(v, _)| v.as_str())
    }

    pub fn source(&self, setting: Setting) -> Source {
        self.values.get(&setting).map_or(Source::Default, |(_, s)| s.clone())
    }

    /// Whether the operator set this setting (any source but the default).
    pub fn is_explicit(&self, setting: Setting) -> bool {
        self.source(setting).is_explicit()
    }

    /// Where `@path` in this setting's value resolves.
    pub fn base(&self, setting: Setting) -> Base {
        self.bases.get(&setting).cloned().unwrap_or_default()
    }
}

/// One candidate value: its text, source, level of precedence and base.
struct Candidate {
    raw: String,
    source: Source,
    level: u8,
    base: Base,
}

/// Resolve every setting from its sources.
pub fn resolve(inputs: &Inputs<'_>) -> Resolved {
    let mut resolved = Resolved::default();
    let env = |name: &str| inputs.env.and_then(|get| get(name));
    resolved.warnings = inputs.files.iter().flat_map(|f| f.warnings.iter().cloned()).collect();
    for def in DEFINITIONS {
        let mut candidates: Vec<Candidate> = Vec::new();
        if let Some((_, v)) = inputs.flags.iter().find(|(s, _)| *s == def.setting) {
            candidates.push(Candidate {
                raw: v.clone(),
                source: Source::Flag(def.flag.unwrap_or("")),
                level: 1,
                base: Base::Anywhere,
            });
        }
        if let Some((var, v)) = def.env.and_then(|var| env(var).map(|v| (var, v))) {
            candidates.push(Candidate {
                raw: v,
                source: Source::Env(var),
                level: 2,
                base: Base::Anywhere,
            });
        }
        for file in &inputs.files {
            if let Some((v, key)) = file.get(def.setting) {
                let base = if inputs.unrestricted_files {
                    file.base.clone().unrestricted()
                } else {
                    file.base.clone()
                };
                candidates.push(Candidate {
                    raw: v.to_owned(),
                    source: Source::File(file.kind, key.to_owned()),
                    level: 3,
                    base,
                });
            }
        }
        for blank in candidates
            .iter()
            .filter(|c| !c.raw.is_empty() && c.raw.trim().is_empty())
        {
            resolved.warnings.push(Warning::about(
                def.setting,
                format!("is only white space (from {}): counted as unset", blank.source),
            ));
        }
        candidates.retain(|c| !c.raw.trim().is_empty());
        let Some(chosen) = candidates.first() else {
            if !def.default.is_empty() {
                resolved
                    .values
                    .insert(def.setting, (def.default.to_owned(), Source::Default));
            }
            continue;
        };
        if chosen.level == 3 {
            if let Some(other) = candidates[1..].iter().find(|c| c.raw.trim() != chosen.raw.trim()) {
                resolved.conflicts.push(Conflict {
                    setting: def.setting,
                    first: (chosen.raw.trim().to_owned(), chosen.source.clone()),
                    second: (other.raw.trim().to_owned(), other.source.clone()),
                });
            }
        }
        let trimmed = chosen.raw.trim();
        // JSON ignores surrounding white space, and a TOML multi-line string always ends with a newline.
        if trimmed.len() != chosen.raw.len() && def.setting != Setting::GcrKeyJson {
            resolved.warnings.push(Warning::about(
                def.setting,
                format!(
                    "leading or trailing white space (from {}) was trimmed; check for a paste error",
                    chosen.source
                ),
            ));
        }
        resolved.bases.insert(def.setting, chosen.base.clone());
        resolved
            .values
            .insert(def.setting, (trimmed.to_owned(), chosen.source.clone()));
    }
    resolved.deis_registry_location = inputs.env.and_then(|env| env_value(env, "DEIS_REGISTRY_LOCATION"));
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
