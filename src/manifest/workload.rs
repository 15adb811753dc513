//! Where the containers of each workload kind live.

use std::borrow::Cow;

use crate::yaml::tree::{Mapping, Node};
use crate::yaml::yaml11;

use super::Document;

/// The pod spec of a workload document, for every kind that runs pods.
pub fn pod_spec<'d, 'a>(doc: &'d Document<'a>) -> Option<&'d Mapping<'a>> {
    let root = doc.root.as_ref()?;
    let path: &[&str] = match doc.kind()? {
        "Pod" => &["spec"],
        "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet" | "ReplicationController" | "Job" => {
            &["spec", "template", "spec"]
        }
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => return None,
    };
    root.path(path)?.as_mapping()
}

/// A container (or init container) of a pod spec.
#[derive(Debug, Clone, Copy)]
pub struct Container<'d, 'a> {
    pub name: &'d str,
    pub node: &'d Mapping<'a>,
    pub init: bool,
}

impl<'d, 'a> Container<'d, 'a> {
    /// Whether the container declares env var `name` (by value or valueFrom).
    pub fn declares(&self, name: &str) -> bool {
        self.node
            .get("env")
            .and_then(Node::as_sequence)
            .is_some_and(|env| env.items.iter().any(|item| item.str_at(&["name"]) == Some(name)))
    }
}

impl<'d, 'a> Container<'d, 'a> {
    /// The literal `value` of env var `name` (not `valueFrom`, not null).
    pub fn env_value(&self, name: &str) -> Option<Cow<'d, str>> {
        let env = self.node.get("env")?.as_sequence()?;
        let item = env
            .items
            .iter()
            .rev()
            .find(|item| item.str_at(&["name"]) == Some(name))?;
        // Only what Kubernetes decodes as a string counts: `value: 0644` is
        // the number 420 (which Kubernetes refuses), not the text "0644".
        yaml11::decoded_str(item.path(&["value"])?)
    }

    /// The container's image, when it decodes as a string.
    pub fn image(&self) -> Option<Cow<'d, str>> {
        yaml11::decoded_str(self.node.get("image")?)
    }
}

/// Every container and init container of a workload document.
pub fn containers<'d, 'a>(doc: &'d Document<'a>) -> Vec<Container<'d, 'a>> {
    let Some(spec) = pod_spec(doc) else {
        return Vec::new();
    };
    [("initContainers", true), ("containers", false)]
        .into_iter()
        .filter_map(|(key, init)| Some((spec.get(key)?.as_sequence()?, init)))
        .flat_map(|(list, init)| {
            list.items.iter().filter_map(move |item| {
                let node = item.as_mapping()?;
                Some(Container {
                    name: item.str_at(&["name"]).unwrap_or(""),
                    node,
                    init,
                })
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse_stream;

    #[test]
    fn finds_containers_of_every_workload_kind() {
        let cases = [
            ("Pod", "spec:\n  containers: [{name: a}]\n  initContainers: [{name: i}]\n"),
            ("Deployment", "spec:\n  template:\n    spec:\n      containers: [{name: a}]\n      initContainers: [{name: i}]\n"),
            ("CronJob", "spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: a}]\n          initContainers: [{name: i}]\n"),
        ];
        for (kind, body) in cases {
            let text = format!("kind: {kind}\n{body}");
            let docs = parse_stream(&text).unwrap();
            let names: Vec<(&str, bool)> = containers(&docs[0]).iter().map(|c| (c.name, c.init)).collect();
            assert_eq!(names, [("i", true), ("a", false)], "{kind}");
        }
        let docs = parse_stream("kind: ConfigMap\nspec: {containers: [{name: a}]}\n").unwrap();
        assert!(containers(&docs[0]).is_empty());
    }

    #[test]
    fn values_and_images_count_only_when_they_decode_as_strings() {
        let text = "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: &i 'x:1'\n    env:\n    \
            - {name: P, value: 0644}\n    - {name: Q, value: '0644'}\n    - {name: R, value: true}\n    \
            - {name: S, value: !!str 5}\n    - {name: T, value: ~}\n    - {name: U, value: !!pt 'a'}\n    \
            - {name: V, value: !!binary cHJpdmF0ZQ==}\n    - {name: W, value: !!int 5}\n  - name: b\n    image: *i\n  \
            - name: c\n    image: 12\n";
        let docs = parse_stream(text).unwrap();
        let all = containers(&docs[0]);
        // A core tag go-yaml does not resolve (`!!pt`) reads as its text; `!!binary` as its bytes.
        let values: Vec<Option<Cow<str>>> = ["P", "Q", "R", "S", "T", "U", "V", "W"]
            .map(|n| all[0].env_value(n))
            .to_vec();
        let values: Vec<Option<&str>> = values.iter().map(Option::as_deref).collect();
        assert_eq!(
            values,
            [
                None,
                Some("0644"),
                None,
                Some("5"),
                None,
                Some("a"),
                Some("private"),
                None
            ]
        );
        let images: Vec<Option<Cow<str>>> = all.iter().map(|c| c.image()).collect();
        let images: Vec<Option<&str>> = images.iter().map(Option::as_deref).collect();
        assert_eq!(images, [Some("x:1"), Some("x:1"), None]);
    }
}
