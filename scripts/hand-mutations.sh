#!/usr/bin/env bash
# Apply each hand-written mutation in tests/mutations/*.patch to a scratch copy
# of the tree, run every test suite on it, and require that MORE THAN ONE suite
# fails. These are five defects that one suite alone once caught (a
# ClusterRoleBinding subject hard-coded to `deis`, a stale `stringData` kept,
# ECR keys swapped, DEIS_REGISTRY_SECRET_PREFIX dropped, init containers
# skipped). A suite is one test target: the unit tests (`--lib`) or
# one file of tests/.
#
# The copy lives in target/hand-mutations/ (the checkout itself is never
# mutated, so an interrupted run leaves nothing behind) and builds into
# target/hand-mutations/target, incrementally from one mutation to the next.
# It takes a few minutes per mutation on two cores; it is not part of
# scripts/test. Usage: scripts/hand-mutations.sh [PATCH...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/setup-peers.sh >/dev/null
export WR_PEERS="$root/target/peers"
export PATH="$WR_PEERS/bin:$PATH"

work="$root/target/hand-mutations"
mkdir -p "$work"
# Tests find Hephy's chart at <tree>/../shared, as they do from the checkout.
if [ -d "$root/../shared" ]; then
  ln -sfn "$(cd "$root/../shared" && pwd)" "$work/shared"
fi
export CARGO_TARGET_DIR="$work/target"

patches=("$@")
[ ${#patches[@]} -gt 0 ] || patches=(tests/mutations/*.patch)

status=0
summary=""
for patch in "${patches[@]}"; do
  name=$(basename "$patch" .patch)
  rm -rf "$work/tree"
  mkdir -p "$work/tree"
  # The tracked and new files of the checkout, without build output.
  git ls-files -z --cached --others --exclude-standard \
    | tar --null --ignore-failed-read -T - -cf - | tar -xf - -C "$work/tree"
  if ! (cd "$work/tree" && patch -p1 --quiet --forward < "$root/$patch"); then
    echo "hand-mutations: $patch no longer applies; rewrite it against the current code" >&2
    exit 2
  fi
  log="$work/$name.log"
  echo "== $name: cargo test --all-targets --no-fail-fast (log: $log)" >&2
  # tests/malformed.rs measures the release binary at <tree>/target/release,
  # as scripts/test builds it: without it that suite would fail for every
  # mutation and count as a catch.
  ln -sfn "$work/target" "$work/tree/target"
  (cd "$work/tree" && cargo build --release --quiet && WR_SKIPS_FILE="$work/skips.txt" \
    cargo test --all-targets --no-fail-fast) >"$log" 2>&1 || true
  if grep -q '^error: could not compile' "$log"; then
    echo "hand-mutations: $name does not compile; see $log" >&2
    exit 2
  fi
  # cargo names every failed target on one line: `error: N targets failed:`
  # followed by `    `--lib`` / `    `--test NAME`` lines.
  failed=$(sed -n '/^error: [0-9]* targets\? failed:/,/^error: /p' "$log" \
    | grep -oE '`--(lib|test [a-z_0-9]+)`' | tr -d '`' | sed 's/^--test //; s/^--lib$/unit-tests/' | sort -u)
  count=$(printf '%s' "$failed" | grep -c . || true)
  line="$name: caught by $count suite(s): $(echo $failed | sed 's/ /, /g')"
  echo "$line" >&2
  summary+="$line"$'\n'
  if [ "$count" -lt 2 ]; then
    status=1
  fi
done

printf '\n%s' "$summary"
if [ $status -ne 0 ]; then
  echo "hand-mutations: a mutation is caught by fewer than two suites" >&2
fi
exit $status
