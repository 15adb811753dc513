#!/usr/bin/env python3
"""Print every mapping of a YAML stream (stdin) that holds two keys Kubernetes
reads as the same key (`value` and `!!binary dmFsdWU=`, `"v\\x61lue"`...):
go-yaml v2 (Kubernetes' reader) keeps the last silently; strict readers
(yaml.v3, sigs.k8s.io/yaml's strict mode) refuse the document. Merge keys (`<<`)
are not duplicates. One line per finding; nothing when there is none.
Used by tests/differential.rs on the tool's output (the generator writes no
duplicate keys)."""

import sys

import yaml


def text(key):
    if isinstance(key, bytes):
        return key.decode("utf-8", "replace")
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


class Loader(yaml.SafeLoader):
    pass


def construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = text(loader.construct_object(key_node, deep=True))
        if key in seen:
            print(f"line {key_node.start_mark.line + 1}: key {key!r} also at line {seen[key]}")
        seen[key] = key_node.start_mark.line + 1
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)

for _ in yaml.load_all(sys.stdin.read(), Loader=Loader):
    pass
