#!/usr/bin/env bash
# Build what a user pip-installs and prove it works on its own.
#
#   1. `maturin build --release`: one abi3 wheel, cp310-abi3-manylinux_2_34_x86_64, for every CPython >= 3.10.
#      manylinux_2_34 is the oldest tag this machine can honestly give: built against Debian 12's glibc 2.36,
#      the Rust standard library binds pthread_* and dlsym to their GLIBC_2.34 versions (see `objdump -T`).
#      An older tag (manylinux_2_28, manylinux2014) needs a build on an older glibc (a manylinux container).
#   2. `maturin sdist`: the source distribution. pip must refuse the wheel for an unsupported Python or platform
#      (tests/packaging/test_install_refusals.py asks pip as for other machines).
#   3. The wheel is installed into a fresh virtualenv, with a PATH that holds only that venv's bin (no cargo,
#      rustc, node or npm) and no PYTHONPATH, and tests/packaging/smoke_installed.py runs from a temporary
#      directory (so the source tree cannot be imported): an AsyncServer served natively and as an ASGIApp
#      under uvicorn, answered by python-socketio's AsyncClient with an ack.
#   4. The sdist is installed the same way (pip compiles it with cargo) and smoke-tested, when
#      TURBOSIO_CHECK_SDIST=install; by default only built, since compiling it from scratch costs minutes.
#
# Usage: PYTHON=.venv/bin/python bash scripts/check_wheel.sh   (a Python with maturin; its base interpreter
# makes the fresh venvs). Leaves the wheel and sdist in dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PYTHON="$(command -v "${PYTHON:-python}")"
BASE_PYTHON="$("$PYTHON" -c 'import sys; print(sys._base_executable)')"
MANYLINUX=manylinux_2_34
VERSION="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
WHEEL="dist/turbosio-$VERSION-cp310-abi3-${MANYLINUX}_x86_64.whl"
SDIST="dist/turbosio-$VERSION.tar.gz"
SMOKE_DEPS=('python-socketio==5.18.*' aiohttp uvicorn)

rm -rf dist
echo "-- maturin build --release --compatibility $MANYLINUX"
"$PYTHON" -m maturin build --release --quiet --compatibility "$MANYLINUX" --out dist
echo "-- maturin sdist"
"$PYTHON" -m maturin sdist --out dist 2>&1 | grep -v 'manifest has no documentation\|package-metadata\|^  |$\|^From `cargo package'


wheels=(dist/*.whl)
if [ "${#wheels[@]}" != 1 ] || [ "${wheels[0]}" != "$WHEEL" ]; then
    echo "check_wheel: expected exactly $WHEEL, got: ${wheels[*]}" >&2
    exit 1
fi
[ -f "$SDIST" ] || { echo "check_wheel: no $SDIST" >&2; exit 1; }
listing="$(unzip -l "$WHEEL")"
for member in "turbosio-$VERSION.dist-info/licenses/LICENSE" turbosio/py.typed turbosio/_core.abi3.so turbosio/_core.pyi; do
    grep -q " $member\$" <<<"$listing" || { echo "check_wheel: $WHEEL lacks $member" >&2; exit 1; }
done
sdist_listing="$(tar -tzf "$SDIST")"
grep -qx "turbosio-$VERSION/LICENSE" <<<"$sdist_listing" || { echo "check_wheel: $SDIST lacks LICENSE" >&2; exit 1; }
echo "ok: $WHEEL (LICENSE, py.typed, _core), $SDIST"
echo "-- pip refuses the wheel for an unsupported Python or platform (tests/packaging/test_install_refusals.py)"
TURBOSIO_REQUIRE_WHEEL=1 "$PYTHON" -m pytest tests/packaging/test_install_refusals.py -q -p no:cacheprovider

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp tests/packaging/smoke_installed.py "$WORK/"

# install_and_smoke NAME ARTIFACT: a fresh venv from the base interpreter; the artifact installed with the smoke
# run's client and ASGI server; the smoke run and `turbosio --version` from the temporary directory.
install_and_smoke() {
    local venv="$WORK/$1" artifact="$ROOT/$2"
    "$BASE_PYTHON" -m venv "$venv"
    if [ "$1" = wheel ]; then
        # Only the venv on PATH: installing the wheel must not need cargo, and nothing may pick up the source tree.
        (cd "$WORK" && env -u PYTHONPATH PATH="$venv/bin" "$venv/bin/python" -m pip install --quiet \
            "$artifact" "${SMOKE_DEPS[@]}")
    else
        (cd "$WORK" && env -u PYTHONPATH "$venv/bin/python" -m pip install --quiet "$artifact" "${SMOKE_DEPS[@]}")
    fi
    (cd "$WORK" && env -u PYTHONPATH PATH="$venv/bin" /bin/sh -c \
        '! command -v cargo && ! command -v rustc && ! command -v npm && ! command -v node' >/dev/null) ||
        { echo "check_wheel: the smoke run's PATH still finds cargo, rustc, npm or node" >&2; exit 1; }
    (cd "$WORK" && env -u PYTHONPATH PATH="$venv/bin" "$venv/bin/python" smoke_installed.py)
    got="$(cd "$WORK" && env -u PYTHONPATH PATH="$venv/bin" turbosio --version)"
    [ "$got" = "turbosio $VERSION" ] || { echo "check_wheel: turbosio --version says '$got'" >&2; exit 1; }
}

echo "-- the wheel in a fresh virtualenv ($BASE_PYTHON)"
install_and_smoke wheel "$WHEEL"
if [ "${TURBOSIO_CHECK_SDIST:-build}" = install ]; then
    echo "-- the sdist compiled by pip in a fresh virtualenv"
    install_and_smoke sdist "$SDIST"
else
    echo "-- the sdist is built, not installed (TURBOSIO_CHECK_SDIST=install compiles it: minutes)"
fi
