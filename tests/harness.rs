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
