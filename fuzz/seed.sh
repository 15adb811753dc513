#!/bin/sh
# Seed the fuzz corpora: for `filter`, each fixture behind a configuration
# byte, and the differential test's cases in every shape YAML allows (block,
# flow, JSON, block scalars, tags, anchors, aliases, merge keys, comments,
# CRLF; namespaces present, absent, null, foreign; stale and foreign secrets),
# written by that test itself (needs the k8sjson peer: scripts/setup-peers.sh).
set -eu
cd "$(dirname "$0")"
mkdir -p corpus/filter corpus/editor
for f in ../testdata/fixtures/*.yaml ../tests/model/drycc-v1.8.3.yaml; do
  b=$(basename "$f" .yaml)
  for c in 00 01 02 03 07 1a 2b 5f; do
    { printf "\\x$c"; cat "$f"; } > "corpus/filter/seed-$b-$c"
  done
done
(cd .. && WR_FUZZ_SEEDS_DIR="$PWD/fuzz/corpus/filter" WR_DIFF_CASES=200 \
  cargo test --quiet --test differential -- every_ordinary_shape aliases_are_followed plain_block_style >/dev/null 2>&1) || true
# The editor works on one mapping: container-like documents with env lists.
i=0
for doc in 'env:\n- name: A\n  value: "1"\nimage: x\n' 'env: [{name: A, value: b}]\n' 'env: []\n' 'env:\n' \
           'volumes:\n  - name: s\n    secret: {secretName: x}\n' 'name: c\nenv:\n  - name: DEIS_REGISTRY_LOCATION\n    valueFrom:\n      fieldRef: {fieldPath: x}\n' \
           'a: |\n  block\n\nenv:\n- name: on\n  value: off\n'; do
  for f in 09 0b 79 fb c9; do
    { printf "\\x$f"; printf "$doc"; } > "corpus/editor/seed-$i-$f"
  done
  i=$((i + 1))
done
echo "seeded: $(ls corpus/filter | wc -l) filter, $(ls corpus/editor | wc -l) editor"
