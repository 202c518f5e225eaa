#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run every check and test: formatting, lints, Rust unit tests, the end-to-end
# pytest suite against real clients, and a short correctness smoke run of the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# shellcheck disable=SC1091
source .venv/bin/activate

echo "== cargo fmt / clippy"
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings

echo "== ruff / mypy / stubtest"
ruff check python tests examples bench
python -m mypy
python -m mypy.stubtest turbosio._core --allowlist .stubtest-allowlist

echo "== cargo test"
cargo test

echo "== pytest"
python -m pytest tests -q -p no:cacheprovider

echo "== pytest: the protocol conformance suite again, through the ASGI driver under uvicorn"
TURBOSIO_PROTOCOL_DRIVER=asgi python -m pytest tests/protocol/test_engineio_protocol.py tests/protocol/test_socketio_protocol.py \
    -q -p no:cacheprovider

echo "== pytest: the protocol conformance suite again, attached to an aiohttp app"
TURBOSIO_PROTOCOL_DRIVER=aiohttp python -m pytest tests/protocol/test_engineio_protocol.py tests/protocol/test_socketio_protocol.py \
    -q -p no:cacheprovider

if [ -f bench/smoke.sh ]; then
    echo "== benchmark smoke (correctness only)"
    bash bench/smoke.sh
fi
