#!/usr/bin/env bash
# Install or build, idempotently, the real peers the tests run against, into
# target/peers/ (nothing outside the repository except Debian/PyPI packages and
# Go's module and build caches):
#   bin/      built from Go modules, each at a pinned version (scripts/go-peers.sh):
#             helm3, helm (Helm 4), kustomize, kube-apiserver,
#             kube-controller-manager, kubectl and etcd; scripts/test puts
#             target/peers/bin first on PATH
#   k8sjson   YAML -> JSON exactly as the Kubernetes API server decodes it
#             (tools/k8sjson: sigs.k8s.io/yaml as kube-apiserver pins it)
#   venv      Python with helm-python-sdk==0.2.2 (Helm 4's Go SDK, for its
#             post-render strategies, which the CLI does not expose) and the
#             registry peers of tests/verify.rs
# and the machine tools the tests and the fuzz step run: Go 1.26 (with the
# module proxy), openssl (the control plane's certificates), kpt (no Debian,
# PyPI or npm package exists: it must be on the machine image), a C++ compiler
# (g++, for cargo fuzz's libFuzzer), GNU time (peak memory), gpg/gpgv (gnupg:
# signing tests), script (bsdutils: the terminal test). What cannot be provided
# is listed at once; under CI (CI set, and not "false" or "0") that is an error.
set -euo pipefail
cd "$(dirname "$0")/.."
peers="$PWD/target/peers"
mkdir -p "$peers"
missing=()

say() { printf 'setup-peers: %s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq >/dev/null && APT_UPDATED=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    return 1
  fi
}

# --- Go peers: real programs built from Go modules (docs/testing.md) ----------
# Every version is pinned here (the Kubernetes dependency graph in
# tools/kube/go.mod and go.sum). A peer is built only when it is missing or
# reports another version than the pinned one, so a second run does nothing and
# a fresh clone on the same machine rebuilds from Go's caches in seconds (the
# module and build caches stay where Go keeps them, outside the checkout).
source scripts/go-peers.sh
# --- end Go peers ----------------------------------------------------------------

# Helm 4's Go SDK (its post-render strategies: tests/chart.rs, and the renders
# of tests/differential.rs and tests/config_rules.rs).
if [ ! -x "$peers/venv/bin/python" ] || ! "$peers/venv/bin/python" -c 'import helm_python' 2>/dev/null; then
  say "creating target/peers/venv with helm-python-sdk==0.2.2"
  if ! python3 -m venv "$peers/venv" 2>/dev/null; then
    apt_install python3-venv || true
    python3 -m venv "$peers/venv" || true
  fi
  "$peers/venv/bin/python" -m pip install -q helm-python-sdk==0.2.2 \
    || missing+=("helm-python-sdk==0.2.2 (PyPI)")
fi

# --- verify: registry peers for tests/verify.rs ------------------------------
# Debian's docker-registry (CNCF Distribution 2.8) with htpasswd from
# apache2-utils and certificates from openssl; moto_server (ECR with SigV4
# checks), google-auth (the Google token endpoint's JWT verifier), PyJWT and
# cryptography (the registry token server) and bcrypt in target/peers/venv.
# pip runs as `venv/bin/python -m pip`: a venv copied from another checkout
# keeps that checkout's path in bin/pip's shebang.
for tool in docker-registry htpasswd openssl; do
  if ! command -v "$tool" >/dev/null; then
    say "installing Debian's docker-registry, apache2-utils and openssl"
    apt_install docker-registry apache2-utils openssl || true
    break
  fi
done
for tool in docker-registry htpasswd openssl; do
  command -v "$tool" >/dev/null || missing+=("$tool (apt: docker-registry apache2-utils openssl)")
done
if [ -x "$peers/venv/bin/python" ] \
  && ! "$peers/venv/bin/python" -c 'import moto, google.auth, jwt, cryptography, bcrypt, boto3' 2>/dev/null; then
  say "installing moto[server], google-auth, bcrypt, PyJWT and cryptography into target/peers/venv"
  "$peers/venv/bin/python" -m pip install -q 'moto[server]' google-auth bcrypt PyJWT cryptography \
    || missing+=("moto[server] google-auth bcrypt PyJWT cryptography (PyPI, into target/peers/venv)")
fi
# --- end verify ----------------------------------------------------------------

# Machine tools, from Debian when we may install packages.
need_deb() { # TOOL PACKAGE
  command -v "$1" >/dev/null || apt_install "$2" || true
  command -v "$1" >/dev/null || missing+=("$1 (Debian package $2)")
}
need_deb g++ g++
[ -x /usr/bin/time ] || apt_install time || true
[ -x /usr/bin/time ] || missing+=("/usr/bin/time (Debian package time: tests/malformed.rs measures peak memory)")
need_deb gpg gnupg
need_deb gpgv gpgv
need_deb script bsdutils
need_deb openssl openssl
command -v kpt >/dev/null || missing+=("kpt (not packaged by Debian, PyPI or npm: install it on the machine image, e.g. google-cloud-cli-kpt)")

if [ ${#missing[@]} -gt 0 ]; then
  for m in "${missing[@]}"; do say "MISSING: $m"; done
  case "${CI:-}" in
    ""|false|0) say "tests that need them are skipped and listed at the end of scripts/test (under CI they fail)" ;;
    *) say "CI=${CI}: missing peers are failures"; exit 1 ;;
  esac
fi
say "peers ready in target/peers"
