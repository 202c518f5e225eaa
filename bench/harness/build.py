"""Building what a run needs: the load generator, the bench venv with a release wheel of turbosio, node_modules."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .log import log
from .paths import BENCH, ROOT, TARGET_DIR, VENV


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    log('$ ' + ' '.join(cmd))
    return subprocess.run(cmd, check=True, text=True, **kwargs)


def build_loadgen() -> None:
    env = dict(os.environ, CARGO_TARGET_DIR=str(TARGET_DIR))
    run(['cargo', 'build', '--release', '--quiet', '-p', 'turbosio-loadgen'], cwd=ROOT, env=env)


def venv_python() -> str:
    return str(VENV / 'bin' / 'python')


def build_python_env(rev: str) -> str:
    """Makes .venv-bench, installs the comparison servers and a release build of turbosio; returns the commit."""
    if not (VENV / 'bin' / 'python').exists():
        run([sys.executable, '-m', 'venv', '--system-site-packages', str(VENV)])
    run([venv_python(), '-m', 'pip', 'install', '--quiet', '-r', str(BENCH / 'requirements.txt')])
    with tempfile.TemporaryDirectory(prefix='turbosio-bench-') as tmp:
        wheel = build_wheel(rev, Path(tmp))
        run([venv_python(), '-m', 'pip', 'install', '--quiet', '--force-reinstall', '--no-deps', str(wheel)])
    return describe_commit(rev)


def build_wheel(rev: str, tmp: Path) -> Path:
    """A release wheel (abi3: one for every supported Python) of turbosio at ``rev`` (or WORKTREE), made in ``tmp``."""
    src, wheels = tmp / 'src', tmp / 'wheels'
    if rev == 'WORKTREE':
        src = ROOT
    else:
        src.mkdir()
        archive = subprocess.run(['git', 'archive', rev], cwd=ROOT, check=True, capture_output=True).stdout
        # -m: stamp files with the extraction time, not the commit's. Cargo decides what to rebuild by mtime,
        # and a revision older than the last build in the shared target dir would otherwise reuse that build.
        subprocess.run(['tar', '-x', '-m', '-C', str(src)], input=archive, check=True)
    env = dict(os.environ, CARGO_TARGET_DIR=str(TARGET_DIR))
    run(['maturin', 'build', '--release', '--quiet', '-o', str(wheels)], cwd=src, env=env)
    return next(wheels.glob('turbosio-*.whl'))


def describe_commit(rev: str) -> str:
    if rev == 'WORKTREE':
        head = git('rev-parse', '--short=12', 'HEAD')
        dirty = git('status', '--porcelain', '--', 'src', 'python', 'Cargo.toml', 'Cargo.lock', 'pyproject.toml')
        return f'{head} + uncommitted changes' if dirty else head
    return git('rev-parse', '--short=12', rev)


def git(*args: str) -> str:
    return subprocess.run(['git', *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


def build_node() -> None:
    if shutil.which('node') is None:
        log('node not found: the socket.io (Node) server is skipped')
        return
    run(['npm', 'ci', '--no-audit', '--no-fund', '--silent'], cwd=BENCH / 'node')
