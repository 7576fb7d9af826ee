#!/usr/bin/env bash
# The Trino pruning measurement of docs/benchmarks.md ("Partition pruning
# on Trino"): starts the test Trino (tests/trino/server.sh) unless it is
# already running, runs examples/pruning.rs, prints its Markdown table,
# and stops the server again by PID if this script started it.
set -euo pipefail
cd "$(dirname "$0")/.."
was_running=$(tests/trino/server.sh status >/dev/null 2>&1 && echo yes || echo no)
cleanup() { [ "$was_running" = yes ] || tests/trino/server.sh stop || true; }
trap cleanup EXIT
tests/trino/server.sh start
eval "$(tests/trino/server.sh env | sed 's/^/export /')"
cargo run --quiet --example pruning
