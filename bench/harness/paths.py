"""Where the bench, the load generator and the bench venv live."""

from __future__ import annotations

import os
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
ROOT = BENCH.parent
TARGET_DIR = Path(os.environ.get('BENCH_TARGET_DIR', ROOT / 'target-bench'))
LOADGEN = TARGET_DIR / 'release' / 'loadgen'
VENV = ROOT / '.venv-bench'
