"""Acked emits per second from Socket.IO AsyncClients in one process: the client side of the benchmark.

Usage::

    python bench/client/acks.py --impl turbosio|socketio --url http://127.0.0.1:N --clients 1 --concurrency 50
        [--duration 8] [--warmup 1] [--max-calls N] [--server-pid PID]

Connects ``--clients`` AsyncClients (WebSocket only, no reconnection), then runs ``--concurrency`` workers per
client, each one ``await client.call('echo', payload)`` after another until ``--warmup`` + ``--duration``
seconds have passed or ``--max-calls`` calls were started. The server must ack ``echo`` with its data
(``bench/node/server.js`` and ``bench/app.py`` do). Every ack is checked: each call must return its own payload,
and every call started must be answered (no timeout, no error). Prints one JSON line: ``rate`` (acks/s over the
measured window after the warmup), ``p50_us``/``p99_us`` (call latency in that window), ``client_cpu_pct`` (this
process, all threads), and, as in the load generator's output, ``ok`` and ``failures``. With ``--server-pid`` it
also reports how busy the two cores were and how much of that was the server and this process (the noise).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.pinning import LOADGEN_CORE, SERVER_CORE, busy_percent, cpu_ticks, process_cpu_seconds

PAD = 'x' * 64
CALL_TIMEOUT = 10.0
CONNECT_BATCH = 50


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--impl', choices=['turbosio', 'socketio'], required=True)
    parser.add_argument('--url', required=True)
    parser.add_argument('--clients', type=int, default=1)
    parser.add_argument('--concurrency', type=int, default=1, help='calls in flight per client')
    parser.add_argument('--duration', type=float, default=8.0)
    parser.add_argument('--warmup', type=float, default=1.0)
    parser.add_argument('--max-calls', type=int, default=5_000_000, help='calls started at most, all clients')
    parser.add_argument('--server-pid', type=int)
    return parser.parse_args(argv)


def load_impl(name: str) -> Any:
    if name == 'turbosio':
        import turbosio as socketio
    else:
        import socketio
    return socketio


class Tally:
    """What the workers saw; the measured window is [start, end)."""

    def __init__(self, start: float, end: float, max_calls: int) -> None:
        self.start, self.end, self.max_calls = start, end, max_calls
        self.started = self.answered = self.in_window = 0
        self.mismatched = self.errors = 0
        self.latencies_ns: list[int] = []
        self.error_samples: list[str] = []
        self.stopped_at: float | None = None  # when --max-calls ended the window early, if it did

    def may_start(self, now: float) -> bool:
        if now >= self.end:
            return False
        if self.started >= self.max_calls:
            if self.stopped_at is None:
                # The window ends here: the calls still in flight drain without a steady load behind them.
                self.stopped_at = self.end = max(now, self.start)
            return False
        self.started += 1
        return True


async def worker(client: Any, tag: str, tally: Tally) -> None:
    seq = 0
    while tally.may_start(time.monotonic()):
        payload = {'w': tag, 'n': seq, 'pad': PAD}
        seq += 1
        sent_ns = time.perf_counter_ns()
        try:
            got = await client.call('echo', payload, timeout=CALL_TIMEOUT)
        except Exception as exc:  # every failure counts; the first few are shown
            tally.errors += 1
            if len(tally.error_samples) < 3:
                tally.error_samples.append(f'{type(exc).__name__}: {exc}')
            continue
        took_ns = time.perf_counter_ns() - sent_ns
        tally.answered += 1
        if got != payload:
            tally.mismatched += 1
            if len(tally.error_samples) < 3:
                tally.error_samples.append(f'ack {got!r} for {payload!r}')
        if tally.start <= time.monotonic() < tally.end:
            tally.in_window += 1
            tally.latencies_ns.append(took_ns)


async def connect_all(socketio: Any, url: str, count: int) -> list[Any]:
    clients = [socketio.AsyncClient(reconnection=False) for _ in range(count)]
    for first in range(0, count, CONNECT_BATCH):
        batch = clients[first : first + CONNECT_BATCH]
        await asyncio.gather(*(c.connect(url, transports=['websocket'], wait_timeout=10) for c in batch))
    return clients


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    socketio = load_impl(args.impl)
    connect_started = time.monotonic()
    clients = await connect_all(socketio, args.url, args.clients)
    connect_s = time.monotonic() - connect_started
    now = time.monotonic()
    tally = Tally(now + args.warmup, now + args.warmup + args.duration, args.max_calls)
    window: dict[str, Any] = {}

    async def sample_window() -> None:
        # Core and process CPU over the measured window only (not connecting, not the warmup).
        await asyncio.sleep(max(0.0, tally.start - time.monotonic()))
        window['before'] = (cpu_ticks(), time.process_time(), server_cpu(args.server_pid), time.monotonic())
        await asyncio.sleep(max(0.0, tally.end - time.monotonic()))
        window['after'] = (cpu_ticks(), time.process_time(), server_cpu(args.server_pid), time.monotonic())

    sampler = asyncio.ensure_future(sample_window())
    workers = [worker(client, f'{i}.{j}', tally) for i, client in enumerate(clients) for j in range(args.concurrency)]
    await asyncio.gather(*workers)
    if tally.stopped_at is not None:
        sampler.cancel()
        window['after'] = (cpu_ticks(), time.process_time(), server_cpu(args.server_pid), time.monotonic())
    else:
        await sampler
    await asyncio.wait_for(asyncio.gather(*(c.disconnect() for c in clients)), 30)
    return summarize(args, tally, window, connect_s)


def server_cpu(pid: int | None) -> float | None:
    return process_cpu_seconds(pid) if pid else None


def percentile(sorted_ns: list[int], q: float) -> int | None:
    if not sorted_ns:
        return None
    return sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))] // 1000


def summarize(args: argparse.Namespace, tally: Tally, window: dict[str, Any], connect_s: float) -> dict[str, Any]:
    failures = []
    if tally.errors:
        failures.append(f'{tally.errors} calls failed')
    if tally.mismatched:
        failures.append(f'{tally.mismatched} acks did not carry their payload')
    if tally.answered + tally.errors != tally.started:
        failures.append(f'{tally.started} calls started, {tally.answered + tally.errors} finished')
    if tally.answered == 0:
        failures.append('no call was answered')
    result: dict[str, Any] = {
        'impl': args.impl,
        'clients': args.clients,
        'concurrency': args.concurrency,
        'unit': 'acks/s',
        'calls': tally.started,
        'acks': tally.answered,
        'mismatched': tally.mismatched,
        'errors': tally.errors,
        'connect_s': round(connect_s, 3),
    }
    if 'before' in window and 'after' in window:
        (ticks0, cpu0, srv0, t0), (ticks1, cpu1, srv1, t1) = window['before'], window['after']
        seconds = max(t1 - t0, 1e-9)
        client_pct = 100.0 * (cpu1 - cpu0) / seconds
        server_pct = None if srv0 is None or srv1 is None else 100.0 * (srv1 - srv0) / seconds
        server_core = busy_percent(ticks0, ticks1, SERVER_CORE)
        client_core = busy_percent(ticks0, ticks1, LOADGEN_CORE)
        result.update(
            window_s=round(seconds, 3),
            rate=tally.in_window / max(tally.end - tally.start, 1e-9),
            client_cpu_pct=client_pct,
            server_cpu_pct=server_pct,
            noise={
                'server_core_busy_pct': server_core,
                'server_core_foreign_pct': None
                if server_core is None or server_pct is None
                else max(0.0, server_core - server_pct),
                'client_core_busy_pct': client_core,
                # The client process may spread over both cores (turbosio's runtime threads are pinned with it,
                # so normally not); what is left on its core is other processes'.
                'client_core_foreign_pct': None if client_core is None else max(0.0, client_core - client_pct),
            },
        )
    else:
        failures.append('the measured window was not reached')
    ordered = sorted(tally.latencies_ns)
    result.update(p50_us=percentile(ordered, 0.50), p99_us=percentile(ordered, 0.99))
    result['ok'] = not failures
    result['failures'] = failures
    result['error_samples'] = tally.error_samples
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        result = asyncio.run(measure(args))
    except Exception as exc:  # connect failures and the like: still one JSON line for the harness
        result = {'impl': args.impl, 'ok': False, 'failures': [f'{type(exc).__name__}: {exc}'], 'unit': 'acks/s'}
    print(json.dumps(result), flush=True)
    return 0 if result['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
