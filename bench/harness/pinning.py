"""Which core runs what, and how busy the cores were: other processes' CPU use is noise."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path

from .log import log

SERVER_CORE, LOADGEN_CORE = '0', '1'
BOTH_CORES = '0,1'
# A run whose cores were busier than our two processes by more than this is flagged as noisy.
NOISE_PCT = 10.0


def pinned(core: str, argv: list[str]) -> list[str]:
    if shutil.which('taskset') and (os.cpu_count() or 1) >= 2:
        return ['taskset', '-c', core, *argv]
    return argv


def cpu_ticks() -> dict[str, tuple[int, int]]:
    """Busy and total jiffies per CPU from /proc/stat."""
    ticks = {}
    with open('/proc/stat') as stat:
        for line in stat:
            if line.startswith('cpu') and line[3].isdigit():
                name, *values = line.split()
                numbers = [int(v) for v in values]
                idle = numbers[3] + numbers[4]  # idle + iowait
                ticks[name[3:]] = (sum(numbers) - idle, sum(numbers))
    return ticks


def busy_percent(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], cpu: str) -> float | None:
    if cpu not in before or cpu not in after:
        return None
    busy = after[cpu][0] - before[cpu][0]
    total = after[cpu][1] - before[cpu][1]
    return 100.0 * busy / total if total else None


def process_cpu_seconds(pid: int) -> float:
    """CPU time of `pid` and of its live descendants (a server's worker processes)."""
    total = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    return total + sum(process_cpu_seconds(child) for child in children(pid))


def children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f'/proc/{pid}/task').iterdir():
            with contextlib.suppress(OSError, ValueError):
                found += [int(c) for c in (task / 'children').read_text().split()]
    return found


def wait_for_quiet(limit: float) -> None:
    """Waits (up to `limit` seconds) until neither core is busier than NOISE_PCT, e.g. between two compiles."""
    deadline = time.monotonic() + limit
    while True:
        before = cpu_ticks()
        time.sleep(0.5)
        after = cpu_ticks()
        busiest = max(busy_percent(before, after, cpu) or 0.0 for cpu in (SERVER_CORE, LOADGEN_CORE))
        if busiest <= NOISE_PCT or time.monotonic() >= deadline:
            return
        log(f'waiting for a quiet machine ({busiest:.0f}% busy)')
