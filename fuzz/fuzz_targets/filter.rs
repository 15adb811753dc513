//! The whole filter: arbitrary bytes as the manifest, with a configuration
//! chosen by the first two bytes (location, options, and odd values from a
//! table). Invariants: no panic, no hang; on success the output parses and
//! running the filter on it again changes nothing.
//!
//! Input layout: `[config, values, manifest...]`, so that seeds are two bytes
//! followed by a real manifest (see fuzz/seed.sh).
#![no_main]

use libfuzzer_sys::fuzz_target;
use workflow_registry::config::{self, Setting};
use workflow_registry::manifest::parse_stream;
use workflow_registry::transform::{self, Options, Targeting};

const KEY: &str = r#"{"type":"service_account","project_id":"p","private_key_id":"k","private_key":"-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n","client_email":"e@p"}"#;

/// Odd but valid values: each bit of the second byte applies one.
const ODD: [(Setting, &str); 8] = [
    (Setting::Hostname, "https://registry.local:5000/"),
    (Setting::Organization, "team/sub"),
    (Setting::Password, "p\"a'ss: #word\n"),
    (Setting::SecretPrefix, "on"),
    (Setting::TokenRefreshTime, "30"),
    (Setting::Username, "yes"),
    (Setting::EcrRegion, "us-gov-west-1"),
    (Setting::Hostname, "docker.io"),
];

fuzz_target!(|data: &[u8]| {
    let [choice, odd, manifest @ ..] = data else { return };
    let location = ["on-cluster", "off-cluster", "ecr", "gcr"][usize::from(choice & 3)];
    let mut flags = vec![(Setting::Location, location.to_owned())];
    for (bit, (setting, value)) in ODD.iter().enumerate() {
        if odd & (1 << bit) != 0 {
            flags.push((*setting, (*value).to_owned()));
        }
    }
    let defaults = [(Setting::Username, "u"), (Setting::Password, "p"), (Setting::Organization, "o"), (Setting::GcrKeyJson, KEY)];
    flags.extend(defaults.iter().map(|(s, v)| (*s, (*v).to_owned())));
    let inputs = config::Inputs { flags, ..config::Inputs::default() };
    let Ok((settings, _)) = config::validate(&config::resolve(&inputs)) else { return };
    let Ok(stream) = std::str::from_utf8(manifest) else { return };
    let options = Options {
        namespace: [None, Some("deis"), Some("on"), None][usize::from((choice >> 2) & 3)].map(str::to_owned),
        namespace_origin: None,
        targeting: Targeting {
            targets: if choice & 16 != 0 { vec!["Deployment/app/web".parse().unwrap()] } else { vec![] },
            selectors: if choice & 32 != 0 { vec!["$[?@.kind == 'ConfigMap']".parse().unwrap()] } else { vec![] },
        },
        keep_on_cluster_registry: choice & 64 != 0,
    };
    let Ok(out) = transform::run(stream, &settings, &options) else { return };
    let text = out.text();
    if let Err(e) = parse_stream(&text) {
        panic!("the output does not parse: {e}\n--- input\n{stream}\n--- output\n{text}");
    }
    let again = match transform::run(&text, &settings, &options) {
        Ok(again) => again.text(),
        Err(e) => panic!("the output is rejected: {e}\n--- input\n{stream}\n--- output\n{text}"),
    };
    assert_eq!(again, text, "not idempotent\n--- input\n{stream}");
});
