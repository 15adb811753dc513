//! The config object of the kustomize plugin and KRM function:
//!
//! ```yaml
//! apiVersion: registry.deis.io/v1alpha1
//! kind: WorkflowRegistry
//! metadata: {name: registry}
//! spec:                        # or the same fields at the top level
//!   registry_location: ecr     # the params file's keys and tables
//!   ecr: {region: eu-west-1}
//!   namespace: deis            # and the filter's options
//!   targets: [Deployment/my-builder]
//!   select: ["$[?@.metadata.labels.app == 'x']"]
//!   keepOnClusterRegistry: false
//! ```
//!
//! kpt's `-- key=value` form (a ConfigMap whose `data` keys are dotted params
//! keys, such as `ecr.region`) is read too.

use serde_json::{Map, Value as Json};

use crate::config::params::{self, Params};
use crate::config::Problem;
use crate::transform::{Selector, Target};
use crate::yaml::tree::Node;
use crate::yaml::yaml11;

pub const API_VERSION: &str = "registry.deis.io/v1alpha1";
pub const KIND: &str = "WorkflowRegistry";

/// Keys of the params layout, then the filter's options.
const KNOWN_KEYS: &[&str] = &[
    "registry_location",
    "off_cluster_registry",
    "ecr",
    "gcr",
    "registry_token_refresher",
    "namespace",
    "targets",
    "select",
    "keepOnClusterRegistry",
];

/// Settings and options from a function config.
#[derive(Debug, Clone, Default)]
pub struct FunctionConfig {
    pub params: Params,
    pub namespace: Option<String>,
    pub targets: Vec<Target>,
    pub selectors: Vec<Selector>,
    pub keep_on_cluster_registry: bool,
}

/// Whether a parsed document is our config object.
pub fn is_config(node: &Node<'_>) -> bool {
    node.str_at(&["kind"]) == Some(KIND)
}

/// Read a config object (already parsed).
pub fn from_node(node: &Node<'_>) -> Result<FunctionConfig, Vec<Problem>> {
    let json = yaml11::to_json(node);
    let fields = match json["kind"].as_str() {
        Some(KIND) => match json.get("spec") {
            Some(Json::Object(spec)) => spec.clone(),
            Some(_) => return Err(vec![Problem::general(format!("{KIND}: `spec` must be a mapping"))]),
            None => top_level_fields(&json),
        },
        Some("ConfigMap") => dotted_to_nested(json.get("data").and_then(Json::as_object)),
        other => {
            return Err(vec![Problem::general(format!(
                "the function config must be apiVersion: {API_VERSION}, kind: {KIND} (or a ConfigMap), found kind {}",
                other.unwrap_or("(none)")
            ))])
        }
    };
    let mut problems: Vec<Problem> = fields
        .keys()
        .filter(|k| !KNOWN_KEYS.contains(&k.as_str()))
        .map(|k| {
            Problem::general(format!(
                "{KIND}: unknown field `{k}` (known: {})",
                KNOWN_KEYS.join(", ")
            ))
        })
        .collect();
    let fields = Json::Object(fields);
    let params = params::from_json(&fields).unwrap_or_else(|p| {
        problems.extend(p);
        Params::default()
    });
    let strings = |key: &str, problems: &mut Vec<Problem>| -> Vec<String> {
        match fields.get(key) {
            None | Some(Json::Null) => vec![],
            Some(Json::Array(items)) if items.iter().all(Json::is_string) => {
                items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect()
            }
            Some(Json::String(one)) => vec![one.clone()],
            Some(_) => {
                problems.push(Problem::general(format!("{KIND}: `{key}` must be a list of strings")));
                vec![]
            }
        }
    };
    let targets = strings("targets", &mut problems);
    let selects = strings("select", &mut problems);
    let parsed = |text: &str, problems: &mut Vec<Problem>| {
        text.parse()
            .map_err(|e: String| problems.push(Problem::general(format!("{KIND}: {e}"))))
            .ok()
    };
    let targets = targets.iter().filter_map(|t| parsed(t, &mut problems)).collect();
    let selectors = selects
        .iter()
        .filter_map(|s| {
            s.parse::<Selector>()
                .map_err(|e| problems.push(Problem::general(format!("{KIND}: {e}"))))
                .ok()
        })
        .collect();
    let keep = match fields.get("keepOnClusterRegistry") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => *b,
        Some(Json::String(s)) if s == "true" || s == "false" => s == "true",
        Some(_) => {
            problems.push(Problem::general(format!(
                "{KIND}: `keepOnClusterRegistry` must be true or false"
            )));
            false
        }
    };
    let namespace = fields
        .get("namespace")
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if problems.is_empty() {
        Ok(FunctionConfig {
            params,
            namespace,
            targets,
            selectors,
            keep_on_cluster_registry: keep,
        })
    } else {
        Err(problems)
    }
}

/// Read a config object from a file (kustomize's legacy exec plugins get its path as `argv[1]`).
pub fn from_file(path: &std::path::Path) -> Result<FunctionConfig, Vec<Problem>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Problem::general(format!(
            "cannot read the plugin config {}: {e}",
            path.display()
        ))]
    })?;
    let root = crate::yaml::tree::parse(text.trim_start_matches("---\n"))
        .map_err(|e| {
            vec![Problem::general(format!(
                "plugin config {} line {}: {}",
                path.display(),
                e.line,
                e.message
            ))]
        })?
        .ok_or_else(|| vec![Problem::general(format!("plugin config {} is empty", path.display()))])?;
    from_node(&root)
}

fn top_level_fields(json: &Json) -> Map<String, Json> {
    let mut fields = json.as_object().cloned().unwrap_or_default();
    for envelope in ["apiVersion", "kind", "metadata"] {
        fields.remove(envelope);
    }
    fields
}

/// `{"ecr.region": "x"}` → `{"ecr": {"region": "x"}}`.
fn dotted_to_nested(data: Option<&Map<String, Json>>) -> Map<String, Json> {
    let mut out = Map::new();
    for (key, value) in data.into_iter().flatten() {
        let mut parts: Vec<&str> = key.split('.').collect();
        let last = parts.pop().unwrap_or_default();
        let mut node = &mut out;
        for part in parts {
            let entry = node.entry(part.to_owned()).or_insert_with(|| Json::Object(Map::new()));
            if !entry.is_object() {
                *entry = Json::Object(Map::new());
            }
            node = entry.as_object_mut().expect("made an object above");
        }
        node.insert(last.to_owned(), value.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Setting;
    use crate::yaml::tree::parse;

    fn read(text: &str) -> Result<FunctionConfig, Vec<Problem>> {
        from_node(&parse(text).unwrap().unwrap())
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
            all.iter().any(|p| p.contains("unknown field `registry_locaton`")),
            "{all:?}"
        );
        assert!(all.iter().any(|p| p.contains("\"nope\" is not KIND/NAME")), "{all:?}");
        assert!(read("kind: Deployment\n").unwrap_err()[0]
            .to_string()
            .contains("found kind Deployment"));
    }
}
