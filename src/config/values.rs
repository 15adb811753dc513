//! A Workflow v2.5+ / Hephy chart values file (`--values values.yaml`).
//!
//! Only the registry keys are read: `global.registry_location`,
//! `global.secret_prefix` and the `registry-token-refresher` sub-chart's
//! values. The rest of the file (storage, router, ...) is ignored, but
//! inside `registry-token-refresher` every key must be one the sub-chart
//! knows, so a typo cannot silently do nothing.
//!
//! The refresher image is built as Hephy v2.23's sub-chart builds it
//! (`templates/registry-token-refresher-deployment.yaml`):
//! `{{.Values.org}}/registry-token-refresher:{{.Values.docker_tag}}`, with the
//! sub-chart's defaults `org: hephy`, `docker_tag: v1.2.2` for the part the
//! file leaves out.

use std::path::Path;

use serde_json::Value as Json;

use super::params::{self, lookup, scalar_text, type_name, FileKind, Params};
use super::setting::Setting;
use super::{suggest, Problem};
use crate::files;
use crate::yaml::{tree, yaml11};

/// The sub-chart's name, which is also its key in the parent's values.
pub const SUBCHART: &str = "registry-token-refresher";

/// Each setting and its key in a values file.
pub const KEYS: &[(Setting, &str)] = &[
    (Setting::Location, "global.registry_location"),
    (Setting::SecretPrefix, "global.secret_prefix"),
    (Setting::TokenRefreshTime, "registry-token-refresher.token_refresh_time"),
    (
        Setting::Hostname,
        "registry-token-refresher.off_cluster_registry.hostname",
    ),
    (
        Setting::Organization,
        "registry-token-refresher.off_cluster_registry.organization",
    ),
    (
        Setting::Username,
        "registry-token-refresher.off_cluster_registry.username",
    ),
    (
        Setting::Password,
        "registry-token-refresher.off_cluster_registry.password",
    ),
    (Setting::EcrAccessKey, "registry-token-refresher.ecr.accesskey"),
    (Setting::EcrSecretKey, "registry-token-refresher.ecr.secretkey"),
    (Setting::EcrRegion, "registry-token-refresher.ecr.region"),
    (Setting::EcrRegistryId, "registry-token-refresher.ecr.registryid"),
    (Setting::EcrHostname, "registry-token-refresher.ecr.hostname"),
    (Setting::GcrKeyJson, "registry-token-refresher.gcr.key_json"),
    (Setting::GcrHostname, "registry-token-refresher.gcr.hostname"),
];

/// Keys of the sub-chart's own `values.yaml` besides its tables.
const SUBCHART_KEYS: &[&str] = &[
    "token_refresh_time",
    "off_cluster_registry",
    "ecr",
    "gcr",
    "org",
    "docker_tag",
    "docker_registry",
    "pull_policy",
    "limits_cpu",
    "limits_memory",
];

/// The key under which the refresher image is reported.
pub const IMAGE_KEY: &str = "registry-token-refresher.{docker_registry,org,docker_tag}";

/// Read a values file. Problems name the file and the key.
pub fn load(path: &Path) -> Result<Params, Vec<Problem>> {
    let prefixed = |problems: Vec<Problem>| -> Vec<Problem> {
        problems
            .into_iter()
            .map(|p| p.prefixed(&format!("--values {}: ", path.display())))
            .collect()
    };
    let text = files::read_operator_file(path, files::Kind::ConfigFile)
        .map_err(|e| vec![Problem::general(format!("--values: {e}"))])?;
    let params = parse(&text).map_err(prefixed)?;
    params
        .located(FileKind::Values, Some(path), None)
        .map_err(|e| prefixed(vec![e]))
}

/// Parse values text (one YAML document, read as Kubernetes and Helm read
/// YAML 1.1 scalars).
pub fn parse(text: &str) -> Result<Params, Vec<Problem>> {
    let text = text.strip_prefix("---\n").unwrap_or(text);
    let json = match tree::parse(text) {
        // The parser's message names a position, never the content.
        Err(e) => {
            return Err(vec![Problem::general(format!(
                "not valid YAML at line {}: {}",
                e.line, e.message
            ))])
        }
        Ok(None) => Json::Object(Default::default()),
        Ok(Some(root)) => yaml11::to_json(&root),
    };
    if !json.is_object() {
        return Err(vec![Problem::general("a values file must be a mapping")]);
    }
    from_json(&json)
}

/// Read the registry keys of a values file's content.
pub fn from_json(root: &Json) -> Result<Params, Vec<Problem>> {
    let mut problems = misspellings(root);
    let mut params = Params {
        kind: FileKind::Values,
        ..Params::default()
    };
    match root.get(SUBCHART) {
        None | Some(Json::Null) => {}
        Some(Json::Object(sub)) => {
            for key in sub.keys().filter(|k| !SUBCHART_KEYS.contains(&k.as_str())) {
                let hint = suggest::hint(key, SUBCHART_KEYS);
                problems.push(Problem::general(format!(
                    "unknown key `{SUBCHART}.{}`{hint}",
                    key.escape_debug()
                )));
            }
            let as_params = Json::Object(sub.clone());
            problems.extend(params::unknown_nested_keys(&as_params, &format!("{SUBCHART}: ")));
        }
        Some(other) => problems.push(Problem::general(format!(
            "`{SUBCHART}` must be a mapping, found {}",
            type_name(other)
        ))),
    }
    for (setting, key) in KEYS {
        let Some(value) = lookup(root, key) else { continue };
        match scalar_text(value) {
            Some(text) => params.values.push((*setting, text, (*key).to_owned())),
            None => problems.push(Problem::about(
                *setting,
                format!("{key} must be a string, found {}", type_name(value)),
            )),
        }
    }
    if let Some(image) = image(root) {
        params
            .values
            .push((Setting::RefresherImage, image, IMAGE_KEY.to_owned()));
    }
    if problems.is_empty() {
        Ok(params)
    } else {
        Err(problems)
    }
}

/// The refresher image the sub-chart renders, when the file says anything
/// about it.
fn image(root: &Json) -> Option<String> {
    let get = |key: &str| {
        lookup(root, &format!("{SUBCHART}.{key}"))
            .and_then(scalar_text)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let (registry, org, tag) = (get("docker_registry"), get("org"), get("docker_tag"));
    if registry.is_none() && org.is_none() && tag.is_none() {
        return None;
    }
    let registry = registry
        .map(|r| format!("{}/", r.trim_end_matches('/')))
        .unwrap_or_default();
    Some(format!(
        "{registry}{}/registry-token-refresher:{}",
        org.as_deref().unwrap_or("hephy"),
        tag.as_deref().unwrap_or("v1.2.2")
    ))
}

/// Near misses of the keys read here: `registry_token_refresher` (the
/// params file's spelling) at the top, `registry_locaton` under `global`.
fn misspellings(root: &Json) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(top) = root.as_object() {
        for key in top.keys().filter(|k| k.as_str() != SUBCHART) {
            if suggest::closest(key, &[SUBCHART]).is_some() {
                problems.push(Problem::general(format!(
                    "unknown key `{}`: did you mean `{SUBCHART}`?",
                    key.escape_debug()
                )));
            }
        }
    }
    if let Some(Json::Object(global)) = root.get("global") {
        let ours = ["registry_location", "secret_prefix"];
        for key in global.keys().filter(|k| !ours.contains(&k.as_str())) {
            if let Some(m) = suggest::closest(key, &ours) {
                problems.push(Problem::general(format!(
                    "unknown key `global.{}`: did you mean `global.{m}`?",
                    key.escape_debug()
                )));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_registry_keys_of_a_values_file() {
        let p = parse(
            "global:\n  storage: minio\n  registry_location: ecr\n  secret_prefix: acme\n\
             registry-token-refresher:\n  token_refresh_time: 30\n  org: myorg\n  ecr:\n    region: eu-west-1\n\
             router:\n  dhparam: \"\"\n",
        )
        .unwrap();
        assert_eq!(p.get(Setting::Location), Some(("ecr", "global.registry_location")));
        assert_eq!(p.get(Setting::SecretPrefix).map(|(v, _)| v), Some("acme"));
        assert_eq!(p.get(Setting::TokenRefreshTime).map(|(v, _)| v), Some("30"));
        assert_eq!(p.get(Setting::EcrRegion).map(|(v, _)| v), Some("eu-west-1"));
        assert_eq!(
            p.get(Setting::RefresherImage).map(|(v, _)| v),
            Some("myorg/registry-token-refresher:v1.2.2")
        );
        let none = parse("global: {registry_location: gcr}\n").unwrap();
        assert_eq!(none.get(Setting::RefresherImage), None, "the chart's image stands");
    }

    #[test]
    fn typos_and_unknown_keys_are_reported() {
        let e = parse("registry-token-refresher:\n  ecr: {regoin: x}\n  tokn_refresh_time: 1\n  nodeSelector: {}\n")
            .unwrap_err();
        let all: Vec<String> = e.iter().map(ToString::to_string).collect();
        let all = all.join("\n");
        for needle in [
            "`ecr.regoin`; did you mean `region`?",
            "`registry-token-refresher.tokn_refresh_time`; did you mean `token_refresh_time`?",
            "`registry-token-refresher.nodeSelector` (known:",
        ] {
            assert!(all.contains(needle), "{needle} in {all}");
        }
        let e = parse("registry_token_refresher: {}\nglobal: {registry_locaton: gcr}\n").unwrap_err();
        let all: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert!(
            all.iter()
                .any(|p| p.contains("did you mean `registry-token-refresher`")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|p| p.contains("did you mean `global.registry_location`")),
            "{all:?}"
        );
    }
}
