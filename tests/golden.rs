//! Golden files: every fixture through every location gives a reviewed
//! expected manifest (`testdata/golden/<fixture>.<location>.yaml`).

mod common;

use workflow_registry::manifest::parse_stream;
use workflow_registry::transform::{self, Options};

/// The fixtures render Workflow in namespace `deis`, some without saying
/// so (as `helm template -n deis` does): the operator passes it.
fn options() -> Options {
    Options::in_namespace("deis")
}

#[test]
fn every_fixture_through_every_location_matches_its_golden_file() {
    let fixtures = common::fixtures();
    assert!(fixtures.len() >= 7, "fixtures missing: {fixtures:?}");
    for fixture in fixtures {
        let input = common::read(&fixture);
        let stem = fixture.file_stem().unwrap().to_str().unwrap().to_owned();
        for location in common::LOCATIONS {
            let settings = common::settings(location);
            let golden = common::root().join(format!("testdata/golden/{stem}.{location}.yaml"));
            let refusal = golden.with_extension("error");
            let out = match transform::run(&input, &settings, &options()) {
                Ok(out) => out,
                Err(e) => {
                    // A refusal is a reviewed expectation too (e.g. on-cluster
                    // on a render without the registry).
                    common::assert_golden(&refusal, &format!("{e}\n"));
                    assert!(
                        !golden.exists(),
                        "{stem} {location}: refused, but {} exists",
                        golden.display()
                    );
                    continue;
                }
            };
            assert!(
                !refusal.exists(),
                "{stem} {location}: ran, but {} exists",
                refusal.display()
            );
            common::assert_golden(&golden, &out.text());

            let out_text = out.text();
            let again = transform::run(&out_text, &settings, &options()).unwrap();
            assert_eq!(
                again.text(),
                out.text(),
                "{stem} {location}: a second run changed the output"
            );
            assert!(
                again.report().changes().iter().all(|(_, items)| items.is_empty()),
                "{stem} {location}: second run reported changes: {:?}",
                again.report()
            );
        }
    }
}

/// Every input document is written byte for byte, unless the report names it
/// as configured, replaced or removed.
#[test]
fn documents_not_reported_as_changed_are_written_verbatim() {
    for fixture in common::fixtures() {
        let input = common::read(&fixture);
        for location in common::LOCATIONS {
            let Ok(out) = transform::run(&input, &common::settings(location), &options()) else {
                continue;
            };
            let r = &out.report();
            let out_text = out.text();
            let written: Vec<&str> = parse_stream(&out_text)
                .unwrap()
                .iter()
                .map(|d| d.chunk.text.trim_start_matches("---\n"))
                .collect();
            for doc in parse_stream(&input).unwrap() {
                let d = doc.describe();
                let changed = r.replaced.contains(&d)
                    || r.removed.contains(&d)
                    || r.injected.iter().any(|i| i.starts_with(&format!("{d} container ")));
                let body = doc.chunk.text.trim_start_matches("---\n");
                if changed {
                    assert!(
                        !written.contains(&body),
                        "{} {location}: {d} reported as changed but written verbatim",
                        fixture.display()
                    );
                } else if doc.root.is_some() {
                    assert!(
                        written.contains(&body),
                        "{} {location}: {d} changed without being reported",
                        fixture.display()
                    );
                }
            }
        }
    }
}
