#!/bin/sh
# Seed the fuzz corpora from testdata/: each fixture behind configuration bytes.
set -eu
cd "$(dirname "$0")"
mkdir -p corpus/filter corpus/editor
for f in ../testdata/fixtures/*.yaml; do
  b=$(basename "$f" .yaml)
  for c in 00 01 02 03 47 ff; do
    { printf "\\x$c\\x$c"; cat "$f"; } > "corpus/filter/seed-$b-$c"
  done
done
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
