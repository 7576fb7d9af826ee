#!/usr/bin/env python3
"""The local-engine benchmarks of issues 5 and 11 (docs/benchmarks.md says how to read them).

Usage: bench/run.py [--suite filters|aggregations|parquet|all] [--reps N] [--no-write]
                    [--flowq PATH] [--baseline PATH]

Suite `filters` (issue 5) generates about 1 GB (uncompressed) of sample flow logs once with the release
`flowq sample` into .cache/bench/, then times, in one run on the same files:

- flowq's local engine (`flowq run --source DIR QUERY`) on 4 queries, when the
  build has `flowq run` (otherwise those rows say "not available");
- DuckDB (the Python wheel, 2 threads, timed in-process) on the same queries
  as SQL over the same .log.gz files;
- `zcat | awk` on the selective filter;
- `zcat > /dev/null`, and the inflate floor: every file inflated with flowq's
  inflate library (flate2 on zlib-rs) on all cores (examples/inflate_floor.rs).

Each timing is the median of --reps runs after one untimed warm-up run (which
also puts the files in the page cache), taken in rounds over all rows so that
the load of a shared machine falls on every row alike. Results of the engines are checked
against DuckDB's. The measured tables go into docs/benchmarks.md between the
bench:begin and bench:end markers, unless --no-write.

Suite `aggregations` (issue 11) writes 1.05 M high-cardinality records
(bench/highcard.py) once into .cache/bench/, and times flowq (and, with
--baseline, a second flowq binary, e.g. the build before a change) and DuckDB
on 11 aggregations, interleaved in rounds, with the peak RSS of each: flowq's
from GNU time (/usr/bin/time), DuckDB's from getrusage() in a worker process
of its own per query (DuckDB runs in-process there, timed around the
statement).
Grouped queries write every group (an explicit limit above their count), as
CSV: flowq to a file, DuckDB with COPY ... TO a file; both files must hold
the same rows in the same order.

Suite `parquet` (issue 13) writes the same records as the `filters` suite as
Parquet (`flowq sample --file-format parquet`, GZIP, as AWS writes them) into
.cache/bench/, and times flowq and DuckDB's read_parquet (2 threads) on the
same 4 queries, the results checked against DuckDB's.

Run it from anywhere; it uses the project's .venv (tests/run creates it) and
installs bench/requirements.txt into it. Binaries are looked up in
$CARGO_TARGET_DIR (default target/).
"""

import argparse
import csv
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
DOC = ROOT / "docs" / "benchmarks.md"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
FLOWQ = TARGET / "release" / "flowq"
FLOOR = TARGET / "release" / "examples" / "inflate_floor"

# One day of two accounts in two regions: 8.6 M records, about 1 GB of text.
SAMPLE = {
    "start": "2026-11-26",
    "end": "2026-11-27",
    "accounts": "111122223333,444455556666",
    "regions": "us-east-1,eu-west-1",
    "flows-per-minute": "1500",
    "format-version": "2",
    "seed": "1",
}
# Named by the options, so that changing them writes a new sample.
DATA = ROOT / ".cache" / "bench" / (
    f"v{SAMPLE['format-version']}-{SAMPLE['accounts'].count(',') + 1}x"
    f"{SAMPLE['regions'].count(',') + 1}-{SAMPLE['flows-per-minute']}fpm-"
    f"{SAMPLE['start']}-seed{SAMPLE['seed']}"
)

# The same records as Parquet files (the parquet suite).
DATA_PARQUET = DATA.with_name(DATA.name + "-parquet")

# The query window, `on 2026-11-26`, as the compiler renders it.
T0, T1 = 1795651200, 1795737600
WINDOW = f'"end" >= {T0} AND "start" < {T1}'

# The v2 default format, typed as in the AWS DDL (reference §3.2).
COLUMNS = {
    "version": "INTEGER",
    "account_id": "VARCHAR",
    "interface_id": "VARCHAR",
    "srcaddr": "VARCHAR",
    "dstaddr": "VARCHAR",
    "srcport": "INTEGER",
    "dstport": "INTEGER",
    "protocol": "BIGINT",
    "packets": "BIGINT",
    "bytes": "BIGINT",
    "start": "BIGINT",
    "end": "BIGINT",
    "action": "VARCHAR",
    "log_status": "VARCHAR",
}


@dataclass
class Query:
    name: str
    flowq: str
    # DuckDB SQL, translated by hand from `flowq compile --scheme none`
    # (docs/benchmarks.md shows both); `logs` is a view over the files.
    sql: str
    # The same filter for awk on the v2 fields by position, or None.
    awk: str = None


QUERIES = [
    Query(
        "selective filter",
        "dport 3389 and action REJECT on 2026-11-26 | count",
        f"SELECT count(*) AS flows FROM logs WHERE {WINDOW} "
        "AND dstport = 3389 AND action = 'REJECT'",
        f'$12 >= {T0} && $11 < {T1} && $7 == 3389 && $13 == "REJECT" {{ n++ }} '
        "END { print n + 0 }",
    ),
    Query(
        "CIDR filter",
        "src 10.0.0.0/16 and not dst 10.0.0.0/8 on 2026-11-26 | count",
        # contains(CIDR, TRY_CAST(x AS IPADDRESS)) needs DuckDB's inet
        # extension, which is downloaded at run time; for octet-aligned
        # prefixes a string prefix test is equivalent, and cheaper.
        f"SELECT count(*) AS flows FROM logs WHERE {WINDOW} "
        "AND srcaddr LIKE '10.0.%' AND NOT (dstaddr LIKE '10.%')",
    ),
    Query(
        "count by dport",
        "on 2026-11-26 | count by dport",
        f"SELECT dstport, count(*) AS flows FROM logs WHERE {WINDOW} GROUP BY dstport "
        "ORDER BY flows DESC NULLS LAST, dstport ASC NULLS LAST LIMIT 1000",
    ),
    Query(
        "top 10 talkers",
        "on 2026-11-26 | top 10 srcaddr by bytes",
        f"SELECT srcaddr, sum(bytes) AS bytes FROM logs WHERE {WINDOW} GROUP BY srcaddr "
        "ORDER BY bytes DESC NULLS LAST, srcaddr ASC NULLS LAST LIMIT 10",
    ),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--suite", choices=["filters", "aggregations", "parquet", "all"], default="all",
                        help="which benchmark to run (default all)")
    parser.add_argument("--reps", type=int, default=5, help="timed runs per row (default 5)")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--no-build", action="store_true",
                        help="time the binaries as they are, without cargo build")
    parser.add_argument("--flowq", type=Path, default=FLOWQ,
                        help="the flowq binary to time (default: this tree's release build)")
    parser.add_argument("--baseline", type=Path,
                        help="aggregations: a second flowq binary timed in the same rounds "
                             "(e.g. the release build before a change)")
    args = parser.parse_args()
    ensure_venv()
    import duckdb

    if not args.no_build:
        build()
    if args.suite in ("filters", "all"):
        filters_suite(args, duckdb)
    if args.suite in ("aggregations", "all"):
        aggregations_suite(args, duckdb)
    if args.suite in ("parquet", "all"):
        parquet_suite(args, duckdb)


def parquet_suite(args, duckdb):
    """flowq and DuckDB's read_parquet on the filters suite's queries over
    the same records written as Parquet."""
    summary = ensure_sample(DATA_PARQUET, ["--file-format", "parquet"])
    files = sorted(str(p) for p in DATA_PARQUET.rglob("*.log.parquet"))
    facts = machine_facts(duckdb.__version__, args.flowq)
    print(f"bench: {len(files)} Parquet files, {summary}", file=sys.stderr)
    con = duckdb.connect()
    con.execute("SET threads = 2")
    files_sql = "[" + ", ".join(sql_string(f) for f in files) + "]"
    con.execute(f"CREATE VIEW logs AS SELECT * FROM read_parquet({files_sql})")
    rows = []
    for q in QUERIES:
        expected = [tuple(r) for r in con.execute(q.sql).fetchall()]
        rows.append(Row(q.name, DUCKDB_PARQUET, lambda q=q: con.execute(q.sql).fetchall(),
                        check="reference"))
        flowq = [str(args.flowq), "run", "--format", "csv", "--source", str(DATA_PARQUET), q.flowq]
        check = compare_flowq(run(flowq).stdout, expected)
        rows.append(Row(q.name, FLOWQ_RUN, lambda flowq=flowq: run(flowq), check=check))
    time_rows(rows, args.reps)
    facts["load average after"] = load_average()
    report = render_parquet(facts, summary, rows, args.reps)
    print(report)
    if not args.no_write:
        write_doc(report, "bench-parquet")
        print(f"bench: wrote {DOC.relative_to(ROOT)}", file=sys.stderr)


def render_parquet(facts, summary, rows, reps):
    lines = ["Machine and run:", ""]
    lines += [f"- {key}: {value}" for key, value in facts.items()]
    lines += [
        f"- data: {summary}",
        f"- timings: median and fastest of {reps} runs after a warm-up run, "
        "taken in rounds over all rows",
        "",
        "| query | engine | median s | fastest s | result |",
        "|---|---|---:|---:|---|",
    ]
    for row in rows:
        lines.append(f"| {row.query} | {row.engine} | {row.median():.3f} | {min(row.runs):.3f} "
                     f"| {row.check} |")
    lines += ["", "| query | flowq / DuckDB read_parquet (target ≤ 0.33) |", "|---|---:|"]
    for query in QUERIES:
        engines = {row.engine: row for row in rows if row.query == query.name}
        ratio = engines[FLOWQ_RUN].median() / engines[DUCKDB_PARQUET].median()
        lines.append(f"| {query.name} | {ratio:.2f} |")
    return "\n".join(lines) + "\n"


def filters_suite(args, duckdb):
    summary = ensure_sample()
    files = sorted(str(p) for p in DATA.rglob("*.log.gz"))
    facts = machine_facts(duckdb.__version__, args.flowq)
    print(f"bench: {len(files)} files, {summary}", file=sys.stderr)

    rows = [
        Row("decompression", "inflate floor (flate2/zlib-rs, all cores)",
            lambda: run([str(FLOOR), str(DATA)])),
        Row("decompression", "zcat > /dev/null",
            lambda: run(["zcat", "--", *files], stdout=subprocess.DEVNULL)),
    ]
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute(logs_view(files))
    has_run, has_format = flowq_run_support(args.flowq)
    for q in QUERIES:
        rows += query_rows(q, con, files, args.flowq, has_run, has_format)
    time_rows(rows, args.reps)

    facts["load average after"] = load_average()
    report = render(facts, summary, rows, args.reps)
    print(report)
    if not args.no_write:
        write_doc(report)
        print(f"bench: wrote {DOC.relative_to(ROOT)}", file=sys.stderr)


def logs_view(files):
    """The DuckDB view over flow-log files, typed as in the AWS DDL."""
    files_sql = "[" + ", ".join(sql_string(f) for f in files) + "]"
    return (
        f"CREATE VIEW logs AS SELECT * FROM read_csv({files_sql}, delim=' ', header=true, "
        f"nullstr='-', compression='gzip', columns={COLUMNS!r})"
    )


def query_rows(q, con, files, flowq_binary, has_run, has_format):
    """The rows of one query, each with its result checked against DuckDB's."""
    expected = [tuple(r) for r in con.execute(q.sql).fetchall()]
    rows = [Row(q.name, DUCKDB, lambda: con.execute(q.sql).fetchall(), check="reference")]
    if has_run:
        flowq = [str(flowq_binary), "run", "--source", str(DATA), q.flowq]
        if has_format:
            flowq[2:2] = ["--format", "csv"]
        check = compare_flowq(run(flowq).stdout, expected) if has_format else "unchecked"
        rows.append(Row(q.name, FLOWQ_RUN, lambda: run(flowq), check=check))
    else:
        rows.append(Row(q.name, FLOWQ_RUN, None,
                        check="the timed build has no `flowq run`: re-run after the local engine lands"))
    if q.awk:
        script = f'zcat -- "$@" | awk \'{q.awk}\''
        awk = ["bash", "-o", "pipefail", "-c", script, "zcat-awk", *files]
        got = run(awk).stdout.strip()
        check = "same" if got == str(expected[0][0]) else f"DIFFERS: {got} vs {expected[0][0]}"
        rows.append(Row(q.name, "zcat \\| awk", lambda: run(awk), check=check))
    return rows


def time_rows(rows, reps):
    """Times every row `reps` times, in rounds over all rows, so that a
    change in the machine's load falls on every row alike."""
    runnable = [row for row in rows if row.action]
    for row in runnable:
        row.action()  # warm-up: page cache, DuckDB's first-query setup
    for round in range(reps):
        for row in runnable:
            began = time.perf_counter()
            row.action()
            row.runs.append(time.perf_counter() - began)
        print(f"bench: round {round + 1}/{reps} done, load {load_average()}", file=sys.stderr)
    for row in runnable:
        print(f"bench: {row.query}, {row.engine}: "
              f"{' '.join(f'{r:.3f}' for r in row.runs)}", file=sys.stderr)


def ensure_venv():
    """Re-runs under .venv with bench/requirements.txt installed."""
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        if not VENV_PYTHON.exists():
            subprocess.run([sys.executable, "-m", "venv", str(ROOT / ".venv")], check=True)
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *sys.argv[1:]])
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", str(ROOT / "bench" / "requirements.txt")],
        check=True,
    )


def build():
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--bin", "flowq", "--example", "inflate_floor"],
        cwd=ROOT,
        check=True,
    )


def ensure_sample(data=DATA, extra=()):
    """Writes the sample once; a marker file beside it says it is complete."""
    marker = data.with_name(data.name + ".json")
    if marker.exists():
        return json.loads(marker.read_text())["summary"]
    command = [str(FLOWQ), "sample", "--out", str(data)]
    for flag, value in SAMPLE.items():
        command += [f"--{flag}", value]
    command += list(extra)
    print("bench: generating " + " ".join(command[1:]), file=sys.stderr)
    began = time.perf_counter()
    result = run(command)
    seconds = time.perf_counter() - began
    summary = result.stderr.strip().removeprefix("flowq sample: ")
    summary = summary.split(" under ")[0] + f", generated in {seconds:.1f} s"
    marker.write_text(json.dumps({"command": command[1:], "summary": summary}))
    return summary


def run(command, stdout=subprocess.PIPE):
    result = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise SystemExit(f"bench: {command[0]} failed ({result.returncode}): {result.stderr}")
    return result


def flowq_run_support(flowq):
    """(has `flowq run`, has `flowq run --format`)."""
    result = subprocess.run([str(flowq), "run", "--help"], capture_output=True, text=True)
    return result.returncode == 0, "--format" in result.stdout


def compare_flowq(output, expected):
    """flowq's CSV result against DuckDB's rows, values compared as text."""
    rows = list(csv.reader(io.StringIO(output)))[1:]
    want = [[("" if v is None else str(v)) for v in row] for row in expected]
    return "same" if rows == want else f"DIFFERS ({len(rows)} rows vs {len(want)})"


def sql_string(text):
    return "'" + text.replace("'", "''") + "'"


DUCKDB = "DuckDB (2 threads, in-process)"
DUCKDB_PARQUET = "DuckDB read_parquet (2 threads, in-process)"
FLOWQ_RUN = "flowq run"


@dataclass
class Row:
    query: str
    engine: str
    # What is timed; None when the engine is not available.
    action: object
    check: str = ""
    runs: list = field(default_factory=list)

    def median(self):
        return statistics.median(self.runs) if self.runs else None


def machine_facts(duckdb_version, flowq):
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        "unknown",
    )
    mem_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "nproc": subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip(),
        "CPU": model,
        "memory": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "kernel": platform.release(),
        "flowq": git_describe(),
        "flowq timed": shown(flowq),
        "rustc": first_line(["rustc", "--version"]),
        "DuckDB": duckdb_version,
        "awk": first_line(["awk", "-W", "version"]),
        "zcat": first_line(["zcat", "--version"]),
        "load average before": load_average(),
    }


def shown(path):
    """A path relative to the repository when it is inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def git_describe():
    commit = first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    # The tables this script writes do not change what is measured.
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "diff", "--quiet", "HEAD", "--", ".", ":!docs/benchmarks.md"]
    ).returncode
    return commit + (" (with uncommitted changes)" if dirty else "")


def first_line(command):
    result = subprocess.run(command, capture_output=True, text=True)
    return (result.stdout or result.stderr).strip().splitlines()[0] if result.returncode == 0 else "?"


def load_average():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def render(facts, summary, rows, reps):
    floor = rows[0].median()
    lines = ["Machine and run:", ""]
    lines += [f"- {key}: {value}" for key, value in facts.items()]
    lines += [
        f"- data: {summary}",
        f"- timings: median and fastest of {reps} runs after a warm-up run, "
        "taken in rounds over all rows",
        "",
        "| query | engine | median s | fastest s | vs inflate floor | result |",
        "|---|---|---:|---:|---:|---|",
    ]
    for row in rows:
        if not row.runs:
            lines.append(f"| {row.query} | {row.engine} | not available | | | {row.check} |")
            continue
        lines.append(
            f"| {row.query} | {row.engine} | {row.median():.3f} | {min(row.runs):.3f} "
            f"| {row.median() / floor:.2f}x | {row.check} |"
        )
    lines += [
        "",
        "| query | flowq / DuckDB (target ≤ 0.33) | flowq / inflate floor (target ≤ 1.5) |",
        "|---|---:|---:|",
    ]
    for query in QUERIES:
        engines = {row.engine: row for row in rows if row.query == query.name}
        flowq, duck = engines[FLOWQ_RUN].median(), engines[DUCKDB].median()
        if flowq is None:
            lines.append(f"| {query.name} | not available | not available |")
        else:
            lines.append(f"| {query.name} | {flowq / duck:.2f} | {flowq / floor:.2f} |")
    return "\n".join(lines) + "\n"


def write_doc(report, marker="bench"):
    text = DOC.read_text()
    begin, end = f"<!-- {marker}:begin -->\n", f"<!-- {marker}:end -->"
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    DOC.write_text(head + begin + report + end + tail)


# ------------------------------------------------------ aggregations (issue 11)

AGG_DATA = ROOT / ".cache" / "bench" / "highcard-seed11"
AGG_ON = "on 2026-11-26"
# Above every group count of the data: grouped queries write every group.
ALL = 2_000_000


@dataclass
class AggQuery:
    name: str
    flowq: str
    # DuckDB SQL over the `logs` view: `flowq compile --scheme none` by hand,
    # with the order the local engine gives unsorted groups (their keys).
    sql: str


def where(condition=""):
    return f"WHERE {WINDOW}" + (f" AND {condition}" if condition else "")


AGG_QUERIES = [
    AggQuery("scan: stats count()", f"{AGG_ON} | stats count() as n",
             f"SELECT count(*) AS n FROM logs {where()}"),
    AggQuery("dport 22 and action reject | stats count()",
             f"dport 22 and action reject {AGG_ON} | stats count() as n",
             f"SELECT count(*) AS n FROM logs {where('dstport = 22 AND action = ' + chr(39) + 'REJECT' + chr(39))}"),
    AggQuery("proto udp and bytes > 10K | stats count()",
             f"proto udp and bytes > 10K {AGG_ON} | stats count() as n",
             f"SELECT count(*) AS n FROM logs {where('protocol = 17 AND bytes > 10000')}"),
    AggQuery("stats count() by action", f"{AGG_ON} | stats count() as n by action | limit {ALL}",
             f"SELECT action, count(*) AS n FROM logs {where()} GROUP BY action "
             "ORDER BY action NULLS LAST"),
    AggQuery("stats count() by dport", f"{AGG_ON} | stats count() as n by dport | limit {ALL}",
             f"SELECT dstport, count(*) AS n FROM logs {where()} GROUP BY dstport "
             "ORDER BY dstport NULLS LAST"),
    AggQuery("action accept | stats sum(bytes) by dport",
             f"action accept {AGG_ON} | stats sum(bytes) as b by dport | limit {ALL}",
             f"SELECT dstport, sum(bytes) AS b FROM logs {where('action = ' + chr(39) + 'ACCEPT' + chr(39))} "
             "GROUP BY dstport ORDER BY dstport NULLS LAST"),
    AggQuery("stats count() by srcaddr", f"{AGG_ON} | stats count() as n by srcaddr | limit {ALL}",
             f"SELECT srcaddr, count(*) AS n FROM logs {where()} GROUP BY srcaddr "
             "ORDER BY srcaddr NULLS LAST"),
    AggQuery("stats sum(bytes) by srcaddr, dstaddr",
             f"{AGG_ON} | stats sum(bytes) as b by srcaddr, dstaddr | limit {ALL}",
             f"SELECT srcaddr, dstaddr, sum(bytes) AS b FROM logs {where()} "
             "GROUP BY srcaddr, dstaddr ORDER BY srcaddr NULLS LAST, dstaddr NULLS LAST"),
    AggQuery("top 10 srcaddr by bytes", f"{AGG_ON} | top 10 srcaddr by bytes",
             f"SELECT srcaddr, sum(bytes) AS bytes FROM logs {where()} GROUP BY srcaddr "
             "ORDER BY bytes DESC NULLS LAST, srcaddr ASC NULLS LAST LIMIT 10"),
    AggQuery("top 10 srcaddr, dstaddr by bytes", f"{AGG_ON} | top 10 srcaddr, dstaddr by bytes",
             f"SELECT srcaddr, dstaddr, sum(bytes) AS bytes FROM logs {where()} "
             "GROUP BY srcaddr, dstaddr ORDER BY bytes DESC NULLS LAST, srcaddr ASC NULLS LAST, "
             "dstaddr ASC NULLS LAST LIMIT 10"),
    AggQuery("count_distinct(dstport) by srcaddr, top 10",
             f"{AGG_ON} | stats count_distinct(dstport) as ports by srcaddr | sort ports desc | limit 10",
             f"SELECT srcaddr, count(DISTINCT dstport) AS ports FROM logs {where()} GROUP BY srcaddr "
             "ORDER BY ports DESC NULLS LAST, srcaddr ASC NULLS LAST LIMIT 10"),
]

# One DuckDB per query and mode, in a process of its own so that its peak RSS
# is the query's (getrusage is per process). The statement is timed
# in-process: "copy" writes the result as CSV with COPY ... TO (the same work
# as flowq's), "fetch" is execute().fetchall() as in issue 11 (Python objects
# for every row, which costs DuckDB much on large results).
DUCK_WORKER = r"""
import json, resource, sys, time
import duckdb
view, sql, out, mode = json.loads(sys.argv[1])
con = duckdb.connect()
con.execute("SET threads = 2")
con.execute("SET enable_progress_bar = false")
con.execute(view)
copy = "COPY (" + sql + ") TO '" + out.replace("'", "''") + "' (FORMAT csv, HEADER true)"
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("@" + json.dumps({"baseline_kb": rss()}), flush=True)
for line in sys.stdin:
    began = time.perf_counter()
    if mode == "copy":
        con.execute(copy)
    else:
        con.execute(sql).fetchall()
    print("@" + json.dumps({"seconds": time.perf_counter() - began, "peak_kb": rss()}), flush=True)
"""


class DuckWorker:
    def __init__(self, view, sql, out, mode="copy"):
        self.out = out
        self.proc = subprocess.Popen(
            [sys.executable, "-c", DUCK_WORKER, json.dumps([view, sql, str(out), mode])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.baseline_kb = self.reply()["baseline_kb"]

    def reply(self):
        """The worker's next reply, past anything else DuckDB printed."""
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit("bench: a DuckDB worker died")
            if line.startswith("@"):
                return json.loads(line[1:])

    def __call__(self):
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        reply = self.reply()
        return reply["seconds"], reply["peak_kb"]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


class FlowqRun:
    """`flowq run --format csv` with stdout to a file: wall time, and peak
    RSS from GNU time (the child of a small process: a child forked straight
    from this one would count this process's memory in its peak)."""

    def __init__(self, binary, query, out):
        self.command = ["/usr/bin/time", "-f", "@%M",
                        str(binary), "run", "--source", str(AGG_DATA), "--format", "csv", query]
        self.out = out

    def __call__(self):
        with open(self.out, "wb") as out, tempfile.TemporaryFile() as err:
            began = time.perf_counter()
            result = subprocess.run(self.command, stdout=out, stderr=err)
            seconds = time.perf_counter() - began
            err.seek(0)
            stderr = err.read().decode()
        if result.returncode != 0:
            raise SystemExit(f"bench: {self.command} failed: {stderr}")
        return seconds, int(stderr.rsplit("@", 1)[1])


@dataclass
class AggRow:
    query: AggQuery
    engine: str
    action: object
    out: Path
    runs: list = field(default_factory=list)
    peak_kb: int = 0
    check: str = ""
    rows_out: int = 0


def ensure_highcard():
    marker = AGG_DATA.with_name(AGG_DATA.name + ".json")
    if marker.exists():
        return json.loads(marker.read_text())["summary"]
    sys.path.insert(0, str(ROOT / "bench"))
    import highcard
    print(f"bench: generating {AGG_DATA} (bench/highcard.py)", file=sys.stderr)
    began = time.perf_counter()
    files, records = highcard.generate(AGG_DATA)
    gz = sum(p.stat().st_size for p in AGG_DATA.rglob("*.log.gz"))
    summary = (f"{files} files, {records} records, {gz / 1e6:.2f} MB gzip "
               f"(bench/highcard.py, generated in {time.perf_counter() - began:.1f} s)")
    marker.write_text(json.dumps({"summary": summary}))
    return summary


def check_results(rows):
    """Each flowq result against DuckDB's, row by row, as text."""
    for row in rows:
        if row.engine == DUCKDB:
            reference = csv_rows(row.out)
            row.check, row.rows_out = "reference", len(reference)
        elif row.engine == DUCKDB_FETCH:
            row.check = "timed only"
        else:
            got = csv_rows(row.out)
            row.rows_out = len(got)
            row.check = "same" if got == reference else \
                f"DIFFERS ({len(got)} rows vs {len(reference)})"


def csv_rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))[1:]


def aggregations_suite(args, duckdb):
    summary = ensure_highcard()
    files = sorted(str(p) for p in AGG_DATA.rglob("*.log.gz"))
    facts = machine_facts(duckdb.__version__, args.flowq)
    if args.baseline:
        facts["flowq baseline"] = shown(args.baseline)
    print(f"bench: {summary}", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="flowq-bench-"))
    view = logs_view(files)
    rows, workers = [], []
    for i, q in enumerate(AGG_QUERIES):
        duck = DuckWorker(view, q.sql, work / f"{i}-duckdb.csv")
        fetch = DuckWorker(view, q.sql, None, mode="fetch")
        workers += [duck, fetch]
        rows.append(AggRow(q, DUCKDB, duck, duck.out))
        rows.append(AggRow(q, DUCKDB_FETCH, fetch, None))
        if args.baseline:
            out = work / f"{i}-baseline.csv"
            rows.append(AggRow(q, "flowq baseline", FlowqRun(args.baseline, q.flowq, out), out))
        out = work / f"{i}-flowq.csv"
        rows.append(AggRow(q, FLOWQ_RUN, FlowqRun(args.flowq, q.flowq, out), out))
    loads = [load_average()]
    for row in rows:
        row.action()  # warm-up: page cache, DuckDB's first-query setup
    check_results(rows)
    for round in range(args.reps):
        for row in rows:
            seconds, peak_kb = row.action()
            row.runs.append(seconds)
            row.peak_kb = max(row.peak_kb, peak_kb)
        loads.append(load_average())
        print(f"bench: round {round + 1}/{args.reps} done, load {loads[-1]}", file=sys.stderr)
    for worker in workers:
        worker.close()
    for row in rows:
        print(f"bench: {row.query.name}, {row.engine}: "
              f"{' '.join(f'{r:.3f}' for r in row.runs)}, peak {row.peak_kb / 1024:.0f} MB",
              file=sys.stderr)
    facts["load average after"] = load_average()
    report = render_aggregations(facts, summary, rows, args, loads,
                                 workers[0].baseline_kb)
    print(report)
    if not args.no_write:
        write_doc(report, "bench-aggregations")
        print(f"bench: wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
    for path in work.iterdir():
        path.unlink()
    work.rmdir()


DUCKDB_FETCH = "DuckDB fetchall"


def render_aggregations(facts, summary, rows, args, loads, duck_baseline_kb):
    mb = lambda kb: f"{kb / 1024:.0f}"
    lines = ["Machine and run:", ""]
    lines += [f"- {key}: {value}" for key, value in facts.items()]
    lines += [
        f"- data: {summary}",
        f"- command: `bench/run.py --suite aggregations --reps {args.reps}"
        + (f" --baseline {shown(args.baseline)}" if args.baseline else "") + "`",
        f"- timings: median of {args.reps} runs after a warm-up run (range: the fastest "
        f"and the slowest of them), taken in rounds over "
        f"all rows; load average (1 min) after each round: "
        + ", ".join(load.split()[0] for load in loads[1:]),
        f"- peak RSS in MB; DuckDB's includes its Python process "
        f"({mb(duck_baseline_kb)} MB after connecting)",
        "- DuckDB COPY: `COPY (SQL) TO 'file.csv'` timed in-process, the same work as "
        "flowq's (every row written as CSV); DuckDB fetch: `execute(SQL).fetchall()` "
        "as in issue 11, which also builds a Python tuple per row",
        "",
    ]
    by_query = {}
    for row in rows:
        by_query.setdefault(row.query.name, {})[row.engine] = row
    scan = statistics.median(by_query[AGG_QUERIES[0].name][FLOWQ_RUN].runs)
    # The fastest and slowest of the runs beside each median: how far the
    # machine's noise moves a row, and so whether a ratio's miss is real.
    spread = lambda runs: f"{min(runs):.3f}-{max(runs):.3f}"
    header = "| query | rows out | DuckDB COPY s | COPY range s | DuckDB fetch s | DuckDB MB |"
    rule = "|---|---:|---:|---:|---:|---:|"
    if args.baseline:
        header += " flowq before s | before MB | before: DuckDB/flowq |"
        rule += "---:|---:|---:|"
    header += (" flowq s | flowq range s | flowq MB | COPY/flowq (target ≥ 3) "
               "| fetch/flowq (target ≥ 3) | flowq / scan | result |")
    rule += "---:|---:|---:|---:|---:|---:|---|"
    lines += [header, rule]
    for query in AGG_QUERIES:
        engines = by_query[query.name]
        duck, flowq = engines[DUCKDB], engines[FLOWQ_RUN]
        d, f = statistics.median(duck.runs), statistics.median(flowq.runs)
        fetch = statistics.median(engines[DUCKDB_FETCH].runs)
        shown_query = query.flowq.replace("|", "\\|")
        line = (f"| `{shown_query}` | {duck.rows_out} | {d:.3f} | {spread(duck.runs)} "
                f"| {fetch:.3f} | {mb(duck.peak_kb)} |")
        checks = [flowq.check]
        if args.baseline:
            base = engines["flowq baseline"]
            b = statistics.median(base.runs)
            line += f" {b:.3f} | {mb(base.peak_kb)} | {d / b:.1f}x |"
            checks.append(f"before: {base.check}")
        line += (f" {f:.3f} | {spread(flowq.runs)} | {mb(flowq.peak_kb)} | {d / f:.1f}x "
                 f"| {fetch / f:.1f}x | {f / scan:.2f} | {', '.join(checks)} |")
        lines.append(line)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
