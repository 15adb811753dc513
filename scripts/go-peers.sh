# Sourced by scripts/setup-peers.sh (it provides $peers, say and missing):
# builds the real programs the tests run against from Go modules, into
# target/peers/bin/, each only when it is missing or reports another version
# than the one pinned here:
#
#   helm3                    Helm 3 (helm.sh/helm/v3), the `--post-renderer PATH` client
#   helm                     Helm 4 (helm.sh/helm/v4), the real CLI: plugins, provenance
#   kustomize                standalone kustomize v5 (exec KRM functions: --enable-exec)
#   kube-apiserver           Kubernetes, built from a wrapper module (tools/kube/) that
#   kube-controller-manager  pins every k8s.io/* staging module the release requires at
#   kubectl                  v0.0.0; kubectl is the client of the same release
#   etcd                     the etcd release that Kubernetes release requires
#   ../k8sjson               YAML -> JSON as the API server decodes it (tools/k8sjson/)
#
# Versions are set with -ldflags -X as each project's own release build does:
# without them Helm reports a placeholder and `.Capabilities.KubeVersion`
# v1.20, and the API server reports v0.0.0-master, which fails charts'
# kubeVersion checks. Go's module and build caches stay outside the checkout
# (GOMODCACHE, GOCACHE: Go's defaults unless the operator set them), so a fresh
# clone on the same machine rebuilds in seconds.

HELM3_VERSION=v3.21.4
HELM4_VERSION=v4.3.2
KUSTOMIZE_VERSION=v5.8.2 # v5.8.3 needs Go 1.27 (its api/kyaml v0.21.3)
KUBE_VERSION=v1.36.3     # tools/kube/go.mod pins its staging modules at v0.36.3
ETCD_VERSION=v3.6.8      # the etcd that Kubernetes v1.36.3's go.mod requires

# One environment for every Go build, whatever the operator's shell holds: no
# cgo (static binaries, no C toolchain), no go.work of a parent directory, the
# local toolchain only (never a download), this machine's platform.
go_build_env=(env -u GOOS -u GOARCH -u GOBIN
  CGO_ENABLED=0 GOWORK=off GOTOOLCHAIN=local GO111MODULE=on "GOFLAGS=-trimpath -buildvcs=false")
mkdir -p "$peers/bin" "$peers/logs"

# reports BINARY EXPECTED ARGS...: the binary exists and its version output contains EXPECTED.
# (The output is read whole first: `| grep -q` would stop reading at the match,
# and under pipefail the binary's SIGPIPE on its next line would fail the check.)
reports() {
  local bin="$1" expected="$2" said
  shift 2
  [ -x "$bin" ] && said="$("$bin" "$@" 2>/dev/null)" && [[ "$said" == *"$expected"* ]]
}

# go_peer NAME EXPECTED "VERSION ARGS" BUILD...: run BUILD (which writes the
# file named by $out) unless bin/NAME already reports EXPECTED; then move $out into place
# (never a half-written binary under its final name) and check it.
go_peer() {
  local name="$1" expected="$2" version_args="$3"
  shift 3
  local bin="$peers/bin/$name"
  # shellcheck disable=SC2086
  if reports "$bin" "$expected" $version_args; then
    return 0
  fi
  local log="$peers/logs/$name.log" start=$SECONDS
  out="$peers/bin/.$name.partial"
  say "building $name $expected (log: target/peers/logs/$name.log)"
  if "$@" >"$log" 2>&1 && mv -f "$out" "$bin" && reports "$bin" "$expected" $version_args; then
    say "built $name in $((SECONDS - start)) s: $("$bin" $version_args 2>/dev/null | head -n 1)"
  else
    rm -f "$out"
    tail -n 20 "$log" | sed 's/^/  | /' >&2
    missing+=("$name $expected (the Go build failed, or its binary does not report that version: see target/peers/logs/$name.log)")
  fi
}

go_install_to() { # MODULE@VERSION LDFLAGS: `go install` into a scratch GOBIN, then $out
  local target="$1" ldflags="$2" gobin
  gobin="$(mktemp -d)"
  "${go_build_env[@]}" GOBIN="$gobin" go install -ldflags "$ldflags" "$target" \
    && mv -f "$gobin"/* "$out" # one command: its name drops a /vN suffix
  local status=$?
  rm -rf "$gobin"
  return $status
}

kube_build() { # PACKAGE: a command of the Kubernetes release, built in tools/kube into $out
  local v="${KUBE_VERSION#v}"
  (cd tools/kube && "${go_build_env[@]}" go build -o "$out" -ldflags "-s -w \
    -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION \
    -X k8s.io/component-base/version.gitMajor=${v%%.*} \
    -X k8s.io/component-base/version.gitMinor=$(echo "$v" | cut -d. -f2) \
    -X k8s.io/component-base/version.gitTreeState=clean" "$1")
}

if ! command -v go >/dev/null; then
  missing+=("go (Go 1.26 or later, with the module proxy: every Go peer is built from source)")
else
  k8s_minor="$(echo "${KUBE_VERSION#v}" | cut -d. -f2)"
  go_peer helm3 "$HELM3_VERSION" "version --template {{.Version}}" \
    go_install_to "helm.sh/helm/v3/cmd/helm@$HELM3_VERSION" "-s -w \
      -X helm.sh/helm/v3/internal/version.version=$HELM3_VERSION \
      -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
      -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
      -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s_minor \
      -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 \
      -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$k8s_minor"
  go_peer helm "$HELM4_VERSION" "version --template {{.Version}}" \
    go_install_to "helm.sh/helm/v4/cmd/helm@$HELM4_VERSION" "-s -w \
      -X helm.sh/helm/v4/internal/version.version=$HELM4_VERSION \
      -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
  go_peer kustomize "$KUSTOMIZE_VERSION" "version" \
    go_install_to "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" "-s -w \
      -X sigs.k8s.io/kustomize/api/provenance.version=$KUSTOMIZE_VERSION"
  for cmd in kube-apiserver kube-controller-manager kubectl; do
    version_args="--version"
    [ "$cmd" = kubectl ] && version_args="version --client"
    go_peer "$cmd" "$KUBE_VERSION" "$version_args" kube_build "k8s.io/kubernetes/cmd/$cmd"
  done
  go_peer etcd "${ETCD_VERSION#v}" "--version" \
    kube_build go.etcd.io/etcd/server/v3
  # k8sjson has no version of its own: rebuilt when its source or module changes.
  if [ ! -x "$peers/k8sjson" ] || [ -n "$(find tools/k8sjson -newer "$peers/k8sjson" -type f)" ]; then
    say "building k8sjson (tools/k8sjson, sigs.k8s.io/yaml as pinned in its go.mod)"
    (cd tools/k8sjson && "${go_build_env[@]}" go build -o "$peers/.k8sjson.partial" .) \
      && mv -f "$peers/.k8sjson.partial" "$peers/k8sjson" \
      || missing+=("k8sjson (go build in tools/k8sjson failed)")
  fi
fi
