//! Workflow's `tpl/generate_params.toml` layout (Helm Classic, v2.4.x).
//!
//! Only the registry keys are read; every other key and table of that file
//! (`storage`, `[builder]`, `[minio]`, ...) is ignored, so an operator can
//! point `--params` at the very file they already keep.

use std::path::Path;

use serde_json::Value as Json;

use super::setting::{Setting, DEFINITIONS};
use super::Problem;

/// The registry values found in a params file, with the key each came from.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params {
    pub values: Vec<(Setting, String, String)>,
}

impl Params {
    /// The value and key for `setting`, if the file sets it.
    pub fn get(&self, setting: Setting) -> Option<(&str, &str)> {
        self.values
            .iter()
            .find(|(s, ..)| *s == setting)
            .map(|(_, v, k)| (v.as_str(), k.as_str()))
    }
}

/// Read a params file. Problems name the file and the key.
pub fn load(path: &Path) -> Result<Params, Vec<Problem>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Problem::general(format!(
            "--params {}: cannot read the file: {e}",
            path.display()
        ))]
    })?;
    parse(&text).map_err(|problems| {
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
        let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
        let what = e.message().to_owned();
        vec![Problem::general(match line {
            Some(line) => format!("not valid TOML at line {line}: {what}"),
            None => format!("not valid TOML: {what}"),
        })]
    })?;
    // One reader for every source: TOML here, function configs in kustomize/kpt.
    let json =
        serde_json::to_value(&table).map_err(|e| vec![Problem::general(format!("cannot read the TOML: {e}"))])?;
    from_json(&json)
}

/// Read the registry keys from an object in the params layout (a TOML file
/// converted to JSON, or a kustomize/kpt function config's fields).
pub fn from_json(root: &Json) -> Result<Params, Vec<Problem>> {
    let mut params = Params::default();
    let mut problems = Vec::new();
    for def in DEFINITIONS.iter().filter(|d| d.setting != Setting::RefresherImage) {
        match lookup(root, def.params_key) {
            None => {}
            Some(value) => match scalar_text(value) {
                Some(text) => params.values.push((def.setting, text, def.params_key.to_owned())),
                None => problems.push(Problem::about(
                    def.setting,
                    format!("{} must be a string, found {}", def.params_key, type_name(value)),
                )),
            },
        }
    }
    let org = lookup(root, "registry_token_refresher.org").and_then(scalar_text);
    let tag = lookup(root, "registry_token_refresher.dockerTag").and_then(scalar_text);
    if org.is_some() || tag.is_some() {
        // Helm Classic's template: quay.io/{{org}}/registry-token-refresher:{{dockerTag}}.
        let image = format!(
            "quay.io/{}/registry-token-refresher:{}",
            org.filter(|o| !o.is_empty()).unwrap_or_else(|| "deis".into()),
            tag.filter(|t| !t.is_empty()).unwrap_or_else(|| "v1.1.3".into())
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

fn lookup<'j>(root: &'j Json, dotted: &str) -> Option<&'j Json> {
    dotted
        .split('.')
        .try_fold(root, |value, key| value.as_object()?.get(key))
        .filter(|v| !v.is_null())
}

/// Strings as they are; numbers and booleans as written (operators write
/// `tokenRefreshTime = 30`).
fn scalar_text(value: &Json) -> Option<String> {
    match value {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn type_name(value: &Json) -> &'static str {
    match value {
        Json::Array(_) => "a list",
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
