#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run every check and test: formatting, lints, the typed API, Rust unit tests, the
# end-to-end pytest suite against real clients, the wheel and sdist as a user installs them, a representative part
# of the suite on every other supported Python, and a short correctness smoke run of the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# shellcheck disable=SC1091
source .venv/bin/activate

echo "== cargo fmt / clippy"
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings

echo "== ruff / mypy"
ruff check python tests examples bench
python -m mypy

echo "== the typed API: examples/typed under mypy --strict and pyright; stubtest over the package"
bash scripts/check_types.sh

echo "== cargo test"
cargo test

echo "== fuzz: every cargo-fuzz target for a bounded time (scripts/fuzz.sh)"
bash scripts/fuzz.sh

echo "== pytest"
python -m pytest tests -q -p no:cacheprovider

echo "== pytest: the protocol conformance suite again, through the ASGI driver under uvicorn"
TURBOSIO_PROTOCOL_DRIVER=asgi python -m pytest tests/protocol/test_engineio_protocol.py tests/protocol/test_socketio_protocol.py \
    -q -p no:cacheprovider

echo "== pytest: the protocol conformance suite again, attached to an aiohttp app"
TURBOSIO_PROTOCOL_DRIVER=aiohttp python -m pytest tests/protocol/test_engineio_protocol.py tests/protocol/test_socketio_protocol.py \
    -q -p no:cacheprovider

echo "== the wheel and the sdist: built, the wheel installed into a fresh virtualenv and smoke-run"
bash scripts/check_wheel.sh

echo "== Python 3.10, 3.12, 3.13: the end-to-end suite from the wheel"
bash scripts/test_pythons.sh

if [ -f bench/smoke.sh ]; then
    echo "== benchmark smoke (correctness only)"
    bash bench/smoke.sh
fi
