"""Benchmarks turbosio side by side with python-socketio and Node's socket.io, and writes bench/RESULTS.md.

Usage::

    python bench/run.py            # build everything, every scenario against every server (~6 minutes)
    python bench/run.py --quick    # the same with short runs (~1.5 minutes)
    python bench/run.py --smoke    # correctness only: turbosio (native) with the interpreter running this
                                   # script, every scenario with --check; exits non-zero on a failure

What it does:

1. builds the load generator (``bench/loadgen``, release) into ``$BENCH_TARGET_DIR`` (default ``target-bench``);
2. unless ``--smoke`` or ``--no-build``: makes ``.venv-bench`` (system site-packages), installs
   ``bench/requirements.txt``, builds a release wheel of turbosio from the committed tree (``git archive REV``,
   default ``HEAD``; ``--rev WORKTREE`` takes the working tree as it is) and installs it there, and runs
   ``npm ci`` in ``bench/node``;
3. for every server and scenario: starts a fresh server pinned to CPU 0, runs ``loadgen`` pinned to CPU 1,
   stops the server; every run is bounded in time and count and talks to 127.0.0.1 only;
4. writes ``bench/results.jsonl`` (one line per run), ``bench/RESULTS.md`` and ``bench/results.png``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
TARGET_DIR = Path(os.environ.get('BENCH_TARGET_DIR', ROOT / 'target-bench'))
LOADGEN = TARGET_DIR / 'release' / 'loadgen'
VENV = ROOT / '.venv-bench'
BASELINE = 'python-socketio (uvicorn)'
NODE = 'socket.io (Node)'
SERVER_CORE, LOADGEN_CORE = '0', '1'
# A run whose cores were busier than our two processes by more than this is flagged as noisy.
NOISE_PCT = 10.0


@dataclass(frozen=True)
class Server:
    name: str
    argv: tuple[str, ...]
    impl: str  # 'turbosio', 'python-socketio' or 'node'


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    loadgen: tuple[str, ...]
    metric: str  # what `rate` means
    higher_is_better: bool = True
    # The number that ratios and the chart compare: the rate, or (at a fixed offered load) the p50 latency.
    key: str = 'rate'


def servers(python: str) -> dict[str, Server]:
    app = str(BENCH / 'app.py')
    return {
        s.name: s
        for s in [
            Server('turbosio (native)', (python, app, '--impl', 'turbosio', '--mode', 'native'), 'turbosio'),
            Server('turbosio (uvicorn)', (python, app, '--impl', 'turbosio', '--mode', 'asgi'), 'turbosio'),
            Server(BASELINE, (python, app, '--impl', 'socketio', '--mode', 'uvicorn'), 'python-socketio'),
            Server(
                'python-socketio (granian)', (python, app, '--impl', 'socketio', '--mode', 'granian'), 'python-socketio'
            ),
            Server(NODE, ('node', str(BENCH / 'node' / 'server.js')), 'node'),
        ]
    }


def scenarios(profile: str) -> list[Scenario]:
    """The scenario list for one profile: 'full' (default), 'quick' or 'smoke'."""
    seconds = {'full': '8', 'quick': '2', 'smoke': '2'}[profile]
    warmup = {'full': '1', 'quick': '0.5', 'smoke': '0.5'}[profile]
    timed = ('--duration', seconds, '--warmup', warmup)
    small = profile != 'full'
    return [
        Scenario(
            'echo',
            "echo: 50 clients (the issue's C=50), closed loop, 64-byte padding, WebSocket",
            ('echo', '--clients', '50', *timed),
            'acks/s',
        ),
        Scenario(
            'broadcast',
            "broadcast: 500 receivers in one room (the issue's target size), closed loop (16 broadcasts in flight)",
            ('broadcast', '--clients', '50' if profile == 'smoke' else '500', '--window', '16', *timed),
            'deliveries/s',
        ),
        Scenario(
            'broadcast-steady',
            'broadcast at a steady 100 emits/s to 200 receivers (20,000 deliveries/s): latency at equal load; ratios'
            ' and chart compare the p50 latency',
            ('broadcast', '--clients', '50' if profile == 'smoke' else '200', '--rate', '100', *timed),
            'deliveries/s',
            higher_is_better=False,
            key='p50_us',
        ),
        Scenario(
            'storm',
            'connection storm: WebSocket connects through the Socket.IO CONNECT answer, 64 at a time',
            ('storm', '--clients', '500' if small else '2000', '--concurrency', '64'),
            'connects/s',
        ),
        Scenario(
            'idle',
            'idle: connections held open (pings answered), server RSS growth per connection',
            ('idle', '--clients', '300' if small else '1000', '--hold', '2' if small else '5'),
            'KiB/conn',
            higher_is_better=False,
        ),
        Scenario(
            'polling',
            'echo over HTTP long-polling only: 20 clients, closed loop',
            ('polling', '--clients', '20', *timed),
            'acks/s',
        ),
    ]


# -- building ------------------------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f'[bench] {message}', file=sys.stderr, flush=True)


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
    commit = describe_commit(rev)
    with tempfile.TemporaryDirectory(prefix='turbosio-bench-') as tmp:
        src, wheels = Path(tmp) / 'src', Path(tmp) / 'wheels'
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
        wheel = next(wheels.glob('turbosio-*.whl'))
        run([venv_python(), '-m', 'pip', 'install', '--quiet', '--force-reinstall', '--no-deps', str(wheel)])
    return commit


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


# -- running -------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


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
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    return 0.0


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
            pinned(SERVER_CORE, [*server.argv, '--port', str(port), '--pid-file', str(pid_file)]),
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
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
        done = subprocess.run(pinned(LOADGEN_CORE, argv), capture_output=True, text=True, timeout=300)
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


# -- reporting -----------------------------------------------------------------------------------------------------


def version_of(python: str, *packages: str) -> dict[str, str]:
    code = (
        'import importlib.metadata as m, json, sys\n'
        'out = {}\n'
        'for p in sys.argv[1:]:\n'
        '    try: out[p] = m.version(p)\n'
        '    except m.PackageNotFoundError: out[p] = "not installed"\n'
        'print(json.dumps(out))'
    )
    done = subprocess.run([python, '-c', code, *packages], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def machine_info(python: str, commit: str) -> dict[str, str]:
    cpu_model = 'unknown'
    with contextlib.suppress(OSError):
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                cpu_model = line.split(':', 1)[1].strip()
                break
    python_version = subprocess.run(
        [python, '-c', 'import platform; print(platform.python_version())'], capture_output=True, text=True, check=True
    ).stdout.strip()
    versions = version_of(
        python, 'python-socketio', 'python-engineio', 'uvicorn', 'uvloop', 'httptools', 'websockets', 'granian'
    )
    node = (
        subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()
        if shutil.which('node')
        else '-'
    )
    socketio_js = '-'
    with contextlib.suppress(OSError, ValueError):
        socketio_js = json.loads((BENCH / 'node/node_modules/socket.io/package.json').read_text())['version']
    rustc = subprocess.run(['rustc', '--version'], capture_output=True, text=True).stdout.strip()
    info = {
        'date': datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        'nproc': str(os.cpu_count()),
        'cpu': cpu_model,
        'kernel': platform.release(),
        'python': python_version,
        'turbosio commit': commit,
        'rustc': rustc,
        'node': node,
        'socket.io (npm)': socketio_js,
    }
    info.update(versions)
    info['pinning'] = (
        f'server on CPU {SERVER_CORE}, loadgen on CPU {LOADGEN_CORE} (taskset)'
        if pinned('0', [])
        else 'none (taskset missing or one CPU)'
    )
    return info


def ratio(value: float | None, base: float | None, higher_is_better: bool) -> str:
    if not value or not base:
        return '-'
    factor = value / base if higher_is_better else base / value
    return f'{factor:.2f}×'


def fmt_rate(value: Any) -> str:
    if value is None:
        return '-'
    return f'{value:,.0f}' if value >= 100 else f'{value:,.1f}'


def fmt_us(value: Any) -> str:
    if value is None:
        return '-'
    return f'{value / 1000:.2f} ms'


def fmt_pct(value: Any) -> str:
    return '-' if value is None else f'{value:.0f}%'


def checks(result: dict[str, Any]) -> str:
    if result.get('ok'):
        return 'ok'
    problems = list(result.get('failures', [])) + list(result.get('error_samples', []))[:2]
    return 'FAIL: ' + '; '.join(problems).replace('|', '/')


def write_markdown(path: Path, outcomes: list[Outcome], plan: list[Scenario], info: dict[str, str], note: str) -> None:
    by_key = {(o.scenario, o.server): o for o in outcomes}
    server_names = list(dict.fromkeys(o.server for o in outcomes))
    lines = [
        '# turbosio benchmarks',
        '',
        'Generated by `python bench/run.py` (see its docstring); raw numbers in `results.jsonl`, chart in',
        '`results.png`. Every server runs the same handlers (`bench/app.py`, `bench/node/server.js`): `echo` acks its',
        'data, `join` enters room `bench`, `broadcast` emits `tick` to the room. One fresh server per run, pinned to',
        'one core; the Rust load generator (`bench/loadgen`) on the other core speaks Engine.IO v4 / Socket.IO v5',
        'directly. Ratios compare rates (for idle: memory, lower is better, so the ratio is baseline ÷ value); above',
        '1× means better than the baseline. Latencies of closed-loop runs are at saturation, so they mostly measure',
        'queueing; `broadcast-steady` compares latency at the same offered load. *server CPU* and *loadgen CPU* are',
        'shares of one core over the measured window: near 100% means that side was the bottleneck.',
        '',
        'The performance targets, which of them this run meets, and what bounds the misses (with profile figures):',
        '[`TARGETS.md`](TARGETS.md).',
        '',
    ]
    if note:
        lines += [note, '']
    lines += ['## Machine', '', '| | |', '|---|---|']
    lines += [f'| {key} | {value} |' for key, value in info.items()]
    lines.append('')
    for scenario in plan:
        lines += [f'## {scenario.name}', '', scenario.title + '.', '']
        head = f'| server | {scenario.metric} | p50 | p99 | server CPU | loadgen CPU | vs {BASELINE} | vs {NODE}'
        lines += [head + ' | checks |', '|---|---:|---:|---:|---:|---:|---:|---:|---|']
        base = by_key.get((scenario.name, BASELINE))
        node = by_key.get((scenario.name, NODE))
        for name in server_names:
            outcome = by_key.get((scenario.name, name))
            if outcome is None:
                continue
            r = outcome.result
            rate = fmt_rate(r.get('rate')) + (' ⚠' if is_noisy(outcome) else '')
            hib = scenario.higher_is_better
            row = [
                name,
                rate,
                fmt_us(r.get('p50_us')),
                fmt_us(r.get('p99_us')),
                fmt_pct(r.get('server_cpu_pct')),
                fmt_pct(r.get('loadgen_cpu_pct')),
                ratio(r.get(scenario.key), base and base.result.get(scenario.key), hib),
                ratio(r.get(scenario.key), node and node.result.get(scenario.key), hib),
                checks(r),
            ]
            lines.append('| ' + ' | '.join(row) + ' |')
        extra = scenario_notes(scenario, by_key, server_names)
        lines += ['', *extra] if extra else []
        lines.append('')
    noisy_runs = [o for o in outcomes if is_noisy(o)]
    lines += ['## Noise', '']
    if noisy_runs:
        lines.append(f"⚠ marks runs where other processes used more than {NOISE_PCT:.0f}% of the server's core:")
        lines.append('')
        for o in noisy_runs:
            lines.append(f'- {o.scenario} / {o.server}: {o.noise["server_core_foreign_pct"]:.0f}% foreign CPU')
    else:
        lines.append(f"No run saw more than {NOISE_PCT:.0f}% foreign CPU use on the server's core.")
    lines.append('')
    path.write_text('\n'.join(lines))


def scenario_notes(scenario: Scenario, by_key: dict[tuple[str, str], Outcome], names: list[str]) -> list[str]:
    notes = []
    for name in names:
        outcome = by_key.get((scenario.name, name))
        if outcome is None:
            continue
        r = outcome.result
        if scenario.name.startswith('broadcast') and 'deliveries' in r:
            notes.append(
                f'- {name}: {r["broadcasts"]:,} broadcasts, {r["deliveries"]:,} of {r["expected_deliveries"]:,}'
                f' deliveries; lost {r["lost"]}, duplicated {r["duplicated"]}, out of order {r["out_of_order"]}'
            )
        if scenario.name == 'idle' and r.get('rss_before_kib') is not None:
            notes.append(
                f'- {name}: RSS {r["rss_before_kib"] / 1024:.1f} MiB before, {r["rss_after_kib"] / 1024:.1f} MiB with'
                f' {r["connected"]:,} connections; {r["alive"]:,} answered an echo after the hold'
            )
    return notes


def latency_label(result: dict[str, Any]) -> str:
    return f'p50 {fmt_us(result.get("p50_us"))}, p99 {fmt_us(result.get("p99_us"))}'


def write_chart(path: Path, outcomes: list[Outcome], plan: list[Scenario]) -> bool:
    try:
        import matplotlib
        import matplotlib.ticker

        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        log('matplotlib is not installed: no chart')
        return False
    names = list(dict.fromkeys(o.server for o in outcomes))
    palette = {
        'turbosio (native)': '#d62728',
        'turbosio (uvicorn)': '#ff7f0e',
        BASELINE: '#1f77b4',
        'python-socketio (granian)': '#17becf',
        NODE: '#2ca02c',
    }
    colors = {name: palette.get(name, '#7f7f7f') for name in names}
    by_key = {(o.scenario, o.server): o for o in outcomes}
    columns = 3
    rows = (len(plan) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(6 * columns, 3.2 * rows), squeeze=False)
    for ax, scenario in zip(axes.flat, plan, strict=False):
        found = [by_key.get((scenario.name, n)) for n in names]
        values = [(o.result.get(scenario.key) or 0) if o else 0 for o in found]
        labels = [fmt_rate(v) for v in values]
        if scenario.key.endswith('_us'):
            labels = [
                f'p50 {fmt_us(o.result.get("p50_us"))}, p99 {fmt_us(o.result.get("p99_us"))}' if o else '-'
                for o in found
            ]
            values = [v / 1000 for v in values]
        y = range(len(names))
        ax.barh(list(y), values, color=[colors[n] for n in names])
        ax.set_yticks(list(y), names, fontsize=8)
        ax.invert_yaxis()
        better = 'higher' if scenario.higher_is_better else 'lower'
        what = 'p50 latency, ms' if scenario.key.endswith('_us') else scenario.metric
        ax.set_title(f'{scenario.name} ({what}, {better} is better)', fontsize=10)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f'{x:,.0f}'))
        ax.tick_params(axis='x', labelsize=8)
        top = max(values) if values else 0
        for i, (value, label) in enumerate(zip(values, labels, strict=True)):
            ax.text(value + top * 0.01, i, label, va='center', fontsize=8)
        ax.set_xlim(0, top * (2.0 if scenario.key.endswith('_us') else 1.25) or 1)
    for ax in list(axes.flat)[len(plan) :]:
        ax.axis('off')
    fig.suptitle('turbosio vs python-socketio vs socket.io (Node): one server core, one load-generator core')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# -- main ----------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    profile = parser.add_mutually_exclusive_group()
    profile.add_argument('--quick', action='store_true', help='short runs, about a minute and a half in all')
    profile.add_argument('--smoke', action='store_true', help='turbosio (native) only, --check, no report')
    parser.add_argument('--rev', default='HEAD', help='turbosio revision to build, or WORKTREE (default HEAD)')
    parser.add_argument('--no-build', action='store_true', help='use the loadgen, venv and node_modules as they are')
    parser.add_argument('--servers', help='comma-separated server names (default: all)')
    parser.add_argument('--scenarios', help='comma-separated scenario names (default: all)')
    parser.add_argument(
        '--budget', type=float, default=540.0, help='seconds of running after which noisy runs are not repeated'
    )
    parser.add_argument('--report-from', type=Path, help='only rewrite RESULTS.md and results.png from this jsonl')
    parser.add_argument('--commit', help=argparse.SUPPRESS)  # passed on when run.py re-executes itself
    parser.add_argument('--out', type=Path, default=BENCH, help='where RESULTS.md, results.png, results.jsonl go')
    return parser.parse_args(argv)


def prepare(args: argparse.Namespace, argv: list[str] | None) -> tuple[str, str]:
    """Builds what the run needs; returns the servers' interpreter and the turbosio commit being measured."""
    if not args.no_build or not LOADGEN.exists():
        build_loadgen()
    if args.smoke:
        return sys.executable, describe_commit('WORKTREE')
    python = venv_python()
    commit = args.commit or describe_commit(args.rev)
    if not args.no_build:
        commit = build_python_env(args.rev)
        build_node()
    if Path(sys.prefix).resolve() != VENV.resolve() and Path(python).exists():
        # Report with the bench venv's interpreter, which has matplotlib; everything is built by now.
        rest = [a for a in (argv if argv is not None else sys.argv[1:]) if a != '--no-build']
        os.execv(python, [python, __file__, *rest, '--no-build', '--commit', commit])
    return python, commit


def choose_servers(args: argparse.Namespace, available: dict[str, Server]) -> list[str]:
    if args.smoke:
        return ['turbosio (native)']
    if args.servers:
        return [name.strip() for name in args.servers.split(',')]
    return [name for name, s in available.items() if s.impl != 'node' or shutil.which('node')]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_from:
        return report_from(args.report_from, args.out)
    profile = 'smoke' if args.smoke else 'quick' if args.quick else 'full'
    python, commit = prepare(args, argv)
    available = servers(python)
    chosen = choose_servers(args, available)
    unknown = [name for name in chosen if name not in available]
    if unknown:
        log(f'unknown servers {unknown}; known: {list(available)}')
        return 2
    plan = scenarios(profile)
    if args.scenarios:
        wanted = {name.strip() for name in args.scenarios.split(',')}
        plan = [s for s in plan if s.name in wanted]
    retries = {'full': 2, 'quick': 0, 'smoke': 0}[profile]
    budget = Budget(seconds=args.budget, runs_left=len(chosen) * len(plan))
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix='turbosio-bench-run-') as tmp:
        for name in chosen:
            for scenario in plan:
                outcome = run_quietly(available[name], scenario, Path(tmp), args.smoke, retries, budget)
                outcomes.append(outcome)
                log(describe(outcome))
    if args.smoke:
        failed = any(o.exit_code != 0 or not o.result.get('ok', False) for o in outcomes)
        log('smoke: ' + ('FAILED' if failed else 'all checks passed'))
        return 1 if failed else 0
    args.out.mkdir(parents=True, exist_ok=True)
    info = machine_info(python, commit)
    with open(args.out / 'results.jsonl', 'w') as raw:
        raw.write(json.dumps({'machine': info, 'profile': profile}) + '\n')
        for o in outcomes:
            raw.write(json.dumps({**o.result, 'server': o.server, 'scenario': o.scenario, 'noise': o.noise}) + '\n')
    report(args.out, outcomes, plan, info, profile)
    return 0


def report(out: Path, outcomes: list[Outcome], plan: list[Scenario], info: dict[str, str], profile: str) -> None:
    note = '' if profile == 'full' else f'**{profile} profile: short runs, numbers are rough.**'
    write_markdown(out / 'RESULTS.md', outcomes, plan, info, note)
    write_chart(out / 'results.png', outcomes, plan)
    log(f'wrote {out / "RESULTS.md"}')


def report_from(path: Path, out: Path) -> int:
    """Rewrites RESULTS.md and results.png from a results.jsonl, e.g. after changing how they look."""
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    head, runs = lines[0], lines[1:]
    profile = head['profile']
    outcomes = [Outcome(r.pop('server'), r['scenario'], r, 0, r.pop('noise')) for r in runs]
    ran = {o.scenario for o in outcomes}
    plan = [s for s in scenarios(profile) if s.name in ran]
    out.mkdir(parents=True, exist_ok=True)
    report(out, outcomes, plan, head['machine'], profile)
    return 0


if __name__ == '__main__':
    sys.exit(main())
