"""Running a scenario: a fresh server pinned to one core, the load generator on the other, re-run while noisy."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import resource
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .log import log
from .paths import LOADGEN, ROOT
from .pinning import (
    LOADGEN_CORE,
    NOISE_PCT,
    SERVER_CORE,
    busy_percent,
    cpu_ticks,
    pinned,
    process_cpu_seconds,
    wait_for_quiet,
)
from .scenarios import Scenario, Server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def raise_fd_limit() -> None:
    """In a child before it runs: as many descriptors as the hard limit allows (the reconnect storm holds 10,000
    connections on each side; a fresh machine's soft limit is often 1,024)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def wait_ready(port: int, pid_file: Path, proc: subprocess.Popen[bytes], limit: float = 30.0) -> int:
    """Waits for the pid file and an Engine.IO handshake answer; returns the serving pid."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f'server exited with {proc.returncode} before serving')
        if pid_file.exists():
            with contextlib.suppress(OSError):
                conn = http.client.HTTPConnection('127.0.0.1', port, timeout=2)
                conn.request('GET', '/socket.io/?EIO=4&transport=polling')
                response = conn.getresponse()
                body = response.read()
                conn.close()
                if response.status == 200 and body.startswith(b'0'):
                    return int(pid_file.read_text())
        time.sleep(0.1)
    raise RuntimeError(f'server not ready on port {port} after {limit} s')


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (granian has a worker process), SIGKILL after 5 s."""
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
            return


@dataclass
class Outcome:
    server: str
    scenario: str
    result: dict[str, Any]
    exit_code: int
    noise: dict[str, float | None] = field(default_factory=dict)


def is_noisy(outcome: Outcome) -> bool:
    return (outcome.noise.get('server_core_foreign_pct') or 0.0) > NOISE_PCT


@dataclass
class Budget:
    """Waiting for a quiet machine and re-running noisy runs stop once they would push the whole run past
    `seconds`; the plain runs always happen."""

    seconds: float
    runs_left: int
    started: float = field(default_factory=time.monotonic)
    spent_on_runs: float = 0.0
    runs_done: int = 0

    def allows_extra(self, cost: float) -> bool:
        per_run = self.spent_on_runs / self.runs_done if self.runs_done else 15.0
        elapsed = time.monotonic() - self.started
        return elapsed + cost + per_run * self.runs_left < self.seconds

    def ran(self, seconds: float, counts: bool) -> None:
        self.spent_on_runs += seconds
        self.runs_done += 1
        self.runs_left -= 1 if counts else 0


def run_quietly(
    server: Server, scenario: Scenario, workdir: Path, check: bool, retries: int, budget: Budget
) -> Outcome:
    """Runs once, and again up to `retries` times while other processes got in the way; keeps the quietest."""
    best: Outcome | None = None
    for attempt in range(retries + 1):
        if retries and budget.allows_extra(20.0):
            wait_for_quiet(limit=20.0)
        started = time.monotonic()
        outcome = run_one(server, scenario, workdir, check)
        budget.ran(time.monotonic() - started, counts=attempt == 0)
        foreign = outcome.noise.get('server_core_foreign_pct') or 0.0
        if best is None or foreign < (best.noise.get('server_core_foreign_pct') or 0.0):
            best = outcome
        if not is_noisy(outcome) or not outcome.result.get('ok') or attempt == retries:
            break
        if not budget.allows_extra(budget.spent_on_runs / budget.runs_done):
            log(f'{scenario.name} / {server.name}: {foreign:.0f}% foreign CPU, no time left to run it again')
            break
        log(f'{scenario.name} / {server.name}: {foreign:.0f}% foreign CPU on the server core, running it again')
    assert best is not None
    return best


def run_one(server: Server, scenario: Scenario, workdir: Path, check: bool) -> Outcome:
    port = free_port()
    pid_file = workdir / f'{port}.pid'
    server_log = workdir / f'{scenario.name}-{server.name.replace(" ", "_").replace("/", "_")}.log'
    with open(server_log, 'wb') as log_file:
        proc = subprocess.Popen(
            pinned(
                server.cores, [*server.argv, *scenario.server_args, '--port', str(port), '--pid-file', str(pid_file)]
            ),
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=raise_fd_limit,
        )
    try:
        try:
            pid = wait_ready(port, pid_file, proc)
        except RuntimeError as e:
            return Outcome(server.name, scenario.name, {'ok': False, 'failures': [str(e)]}, 1)
        argv = [str(LOADGEN), *scenario.loadgen, '--addr', f'127.0.0.1:{port}', '--label', server.name]
        argv += ['--server-pid', str(pid)] + (['--check'] if check else [])
        ticks_before, server_cpu_before = cpu_ticks(), process_cpu_seconds(pid)
        started = time.monotonic()
        done = subprocess.run(
            pinned(LOADGEN_CORE, argv), capture_output=True, text=True, timeout=600, preexec_fn=raise_fd_limit
        )
        wall = time.monotonic() - started
        ticks_after, server_cpu = cpu_ticks(), process_cpu_seconds(pid) - server_cpu_before
        alive = proc.poll() is None
    finally:
        stop(proc)
    lines = [line for line in done.stdout.splitlines() if line.startswith('{')]
    result = (
        json.loads(lines[-1]) if lines else {'ok': False, 'failures': [f'loadgen printed no result: {done.stderr}']}
    )
    if not alive:
        result['ok'] = False
        result.setdefault('failures', []).append(f'server exited during the run (log: {server_log})')
    # Other processes' CPU use on our two cores during the run: the lead's compiles, tests...
    cpu0 = busy_percent(ticks_before, ticks_after, SERVER_CORE)
    cpu1 = busy_percent(ticks_before, ticks_after, LOADGEN_CORE)
    noise = {
        'server_core_busy_pct': cpu0,
        'server_core_foreign_pct': None if cpu0 is None else max(0.0, cpu0 - 100.0 * server_cpu / wall),
        'loadgen_core_busy_pct': cpu1,
    }
    exit_code = done.returncode if alive else 1
    return Outcome(server.name, scenario.name, result, exit_code, noise)


def describe(outcome: Outcome) -> str:
    r = outcome.result
    rate = r.get('rate')
    extra = f' p50={r["p50_us"]}us p99={r["p99_us"]}us' if 'p50_us' in r else ''
    verdict = 'ok' if r.get('ok') else f'FAILED {r.get("failures")} {r.get("error_samples")}'
    return f'{outcome.scenario:17} {outcome.server:28} {rate} {r.get("unit", "")}{extra} {verdict}'
