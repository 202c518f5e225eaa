"""Bad input at install time: pip refuses the wheel, with its own clear message, for a Python or platform the wheel
does not support, instead of installing something that fails at import.

pip is asked as for another machine (``--python-version``, ``--platform``, ``--implementation`` with
``--dry-run``): it applies the same tag check as there, so every unsupported case is shown on this one machine,
and the supported ones are shown to pass the same check. The wheel is the one scripts/check_wheel.sh builds into
dist/ (that script runs this file right after building it; elsewhere, without a wheel, the file is skipped).
A real Python 3.9 refusing the wheel and the sdist is shown by scripts/test_pythons.sh.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REFUSAL = 'is not a supported wheel on this platform'


def _wheel() -> Path:
    version = re.search(r'^version = "([^"]+)"', (ROOT / 'Cargo.toml').read_text(), re.MULTILINE)
    assert version, 'Cargo.toml has no [package] version'
    wheel = ROOT / 'dist' / f'turbosio-{version.group(1)}-cp310-abi3-manylinux_2_34_x86_64.whl'
    if not wheel.exists():
        if os.environ.get('TURBOSIO_REQUIRE_WHEEL') == '1':
            pytest.fail(f'{wheel} is missing')
        pytest.skip(f'{wheel} is missing: scripts/check_wheel.sh builds it (and runs this file)')
    return wheel


def _pip_install_as(tmp_path: Path, python_version: str, platform: str, implementation: str) -> tuple[int, str]:
    """pip's verdict on installing the wheel on that interpreter and platform: (exit code, last output line)."""
    proc = subprocess.run(
        [
            sys.executable, '-m', 'pip', 'install', '--dry-run', '--no-deps', '--no-index', '--only-binary=:all:',
            '--disable-pip-version-check', '--target', str(tmp_path / 'target'),
            '--python-version', python_version, '--platform', platform, '--implementation', implementation,
            str(_wheel()),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    return proc.returncode, lines[-1] if lines else ''


@pytest.mark.parametrize(
    ('python_version', 'platform', 'implementation'),
    [
        ('3.9', 'manylinux_2_34_x86_64', 'cp'),  # older than requires-python and the abi3-py310 floor
        ('3.11', 'macosx_11_0_arm64', 'cp'),
        ('3.11', 'win_amd64', 'cp'),
        ('3.11', 'manylinux_2_34_aarch64', 'cp'),  # Linux, another CPU
        ('3.11', 'manylinux_2_17_x86_64', 'cp'),  # a glibc older than the 2.34 the wheel needs
        ('3.11', 'musllinux_1_2_x86_64', 'cp'),  # Alpine's musl instead of glibc
        ('3.11', 'manylinux_2_34_x86_64', 'pp'),  # PyPy: the wheel is CPython's stable ABI
    ],
    ids=['python3.9', 'macos-arm64', 'windows', 'linux-aarch64', 'old-glibc', 'musl', 'pypy'],
)
def test_pip_refuses_an_unsupported_python_or_platform(tmp_path, python_version, platform, implementation):
    code, last = _pip_install_as(tmp_path, python_version, platform, implementation)
    assert code != 0
    assert last == f'ERROR: {_wheel().name} {REFUSAL}.'


@pytest.mark.parametrize('python_version', ['3.10', '3.11', '3.12', '3.13'])
def test_pip_accepts_every_supported_python_on_linux_x86_64(tmp_path, python_version):
    code, last = _pip_install_as(tmp_path, python_version, 'manylinux_2_34_x86_64', 'cp')
    assert (code, last) == (0, f'Would install turbosio-{_wheel().name.split("-")[1]}')
