"""Broadcast deliveries per second across two nodes of a fleet joined by Redis: turbosio vs python-socketio.

Usage::

    python bench/fleet.py [--clients 200] [--duration 5] [--check] [--python PATH] [--loadgen PATH]

For each implementation: a fresh ``redis-server`` on a free port, two servers running ``bench/app.py --redis``
(turbosio natively, python-socketio under uvicorn), the load generator's ``broadcast`` scenario with its receivers
on node B and its trigger on node A (``--trigger-addr``), so every delivery crosses Redis. Prints one line per
implementation and the JSON of each run; ``--check`` exits non-zero on a lost, duplicated or out-of-order delivery.
Nothing is pinned: on a 2-core machine the figures are for comparing the two, not absolute.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.paths import BENCH, LOADGEN
from harness.runner import free_port, stop, wait_ready

IMPLS = {
    'turbosio (native)': ('turbosio', 'native'),
    'python-socketio (uvicorn)': ('socketio', 'uvicorn'),
}


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    redis_server = shutil.which('redis-server')
    if redis_server is None:
        sys.exit('fleet: redis-server is not installed (scripts/setup.sh installs it)')
    port = free_port()
    proc = subprocess.Popen(
        [redis_server, '--port', str(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir',
         str(workdir)],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while not _pongs(port):
        if time.monotonic() > deadline:
            raise RuntimeError('redis-server did not start')
        time.sleep(0.05)
    return proc, port


def _pongs(port: int) -> bool:
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=1) as conn:
            conn.sendall(b'PING\r\n')
            return conn.recv(16).startswith(b'+PONG')
    except OSError:
        return False


def start_node(python: str, impl: str, mode: str, redis_url: str, workdir: Path, name: str):
    port = free_port()
    pid_file = workdir / f'{name}.pid'
    proc = subprocess.Popen(
        [python, str(BENCH / 'app.py'), '--impl', impl, '--mode', mode, '--port', str(port), '--pid-file',
         str(pid_file), '--redis', redis_url],
        start_new_session=True,
    )
    pid = wait_ready(port, pid_file, proc)
    return proc, port, pid


def run(python: str, loadgen: str, label: str, clients: int, duration: float, check: bool) -> dict:
    impl, mode = IMPLS[label]
    with tempfile.TemporaryDirectory(prefix='bench-fleet-') as tmp:
        workdir = Path(tmp)
        redis, redis_port = start_redis(workdir)
        nodes = []
        try:
            url = f'redis://127.0.0.1:{redis_port}/0'
            nodes.append(start_node(python, impl, mode, url, workdir, 'a'))
            nodes.append(start_node(python, impl, mode, url, workdir, 'b'))
            (_, port_a, _), (_, port_b, pid_b) = nodes
            argv = [loadgen, 'broadcast', '--addr', f'127.0.0.1:{port_b}', '--trigger-addr', f'127.0.0.1:{port_a}',
                    '--clients', str(clients), '--duration', str(duration), '--warmup', '1', '--label', label,
                    '--server-pid', str(pid_b)]
            if check:
                argv.append('--check')
            done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 120)
            lines = [line for line in done.stdout.splitlines() if line.startswith('{')]
            result = json.loads(lines[-1]) if lines else {'error': done.stderr.strip()[-500:]}
            result['exit_code'] = done.returncode
            return result
        finally:
            for proc, _, _ in nodes:
                stop(proc)
            stop(redis)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clients', type=int, default=200)
    parser.add_argument('--duration', type=float, default=5.0)
    parser.add_argument('--check', action='store_true')
    parser.add_argument('--python', default=sys.executable, help='an interpreter with turbosio, python-socketio, '
                        'redis and uvicorn')
    parser.add_argument('--loadgen', default=os.environ.get('BENCH_LOADGEN', str(LOADGEN)))
    parser.add_argument('--impls', default=','.join(IMPLS), help='comma-separated: ' + ', '.join(IMPLS))
    args = parser.parse_args(argv)
    failed = False
    for label in args.impls.split(','):
        result = run(args.python, args.loadgen, label, args.clients, args.duration, args.check)
        print(json.dumps(result, sort_keys=True))
        rate = result.get('rate')
        print(f'{label}: {rate if rate is not None else "?"} deliveries/s across 2 nodes via Redis '
              f'({args.clients} receivers on node B, trigger on node A)', file=sys.stderr)
        failed |= result['exit_code'] != 0
    return 1 if failed and args.check else 0


if __name__ == '__main__':
    sys.exit(main())
