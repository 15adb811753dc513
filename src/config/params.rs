//! Workflow's `tpl/generate_params.toml` layout (Helm Classic, v2.4.x).
//!
//! Only the registry keys are read; every other key and table of that file
//! (`storage`, `[builder]`, `[minio]`, ...) is ignored, so an operator can
//! point `--params` at the very file they already keep.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use super::setting::{Setting, Source, DEFINITIONS};
use super::{suggest, Problem};
use crate::files::{self, Base};

/// Which kind of file a set of values came from: they share one level of
/// precedence, and a conflict between two of them is reported.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Helm Classic's `generate_params.toml` (`--params`).
    #[default]
    Params,
    /// A Workflow v2.5+ / Hephy chart values file (`--values`).
    Values,
    /// A kustomize/kpt config object (`--function-config`, `argv[1]`, a
    /// KRM `functionConfig`).
    FunctionConfig,
}

impl FileKind {
    /// The source of a value found under `key` in a file of this kind.
    pub fn source(self, key: &str) -> Source {
        match self {
            FileKind::Params => Source::Params(key.to_owned()),
            FileKind::Values => Source::Values(key.to_owned()),
            FileKind::FunctionConfig => Source::FunctionConfig(key.to_owned()),
        }
    }
}

/// The registry values found in a config file, with the key each came from,
/// and where `@path` values in it resolve.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params {
    pub values: Vec<(Setting, String, String)>,
    pub kind: FileKind,
    /// The directory relative `@path` values start from (and, unless the
    /// operator lifts the restriction, stay inside).
    pub base: Base,
    /// The file itself (absolute), for messages; `None` on standard input.
    pub file: Option<PathBuf>,
}

impl Params {
    /// The value and key for `setting`, if the file sets it.
    pub fn get(&self, setting: Setting) -> Option<(&str, &str)> {
        self.values
            .iter()
            .find(|(s, ..)| *s == setting)
            .map(|(_, v, k)| (v.as_str(), k.as_str()))
    }

    /// These values as read from `file`: `@path`s resolve in `dir`, else in
    /// the file's directory (see [`Base::for_config`]).
    pub fn located(mut self, kind: FileKind, file: Option<&Path>, dir: Option<&Path>) -> Result<Self, Problem> {
        self.kind = kind;
        self.base = Base::for_config(file, dir).map_err(|e| Problem::general(e.to_string()))?;
        self.file = file.map(files::absolute);
        Ok(self)
    }
}

/// Read a params file. Problems name the file and the key.
pub fn load(path: &Path) -> Result<Params, Vec<Problem>> {
    let text = files::read_operator_file(path, files::Kind::ConfigFile)
        .map_err(|e| vec![Problem::general(format!("--params: {e}"))])?;
    parse(&text)
        .and_then(|p| p.located(FileKind::Params, Some(path), None).map_err(|e| vec![e]))
        .map_err(|problems| {
            problems
                .into_iter()
                .map(|p| p.prefixed(&format!("--params {}: ", path.display())))
                .collect()
        })
}

/// Parse params text.
pub fn parse(text: &str) -> Result<Params, Vec<Problem>> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        // toml's message quotes the offending line, which may hold a password.
        let line = e
            .span()
            .map(|s| text.get(..s.start).unwrap_or(text).matches('\n').count() + 1);
        let what = e.message().to_owned();
        vec![Problem::general(match line {
            Some(line) => format!("not valid TOML at line {line}: {what}"),
            None => format!("not valid TOML: {what}"),
        })]
    })?;
    // One reader for every source: TOML here, function configs in kustomize/kpt.
    let json =
        serde_json::to_value(&table).map_err(|e| vec![Problem::general(format!("cannot read the TOML: {e}"))])?;
    let mut problems = misspelled_tables(&json);
    match from_json(&json) {
        Ok(params) if problems.is_empty() => Ok(params),
        Ok(_) => Err(problems),
        Err(more) => {
            problems.extend(more);
            Err(problems)
        }
    }
}

/// The tables of the params layout this tool reads, and every key each may
/// hold: the keys it reads and the ones Workflow's files carry that it has
/// no use for. Anything else in them is a typo that would silently do
/// nothing, so it is reported.
pub const TABLES: &[(&str, &[&str])] = &[
    (
        "off_cluster_registry",
        &["hostname", "organization", "username", "password"],
    ),
    ("ecr", &["accesskey", "secretkey", "region", "registryid", "hostname"]),
    ("gcr", &["key_json", "hostname"]),
    (
        "registry_token_refresher",
        &[
            "tokenRefreshTime",
            "token_refresh_time",
            "secretPrefix",
            "secret_prefix",
            "org",
            "dockerTag",
            "docker_tag",
            "pullPolicy",
            "pull_policy",
            "limits_cpu",
            "limits_memory",
        ],
    ),
];

/// Second spellings: Helm v2 values (`token_refresh_time`) next to Helm
/// Classic's (`tokenRefreshTime`).
const ALIASES: &[(&str, &str)] = &[
    (
        "registry_token_refresher.tokenRefreshTime",
        "registry_token_refresher.token_refresh_time",
    ),
    (
        "registry_token_refresher.secretPrefix",
        "registry_token_refresher.secret_prefix",
    ),
];

/// A params file is a whole Workflow configuration: other top-level keys
/// are fine, but a near miss of one of ours (`[registry-token-refresher]`,
/// `registry_locaton`) would silently do nothing.
fn misspelled_tables(root: &Json) -> Vec<Problem> {
    let ours: Vec<&str> = std::iter::once("registry_location")
        .chain(TABLES.iter().map(|(t, _)| *t))
        .collect();
    let long: Vec<&str> = ours.iter().copied().filter(|k| k.len() > 8).collect();
    root.as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !ours.contains(&k.as_str()))
        .filter_map(|(k, _)| {
            suggest::closest(k, &long)
                .map(|m| Problem::general(format!("unknown key `{}`: did you mean `{m}`?", k.escape_debug())))
        })
        .collect()
}

/// Unknown keys inside our tables, with a suggestion when one is close.
pub fn unknown_nested_keys(root: &Json, context: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (table, known) in TABLES {
        let Some(Json::Object(fields)) = root.get(*table) else {
            continue;
        };
        for key in fields.keys().filter(|k| !known.contains(&k.as_str())) {
            let hint = suggest::hint(key, known);
            problems.push(Problem::general(format!(
                "{context}unknown key `{table}.{}`{hint}",
                key.escape_debug()
            )));
        }
    }
    problems
}

/// Read the registry keys from an object in the params layout (a TOML file
/// converted to JSON, or a kustomize/kpt function config's fields).
pub fn from_json(root: &Json) -> Result<Params, Vec<Problem>> {
    let mut params = Params::default();
    let mut problems = unknown_nested_keys(root, "");
    for (table, _) in TABLES {
        if let Some(value) = root.get(*table).filter(|v| !v.is_null() && !v.is_object()) {
            problems.push(Problem::general(format!(
                "`{table}` must be a table, found {}",
                type_name(value)
            )));
        }
    }
    for def in DEFINITIONS.iter().filter(|d| d.setting != Setting::RefresherImage) {
        let spellings = std::iter::once(def.params_key).chain(
            ALIASES
                .iter()
                .filter(|(main, _)| *main == def.params_key)
                .map(|(_, alias)| *alias),
        );
        let mut found: Option<(String, &str)> = None;
        for key in spellings {
            let Some(value) = lookup(root, key) else { continue };
            match scalar_text(value) {
                Some(text) => match &found {
                    Some((first, first_key)) if first.trim() != text.trim() => problems.push(Problem::about(
                        def.setting,
                        format!("{first_key} and {key} are both set, to different values: keep one"),
                    )),
                    Some(_) => {}
                    None => found = Some((text, key)),
                },
                None => problems.push(Problem::about(
                    def.setting,
                    format!("{key} must be a string, found {}", type_name(value)),
                )),
            }
        }
        if let Some((text, key)) = found {
            params.values.push((def.setting, text, key.to_owned()));
        }
    }
    let org = lookup(root, "registry_token_refresher.org").and_then(scalar_text);
    let tag = lookup(root, "registry_token_refresher.dockerTag")
        .or_else(|| lookup(root, "registry_token_refresher.docker_tag"))
        .and_then(scalar_text);
    if org.is_some() || tag.is_some() {
        // Helm Classic's template: quay.io/{{org}}/registry-token-refresher:{{dockerTag}}.
        let image = format!(
            "quay.io/{}/registry-token-refresher:{}",
            org.filter(|o| !o.trim().is_empty()).unwrap_or_else(|| "deis".into()),
            tag.filter(|t| !t.trim().is_empty()).unwrap_or_else(|| "v1.1.3".into())
        );
        params.values.push((
            Setting::RefresherImage,
            image,
            "registry_token_refresher.{org,dockerTag}".into(),
        ));
    }
    if problems.is_empty() {
        Ok(params)
    } else {
        Err(problems)
    }
}

pub(crate) fn lookup<'j>(root: &'j Json, dotted: &str) -> Option<&'j Json> {
    dotted
        .split('.')
        .try_fold(root, |value, key| value.as_object()?.get(key))
        .filter(|v| !v.is_null())
}

/// Strings as they are; numbers and booleans as written (operators write
/// `tokenRefreshTime = 30`).
pub(crate) fn scalar_text(value: &Json) -> Option<String> {
    match value {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(crate) fn type_name(value: &Json) -> &'static str {
    match value {
        Json::Array(_) => "a list",
        // The toml crate hands a date or time to serde as this one-key table.
        Json::Object(map) if map.len() == 1 && map.contains_key("$__toml_private_datetime") => {
            "a date or time (quote the value to make it a string)"
        }
        Json::Object(_) => "a table",
        _ => "another type",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKFLOW_V241_EXCERPT: &str = r#"
# This is the main configuration file for Workflow
storage = "minio"
# registry_location = "off-cluster"
registry_location = "gcr"
database_location = "on-cluster"

[builder]
org = "deisci"

[off_cluster_registry]
hostname = ""
organization = ""

[gcr]
key_json = '''
{"type": "service_account"}
'''
hostname = ""

[registry_token_refresher]
org = "deis"
pullPolicy = "IfNotPresent"
dockerTag = "v1.0.0"
secretPrefix = "private-registry"
tokenRefreshTime = 30

[registry_proxy]
hostPort = 5555
"#;

    #[test]
    fn reads_registry_keys_and_ignores_the_rest() {
        let p = parse(WORKFLOW_V241_EXCERPT).unwrap();
        assert_eq!(p.get(Setting::Location), Some(("gcr", "registry_location")));
        assert_eq!(
            p.get(Setting::GcrKeyJson).map(|(v, _)| v),
            Some("{\"type\": \"service_account\"}\n")
        );
        assert_eq!(p.get(Setting::TokenRefreshTime).map(|(v, _)| v), Some("30"));
        assert_eq!(
            p.get(Setting::RefresherImage).map(|(v, _)| v),
            Some("quay.io/deis/registry-token-refresher:v1.0.0")
        );
        assert_eq!(p.get(Setting::Hostname), Some(("", "off_cluster_registry.hostname")));
    }

    #[test]
    fn wrong_types_and_bad_toml_are_problems_without_the_value() {
        let e = parse("[ecr]\nregion = [\"us-east-1\"]\n").unwrap_err();
        assert!(
            e[0].to_string().contains("ecr.region must be a string, found a list"),
            "{}",
            e[0]
        );
        let e = parse("[off_cluster_registry]\npassword = \"hunter2\nx = 1\n").unwrap_err();
        let shown = e[0].to_string();
        assert!(shown.contains("line 2") && !shown.contains("hunter2"), "{shown}");
    }
}
