//! Replays the `editor` fuzz target's saved corpus through its oracle (the
//! meaning check), so that CI runs it without cargo-fuzz or libFuzzer.

#[path = "../fuzz/fuzz_targets/editor_oracle.rs"]
mod editor_oracle;

mod common;

#[test]
fn the_editor_corpus_keeps_its_meaning() {
    let dir = common::root().join("fuzz/corpus/editor");
    let mut failures = Vec::new();
    let mut count = 0;
    let mut outcomes = std::collections::BTreeMap::new();
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        let data = std::fs::read(&path).unwrap();
        count += 1;
        match std::panic::catch_unwind(|| editor_oracle::check(&data)) {
            Ok(outcome) => *outcomes.entry(format!("{outcome:?}")).or_insert(0) += 1,
            Err(e) => {
                let message = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{}: {message}", path.display()));
            }
        }
    }
    eprintln!("editor corpus: {count} inputs: {outcomes:?}");
    assert!(count > 1000, "only {count} inputs in {}", dir.display());
    assert!(
        failures.is_empty(),
        "{} of {count} inputs fail:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[path = "../fuzz/fuzz_targets/filter_oracle.rs"]
mod filter_oracle;

/// The `filter` target's saved corpus through its oracle (the reference
/// model): every input the filter does not refuse means what the model says.
/// WR_FUZZ_INPUT=FILE replays that one input with the whole message.
#[test]
fn the_filter_corpus_means_what_the_model_says() {
    if let Some(one) = std::env::var_os("WR_FUZZ_INPUT") {
        filter_oracle::check(&std::fs::read(one).unwrap());
        return;
    }
    let dir = common::root().join("fuzz/corpus/filter");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    let mut failures = Vec::new();
    let mut outcomes = std::collections::BTreeMap::new();
    for path in &paths {
        let data = std::fs::read(path).unwrap();
        match std::panic::catch_unwind(|| filter_oracle::check(&data)) {
            Ok(outcome) => *outcomes.entry(outcome).or_insert(0) += 1,
            Err(e) => {
                let message = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{}: {}", path.display(), message.lines().next().unwrap_or("")));
            }
        }
    }
    eprintln!(
        "filter corpus: {} inputs: {outcomes:?}, {} disagree",
        paths.len(),
        failures.len()
    );
    assert!(paths.len() > 1000, "only {} inputs in {}", paths.len(), dir.display());
    assert!(
        failures.is_empty(),
        "{} of {} inputs disagree with the model:\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n")
    );
}
