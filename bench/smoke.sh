#!/usr/bin/env bash
# Correctness smoke run of the benchmarks: every scenario for about 2-5 seconds against turbosio's native server,
# served by the `python` on PATH (it must import turbosio), with the load generator's --check. Exits non-zero on
# any lost, duplicated, out-of-order or mismatched message, failed connect, or server crash. Then the client
# scenarios: a few hundred acked calls from turbosio's and python-socketio's AsyncClient (the same `python`)
# against Node's socket.io server, every ack checked. Measures nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
python bench/run.py --smoke "$@"
python bench/run.py --smoke --client
# Two turbosio nodes joined by Redis (bench/fleet.py): every broadcast crosses the channel, every delivery checked.
python bench/fleet.py --impls 'turbosio (native)' --clients 50 --duration 2 --check
python bench/run.py --smoke --reliability --no-build
