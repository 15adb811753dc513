//! Which containers receive `DEIS_REGISTRY_LOCATION`.

use std::fmt;
use std::str::FromStr;

use jsonpath_rust::JsonPath;
use serde_json::Value as Json;

use super::components::KNOWN_CONTAINERS;
use crate::manifest::{containers, Container, Document};
use crate::yaml::yaml11;

pub const LOCATION_VAR: &str = "DEIS_REGISTRY_LOCATION";
pub const PREFIX_VAR: &str = "DEIS_REGISTRY_SECRET_PREFIX";

/// `--target KIND/NAME[/CONTAINER]`: an extra container (or every container of
/// a workload) to configure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: String,
    pub name: String,
    pub container: Option<String>,
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [kind, name] | [kind, name, _] if !kind.is_empty() && !name.is_empty() => Ok(Target {
                kind: (*kind).to_owned(),
                name: (*name).to_owned(),
                container: parts.get(2).filter(|c| !c.is_empty()).map(|c| (*c).to_owned()),
            }),
            _ => Err(format!(
                "{s:?} is not KIND/NAME or KIND/NAME/CONTAINER (e.g. Deployment/my-builder/builder)"
            )),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)?;
        if let Some(c) = &self.container {
            write!(f, "/{c}")?;
        }
        Ok(())
    }
}

impl Target {
    fn matches(&self, doc: &Document<'_>, container: &Container<'_, '_>) -> bool {
        doc.kind().is_some_and(|k| k.eq_ignore_ascii_case(&self.kind))
            && doc.name() == Some(self.name.as_str())
            && self.container.as_deref().is_none_or(|c| c == container.name)
    }

    /// Whether the target names a container of `doc`.
    pub fn found_in(&self, doc: &Document<'_>) -> bool {
        containers(doc).iter().any(|c| self.matches(doc, c))
    }
}

/// `--select JSONPATH`: every container of each document the query selects.
/// The query runs against a one-element array holding the document (read as
/// Kubernetes reads it), so a filter such as
/// `$[?@.metadata.labels.app == 'my-builder']` selects whole documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(String);

impl FromStr for Selector {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        jsonpath_rust::parser::parse_json_path(s)
            .map_err(|e| format!("{s:?} is not a JSONPath query (RFC 9535): {e}"))?;
        Ok(Selector(s.to_owned()))
    }
}

impl Selector {
    fn selects(&self, doc: &Json) -> bool {
        let wrapped = Json::Array(vec![doc.clone()]);
        wrapped.query(&self.0).is_ok_and(|hits| !hits.is_empty())
    }
}

/// Every way a container can be chosen.
#[derive(Debug, Clone, Default)]
pub struct Targeting {
    pub targets: Vec<Target>,
    pub selectors: Vec<Selector>,
}

impl Targeting {
    /// Whether a `--select` query selects `doc`.
    pub fn selects(&self, doc: &Document<'_>) -> bool {
        !self.selectors.is_empty() && {
            let json = doc.root.as_ref().map(yaml11::to_json).unwrap_or(Json::Null);
            self.selectors.iter().any(|s| s.selects(&json))
        }
    }

    /// The words of which a document's text holds one if it could hold a
    /// target: it names a Workflow component, a registry variable or a
    /// `--target`. `None` when a `--select` query is given (which must see
    /// every document).
    pub fn words(&self) -> Option<Vec<&str>> {
        if !self.selectors.is_empty() {
            return None;
        }
        Some(
            ["deis", "DEIS_REGISTRY"]
                .into_iter()
                .chain(self.targets.iter().map(|t| t.name.as_str()))
                .collect(),
        )
    }

    /// The containers of `doc` to configure.
    pub fn containers<'d, 'a>(&self, doc: &'d Document<'a>) -> Vec<Container<'d, 'a>> {
        let all = containers(doc);
        if all.is_empty() {
            return all;
        }
        let selected = self.selects(doc);
        let carries_registry_vars = all.iter().any(|c| c.declares(LOCATION_VAR) || c.declares(PREFIX_VAR));
        // Helm Classic kept scaled-down ReplicationControllers of the old
        // builder and controller: they carry no registry settings, and must not start to.
        let legacy_rc = doc.kind() == Some("ReplicationController")
            && doc.str_at(&["spec", "replicas"]) == Some("0")
            && !carries_registry_vars;
        all.into_iter()
            .filter(|c| {
                selected
                    || self.targets.iter().any(|t| t.matches(doc, c))
                    || (!legacy_rc
                        && (c.declares(LOCATION_VAR) || c.declares(PREFIX_VAR) || KNOWN_CONTAINERS.contains(&c.name)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse_stream;

    fn names(targeting: &Targeting, text: &str) -> Vec<String> {
        let docs = parse_stream(text).unwrap();
        targeting
            .containers(&docs[0])
            .iter()
            .map(|c| c.name.to_owned())
            .collect()
    }

    const RC: &str = "kind: ReplicationController\nmetadata: {name: deis-builder}\nspec:\n  replicas: 0\n  template:\n    spec:\n      containers: [{name: deis-builder}]\n";

    #[test]
    fn known_components_declared_vars_and_not_legacy_rcs() {
        let t = Targeting::default();
        let dep = "kind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers: [{name: deis-builder}, {name: side}, {name: app, env: [{name: DEIS_REGISTRY_SECRET_PREFIX, value: p}]}]\n";
        assert_eq!(names(&t, dep), ["deis-builder", "app"]);
        assert!(names(&t, RC).is_empty());
        assert_eq!(
            names(
                &t,
                &RC.replace(
                    "{name: deis-builder}]",
                    "{name: deis-builder, env: [{name: DEIS_REGISTRY_LOCATION, value: x}]}]"
                )
            ),
            ["deis-builder"]
        );
    }

    #[test]
    fn explicit_targets_and_selectors() {
        let t = Targeting {
            targets: vec!["replicationcontroller/deis-builder".parse().unwrap()],
            selectors: vec![],
        };
        assert_eq!(names(&t, RC), ["deis-builder"]);
        let s = Targeting {
            targets: vec![],
            selectors: vec!["$[?@.spec.replicas == 0]".parse().unwrap()],
        };
        assert_eq!(names(&s, RC), ["deis-builder"]);
        let s = Targeting {
            targets: vec![],
            selectors: vec!["$[?@.spec.replicas == 1]".parse().unwrap()],
        };
        assert!(names(&s, RC).is_empty());
        assert!("$[?".parse::<Selector>().is_err());
        assert!("Deployment".parse::<Target>().is_err());
        assert_eq!(
            "Deployment/a/b".parse::<Target>().unwrap().to_string(),
            "Deployment/a/b"
        );
    }
}
