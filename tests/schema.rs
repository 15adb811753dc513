//! Every output, for every fixture and location, validated against the
//! Kubernetes OpenAPI schemas (kubernetes-validate, strict mode, 1.32).
//!
//! The schemas shipped start at Kubernetes 1.25, which no longer has
//! `extensions/v1beta1` (the era of the Helm Classic and Helm v2 fixtures).
//! Such a document that the filter left byte for byte untouched is skipped;
//! one that it edited is checked as `apps/v1`, whose shape it has.

mod common;

use std::process::Command;

use workflow_registry::manifest::parse_stream;
use workflow_registry::transform::{self, Options};

#[test]
fn every_output_validates_against_the_kubernetes_schemas() {
    let Some(validate) = common::peer("venv/bin/kubernetes-validate") else {
        return;
    };
    let dir = common::scratch("schema");
    let mut checked = 0;
    for fixture in common::fixtures() {
        let input = common::read(&fixture);
        for location in common::LOCATIONS {
            let options = Options::in_namespace("deis");
            let out = match transform::run(&input, &common::settings(location), &options) {
                // The documented refusal: on-cluster on a render without the registry.
                Err(transform::Error::Config(m)) if location == "on-cluster" && m.contains("without its registry") => {
                    continue
                }
                other => other.unwrap().text(),
            };
            let mut docs = Vec::new();
            for doc in parse_stream(&out).unwrap().into_iter().filter(|d| d.root.is_some()) {
                let text = doc.chunk.text.trim_start_matches("---\n");
                if doc.str_at(&["apiVersion"]) == Some("extensions/v1beta1") {
                    if input.contains(text) {
                        continue;
                    }
                    docs.push(text.replacen("apiVersion: extensions/v1beta1", "apiVersion: apps/v1", 1));
                } else {
                    docs.push(text.to_owned());
                }
            }
            checked += docs.len();
            let file = dir.join(format!(
                "{}.{location}.yaml",
                fixture.file_stem().unwrap().to_string_lossy()
            ));
            std::fs::write(&file, docs.iter().map(|d| format!("---\n{d}")).collect::<String>()).unwrap();
            let result = Command::new(&validate)
                .args(["-k", "1.32.0", "--strict", "--quiet"])
                .arg(&file)
                .output()
                .unwrap();
            let said = format!("{}{}", common::text(&result.stdout), common::text(&result.stderr));
            assert!(
                result.status.success() && !said.contains("ERROR"),
                "{}:\n{said}",
                file.display()
            );
            assert!(
                !said.contains("Couldn't find schema"),
                "a document went unchecked: {said}"
            );
        }
    }
    // Four fixture/location pairs are refused (on-cluster without a registry).
    assert!(checked >= 220, "only {checked} documents validated");
}
