//! The YAML 1.1 oracle: Kubernetes' own decoder (sigs.k8s.io/yaml over
//! go-yaml v2, built as target/peers/k8sjson) reads every fixture before and
//! after the filter, for every location. Documents the filter did not mean to
//! change must read the same; changed ones may differ only in the intended
//! fields, and those must hold the intended values.

mod common;

use base64::Engine;
use serde_json::Value as Json;

use workflow_registry::transform::{self, Options};

use common::k8s_decode as decode;

fn name_of(key: &str) -> &str {
    key.rsplit('/').next().unwrap()
}

fn is_registry_component(key: &str) -> bool {
    let kind = key.split('/').next().unwrap();
    (name_of(key) == "deis-registry"
        && ["Deployment", "Service", "ServiceAccount", "ReplicationController"].contains(&kind))
        || key.starts_with("DaemonSet/") && name_of(key) == "deis-registry-proxy"
}

fn is_refresher_object(key: &str) -> bool {
    ["deis-registry-token-refresher", "deis:deis-registry-token-refresher"].contains(&name_of(key))
}

/// A registry Secret without what the filter owns in it.
fn secret_without_owned(mut v: Json) -> Json {
    let obj = v.as_object_mut().unwrap();
    for owned in ["data", "stringData", "type"] {
        obj.remove(owned);
    }
    if let Some(meta) = obj.get_mut("metadata").and_then(Json::as_object_mut) {
        meta.get_mut("labels")
            .and_then(Json::as_object_mut)
            .map(|l| l.remove("heritage"));
        meta.get_mut("annotations")
            .and_then(Json::as_object_mut)
            .map(|a| a.remove("deis.io/registry-location"));
        for key in ["labels", "annotations"] {
            if meta.get(key).and_then(Json::as_object).is_some_and(|m| m.is_empty()) {
                meta.remove(key);
            }
        }
    }
    v
}

#[test]
fn kubernetes_reads_only_the_intended_changes() {
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let mut checked = 0;
    for fixture in common::fixtures() {
        let input = common::read(&fixture);
        let before = decode(&k8sjson, &input);
        for location in common::LOCATIONS {
            let settings = common::settings(location);
            let options = Options {
                namespace: Some("deis".into()),
                ..Options::default()
            };
            let out = match transform::run(&input, &settings, &options) {
                // The documented refusal: on-cluster on a render without the registry.
                Err(transform::Error::Config(m)) if location == "on-cluster" && m.contains("without its registry") => {
                    continue
                }
                other => other.unwrap(),
            };
            let after = decode(&k8sjson, &out.text());
            let what = format!("{} through {location}", fixture.file_name().unwrap().to_string_lossy());
            let keeps_registry = location == "on-cluster";
            let needs_refresher = location == "ecr" || location == "gcr";

            for (key, old) in &before {
                let expected_gone = (is_registry_component(key) && !keeps_registry)
                    || (name_of(key) == "registry-secret" && location == "on-cluster")
                    || (is_refresher_object(key) && !needs_refresher);
                let new = after.iter().find(|(k, _)| k == key).map(|(_, v)| v);
                match (expected_gone, new) {
                    (true, None) => {}
                    (true, Some(_)) => panic!("{what}: {key} should have been removed"),
                    (false, None) => panic!("{what}: {key} disappeared"),
                    (false, Some(new)) if name_of(key) == "registry-secret" => {
                        assert_eq!(
                            secret_without_owned(old.clone()),
                            secret_without_owned(new.clone()),
                            "{what}: {key}"
                        );
                    }
                    (false, Some(new)) => {
                        assert_eq!(
                            common::without_intended(old.clone()),
                            common::without_intended(new.clone()),
                            "{what}: {key} changed beyond the intended fields"
                        );
                    }
                }
                checked += 1;
            }
            for (key, _) in &after {
                let added = !before.iter().any(|(k, _)| k == key);
                assert!(
                    !added || name_of(key) == "registry-secret" || is_refresher_object(key),
                    "{what}: unexpected new document {key}"
                );
            }

            // The intended values, as Kubernetes reads them.
            let secret = after
                .iter()
                .find(|(k, _)| name_of(k) == "registry-secret")
                .map(|(_, v)| v);
            assert_eq!(secret.is_some(), location != "on-cluster", "{what}");
            if let Some(secret) = secret {
                let b64 = base64::engine::general_purpose::STANDARD;
                let data = secret["data"].as_object().unwrap();
                let expected = settings.location.secret_data();
                assert_eq!(data.len(), expected.len(), "{what}: exactly the location's keys");
                for (k, v) in expected {
                    let decoded = b64
                        .decode(
                            data[k]
                                .as_str()
                                .unwrap_or_else(|| panic!("{what}: {k} is not a string")),
                        )
                        .unwrap();
                    assert_eq!(String::from_utf8(decoded).unwrap(), v, "{what}: data.{k}");
                }
                assert_eq!(
                    secret["metadata"]["annotations"]["deis.io/registry-location"],
                    Json::String(location.into())
                );
                assert_eq!(secret["type"], "Opaque");
            }
            let json = serde_json::to_string(&after.iter().map(|(_, v)| v).collect::<Vec<_>>()).unwrap();
            assert!(
                !json.contains("\"name\":\"DEIS_REGISTRY_LOCATION\",\"value\":true"),
                "{what}: a boolean location"
            );
        }
    }
    assert!(checked > 100, "only {checked} documents checked");
}
