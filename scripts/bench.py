#!/usr/bin/env python3
"""Benchmark workflow-registry against its floors and the tools a user would
otherwise run, in one invocation, on the same files.

usage: scripts/bench.py [--rounds N] [--sizes 50,5000,50000] [--timeout S]
                        [--slow-max-docs N] [--out FILE] [--binary PATH]
       scripts/bench.py --edit-heavy [--rounds N] [--binary PATH] [--before PATH]
       scripts/bench.py --realistic [--render FILE] [--rounds N] [--binary PATH] [--before PATH]

Commands per stream (Workflow-shaped, from scripts/gen-stream.py):
  cat              the I/O floor
  split floor      read, split into documents, write (examples/split_floor)
  parser floor     the same plus granit-parser scanning every document on all
                   cores (the floor for a filter that validates its input)
  workflow-registry  REGISTRY_LOCATION=ecr: inject, remove the registry, add the
                   secret and the refresher
  kubectl kustomize  the same edit as strategic-merge patches + a secretGenerator
  yq/jq            the jq program a shell user would write (python yq), plus cat
                   of a secret file
The slow tools run only up to --slow-max-docs documents (and stop at --timeout).
--edit-heavy: the edit-heavy stream (gen-stream.py 51200 --edit-heavy, ~32 MiB,
the builder and controller of 3,200 Workflow copies configured) against the
parser floor and the check floor (the parser floor plus a second parse of each
document the filter edits: the least a filter pays that reads back every edited
document whole; this one reads back only the edited lines where it can prove
that equivalent, see docs/editing.md), with 1 and 2 threads (RAYON_NUM_THREADS),
and the peak memory on a 4 MB stream of bare `---` lines. --binary measures
another build (e.g. main's); --before adds one more to the same interleaved
rounds, for before-and-after figures.
--realistic: a real chart's render (Hephy v2.23 from ../shared/charts, rendered
with `helm template`, or --render FILE) repeated with suffixed names to 51,200
documents (gen-stream.py --realistic), every copy configured for ecr, against
cat and the parser floor with 1 and 2 threads, peak memory against the input's
size; and one render (one Workflow install) against cat.
Wall time is the median of the rounds after one warm-up; peak memory is the
child's max RSS (wait4). Ratios are taken between medians of the same run.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The optimised build that release archives ship (Cargo.toml [profile.dist]):
# what an operator who installs a release runs.
PROFILE = "dist"
ENV = dict(os.environ, REGISTRY_LOCATION="ecr", ECR_REGION="eu-west-1")

KUSTOMIZATION = """resources:
- stream.yaml
patches:
- patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: deis-builder, namespace: deis}
    spec:
      template:
        spec:
          containers:
          - name: deis-builder
            env:
            - {name: DEIS_REGISTRY_LOCATION, value: ecr}
- patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: deis-controller, namespace: deis}
    spec:
      template:
        spec:
          containers:
          - name: deis-controller
            env:
            - {name: DEIS_REGISTRY_LOCATION, value: ecr}
- patch: |-
    $patch: delete
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: deis-registry, namespace: deis}
secretGenerator:
- name: registry-secret
  namespace: deis
  options: {disableNameSuffixHash: true}
  literals: [accesskey=, secretkey=, region=eu-west-1, registryid=, hostname=]
"""

JQ = ('if .kind == "Deployment" and (.metadata.name == "deis-builder" or .metadata.name == "deis-controller") '
      'then .spec.template.spec.containers[].env |= map(if .name == "DEIS_REGISTRY_LOCATION" then .value = "ecr" else . end) '
      'elif .kind == "Deployment" and .metadata.name == "deis-registry" then empty else . end')

SECRET = """---
apiVersion: v1
kind: Secret
metadata: {name: registry-secret, namespace: deis}
type: Opaque
data: {accesskey: "", secretkey: "", region: ZXUtd2VzdC0x, registryid: "", hostname: ""}
"""


def run_once(argv, stdin_path, timeout, cwd=None):
    """Wall seconds of one run, or None on timeout."""
    with open(stdin_path, "rb") as stdin:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, cwd=cwd)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return None
        wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed: {err.decode()[-2000:]}")
    return wall


def peak_rss_kib(argv, stdin_path, cwd=None):
    """Max RSS of the command itself, from GNU time (the child's rusage would
    also count the forked Python before exec)."""
    with tempfile.NamedTemporaryFile("r") as out, open(stdin_path, "rb") as stdin:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name] + argv, stdin=stdin,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, cwd=cwd, check=True)
        return int(out.read().split()[-1])


def measure(argv, stdin_path, rounds, timeout, cwd=None):
    """(median wall seconds, peak RSS KiB), or None when it does not finish in time."""
    if run_once(argv, stdin_path, timeout, cwd) is None:  # warm-up
        return None
    walls = []
    for _ in range(rounds):
        wall = run_once(argv, stdin_path, timeout, cwd)
        if wall is None:
            return None
        walls.append(wall)
    return statistics.median(walls), peak_rss_kib(argv, stdin_path, cwd)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--sizes", default="50,5000,50000")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--slow-max-docs", type=int, default=5000)
    ap.add_argument("--out", default=os.path.join(ROOT, "target/bench/results.md"))
    ap.add_argument("--readme", action="store_true", help="also write the table into docs/benchmarks.md")
    ap.add_argument("--files", help="comma-separated manifests: time only cat and workflow-registry on them")
    ap.add_argument("--edit-heavy", action="store_true", help="the edit-heavy stream and the `---`-only stream")
    ap.add_argument("--realistic", action="store_true", help="a real render repeated to 51,200 documents")
    ap.add_argument("--render", help="with --realistic: the render to repeat (default: helm template of Hephy's chart)")
    ap.add_argument("--binary", help="the workflow-registry binary to measure (default: build target/release)")
    ap.add_argument("--before", help="with --edit-heavy: another build to measure in the same rounds (e.g. an older commit's)")
    a = ap.parse_args()
    if a.files:
        return compare_files(a)
    if a.realistic:
        return realistic(a)
    if a.edit_heavy:
        return edit_heavy(a)

    subprocess.run(["cargo", "build", "--profile", PROFILE, "--quiet", "--example", "split_floor"]
                   + ([] if a.binary else ["--bin", "workflow-registry"]), cwd=ROOT, check=True)
    wr = a.binary or os.path.join(ROOT, f"target/{PROFILE}/workflow-registry")
    floor = os.path.join(ROOT, f"target/{PROFILE}/examples/split_floor")
    bench = os.path.join(ROOT, "target/bench")
    os.makedirs(bench, exist_ok=True)
    secret_file = os.path.join(bench, "secret.yaml")
    with open(secret_file, "w") as f:
        f.write(SECRET)

    rows, results = [], {}
    for n in [int(s) for s in a.sizes.split(",")]:
        path = os.path.join(bench, f"stream-{n}.yaml")
        if not os.path.exists(path):
            with open(path, "w") as f:
                subprocess.run([sys.executable, os.path.join(ROOT, "scripts/gen-stream.py"), str(n)], stdout=f, check=True)
        size = os.path.getsize(path)
        commands = [
            ("cat", ["cat"], None),
            ("split floor", [floor], None),
            ("parser floor", [floor, "--scan"], None),
            ("workflow-registry", [wr], None),
        ]
        if n <= a.slow_max_docs:
            kdir = tempfile.mkdtemp(prefix="wr-bench-kustomize-")
            shutil.copy(path, os.path.join(kdir, "stream.yaml"))  # kustomize refuses links leaving its root
            with open(os.path.join(kdir, "kustomization.yaml"), "w") as f:
                f.write(KUSTOMIZATION)
            commands.append(("kubectl kustomize", ["kubectl", "kustomize", kdir], None))
            commands.append(("yq/jq", ["sh", "-c", f"yq -y '{JQ}' && cat {secret_file}"], None))
        rounds = a.rounds if n <= 5000 else max(3, a.rounds // 2)
        for name, argv, cwd in commands:
            slow = name in ("kubectl kustomize", "yq/jq") and n >= 5000
            r = measure(argv, path, 1 if slow else rounds, a.timeout, cwd)
            results[(n, name)] = r
            print(f"{n:>6} docs  {name:<18} " + ("timeout" if r is None else f"{r[0]*1000:9.1f} ms  {r[1]/1024:7.1f} MiB"),
                  file=sys.stderr)
        rows.append((n, size))

    def ratio(n, a_name, b_name):
        x, y = results.get((n, a_name)), results.get((n, b_name))
        return None if not x or not y else x[0] / y[0]

    lines = ["| docs | input | command | wall (median) | × cat | × split floor | peak RSS | RSS ÷ input |",
             "|---:|---:|---|---:|---:|---:|---:|---:|"]
    for n, size in rows:
        for name in ("cat", "split floor", "parser floor", "workflow-registry", "kubectl kustomize", "yq/jq"):
            if (n, name) not in results:
                continue
            r = results[(n, name)]
            if r is None:
                lines.append(f"| {n} | {size/1e6:.1f} MB | {name} | > {a.timeout:.0f} s (stopped) | | | | |")
                continue
            lines.append(f"| {n} | {size/1e6:.1f} MB | {name} | {r[0]*1000:.1f} ms | {ratio(n, name, 'cat'):.1f} | "
                         f"{ratio(n, name, 'split floor'):.2f} | {r[1]/1024:.1f} MiB | {r[1]*1024/size:.2f} |")
    small, large = rows[0][0], rows[-1][0]
    kust_sizes = [n for n, _ in rows if results.get((n, "kubectl kustomize"))]
    checks = [
        f"- {small} docs: workflow-registry {ratio(small, 'workflow-registry', 'cat'):.1f}× cat (target ≤ 3×)",
        f"- {large} docs: workflow-registry {ratio(large, 'workflow-registry', 'split floor'):.1f}× the split floor "
        f"(target ≤ 10×); the parser floor alone is {ratio(large, 'parser floor', 'split floor'):.1f}×",
    ]
    if kust_sizes:
        k = max(kust_sizes)
        checks.append(f"- {k} docs (largest kustomize run): kubectl kustomize is "
                      f"{ratio(k, 'kubectl kustomize', 'workflow-registry'):.0f}× slower (target ≥ 100×)")
    peak = max(results[(n, 'workflow-registry')][1] * 1024 / size for n, size in rows if n >= 5000) if large >= 5000 else None
    if peak:
        baseline = peak_rss_kib([wr, "--version"], secret_file) / 1024
        checks.append(f"- peak memory of workflow-registry at ≥ 5000 docs: {peak:.2f}× the input (target ≤ 2.5×); "
                      f"the process's fixed baseline (RSS of `workflow-registry --version`) is {baseline:.1f} MiB")
    per_mb = [f"{results[(n, 'workflow-registry')][0] * 1e3 / (size / 1e6):.1f} ms/MB at {n}" for n, size in rows]
    checks.append("- cost per MB (linearity): " + ", ".join(per_mb))
    text = "\n".join(lines + [""] + checks) + "\n"
    with open(a.out, "w") as f:
        f.write(text)
    if a.readme:
        write_readme(text, " ".join(["scripts/bench.py"] + sys.argv[1:]))
    print(text)


def edit_heavy(a):
    """The edit-heavy stream against the parser floor, 1 and 2 threads; memory on `---` lines."""
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "split_floor"]
                   + ([] if a.binary else ["--bin", "workflow-registry"]), cwd=ROOT, check=True)
    wr = a.binary or os.path.join(ROOT, "target/release/workflow-registry")
    floor = os.path.join(ROOT, "target/release/examples/split_floor")
    bench = os.path.join(ROOT, "target/bench")
    os.makedirs(bench, exist_ok=True)
    path = os.path.join(bench, "stream-51200-edit-heavy.yaml")
    if not os.path.exists(path):
        with open(path, "w") as f:
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts/gen-stream.py"), "51200", "--edit-heavy"],
                           stdout=f, check=True)
    dashes = os.path.join(bench, "dashes-4mb.yaml")
    if not os.path.exists(dashes):
        with open(dashes, "w") as f:
            f.write("---\n" * (1 << 20))
    size = os.path.getsize(path)
    print(f"edit-heavy stream: {size / 2**20:.1f} MiB; binary {wr}", file=sys.stderr)
    # The documents the filter edits in this stream: read back once more by
    # the check floor, as the filter reads back every document it edits.
    edited = "name: deis-builder\n,name: deis-controller\n"
    lines = ["| threads | command | wall (median) | × parser floor | × check floor | peak RSS |",
             "|---:|---|---:|---:|---:|---:|"]
    for threads in ("1", "2"):
        ENV["RAYON_NUM_THREADS"] = threads
        walls = {"parser floor": [], "check floor": [], "workflow-registry": []}
        argv = {"parser floor": [floor, "--scan"], "check floor": [floor, "--scan", "--reread", edited],
                "workflow-registry": [wr]}
        if a.before:
            walls["before"] = []
            argv["before"] = [a.before]
        for name in walls:
            run_once(argv[name], path, a.timeout)  # warm-up
        for _ in range(a.rounds):  # interleaved, so that load on a shared machine hits both alike
            for name in walls:
                walls[name].append(run_once(argv[name], path, a.timeout))
        floor_med = statistics.median(walls["parser floor"])
        check_med = statistics.median(walls["check floor"])
        for name in walls:
            med = statistics.median(walls[name])
            rss = peak_rss_kib(argv[name], path) / 1024
            lines.append(f"| {threads} | {name} | {med * 1000:.0f} ms | {med / floor_med:.2f} | "
                         f"{med / check_med:.2f} | {rss:.1f} MiB |")
    ENV.pop("RAYON_NUM_THREADS", None)
    rss = peak_rss_kib([wr], dashes) / 1024
    lines.append("")
    lines.append(f"4 MiB of `---` lines (1,048,576 empty documents): peak RSS {rss:.1f} MiB "
                 f"({rss / 4:.1f}× the input)")
    print("\n".join(lines))


def hephy_render(path):
    """Hephy v2.23's chart as `helm template` renders it in namespace deis."""
    chart = os.path.join(ROOT, "..", "shared", "charts", "hephy-workflow-v2.23.0", "workflow")
    helm = shutil.which("helm") or sys.exit("--realistic needs `helm` on PATH (scripts/setup-peers.sh), or --render FILE")
    with open(path, "w") as f:
        subprocess.run([helm, "template", "workflow", chart, "--namespace", "deis"], stdout=f, check=True)


def realistic(a):
    """A real render repeated to 51,200 documents, against cat and the parser floor."""
    subprocess.run(["cargo", "build", "--profile", PROFILE, "--quiet", "--example", "split_floor"]
                   + ([] if a.binary else ["--bin", "workflow-registry"]), cwd=ROOT, check=True)
    wr = a.binary or os.path.join(ROOT, f"target/{PROFILE}/workflow-registry")
    floor = os.path.join(ROOT, f"target/{PROFILE}/examples/split_floor")
    bench = os.path.join(ROOT, "target/bench")
    os.makedirs(bench, exist_ok=True)
    render = a.render or os.path.join(bench, "hephy-render.yaml")
    if not a.render and not os.path.exists(render):
        hephy_render(render)
    path = os.path.join(bench, "stream-51200-realistic.yaml")
    with open(path, "w") as f:
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts/gen-stream.py"), "51200", "--realistic", render],
                       stdout=f, check=True)
    size = os.path.getsize(path) / 2**20
    print(f"realistic stream: {size:.1f} MiB from {render}; binary {wr}", file=sys.stderr)
    ENV["WORKFLOW_REGISTRY_NAMESPACE"] = "deis"
    lines = ["| stream | threads | command | wall (median) | × cat | × parser floor | peak RSS | × input |",
             "|---|---:|---|---:|---:|---:|---:|---:|"]
    for label, stream, input_mib in (("51,200 documents", path, size),
                                     ("one install", render, os.path.getsize(render) / 2**20)):
        for threads in ("1", "2") if stream == path else ("2",):
            ENV["RAYON_NUM_THREADS"] = threads
            argv = {"cat": ["cat"], "parser floor": [floor, "--scan"], "workflow-registry": [wr]}
            if a.before:
                argv["before"] = [a.before]
            walls = {name: [] for name in argv}
            for name in argv:
                run_once(argv[name], stream, a.timeout)  # warm-up
            for _ in range(a.rounds):  # interleaved: load on a shared machine hits all alike
                for name in argv:
                    walls[name].append(run_once(argv[name], stream, a.timeout))
            cat_med = statistics.median(walls["cat"])
            floor_med = statistics.median(walls["parser floor"])
            for name in argv:
                med = statistics.median(walls[name])
                rss = peak_rss_kib(argv[name], stream) / 1024
                lines.append(f"| {label} | {threads} | {name} | {med * 1000:.1f} ms | {med / cat_med:.2f} | "
                             f"{med / floor_med:.2f} | {rss:.1f} MiB | {rss / input_mib:.1f} |")
    ENV.pop("RAYON_NUM_THREADS", None)
    ENV.pop("WORKFLOW_REGISTRY_NAMESPACE", None)
    print("\n".join(lines))


def compare_files(a):
    """cat and workflow-registry on given files, rounds interleaved in one run."""
    subprocess.run(["cargo", "build", "--profile", PROFILE, "--quiet", "--bin", "workflow-registry"], cwd=ROOT, check=True)
    wr = os.path.join(ROOT, f"target/{PROFILE}/workflow-registry")
    print("| file | size | command | wall (median) | × cat | peak RSS |\n|---|---:|---|---:|---:|---:|")
    for path in a.files.split(","):
        walls = {"cat": [], "workflow-registry": []}
        argv = {"cat": ["cat"], "workflow-registry": [wr]}
        for name in walls:
            run_once(argv[name], path, a.timeout)  # warm-up
        for _ in range(a.rounds):
            for name in walls:
                walls[name].append(run_once(argv[name], path, a.timeout))
        cat = statistics.median(walls["cat"])
        for name in walls:
            med = statistics.median(walls[name])
            rss = peak_rss_kib(argv[name], path) / 1024
            print(f"| {os.path.basename(path)} | {os.path.getsize(path)/1024:.1f} KiB | {name} | {med*1000:.2f} ms | "
                  f"{med/cat:.2f} | {rss:.1f} MiB |")


def write_readme(table, command):
    """Replace the block between the bench-table markers in docs/benchmarks.md."""
    path = os.path.join(ROOT, "docs/benchmarks.md")
    readme = open(path, encoding="utf-8").read()
    start, end = "<!-- bench-table -->", "<!-- /bench-table -->"
    head, rest = readme.split(start, 1)
    tail = rest.split(end, 1)[1] if end in rest else rest
    block = (f"{start}\nFrom the latest run, `{command}` ({time.strftime('%Y-%m-%d')}, "
             f"`{PROFILE}` profile):\n\n{table}{end}")
    open(path, "w", encoding="utf-8").write(head + block + tail)


if __name__ == "__main__":
    main()
