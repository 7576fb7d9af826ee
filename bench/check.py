#!/usr/bin/env python3
"""Benchmark: `flowq check` over a catalog of 1,000 saved searches.

Target (issue 3): 1,000 searches checked in well under a second. The peer,
timed in the same run on the same files, is yamllint, a YAML linter teams
already run in CI over such catalogs; flowq check does more (it parses,
type-checks and compiles every query), so the ratio says what that costs.

Usage: bench/check.py [--searches N] [--runs R]
Needs a release build (cargo build --release) and yamllint in .venv (the
script installs it there if missing).
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
FLOWQ = os.path.join(ROOT, "target", "release", "flowq")
VENV_PY = os.path.join(ROOT, ".venv", "bin", "python")


def make_catalog(dir, n):
    shutil.copy(os.path.join(ROOT, "flowq.yaml"), dir)
    searches = os.path.join(dir, "searches")
    os.makedirs(searches)
    shipped = sorted(f for f in os.listdir(os.path.join(ROOT, "searches")) if f.endswith(".yaml"))
    for i in range(n):
        source = shipped[i % len(shipped)]
        with open(os.path.join(ROOT, "searches", source)) as f:
            text = f.read()
        # Distinct titles, so the duplicate lint does not dominate the report.
        text = text.replace("title: ", f"title: #{i} ", 1)
        with open(os.path.join(searches, f"s{i:04d}-{source}"), "w") as f:
            f.write(text)


def median_seconds(cmd, runs, cwd):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - start)
        if result.returncode not in (0, 1):
            sys.exit(f"{cmd[0]} failed: {result.stderr.decode()}")
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not os.path.exists(FLOWQ):
        sys.exit("build first: cargo build --release")
    yamllint = os.path.join(ROOT, ".venv", "bin", "yamllint")
    if not os.path.exists(yamllint):
        subprocess.run([VENV_PY, "-m", "pip", "install", "-q", "yamllint==1.38.0"], check=True)
    with tempfile.TemporaryDirectory() as dir:
        make_catalog(dir, args.searches)
        flowq = median_seconds([FLOWQ, "check"], args.runs, dir)
        lint = median_seconds([yamllint, "-d", "relaxed", "searches"], args.runs, dir)
    print(f"searches: {args.searches}, runs: {args.runs} (medians)")
    print(f"flowq check: {flowq * 1000:.1f} ms")
    print(f"yamllint:    {lint * 1000:.1f} ms")
    print(f"ratio flowq/yamllint: {flowq / lint:.3f}")


if __name__ == "__main__":
    main()
