"""High-cardinality flow logs for the aggregation benchmark (issue 11).

`flowq sample` draws outside addresses from fixed pools (docs/sample.md), so
12 hours of it hold only about 43 k distinct source addresses and 136 k
address pairs: too few to measure group-bys over hundreds of thousands of
groups. This writes 12 hours of one flow log (145 files, 5-minute
intervals, the default layout and v2 format, gzip level 6, as flowq sample
writes them) with about 1.05 M records whose

- source addresses number about 460 k (uniform over a pool of 525 k IPv4
  addresses, 3% IPv6 from a pool of 30 k),
- source/destination pairs about 1 M (destinations from 400 k addresses;
  2.5% of the records repeat a recent pair, as a reply or a retry would),
- destination ports about 64 k (40% ephemeral, the rest well-known ports),
- 1.4% NODATA records (every packet field `-`, so NULL groups exist).

The same seed writes the same bytes. Pure Python (random, gzip), about 20 s.
"""

import gzip
import random
from pathlib import Path

HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol "
    "packets bytes start end action log-status"
)
ACCOUNT = "111122223333"
REGION = "us-east-1"
# 2026-11-26T00:00:00Z: the first file is stamped 00:05 and holds records
# ending in [00:00, 00:05); the last, stamped 12:05, those ending in
# [12:00, 12:05).
DAY_START = 1795651200
FILES = 145
RECORDS_PER_FILE = 7240
WELL_KNOWN = [443, 443, 443, 80, 80, 22, 53, 123, 3389, 5432, 3306, 6379, 25, 8080, 445]


def ipv4(index, salt):
    """A public-looking address for a pool index: distinct indices give
    distinct addresses (the multiplier is odd, so a bijection mod 2^24)."""
    first = [3, 13, 18, 23, 34, 35, 44, 52, 54, 62, 81, 91, 104, 141, 185, 212][(index + salt) % 16]
    h = ((index // 16) * 0x9E3779 + salt * 0x3C6EF3) & 0xFFFFFF
    return f"{first}.{h >> 16}.{(h >> 8) & 255}.{h & 255}"


def ipv6(index):
    return f"2a02:8108:{index >> 16:x}:{index & 0xffff:x}::{(index * 2654435761) & 0xffff:x}"


def generate(root, seed=11):
    """Writes the files under `root`; returns (files, records)."""
    rng = random.Random(seed)
    folder = Path(root) / "AWSLogs" / ACCOUNT / "vpcflowlogs" / REGION / "2026" / "11" / "26"
    folder.mkdir(parents=True, exist_ok=True)
    enis = [f"eni-{rng.getrandbits(68):017x}" for _ in range(200)]
    recent = []
    records = 0
    for f in range(FILES):
        stamp_end = DAY_START + 300 * (f + 1)
        lines = [HEADER]
        for _ in range(RECORDS_PER_FILE):
            eni = enis[rng.randrange(200)]
            end = stamp_end - 1 - rng.randrange(300)
            start = end - rng.randrange(61)
            if rng.random() < 0.014:
                lines.append(f"2 {ACCOUNT} {eni} - - - - - - - {start} {end} - NODATA")
                continue
            if recent and rng.random() < 0.025:
                src, dst = recent[rng.randrange(len(recent))]
            else:
                if rng.random() < 0.03:
                    src = ipv6(rng.randrange(30_000))
                    dst = ipv6(30_000 + rng.randrange(10_000))
                else:
                    src = ipv4(rng.randrange(525_000), 1)
                    dst = ipv4(rng.randrange(400_000), 2)
                recent.append((src, dst))
                if len(recent) > 4096:
                    recent.pop(0)
            r = rng.random()
            protocol = 6 if r < 0.8 else 17 if r < 0.95 else 1
            if protocol == 1:
                sport = dport = 0
            elif rng.random() < 0.4:
                sport, dport = rng.choice(WELL_KNOWN), rng.randrange(1024, 65536)
            else:
                sport, dport = rng.randrange(1024, 65536), rng.choice(WELL_KNOWN)
            packets = 1 + int(rng.paretovariate(1.2)) if rng.random() < 0.7 else rng.randrange(1, 20)
            size = rng.randrange(40, 1501)
            action = "REJECT" if rng.random() < 0.12 else "ACCEPT"
            lines.append(
                f"2 {ACCOUNT} {eni} {src} {dst} {sport} {dport} {protocol} {packets} "
                f"{packets * size} {start} {end} {action} OK"
            )
        records += len(lines) - 1
        stamp = _stamp(stamp_end)
        name = (f"{ACCOUNT}_vpcflowlogs_{REGION}_fl-0a1b2c3d4e5f60718_{stamp}_"
                f"{rng.getrandbits(32):08x}.log.gz")
        data = ("\n".join(lines) + "\n").encode()
        (folder / name).write_bytes(gzip.compress(data, compresslevel=6, mtime=0))
    return FILES, records


def _stamp(seconds):
    import time
    return time.strftime("%Y%m%dT%H%MZ", time.gmtime(seconds))


if __name__ == "__main__":
    import sys
    print(generate(sys.argv[1]))
