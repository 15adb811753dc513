#!/bin/sh
# Helm plugin install/update hook: leave a working binary at
# $HELM_PLUGIN_DIR/bin/workflow-registry.
#   1. a prebuilt binary already in bin/ (release archives ship one): keep it;
#   2. a built one in target/release/ (a checkout after `cargo build --release`): link it;
#   3. otherwise build it with cargo.
# With neither a binary nor cargo, say what to do and fail, so that
# `helm plugin install` does not end with a plugin that cannot run.
set -eu
dir="${HELM_PLUGIN_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
bin="$dir/bin/workflow-registry"
built="$dir/target/release/workflow-registry"
mkdir -p "$dir/bin"

works() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

if works "$bin"; then
  echo "workflow-registry: using the prebuilt $bin"
  exit 0
fi
if ! works "$built"; then
  if command -v cargo >/dev/null 2>&1 && [ -f "$dir/Cargo.toml" ]; then
    echo "workflow-registry: building with cargo (a minute or two)..."
    # --target-dir: where $built is looked for, whatever CARGO_TARGET_DIR says.
    (cd "$dir" && cargo build --release --locked --target-dir "$dir/target")
  else
    echo "workflow-registry: no prebuilt binary in $dir/bin and no cargo to build one." >&2
    echo "  Install a release archive for your platform, or install Rust (https://rustup.rs) and run" >&2
    echo "  'helm plugin update workflow-registry'." >&2
    exit 1
  fi
fi
ln -sf "$built" "$bin"
works "$bin"
echo "workflow-registry: installed $("$bin" --version)"
