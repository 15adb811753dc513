#!/usr/bin/env bash
# Regenerates go.mod and go.sum of this wrapper module (run by hand when the
# Kubernetes release changes, with the versions in scripts/go-peers.sh;
# setup-peers.sh only builds from the committed go.mod and go.sum, so every
# dependency stays pinned).
# k8s.io/kubernetes cannot be `go install`ed: its go.mod requires every k8s.io/*
# staging module at v0.0.0 and replaces it with ./staging/...; a wrapper module
# pins each of those at the matching staging release instead.
set -euo pipefail
cd "$(dirname "$0")"
k8s=v1.36.3      # Kubernetes release (v1.36.2 is not on the proxy)
staging=v0.36.3  # its k8s.io/* staging modules
etcd=v3.6.8      # the etcd release Kubernetes v1.36.3 requires
rm -f go.mod go.sum
go mod init workflow-registry/tools/kube >/dev/null 2>&1
go mod edit -go=1.26.0
mod="$(go mod download -json "k8s.io/kubernetes@$k8s" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
for m in $(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }' "$mod" | sort -u); do
  go mod edit "-replace=$m=$m@$staging"
done
go get "k8s.io/kubernetes/cmd/kube-apiserver@$k8s" \
  "k8s.io/kubernetes/cmd/kube-controller-manager@$k8s" \
  "k8s.io/kubernetes/cmd/kubectl@$k8s" \
  "go.etcd.io/etcd/server/v3@$etcd"
