//! The test harness's own rules (tests/common): when a missing peer is a
//! failure, how a skip stays visible, and that golden files are never
//! rewritten under CI.

mod common;

#[test]
fn ci_is_strict_for_every_value_but_empty_false_and_0() {
    for strict in ["true", "1", "yes", "TRUE", "github-actions", " true "] {
        assert!(common::ci_says_strict(Some(strict)), "{strict:?}");
    }
    for lax in [None, Some(""), Some("false"), Some("False"), Some("0"), Some("  ")] {
        assert!(!common::ci_says_strict(lax), "{lax:?}");
    }
}

/// One test, because it changes the process environment (CI, WR_SKIPS_FILE,
/// UPDATE_GOLDEN) that the rules read.
#[test]
fn skips_are_recorded_and_fail_under_ci_and_golden_rewrites_are_refused_under_ci() {
    let dir = common::scratch("harness");
    let list = dir.join("skips.txt");
    std::env::set_var("WR_SKIPS_FILE", &list);

    std::env::set_var("CI", "false");
    common::skip("some_test", "peer X is missing", "run scripts/setup-peers.sh");
    assert!(common::peer("no/such/peer").is_none());
    let recorded = common::read(&list);
    assert!(
        recorded.contains("some_test: peer X is missing; run scripts/setup-peers.sh\n"),
        "{recorded}"
    );
    assert!(recorded.contains("no/such/peer is missing"), "{recorded}");

    std::env::set_var("CI", "1");
    let failed = std::panic::catch_unwind(|| common::skip("t", "peer X is missing", "install it"));
    assert!(failed.is_err(), "CI=1 makes a skip a failure");
    let failed = std::panic::catch_unwind(|| common::peer("no/such/peer"));
    assert!(failed.is_err(), "CI=1 makes a missing peer a failure");

    let golden = dir.join("golden.txt");
    std::fs::write(&golden, "reviewed\n").unwrap();
    std::env::set_var("UPDATE_GOLDEN", "1");
    let refused = std::panic::catch_unwind(|| common::assert_golden(&golden, "something else\n"));
    assert!(refused.is_err(), "UPDATE_GOLDEN is refused under CI");
    assert_eq!(common::read(&golden), "reviewed\n", "and the golden file is left alone");

    std::env::set_var("CI", "");
    common::assert_golden(&golden, "rewritten\n");
    assert_eq!(common::read(&golden), "rewritten\n", "outside CI it rewrites");
    std::env::remove_var("UPDATE_GOLDEN");
    std::env::remove_var("CI");
}

#[test]
fn scripts_test_ends_with_the_list_of_tests_that_did_not_run() {
    let dir = common::scratch("report-skips");
    let list = dir.join("skips.txt");
    let report = |list: &std::path::Path| {
        let out = std::process::Command::new(common::root().join("scripts/report-skips.sh"))
            .arg(list)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", common::text(&out.stderr));
        common::text(&out.stdout)
    };
    std::fs::write(&list, "").unwrap();
    assert_eq!(report(&list), "scripts/test: every test ran (none skipped)\n");
    // Two binaries can record the same skip; it is listed once.
    std::fs::write(
        &list,
        "oracle_test: peer k8sjson is missing; run scripts/setup-peers.sh\n\
         kpt_test: kpt is not on PATH; run scripts/setup-peers.sh\n\
         oracle_test: peer k8sjson is missing; run scripts/setup-peers.sh\n",
    )
    .unwrap();
    let said = report(&list);
    assert!(said.contains("2 test(s) did NOT run"), "{said}");
    assert_eq!(
        said.matches("SKIPPED oracle_test: peer k8sjson is missing").count(),
        1,
        "{said}"
    );
    assert!(said.contains("SKIPPED kpt_test: kpt is not on PATH"), "{said}");
    let script = common::read(&common::root().join("scripts/test"));
    assert!(
        script.contains("trap 'scripts/report-skips.sh \"$WR_SKIPS_FILE\"' EXIT"),
        "scripts/test ends with the list, also when a test fails"
    );
}
