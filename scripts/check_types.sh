#!/usr/bin/env bash
# The typed public API, seen as a user sees it: examples/typed/app.py under `mypy --strict` and pyright (strict),
# with the settings of examples/typed/pyproject.toml; then stubtest over the whole package (every module, not
# only _core) against the built extension. Run with the development virtualenv's Python as $PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="$(command -v "${PYTHON:-python}")"

echo "-- mypy --strict examples/typed"
"$PYTHON" -m mypy --config-file examples/typed/pyproject.toml examples/typed/app.py
echo "-- pyright (strict) examples/typed"
# pyright's PyPI package carries its JavaScript and runs it with the node on PATH: nothing is downloaded.
"$PYTHON" -m pyright --pythonpath "$PYTHON" -p examples/typed/pyproject.toml examples/typed/app.py
echo "-- stubtest turbosio"
"$PYTHON" -m mypy.stubtest turbosio --mypy-config-file pyproject.toml --allowlist .stubtest-allowlist
