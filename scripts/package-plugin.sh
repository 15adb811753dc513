#!/usr/bin/env bash
# Build the Helm plugin release archive for this machine's platform:
#
#   scripts/package-plugin.sh [--sign KEYID] [--binary PATH] [--out DIR]
#
# writes, in DIR (default target/dist/):
#   workflow-registry-<version>-<os>-<arch>.tgz         plugin.yaml at its root, the install
#                                                       hook, the README, a prebuilt bin/workflow-registry
#   workflow-registry-<version>-<os>-<arch>.tgz.sha256  its SHA-256 (sha256sum -c reads it)
#   workflow-registry-<version>-<os>-<arch>.tgz.prov    with --sign KEYID or GPG_KEY=KEYID: Helm's
#                                                       provenance file, clear-signed by that GnuPG key
#                                                       (scripts/sign-plugin.sh), which
#                                                       `helm plugin install` verifies by default
# and prints the archive's path. The binary is built with the optimised `dist`
# profile (Cargo.toml: fat LTO, one codegen unit; a few minutes on two cores)
# unless --binary names one already built (e.g. by a cross-compiling CI job).
set -euo pipefail
key="${GPG_KEY:-}"
binary=""
out=""
# Paths given are the caller's: relative ones start in the directory the
# script is run from, not in the repository it moves to below.
from_caller() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
while [ $# -gt 0 ]; do
  case "$1" in
    --sign) key="${2:?--sign needs a GnuPG key id}"; shift 2 ;;
    --binary) binary="$(from_caller "${2:?--binary needs a path}")"; shift 2 ;;
    --out) out="$(from_caller "${2:?--out needs a directory}")"; shift 2 ;;
    *) echo "package-plugin.sh: unknown argument $1 (see the comment at the top of this script)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
out="${out:-target/dist}"
version="$(sed -n 's/^version: //p' plugin.yaml)"
os="$(uname -s | tr '[:upper:]' '[:lower:]')"
arch="$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')"
if [ -z "$binary" ]; then
  echo "package-plugin.sh: building with the dist profile (fat LTO: a few minutes)" >&2
  # --target-dir: where the binary is read from below, whatever
  # CARGO_TARGET_DIR or a cargo config says.
  cargo build --profile dist --locked --bin workflow-registry --target-dir target
  binary=target/dist/workflow-registry
fi
"$binary" --version >/dev/null
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/workflow-registry/bin" "$stage/workflow-registry/scripts" "$out"
cp plugin.yaml README.md "$stage/workflow-registry/"
cp scripts/install-binary.sh "$stage/workflow-registry/scripts/"
cp "$binary" "$stage/workflow-registry/bin/workflow-registry"
name="workflow-registry-$version-$os-$arch.tgz"
archive="$out/$name"
# A reproducible archive: fixed order, owner and times.
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime='2000-01-01 00:00Z' \
  -cf - workflow-registry | gzip -n > "$archive"
(cd "$out" && sha256sum "$name" > "$name.sha256")
rm -f "$archive.prov"
if [ -n "$key" ]; then
  scripts/sign-plugin.sh "$archive" "$key"
fi
echo "$archive"
