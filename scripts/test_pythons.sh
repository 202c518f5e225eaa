#!/usr/bin/env bash
# Run the end-to-end suite on every supported Python besides the development one (3.11, where scripts/test.sh
# runs it), each from the one abi3 wheel (dist/, made by scripts/check_wheel.sh) installed into a fresh
# virtualenv with the test extra: the same tests/ as on 3.11, about 2.5 minutes per version here.
# TURBOSIO_PYTHON_TESTS narrows it (e.g. "tests/unit tests/server_api", about 45 s) when CI time is short.
#
# An interpreter that cannot be found (scripts/find_python.sh) is skipped with the reason; set
# TURBOSIO_REQUIRE_PYTHONS=1 to make that a failure. Debian 12 packages only python3.11, and installing another
# CPython (pyenv install, uv python install) downloads it from python.org, so a fresh machine without pyenv's
# versions skips them.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VERSION="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
WHEEL="$ROOT/dist/turbosio-$VERSION-cp310-abi3-manylinux_2_34_x86_64.whl"
[ -f "$WHEEL" ] || { echo "test_pythons: $WHEEL is missing; run scripts/check_wheel.sh first" >&2; exit 1; }
PYTHONS="${TURBOSIO_PYTHONS:-3.10 3.12 3.13}"
read -r -a TESTS <<<"${TURBOSIO_PYTHON_TESTS:-tests}"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
skipped=()
failed=()
for version in $PYTHONS; do
    if ! python="$(bash scripts/find_python.sh "$version")"; then
        skipped+=("$version")
        continue
    fi
    echo "-- Python $version ($python)"
    venv="$WORK/py$version"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet "$WHEEL[test]"
    # The wheel, not the source tree, is what these tests import.
    env -u PYTHONPATH "$venv/bin/python" -c \
        'import sys, turbosio; assert turbosio.__file__.startswith(sys.prefix), turbosio.__file__'
    deselect=()
    if [ "$version" != 3.10 ]; then
        # Two expectations about python-socketio's AsyncClient that hold on 3.10/3.11 only; against
        # python-socketio's own server they fail the same way on 3.12+, so the client, not turbosio, differs:
        # - over WebSocket it now does send DISCONNECT before closing (the test expects 'transport close');
        # - it sometimes misses the disconnect that follows an always_connect answer.
        deselect+=(--deselect 'tests/server_api/test_disconnect.py::test_client_disconnect_reason'
            --deselect 'tests/server_api/test_server_api.py::test_always_connect_refusal_arrives_as_a_disconnect')
    fi
    # Every version runs even when one fails; the script fails at the end.
    env -u PYTHONPATH "$venv/bin/python" -m pytest "${TESTS[@]}" -q -p no:cacheprovider "${deselect[@]}" ||
        failed+=("$version")
done

# Bad input: an unsupported Python is refused by pip at install time, not by an import error later.
if python39="$(bash scripts/find_python.sh 3.9 2>/dev/null)"; then
    echo "-- Python 3.9 ($python39): pip must refuse the wheel and the sdist"
    "$python39" -m venv "$WORK/py3.9"
    for artifact in "$WHEEL" "$ROOT/dist/turbosio-$VERSION.tar.gz"; do
        if out="$("$WORK/py3.9/bin/python" -m pip install --no-deps "$artifact" 2>&1)"; then
            echo "test_pythons: Python 3.9 installed $artifact" >&2
            exit 1
        fi
        grep -E "is not a supported wheel on this platform|requires a different Python: 3\.9\.[0-9]+ not in '>=3\.10'" \
            <<<"$out" || { echo "test_pythons: unexpected refusal on 3.9: $out" >&2; exit 1; }
    done
else
    echo "test_pythons: no Python 3.9 here, so the refusal of an unsupported Python is not shown" >&2
fi

if [ "${#skipped[@]}" != 0 ]; then
    echo "test_pythons: SKIPPED Python ${skipped[*]}: no interpreter found (see scripts/find_python.sh)" >&2
    if [ "${TURBOSIO_REQUIRE_PYTHONS:-0}" = 1 ]; then
        exit 1
    fi
fi
if [ "${#failed[@]}" != 0 ]; then
    echo "test_pythons: FAILED on Python ${failed[*]}" >&2
    exit 1
fi
