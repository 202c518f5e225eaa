#!/usr/bin/env bash
# Instructions the native server executes for a fixed piece of work, counted by callgrind: an A/B of two builds that
# the host's speed cannot blur. On this VM the wall-clock figures of one revision drift by a quarter within half an
# hour, and neither the harness's noise check nor `perf` (no hardware counters here) can see it; callgrind counts
# the same whatever else the machine does.
#
#   bash bench/instructions.sh LABEL PYTHONPATH SCENARIO COUNT [CLIENTS]
#
# PYTHONPATH is a folder holding the `turbosio` package to measure (with its `_core` built --release), e.g.
# `python` of this tree after `maturin develop --release`, or a copy of another revision's installed package.
# SCENARIO is `echo` (COUNT acks) or `broadcast` (COUNT broadcasts to CLIENTS receivers). The count covers the
# measured run only (its CLIENTS connecting, then the work): a warm-up run goes first and the counters are zeroed
# after it. Needs valgrind, the load generator (`python bench/run.py --smoke` builds it) and `.venv`. Under
# callgrind the server is ~50x slower: keep COUNT small (800 acks, 150 broadcasts to 200 receivers) so all of it
# fits in the load generator's 40 s cap; the line printed says whether it did. BENCH_APP_ARGS adds flags to
# bench/app.py (`--metrics`: the cost of metrics).
set -euo pipefail
label=$1 pypath=$2 scenario=$3 count=$4 clients=${5:-50}
cd "$(dirname "$0")/.."
loadgen=${BENCH_TARGET_DIR:-target-bench}/release/loadgen
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

PYTHONPATH=$pypath valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" \
    .venv/bin/python bench/app.py --impl turbosio --mode native --port "$port" ${BENCH_APP_ARGS:-} \
    >"$out/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 600); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" 2>/dev/null && break
    sleep 0.5
done
"$loadgen" "$scenario" --addr "127.0.0.1:$port" --clients "$clients" --duration 15 --warmup 0 \
    --max $((count / 5 + 1)) --timeout 60 >/dev/null 2>&1 || true
callgrind_control -z "$server" >/dev/null 2>&1
"$loadgen" "$scenario" --addr "127.0.0.1:$port" --clients "$clients" --duration 40 --warmup 0 --max "$count" \
    --timeout 60 --check >"$out/load.json"
callgrind_control -d "$server" >/dev/null 2>&1
kill "$server"
wait "$server" 2>/dev/null || true
total=$(cat "$out"/callgrind.out* | awk '/^(summary|totals):/ {print $2}' | sort -n | tail -n 1)
python3 - "$label" "$scenario" "$total" "$out/load.json" "$count" <<'EOF'
import json
import sys

label, scenario, total, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
load = json.load(open(path))
work = load['acks'] if scenario == 'echo' else load['deliveries']
unit = 'ack' if scenario == 'echo' else 'delivery'
done = load['acks'] if scenario == 'echo' else load['broadcasts']
whole = 'all of it' if done >= int(sys.argv[5]) else f'only {done:,} of {sys.argv[5]}: lower COUNT'
print(f'{label} {scenario}: {total:,} instructions, {work:,} {unit}s, {total / work:,.0f} per {unit} ({whole})')
EOF
