#!/usr/bin/env bash
# Build the Helm plugin release archive for this machine's platform:
#   target/dist/workflow-registry-<version>-<os>-<arch>.tgz
# holding plugin.yaml at its root, the install hook, the README and a prebuilt
# bin/workflow-registry, so that `helm plugin install ARCHIVE --verify=false`
# ends with a working binary and needs no cargo. (Helm 4 accepts a suffix after
# the version in the archive name. Sign it with `helm plugin package --sign` to
# drop --verify=false.)
set -euo pipefail
cd "$(dirname "$0")/.."
version="$(sed -n 's/^version: //p' plugin.yaml)"
os="$(uname -s | tr '[:upper:]' '[:lower:]')"
arch="$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')"
cargo build --release --locked --quiet
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/workflow-registry/bin" "$stage/workflow-registry/scripts" target/dist
cp plugin.yaml README.md "$stage/workflow-registry/"
cp scripts/install-binary.sh "$stage/workflow-registry/scripts/"
cp target/release/workflow-registry "$stage/workflow-registry/bin/"
archive="target/dist/workflow-registry-$version-$os-$arch.tgz"
tar -C "$stage" -czf "$archive" workflow-registry
echo "$archive"
