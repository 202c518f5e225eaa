#!/usr/bin/env bash
# Set up a development environment from a fresh clone: a virtualenv in .venv with the test dependencies, the
# extension built in release mode, and the node client used by the tests. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
# shellcheck disable=SC1091
source .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet maturin ruff mypy pyright
python -m pip install --quiet \
    'python-socketio[client,asyncio_client]==5.18.*' uvicorn fastapi httpx requests websocket-client aiohttp \
    pytest pytest-timeout werkzeug eventlet python-multipart hypercorn granian flask gunicorn redis msgpack prometheus_client
maturin develop --release --quiet

# cargo-fuzz for scripts/fuzz.sh, from crates.io; it runs on the stable toolchain (the script says why and how).
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --quiet
fi

if command -v npm >/dev/null 2>&1; then
    (cd tests/js && npm install --no-audit --no-fund --silent)
    (cd examples/chat && npm install --no-audit --no-fund --silent)
else
    echo "setup: npm not found; the tests that drive the official JavaScript client will fail" >&2
fi

# Headless Chromium for the chat demo's browser test (Debian's package; the test drives it with playwright-core).
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
    else
        echo "setup: chromium is missing and cannot be installed here; the browser test will be skipped" >&2
    fi
fi

# redis-server (Debian's package) for the Redis manager's tests (tests/scale/), which start it on a free port.
if ! command -v redis-server >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null
    else
        echo "setup: redis-server is missing and cannot be installed here; tests/scale/ will be skipped" >&2
    fi
fi

# The other supported Pythons, for scripts/test_pythons.sh. Debian 12 packages only 3.11; pyenv's versions or
# python3.X on PATH are used when present. Another CPython cannot be installed without downloading it from
# python.org (pyenv install), which setup does not do: a missing version is reported here and skipped by the tests.
for version in 3.10 3.12 3.13; do
    if ! bash scripts/find_python.sh "$version" >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 &&
            apt-cache policy "python$version-venv" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q "python$version-venv" >/dev/null
        fi
    fi
    bash scripts/find_python.sh "$version" >/dev/null ||
        echo "setup: Python $version not found and not packaged here; scripts/test_pythons.sh will skip it" >&2
done
