//! Golden files: every fixture through every location gives a reviewed
//! expected manifest (`testdata/golden/<fixture>.<location>.yaml`).

mod common;

use workflow_registry::manifest::parse_stream;
use workflow_registry::transform::{self, Options};

#[test]
fn every_fixture_through_every_location_matches_its_golden_file() {
    let fixtures = common::fixtures();
    assert!(fixtures.len() >= 7, "fixtures missing: {fixtures:?}");
    for fixture in fixtures {
        let input = common::read(&fixture);
        let stem = fixture.file_stem().unwrap().to_str().unwrap().to_owned();
        for location in common::LOCATIONS {
            let settings = common::settings(location);
            let out = transform::run(&input, &settings, &Options::default())
                .unwrap_or_else(|e| panic!("{stem} {location}: {e}"));
            let golden = common::root().join(format!("testdata/golden/{stem}.{location}.yaml"));
            common::assert_golden(&golden, &out.text());

            let out_text = out.text();
            let again = transform::run(&out_text, &settings, &Options::default()).unwrap();
            assert_eq!(
                again.text(),
                out.text(),
                "{stem} {location}: a second run changed the output"
            );
            assert!(
                again.report.is_unchanged(),
                "{stem} {location}: second run reported changes: {}",
                again.report
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
            let out = transform::run(&input, &common::settings(location), &Options::default()).unwrap();
            let r = &out.report;
            for doc in parse_stream(&input).unwrap() {
                let d = doc.describe();
                let changed = r.replaced.contains(&d)
                    || r.removed.contains(&d)
                    || r.injected.iter().any(|i| i.starts_with(&format!("{d} container ")));
                let body = doc.chunk.text.trim_start_matches("---\n");
                if changed {
                    assert!(
                        !out.text().contains(body),
                        "{} {location}: {d} reported as changed but written verbatim",
                        fixture.display()
                    );
                } else if doc.root.is_some() {
                    assert!(
                        out.text().contains(doc.chunk.text),
                        "{} {location}: {d} changed without being reported",
                        fixture.display()
                    );
                }
            }
        }
    }
}
