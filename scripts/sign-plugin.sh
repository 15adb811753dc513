#!/usr/bin/env bash
# Write Helm's provenance file for a plugin archive:
#
#   scripts/sign-plugin.sh ARCHIVE.tgz KEYID      -> ARCHIVE.tgz.prov
#
# The format is Helm's (pkg/provenance/sign.go, internal/plugin/sign.go): an
# OpenPGP clear-signed message (hash SHA512) whose text is the plugin's
# metadata as YAML, a line `...`, then
#   files:
#     <archive file name>: sha256:<hex digest of the archive>
# `helm plugin install ARCHIVE` (Helm 4, verification on by default) checks the
# signature against its keyring and the digest against the archive it got.
# GnuPG's own settings apply (GNUPGHOME, a passphrase agent).
set -euo pipefail
archive="${1:?usage: sign-plugin.sh ARCHIVE.tgz KEYID}"
key="${2:?usage: sign-plugin.sh ARCHIVE.tgz KEYID}"
command -v gpg >/dev/null || { echo "sign-plugin.sh: gpg is not installed (Debian: apt-get install gnupg)" >&2; exit 1; }
name="$(basename "$archive")"
digest="$(sha256sum "$archive" | cut -d' ' -f1)"
# The metadata part: the archive's own plugin.yaml without comments or blank
# lines (Helm only reads the files: part when it verifies).
metadata="$(tar -xzOf "$archive" workflow-registry/plugin.yaml | sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d')"
printf '%s\n...\nfiles:\n  %s: sha256:%s\n' "$metadata" "$name" "$digest" \
  | gpg --batch --yes --local-user "$key" --digest-algo SHA512 --clearsign --output "$archive.prov"
echo "sign-plugin.sh: wrote $archive.prov" >&2
