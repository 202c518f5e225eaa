"""The client benchmark: acked emits/s from turbosio's and python-socketio's AsyncClient against Node's server.

Each run starts a fresh socket.io (Node) server pinned to the server core and one ``bench/client/acks.py``
process pinned to the other core; the client process is what is measured, so noise is judged on its core.
Results go to ``results-client.jsonl`` and to the client section of ``RESULTS.md``, which ``splice_section``
puts back whenever the server report rewrites that file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .figures import fmt_pct, fmt_rate, fmt_us, ratio
from .log import log
from .paths import BENCH, ROOT
from .pinning import LOADGEN_CORE, NOISE_PCT, SERVER_CORE, pinned, wait_for_quiet
from .report import splice_lines
from .runner import free_port, stop, wait_ready

CLIENT_SCRIPT = BENCH / 'client' / 'acks.py'
NODE_SERVER = BENCH / 'node' / 'server.js'
BEGIN, END = '<!-- client section: written by bench/run.py --client -->', '<!-- end of client section -->'
# The client implementations, in the order of the report; the second is the baseline of the ratios.
IMPLS = {'turbosio': 'turbosio AsyncClient', 'socketio': 'python-socketio AsyncClient'}
BASELINE_IMPL = 'socketio'


@dataclass(frozen=True)
class ClientScenario:
    name: str
    title: str
    clients: int
    concurrency: int
    timing: tuple[str, ...]


def client_scenarios(profile: str) -> list[ClientScenario]:
    timing = {
        'full': ('--duration', '8', '--warmup', '1'),
        'quick': ('--duration', '2', '--warmup', '0.5'),
        # Correctness only: a few hundred calls, each checked.
        'smoke': ('--duration', '3', '--warmup', '0', '--max-calls', '400'),
    }[profile]
    many = 20 if profile == 'smoke' else 500
    return [
        ClientScenario(
            'client-one',
            'one AsyncClient, 50 `call()`s in flight (50 tasks, each awaiting `call("echo", data)` in a loop)',
            1,
            50,
            timing,
        ),
        ClientScenario(
            'client-many',
            f'{many} AsyncClients in one process, one `call()` in flight each (connected before the clock starts)',
            many,
            1,
            timing,
        ),
    ]


def run_client(python: str, scenario: ClientScenario, impl: str, workdir: Path) -> dict[str, Any]:
    """One fresh Node server, one client process; returns the client's JSON result with the server log on failure."""
    port = free_port()
    pid_file = workdir / f'{port}.pid'
    server_log = workdir / f'{scenario.name}-{impl}.log'
    with open(server_log, 'wb') as log_file:
        proc = subprocess.Popen(
            pinned(SERVER_CORE, ['node', str(NODE_SERVER), '--port', str(port), '--pid-file', str(pid_file)]),
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        try:
            pid = wait_ready(port, pid_file, proc)
        except RuntimeError as e:
            return {'impl': impl, 'ok': False, 'failures': [str(e)]}
        argv = [python, str(CLIENT_SCRIPT), '--impl', impl, '--url', f'http://127.0.0.1:{port}']
        argv += ['--clients', str(scenario.clients), '--concurrency', str(scenario.concurrency), *scenario.timing]
        argv += ['--server-pid', str(pid)]
        done = subprocess.run(pinned(LOADGEN_CORE, argv), capture_output=True, text=True, timeout=240, cwd=ROOT)
        alive = proc.poll() is None
    finally:
        stop(proc)
    lines = [line for line in done.stdout.splitlines() if line.startswith('{')]
    result = json.loads(lines[-1]) if lines else {'impl': impl, 'ok': False, 'failures': ['no result printed']}
    if not lines or not result.get('ok'):
        result.setdefault('failures', []).append(f'client stderr: {done.stderr.strip()[-500:]}')
    if not alive:
        result['ok'] = False
        result.setdefault('failures', []).append(f'server exited during the run (log: {server_log})')
    return result


def client_foreign(result: dict[str, Any]) -> float:
    return (result.get('noise') or {}).get('client_core_foreign_pct') or 0.0


def run_quietly(python: str, scenario: ClientScenario, impl: str, workdir: Path, retries: int) -> dict[str, Any]:
    """Runs once, and again up to `retries` times while other processes used the client's core; keeps the
    quietest run."""
    best: dict[str, Any] | None = None
    for attempt in range(retries + 1):
        if retries:
            wait_for_quiet(limit=20.0)
        result = run_client(python, scenario, impl, workdir)
        result['attempts'] = attempt + 1
        if best is None or client_foreign(result) < client_foreign(best):
            best = result
        if client_foreign(result) <= NOISE_PCT or not result.get('ok') or attempt == retries:
            break
        log(f'{scenario.name} / {impl}: {client_foreign(result):.0f}% foreign CPU on the client core, again')
    assert best is not None
    return best


def describe(scenario: ClientScenario, result: dict[str, Any]) -> str:
    rate = result.get('rate')
    verdict = 'ok' if result.get('ok') else f'FAILED {result.get("failures")} {result.get("error_samples")}'
    figures = f'{rate:,.0f} acks/s p50={result.get("p50_us")}us p99={result.get("p99_us")}us' if rate else '-'
    return f'{scenario.name:12} {IMPLS[result.get("impl", "?")]:28} {figures} {verdict}'


def run_clients(python: str, profile: str, impls: list[str]) -> list[tuple[ClientScenario, dict[str, Any]]]:
    if shutil.which('node') is None:
        raise RuntimeError('node not found: the client benchmark runs against socket.io on Node')
    retries = {'full': 2, 'quick': 0, 'smoke': 0}[profile]
    runs = []
    with tempfile.TemporaryDirectory(prefix='turbosio-bench-client-') as tmp:
        for scenario in client_scenarios(profile):
            for impl in impls:
                started = time.monotonic()
                result = run_quietly(python, scenario, impl, Path(tmp), retries)
                result['scenario'] = scenario.name
                result['seconds'] = round(time.monotonic() - started, 1)
                log(describe(scenario, result))
                runs.append((scenario, result))
    return runs


def write_client_results(
    path: Path, runs: list[tuple[ClientScenario, dict[str, Any]]], info: dict[str, str], profile: str
) -> None:
    with open(path, 'w') as raw:
        raw.write(json.dumps({'machine': info, 'profile': profile}) + '\n')
        for _, result in runs:
            raw.write(json.dumps(result) + '\n')


def client_section(results_jsonl: Path) -> list[str]:
    """The client section of RESULTS.md, from results-client.jsonl."""
    rows = [json.loads(line) for line in results_jsonl.read_text().splitlines() if line.strip()]
    head, results = rows[0], rows[1:]
    profile, info = head['profile'], head['machine']
    plan = {s.name: s for s in client_scenarios(profile)}
    lines = [BEGIN, '## client: acked emits from AsyncClients', '']
    lines += [
        'The client side, against one server: socket.io 4.8 on Node (`bench/node/server.js`, acking `echo` with',
        f'its data) pinned to CPU {SERVER_CORE}, and one Python process pinned to CPU {LOADGEN_CORE} running',
        "`bench/client/acks.py` with either turbosio's or python-socketio's `AsyncClient` (WebSocket only, the",
        'default asyncio loop, `reconnection=False`). Each call sends `{"w": worker, "n": seq, "pad": 64 bytes}`;',
        'every ack is checked for its own payload, and every call started must be answered. *client CPU* is the',
        'client process (all its threads) as a share of one core: near 100% means the client was the limit.',
        "*foreign* is other processes' use of the client's core during the measured window (⚠ above",
        f'{NOISE_PCT:.0f}%). Run with `python bench/run.py --client` (also `--quick`, `--smoke`).',
        '',
    ]
    if profile != 'full':
        lines += [f'**{profile} profile: short runs, numbers are rough.**', '']
    keys = (
        'date',
        'turbosio commit',
        'python',
        'python-socketio',
        'python-engineio',
        'aiohttp',
        'node',
        'socket.io (npm)',
    )
    lines += ['Run: ' + '; '.join(f'{k} {info[k]}' for k in keys if k in info) + '.', '']
    by_key = {(r['scenario'], r.get('impl')): r for r in results}
    for name, scenario in plan.items():
        if not any(r['scenario'] == name for r in results):
            continue
        lines += [f'### {name}', '', scenario.title + '.', '']
        lines += [
            '| client | acks/s | p50 | p99 | client CPU | server CPU | foreign on client core | vs python-socketio'
            ' | checks |',
            '|---|---:|---:|---:|---:|---:|---:|---:|---|',
        ]
        base = by_key.get((name, BASELINE_IMPL))
        for impl, label in IMPLS.items():
            r = by_key.get((name, impl))
            if r is None:
                continue
            foreign = client_foreign(r)
            row = [
                label,
                fmt_rate(r.get('rate')) + (' ⚠' if foreign > NOISE_PCT else ''),
                fmt_us(r.get('p50_us')),
                fmt_us(r.get('p99_us')),
                fmt_pct(r.get('client_cpu_pct')),
                fmt_pct(r.get('server_cpu_pct')),
                fmt_pct(foreign),
                ratio(r.get('rate'), base and base.get('rate'), True),
                checks(r),
            ]
            lines.append('| ' + ' | '.join(row) + ' |')
        lines.append('')
        for impl, label in IMPLS.items():
            r = by_key.get((name, impl))
            if r and 'acks' in r:
                lines.append(
                    f'- {label}: {r["acks"]:,} acks for {r["calls"]:,} calls, {r["mismatched"]} mismatched,'
                    f' {r["errors"]} failed; {r["clients"]} connected in {r["connect_s"]:.2f} s'
                )
        lines.append('')
    lines.append(END)
    return lines


def checks(result: dict[str, Any]) -> str:
    if result.get('ok'):
        return 'ok'
    problems = list(result.get('failures', [])) + list(result.get('error_samples', []))[:2]
    return 'FAIL: ' + '; '.join(problems).replace('|', '/').replace('\n', ' ')


def splice_section(results_md: Path, results_jsonl: Path) -> None:
    """Puts the client section into RESULTS.md (replacing an earlier one), before the Noise section."""
    if results_jsonl.exists():
        splice_lines(results_md, client_section(results_jsonl), BEGIN, END)
