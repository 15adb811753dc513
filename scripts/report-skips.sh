#!/usr/bin/env bash
# The closing lines of scripts/test: which tests did not run, and why.
#   scripts/report-skips.sh FILE     FILE: target/test-skips.txt, one "test: reason" a line
# A test that lacks a peer records itself there (tests/common/mod.rs, skip())
# and passes in cargo's count; this list keeps it from hiding in a green run.
set -euo pipefail
file="${1:?usage: report-skips.sh FILE}"
if [ -s "$file" ]; then
  echo
  echo "scripts/test: $(sort -u "$file" | wc -l) test(s) did NOT run (cargo counted them as passed):"
  sort -u "$file" | sed 's/^/  SKIPPED /'
else
  echo "scripts/test: every test ran (none skipped)"
fi
