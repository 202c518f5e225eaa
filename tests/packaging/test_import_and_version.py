"""The package without its compiled module says what is missing; the version has one source (Cargo.toml)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import turbosio

ROOT = Path(__file__).resolve().parents[2]


def _cargo_version() -> str:
    match = re.search(r'^version = "([^"]+)"', (ROOT / 'Cargo.toml').read_text(), re.MULTILINE)
    assert match, 'Cargo.toml has no [package] version'
    return match.group(1)


def test_import_without_the_compiled_module_says_what_is_missing_and_how_to_build(tmp_path: Path) -> None:
    # A copy of the Python sources with no _core*.so beside them, first on the path: a source tree never built.
    shutil.copytree(ROOT / 'python' / 'turbosio', tmp_path / 'turbosio', ignore=shutil.ignore_patterns('_core*.so'))
    code = f'import sys; sys.path.insert(0, {str(tmp_path)!r}); import turbosio'
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('ImportError: turbosio: its compiled part, the extension module turbosio._core'), last
    assert 'maturin develop --release' in last
    assert 'pip install' in last


def test_a_compiled_module_for_another_platform_gives_the_same_clear_import_error(tmp_path: Path) -> None:
    # What a wheel unpacked on the wrong machine looks like to the loader: a _core that is not a loadable library
    # for this platform.
    shutil.copytree(ROOT / 'python' / 'turbosio', tmp_path / 'turbosio', ignore=shutil.ignore_patterns('_core*.so'))
    (tmp_path / 'turbosio' / '_core.abi3.so').write_bytes(b'\x7fELF' + bytes(60))
    code = f'import sys; sys.path.insert(0, {str(tmp_path)!r}); import turbosio'
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('ImportError: turbosio: its compiled part, the extension module turbosio._core'), last
    assert '_core.abi3.so' in last  # the loader's own reason names the file
    assert 'CPython >= 3.10, Linux x86-64' in last


def test_the_version_comes_from_cargo_toml() -> None:
    assert turbosio.__version__ == _cargo_version()
    pyproject = (ROOT / 'pyproject.toml').read_text()
    assert 'dynamic = ["version"]' in pyproject
    assert not re.search(r'^version\s*=', pyproject, re.MULTILINE), 'pyproject.toml must not repeat the version'


def test_the_command_prints_the_version() -> None:
    proc = subprocess.run(
        [sys.executable, '-m', 'turbosio', '--version'], capture_output=True, text=True, timeout=30, check=True
    )
    assert proc.stdout.strip() == f'turbosio {_cargo_version()}'
