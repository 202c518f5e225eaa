#!/usr/bin/env bash
# The typed public API, seen as a user sees it: examples/typed/app.py (servers) and client.py (clients) under
# `mypy --strict` and pyright (strict), with the settings of examples/typed/pyproject.toml; misuses that must stay
# type errors (tests/typing/); then stubtest over the whole package (every module, not only _core) against the
# built extension. Run with the development virtualenv's Python as $PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="$(command -v "${PYTHON:-python}")"

echo "-- mypy --strict examples/typed"
"$PYTHON" -m mypy --config-file examples/typed/pyproject.toml examples/typed/app.py examples/typed/client.py
echo "-- mypy --strict tests/typing: misuses are still rejected"
"$PYTHON" -m mypy --config-file examples/typed/pyproject.toml tests/typing/client_misuse.py
echo "-- pyright (strict) examples/typed"
# pyright's PyPI package carries its JavaScript and runs it with the node on PATH: nothing is downloaded.
"$PYTHON" -m pyright --pythonpath "$PYTHON" -p examples/typed/pyproject.toml examples/typed/app.py examples/typed/client.py
echo "-- stubtest turbosio"
"$PYTHON" -m mypy.stubtest turbosio --mypy-config-file pyproject.toml --allowlist .stubtest-allowlist
