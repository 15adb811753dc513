// The `filter` fuzz target's oracle, shared with the corpus replay test
// (tests/fuzz_replay.rs) so that CI replays the corpus without cargo-fuzz.
//
// The whole filter against the reference model (tests/model, the same
// oracle as the differential test): arbitrary bytes as the manifest, with a
// configuration chosen by the first byte. Invariants:
// - no panic, no hang;
// - when the model says the run must fail (namespace unknown, conflicting,
//   on-cluster without a registry, a refresher that cannot start...), the
//   filter fails too;
// - when the filter succeeds, its output decodes (YAML 1.1, merge keys, tags,
//   aliases: `yaml11::decode`, itself checked against Kubernetes' decoder by
//   the test suite) to exactly what the model says the input must become,
//   and running the filter on it again changes nothing.
//
// The filter may refuse an input (a located error) where it cannot edit
// safely; it may never succeed with a different meaning.
//
// Input layout: `[config, manifest...]`: location (bits 0-1), `--namespace`
// (bits 2-3: none, deis, hephy, workflow), `--secret-prefix acme` (bit 4),
// `--keep-on-cluster-registry` (bit 5), an explicit refresher image (bit 6),
// a configured token refresh time of 30 minutes (bit 7).
// fuzz/seed.sh writes seeds in every shape from the differential test.

#[allow(unused_imports)]
#[path = "../../tests/model/mod.rs"]
mod model;

use serde_json::Value as Json;
use workflow_registry::config::{self, Setting};
use workflow_registry::manifest::parse_stream;
use workflow_registry::platform::Given;
use workflow_registry::transform::{self, Options};
use workflow_registry::yaml::yaml11;

const KEY: &str = r#"{"type":"service_account","project_id":"p","private_key_id":"k","private_key":"-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n","client_email":"e@p"}"#;
const LOCATIONS: [&str; 4] = ["on-cluster", "off-cluster", "ecr", "gcr"];
const IMAGE: &str = "registry.example.com/tools/refresher:v9";

/// Every document as Kubernetes decodes it (null documents dropped), or
/// None when any document does not parse or decode.
fn decode(stream: &str) -> Option<Vec<Json>> {
    let docs = parse_stream(stream).ok()?;
    let mut out = Vec::new();
    for doc in &docs {
        if let Some(root) = &doc.root {
            match yaml11::decode(root).ok()? {
                Json::Null => {}
                v => out.push(v),
            }
        }
    }
    Some(out)
}

/// The model's configuration for a choice byte.
fn model_config(choice: u8) -> model::Config {
    let mut c = model::Config::for_location(LOCATIONS[usize::from(choice & 3)], KEY);
    c.namespace =
        [None, Some("deis"), Some("hephy"), Some("workflow")][usize::from((choice >> 2) & 3)].map(str::to_owned);
    c.secret_prefix = (choice & 16 != 0).then(|| "acme".to_owned());
    c.keep_on_cluster_registry = choice & 32 != 0;
    c.refresher_image = (choice & 64 != 0).then(|| IMAGE.to_owned());
    if choice & 128 != 0 {
        c.token_refresh_time = "30".to_owned();
    }
    c
}

/// The same configuration as the tool's validated settings.
fn settings(c: &model::Config) -> Option<config::Settings> {
    let env = c.env();
    let lookup = move |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
    let mut flags = Vec::new();
    if let Some(prefix) = &c.secret_prefix {
        flags.push((Setting::SecretPrefix, prefix.clone()));
    }
    let inputs = config::Inputs {
        flags,
        env: Some(&lookup),
        ..config::Inputs::default()
    };
    config::validate(&config::resolve(&inputs)).ok().map(|(s, _)| s)
}

/// What one input came to (for the replay's summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Not `[config, UTF-8 manifest]`.
    NotAnInput,
    /// The filter refused it (allowed: it may refuse where it cannot edit safely).
    Refused,
    /// Some document does not decode: no oracle.
    Undecodable,
    /// The filter's output means what the model says, and is a fixed point.
    Agreed,
}

/// Run one input through the filter and hold it to the model: panics on a
/// disagreement.
pub fn check(data: &[u8]) -> Outcome {
    let [choice, manifest @ ..] = data else {
        return Outcome::NotAnInput;
    };
    let Ok(stream) = std::str::from_utf8(manifest) else {
        return Outcome::NotAnInput;
    };
    let c = model_config(*choice);
    let Some(settings) = settings(&c) else {
        panic!("the fuzz configuration is invalid: {:?}", c.env());
    };
    let mut options = Options {
        keep_on_cluster_registry: c.keep_on_cluster_registry,
        ..Options::default()
    };
    options.context.given = c.namespace.clone().map(|name| Given {
        name,
        origin: "--namespace".into(),
    });
    let result = transform::run(stream, &settings, &options);
    // Documents the filter passes through untouched need not decode (an
    // alias bomb in an unrelated document is copied byte for byte): no
    // oracle for those inputs.
    let Some(input) = decode(stream) else {
        return Outcome::Undecodable;
    };
    let expected = model::transform(&input, &c);
    let out = match (result, expected) {
        (Err(_), _) => return Outcome::Refused,
        (Ok(_), Err(refusals)) => {
            panic!("the model refuses ({refusals:?}) but the filter succeeded\n--- input\n{stream}")
        }
        (Ok(out), Ok(expected)) => (out.text(), expected),
    };
    let (text, expected) = out;
    let Some(actual) = decode(&text) else {
        panic!("the output does not decode\n--- input\n{stream}\n--- output\n{text}");
    };
    if let Err(e) = model::compare(&actual, &expected) {
        panic!("{e}\n--- input\n{stream}\n--- output\n{text}");
    }
    match transform::run(&text, &settings, &options) {
        Ok(again) => assert_eq!(again.text(), text, "not idempotent\n--- input\n{stream}"),
        Err(e) => panic!("the output is rejected: {e}\n--- input\n{stream}\n--- output\n{text}"),
    }
    Outcome::Agreed
}
