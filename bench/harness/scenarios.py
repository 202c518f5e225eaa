"""The servers under test and the scenarios each one runs."""

from __future__ import annotations

from dataclasses import dataclass

from .paths import BENCH
from .pinning import BOTH_CORES, SERVER_CORE

BASELINE = 'python-socketio (uvicorn)'
NODE = 'socket.io (Node)'
# The msgpack scenarios run where bench/app.py takes --serializer: turbosio natively, python-socketio under uvicorn.
MSGPACK_SERVERS = ('turbosio (native)', BASELINE)


@dataclass(frozen=True)
class Server:
    name: str
    argv: tuple[str, ...]
    impl: str  # 'turbosio', 'python-socketio' or 'node'
    # The cores the server may run on. Servers get core 0 and the load generator core 1; a server with several
    # worker processes gets both, and so competes with the load generator for core 1.
    cores: str = SERVER_CORE


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    loadgen: tuple[str, ...]
    metric: str  # what `rate` means
    higher_is_better: bool = True
    # The number that ratios and the chart compare: the rate, or (at a fixed offered load) the p50 latency.
    key: str = 'rate'
    # Extra arguments for the server (bench/app.py), and the servers the scenario runs against (None: all).
    server_args: tuple[str, ...] = ()
    only: tuple[str, ...] | None = None


METRICS_AB = 'turbosio (native+metrics)'  # no comma: --servers splits on commas


def servers(python: str, workers: int = 2) -> dict[str, Server]:
    """Every server, by name; `workers` is the process count of turbosio's multi-worker server."""
    app = str(BENCH / 'app.py')
    return {
        s.name: s
        for s in [
            Server('turbosio (native)', (python, app, '--impl', 'turbosio', '--mode', 'native'), 'turbosio'),
            Server(
                workers_name(workers),
                (python, app, '--impl', 'turbosio', '--mode', 'native', '--workers', str(workers)),
                'turbosio',
                cores=BOTH_CORES,
            ),
            Server('turbosio (uvicorn)', (python, app, '--impl', 'turbosio', '--mode', 'asgi'), 'turbosio'),
            # Opt-in (not in the default list): the metrics A/B against 'turbosio (native)'.
            Server(
                METRICS_AB, (python, app, '--impl', 'turbosio', '--mode', 'native', '--metrics'), 'turbosio'
            ),
            Server(BASELINE, (python, app, '--impl', 'socketio', '--mode', 'uvicorn'), 'python-socketio'),
            Server(
                'python-socketio (granian)', (python, app, '--impl', 'socketio', '--mode', 'granian'), 'python-socketio'
            ),
            Server(NODE, ('node', str(BENCH / 'node' / 'server.js')), 'node'),
        ]
    }


def workers_name(workers: int) -> str:
    return f'turbosio ({workers} workers)'  # no comma: --servers splits on commas


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
            'echo-msgpack',
            "echo with serializer='msgpack': 50 clients, closed loop, 64-byte padding, WebSocket",
            ('echo', '--clients', '50', '--msgpack', *timed),
            'acks/s',
            server_args=('--serializer', 'msgpack'),
            only=MSGPACK_SERVERS,
        ),
        Scenario(
            'broadcast-msgpack',
            "broadcast with serializer='msgpack': 500 receivers in one room, closed loop (16 in flight)",
            ('broadcast', '--clients', '50' if profile == 'smoke' else '500', '--window', '16', '--msgpack', *timed),
            'deliveries/s',
            server_args=('--serializer', 'msgpack'),
            only=MSGPACK_SERVERS,
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
