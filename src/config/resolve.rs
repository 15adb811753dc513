//! Precedence: the first non-empty value of flag, environment variable,
//! params file (or function config), default. A variable that is set but
//! empty counts as unset, as it did in Workflow.

use std::collections::BTreeMap;

use super::params::Params;
use super::setting::{Setting, Source, DEFINITIONS};
use super::Warning;

/// Reads one environment variable (a closure, so tests need no process env).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The raw sources to resolve from.
#[derive(Default)]
pub struct Inputs<'a> {
    pub flags: Vec<(Setting, String)>,
    pub env: Option<EnvLookup<'a>>,
    pub params: Option<Params>,
    /// `Source::Params` for a params file, `Source::FunctionConfig` for a
    /// kustomize/kpt function config.
    pub params_are_function_config: bool,
}

/// Each setting's value (trimmed) and source, before validation.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub values: BTreeMap<Setting, (String, Source)>,
    pub warnings: Vec<Warning>,
    /// `DEIS_REGISTRY_LOCATION` from the environment: the chart never read it,
    /// but operators set it by mistake (Workflow pitfall 8).
    pub deis_registry_location: Option<String>,
}

impl Resolved {
    pub fn value(&self, setting: Setting) -> &str {
        self.values.get(&setting).map_or("", |(v, _)| v.as_str())
    }

    pub fn source(&self, setting: Setting) -> Source {
        self.values.get(&setting).map_or(Source::Default, |(_, s)| s.clone())
    }
}

/// Resolve every setting from its sources.
pub fn resolve(inputs: &Inputs<'_>) -> Resolved {
    let mut resolved = Resolved::default();
    let env = |name: &str| inputs.env.and_then(|get| get(name));
    for def in DEFINITIONS {
        let flag = inputs
            .flags
            .iter()
            .find(|(s, _)| *s == def.setting)
            .map(|(_, v)| (v.clone(), Source::Flag(def.flag.unwrap_or(""))));
        let from_env = def.env.and_then(|var| env(var).map(|v| (v, Source::Env(var))));
        let from_params = inputs.params.as_ref().and_then(|p| p.get(def.setting)).map(|(v, key)| {
            let source = if inputs.params_are_function_config {
                Source::FunctionConfig(key.to_owned())
            } else {
                Source::Params(key.to_owned())
            };
            (v.to_owned(), source)
        });
        let chosen = [flag, from_env, from_params]
            .into_iter()
            .flatten()
            .find(|(v, _)| !v.is_empty())
            .unwrap_or_else(|| (def.default.to_owned(), Source::Default));
        let (raw, source) = chosen;
        let trimmed = raw.trim();
        // JSON ignores surrounding white space, and a TOML multi-line string always ends with a newline.
        if trimmed.len() != raw.len() && def.setting != Setting::GcrKeyJson {
            resolved.warnings.push(Warning::about(
                def.setting,
                format!("leading or trailing white space (from {source}) was trimmed; check for a paste error"),
            ));
        }
        if !trimmed.is_empty() {
            resolved.values.insert(def.setting, (trimmed.to_owned(), source));
        }
    }
    resolved.deis_registry_location = env("DEIS_REGISTRY_LOCATION").filter(|v| !v.trim().is_empty());
    resolved
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::params;

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
        let params = params::parse("registry_location = \"gcr\"\n[ecr]\nregion = \"eu-west-1\"\n").unwrap();
        let inputs = Inputs {
            env: Some(&env),
            params: Some(params),
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
