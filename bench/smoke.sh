#!/usr/bin/env bash
# Correctness smoke run of the benchmarks: every scenario for about 2-5 seconds against turbosio's native server,
# served by the `python` on PATH (it must import turbosio), with the load generator's --check. Exits non-zero on
# any lost, duplicated, out-of-order or mismatched message, failed connect, or server crash. Measures nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python bench/run.py --smoke "$@"
