#!/usr/bin/env python3
"""Check that two builds of workflow-registry behave identically: every input
of both fuzz corpora and every testdata manifest, run through each build as a
plain filter with three locations (and --verbose for two of them); exit
status, standard output and standard error must be byte-identical.

usage: scripts/compare-binaries.py OLD_BINARY NEW_BINARY

For changes meant to change nothing (performance work, refactors): a
difference is printed with the input and the configuration, and the exit
status is 1. Two runs at a time; about 5 minutes for ~11,500 inputs.
"""
import concurrent.futures
import glob
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOCATIONS = {
    "off-cluster": {"REGISTRY_LOCATION": "off-cluster", "REGISTRY_HOSTNAME": "quay.io",
                    "REGISTRY_ORGANIZATION": "o", "REGISTRY_USERNAME": "u", "REGISTRY_PASSWORD": "p"},
    "ecr": {"REGISTRY_LOCATION": "ecr", "ECR_REGION": "eu-west-1", "ECR_ACCESS_KEY": "AK", "ECR_SECRET_KEY": "SK"},
    "on-cluster": {"REGISTRY_LOCATION": "on-cluster"},
}


def run(binary, path, location, verbose):
    with open(path, "rb") as stdin:
        r = subprocess.run([binary] + (["--verbose"] if verbose else []), stdin=stdin, capture_output=True,
                           env=dict(PATH=os.environ["PATH"], **LOCATIONS[location]), timeout=120)
    return r.returncode, r.stdout, r.stderr


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    old, new = sys.argv[1:]
    inputs = sorted(glob.glob(os.path.join(ROOT, "fuzz/corpus/*/*"))
                    + glob.glob(os.path.join(ROOT, "testdata/**/*.yaml"), recursive=True))
    jobs = [(path, location, verbose) for path in inputs for location in LOCATIONS
            for verbose in (False, True) if not (verbose and location == "on-cluster")]

    def differs(job):
        return job if run(old, *job) != run(new, *job) else None

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        differences = [d for d in pool.map(differs, jobs) if d]
    print(f"{len(inputs)} inputs, {len(jobs)} runs each build, {len(differences)} differences")
    for path, location, verbose in differences[:20]:
        print(f"  {os.path.relpath(path, ROOT)}: {location}{' --verbose' if verbose else ''}")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
