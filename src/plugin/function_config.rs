//! The config object of the kustomize plugin and KRM function (`kind:
//! WorkflowRegistry`, or kpt's `-- key=value` ConfigMap of dotted params
//! keys): the params file's keys plus the filter's options (docs/configuration.md).
//! Fields go all under `spec:` or all at the top level (a mix would half be
//! ignored: refused); every key at every depth must be known, except
//! kustomize's own. Where `@path`s resolve: [`crate::files::Base::for_config`].

use std::path::Path;

use serde_json::{Map, Value as Json};

use crate::config::{file, FileKind, Problem};
use crate::files;
use crate::names::is_dns_label;
use crate::transform::{Selector, Target};
use crate::yaml::tree::Node;
use crate::yaml::yaml11;

pub const API_VERSION: &str = "registry.deis.io/v1alpha1";
pub const KIND: &str = "WorkflowRegistry";

/// The filter's options, beside the settings (the params file's keys).
const OPTIONS: &[&str] = &["namespace", "targets", "select", "keepOnClusterRegistry"];

/// Fields kustomize puts into a plugin's config for its own use.
const KUSTOMIZE_FIELDS: &[&str] = &["argsOneLiner", "argsFromFile"];

/// Settings and options from a function config.
#[derive(Debug, Clone, Default)]
pub struct FunctionConfig {
    pub params: file::File,
    pub namespace: Option<String>,
    pub targets: Vec<Target>,
    pub selectors: Vec<Selector>,
    pub keep_on_cluster_registry: bool,
}

/// Read a parsed config object from `file` (`None`: a KRM `functionConfig`
/// on standard input); `@path`s resolve in `dir`, else next to `file`.
pub fn from_node(node: &Node<'_>, file: Option<&Path>, dir: Option<&Path>) -> Result<FunctionConfig, Vec<Problem>> {
    let json = yaml11::to_json(node);
    let mut problems = Vec::new();
    let mut fields = match json["kind"].as_str() {
        Some(KIND) => {
            let mut top = json.as_object().cloned().unwrap_or_default();
            top.retain(|k, _| !["apiVersion", "kind", "metadata"].contains(&k.as_str()));
            match json.get("spec") {
                Some(Json::Object(spec)) => {
                    let mixed: Vec<&str> = top
                        .keys()
                        .map(String::as_str)
                        .filter(|k| *k != "spec" && !KUSTOMIZE_FIELDS.contains(k))
                        .collect();
                    if !mixed.is_empty() {
                        problems.push(problem(format!(
                            "`{}` is at the top level next to `spec`: put every field under `spec` (or none; half \
                             of the config would otherwise be ignored)",
                            mixed.join("`, `")
                        )));
                    }
                    spec.clone()
                }
                Some(Json::Null) | None => top,
                Some(_) => return Err(vec![problem("`spec` must be a mapping")]),
            }
        }
        Some("ConfigMap") => match json.get("data") {
            None | Some(Json::Null) => Map::new(),
            Some(Json::Object(data)) => dotted_to_nested(data),
            Some(_) => return Err(vec![Problem::general("ConfigMap: `data` must be a mapping")]),
        },
        other => {
            return Err(vec![Problem::general(format!(
                "the function config must be apiVersion: {API_VERSION}, kind: {KIND} (or a ConfigMap), found kind {}",
                other.unwrap_or("(none)")
            ))])
        }
    };
    fields.retain(|k, _| !KUSTOMIZE_FIELDS.contains(&k.as_str()));
    let fields = Json::Object(fields);
    // A key's line: under `spec`, at the top, or a ConfigMap's dotted `data` key.
    let line = |key: &str| {
        file::yaml_line(node, &format!("spec.{key}"))
            .or_else(|| file::yaml_line(node, key))
            .or_else(|| Some(node.as_mapping()?.get("data")?.as_mapping()?.get(key)?.loc().line))
    };
    let params = file::from_json(FileKind::FunctionConfig, &fields, OPTIONS, &line)
        .and_then(|p| p.located(file, dir).map_err(|e| vec![e]))
        .unwrap_or_else(|p| {
            problems.extend(p.into_iter().map(|p| p.prefixed(&format!("{KIND}: "))));
            file::File::default()
        });
    let targets = parsed_list(&fields, "targets", &mut problems);
    let selectors = parsed_list(&fields, "select", &mut problems);
    let keep = match fields.get("keepOnClusterRegistry") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => *b,
        Some(Json::String(s)) if s == "true" || s == "false" => s == "true",
        Some(_) => {
            problems.push(problem("`keepOnClusterRegistry` must be true or false"));
            false
        }
    };
    let namespace = match fields.get("namespace") {
        None | Some(Json::Null) => None,
        Some(Json::String(ns)) if ns.trim().is_empty() => None,
        Some(Json::String(ns)) if is_dns_label(ns) => Some(ns.clone()),
        Some(_) => {
            problems.push(problem(
                "`namespace` must be a namespace name (lowercase letters, digits and `-`, at most 63)",
            ));
            None
        }
    };
    let config = FunctionConfig {
        params,
        namespace,
        targets,
        selectors,
        keep_on_cluster_registry: keep,
    };
    problems.is_empty().then_some(config).ok_or(problems)
}

fn problem(message: impl std::fmt::Display) -> Problem {
    Problem::general(format!("{KIND}: {message}"))
}

/// A string or list of strings at `key`, each parsed.
fn parsed_list<T: std::str::FromStr<Err = String>>(fields: &Json, key: &str, problems: &mut Vec<Problem>) -> Vec<T> {
    let items: Vec<&Json> = match fields.get(key) {
        None | Some(Json::Null) => vec![],
        Some(Json::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
    };
    let mut parsed = Vec::new();
    for item in items {
        match item.as_str().map(str::parse) {
            Some(Ok(value)) => parsed.push(value),
            Some(Err(e)) => problems.push(problem(e)),
            None => problems.push(problem(format!("`{key}` must be a list of strings"))),
        }
    }
    parsed
}

/// Read a config object from a (bounded, regular) file; `@path`s in it
/// resolve in `dir`, else next to it.
pub fn from_file(path: &Path, dir: Option<&Path>) -> Result<FunctionConfig, Vec<Problem>> {
    let general = |message: String| vec![Problem::general(message)];
    let text =
        files::read_operator_file(path, files::Kind::ConfigFile).map_err(|e| general(format!("plugin config: {e}")))?;
    let shown = path.display();
    let root = crate::yaml::tree::parse(&text)
        .map_err(|e| general(format!("plugin config {shown} line {}: {}", e.line, e.message)))?
        .ok_or_else(|| general(format!("plugin config {shown} is empty")))?;
    let named = format!("plugin config {shown}: ");
    from_node(&root, Some(path), dir).map_err(|problems| problems.into_iter().map(|p| p.prefixed(&named)).collect())
}

/// Whether a file's text holds our config object (how kustomize's legacy
/// exec `argv[1]` is recognised).
pub fn text_is_config(text: &str) -> bool {
    crate::yaml::tree::parse(text.trim_start_matches("---\n"))
        .ok()
        .flatten()
        .is_some_and(|root| root.str_at(&["kind"]) == Some(KIND))
}

/// `{"ecr.region": "x"}` → `{"ecr": {"region": "x"}}`.
fn dotted_to_nested(data: &Map<String, Json>) -> Map<String, Json> {
    let mut out = Map::new();
    for (key, value) in data {
        let (mut map, mut parts) = (&mut out, key.split('.'));
        let last = parts.next_back().unwrap_or_default();
        for part in parts {
            let entry = map.entry(part.to_owned()).or_insert(Json::Null);
            if !entry.is_object() {
                *entry = Json::Object(Map::new());
            }
            map = entry.as_object_mut().expect("made an object just above");
        }
        map.insert(last.to_owned(), value.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Setting;
    use crate::yaml::tree::parse;

    fn read(text: &str) -> Result<FunctionConfig, Vec<Problem>> {
        from_node(&parse(text).unwrap().unwrap(), None, None)
    }

    #[test]
    fn spec_or_top_level_fields_mirror_the_params_file() {
        let c = read("apiVersion: registry.deis.io/v1alpha1\nkind: WorkflowRegistry\nmetadata: {name: r}\nspec:\n  registry_location: ecr\n  ecr: {region: eu-west-1}\n  registry_token_refresher: {tokenRefreshTime: 600}\n  namespace: wf\n  targets: [Deployment/x/y]\n  keepOnClusterRegistry: true\n").unwrap();
        assert_eq!(c.params.get(Setting::Location).map(|(v, _)| v), Some("ecr"));
        assert_eq!(c.params.get(Setting::EcrRegion).map(|(v, _)| v), Some("eu-west-1"));
        assert_eq!(c.params.get(Setting::TokenRefreshTime).map(|(v, _)| v), Some("600"));
        assert_eq!(
            (c.namespace.as_deref(), c.targets.len(), c.keep_on_cluster_registry),
            (Some("wf"), 1, true)
        );
        let top = read("apiVersion: registry.deis.io/v1alpha1\nkind: WorkflowRegistry\nmetadata: {name: r}\nregistry_location: gcr\n").unwrap();
        assert_eq!(top.params.get(Setting::Location).map(|(v, _)| v), Some("gcr"));
    }

    #[test]
    fn kpt_configmap_with_dotted_keys() {
        let c = read("kind: ConfigMap\nmetadata: {name: function-input}\ndata: {registry_location: off-cluster, off_cluster_registry.hostname: quay.io}\n").unwrap();
        assert_eq!(c.params.get(Setting::Hostname).map(|(v, _)| v), Some("quay.io"));
    }

    #[test]
    fn unknown_fields_wrong_kinds_and_bad_targets_are_problems() {
        let e = read("kind: WorkflowRegistry\nspec: {registry_locaton: gcr, targets: [nope]}\n").unwrap_err();
        let all: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert!(
            all.iter().any(|p| p.contains("unknown key `registry_locaton`")),
            "{all:?}"
        );
        assert!(all.iter().any(|p| p.contains("\"nope\" is not KIND/NAME")), "{all:?}");
        assert!(read("kind: Deployment\n").unwrap_err()[0]
            .to_string()
            .contains("found kind Deployment"));
    }
}
