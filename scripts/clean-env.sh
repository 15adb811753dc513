#!/usr/bin/env bash
# Run a command with only the environment the tests may see:
#
#   scripts/clean-env.sh COMMAND [ARGS...]
#
# An operator's shell holds settings that would change what the tests do or
# where they write: the tool's own configuration (REGISTRY_*, ECR_*, GCR_*,
# WORKFLOW_REGISTRY_*, HELM_NAMESPACE), Helm's and kubectl's (HELM_*,
# KUBECONFIG: a test must never reach the operator's cluster), cargo's install
# root and target directory, XDG directories. Only what building and running
# the tests needs is passed on, and HOME is a directory inside the checkout
# (target/test-home), so that no client a test runs (Helm, gpg, kpt) writes
# into the operator's home. cargo and rustup keep their own homes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
keep=(
  "HOME=$root/target/test-home"
  "CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}"
  "RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}"
)
# CARGO_TARGET_DIR is not passed on either: cargo builds into the checkout's
# target/ (where tests/malformed.rs finds the release binary), cargo fuzz into
# fuzz/target/.
mkdir -p "$root/target/test-home"
while IFS= read -r -d '' entry; do
  name="${entry%%=*}"
  case "$name" in
    # Finding programs, the terminal, locale, temporary files, network proxies and CAs.
    PATH | TERM | LANG | LC_* | TZ | TMPDIR | USER | LOGNAME | SHELL) keep+=("$entry") ;;
    http_proxy | https_proxy | no_proxy | HTTP_PROXY | HTTPS_PROXY | NO_PROXY | SSL_CERT_FILE | SSL_CERT_DIR) keep+=("$entry") ;;
    # The toolchain in use, and how cargo and the test harness print and run.
    RUSTUP_TOOLCHAIN | RUST_BACKTRACE | RUST_TEST_THREADS | RUST_MIN_STACK | CARGO_TERM_* | CARGO_BUILD_JOBS | CARGO_NET_OFFLINE) keep+=("$entry") ;;
    # CI, and the test suites' own knobs (docs/testing.md).
    CI | WR_* | UPDATE_GOLDEN | REGION_* | PROPTEST_*) keep+=("$entry") ;;
  esac
done < <(env -0)
exec env -i "${keep[@]}" "$@"
