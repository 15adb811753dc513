#!/usr/bin/env bash
# Fuzzing with cargo fuzz (libFuzzer) on the targets in fuzz/.
#   scripts/fuzz-smoke.sh        replay the saved corpora through both targets (the CI smoke run)
#   scripts/fuzz-smoke.sh SECS   fuzz each target for SECS seconds, growing fuzz/corpus/
# The machine has one stable toolchain: RUSTC_BOOTSTRAP=1 lets cargo fuzz pass
# its nightly-only flags, and sanitizers stay off (-s none) since their
# runtimes ship with nightly only. Coverage instrumentation still applies.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-0}"
if ! command -v cargo-fuzz >/dev/null; then
  echo "fuzz-smoke: installing cargo-fuzz" >&2
  cargo install --quiet --locked cargo-fuzz@0.13.2
fi
[ -n "$(ls -A fuzz/corpus/filter 2>/dev/null)" ] || fuzz/seed.sh
export RUSTC_BOOTSTRAP=1
for target in filter editor; do
  if [ "$secs" = 0 ]; then
    # -runs=0: execute every saved input once, then stop.
    cargo fuzz run --release -s none "$target" "fuzz/corpus/$target" -- -runs=0 2>&1 | tail -n 3
  else
    cargo fuzz run --release -s none "$target" "fuzz/corpus/$target" -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 2>&1 | tail -n 5
  fi
done
echo "fuzz-smoke: both targets ran their corpora without a failure"
