#!/usr/bin/env python3
"""Named lists on the local engine (issue 12): a filter on a 10,000-entry CIDR list against
the same query on a 3-entry list, over the filters benchmark's sample (bench/run.py).

Usage: bench/lists.py [--reps N] [--flowq PATH] [--data DIR]

The lists are written into a scratch catalog (lists/big.txt, lists/small.txt) and flowq runs
from there, so `@big` and `@small` resolve as they would in a user's catalog. The big list is
10,000 distinct random networks (/16 to /28, seed 12) spread over the whole IPv4 space; the
small one is the three RFC 1918 networks. Each query is timed --reps times after one warm-up,
interleaved, and the medians and their ratio are printed. The target is a ratio below 1.2:
matching is a bisection over merged ranges, so the list's size should barely show.
"""

import argparse
import ipaddress
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (bench/run.py: the sample and the binary)

QUERY = "src @{list} or dst @{list} on 2026-11-26 | count"


def big_list(n=10_000, seed=12):
    rng = random.Random(seed)
    nets = set()
    while len(nets) < n:
        prefix = rng.randint(16, 28)
        address = rng.getrandbits(32)
        nets.add(ipaddress.ip_network((address, prefix), strict=False))
    return sorted(nets)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--flowq", type=Path, default=bench.FLOWQ)
    parser.add_argument("--data", type=Path, default=None,
                        help="a sample written by bench/run.py (default: generate it like run.py does)")
    args = parser.parse_args()
    data = args.data
    if data is None:
        bench.ensure_sample()
        data = bench.DATA
    with tempfile.TemporaryDirectory() as scratch:
        lists = Path(scratch) / "lists"
        lists.mkdir()
        (lists / "big.txt").write_text("".join(f"{n}\n" for n in big_list()))
        (lists / "small.txt").write_text("10.0.0.0/8\n172.16.0.0/12\n192.168.0.0/16\n")
        commands = {
            name: [str(args.flowq), "run", "--format", "csv", "--source", str(data), QUERY.format(list=name)]
            for name in ("small", "big")
        }
        times = {name: [] for name in commands}
        for rep in range(args.reps + 1):
            for name, command in commands.items():
                began = time.perf_counter()
                result = subprocess.run(command, cwd=scratch, capture_output=True, text=True)
                seconds = time.perf_counter() - began
                if result.returncode != 0:
                    sys.exit(f"{' '.join(command)} failed:\n{result.stderr}")
                if rep > 0:
                    times[name].append(seconds)
                print(f"{name}: {seconds:.2f} s, rows {result.stdout.strip().splitlines()[1:]}", file=sys.stderr)
    small, big = (statistics.median(times[n]) for n in ("small", "big"))
    print(f"3-entry list:      median {small:.2f} s over {args.reps} runs")
    print(f"10,000-entry list: median {big:.2f} s over {args.reps} runs")
    print(f"ratio: {big / small:.3f} (target < 1.2)")


if __name__ == "__main__":
    main()
