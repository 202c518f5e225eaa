"""``sio.metrics()`` (the snapshot dict) and ``turbosio.metrics.Collector`` registered into a prometheus_client
registry, with a real client connected to a native server."""

from __future__ import annotations

import time

import pytest
import socketio
import turbosio
from prometheus_client import CollectorRegistry, generate_latest
from support.inprocess import WerkzeugThread
from support.settings import IMPL, WAIT_TIMEOUT
from turbosio.metrics import Collector

from .helpers import NativeThread, make_server, parse, scrape

pytestmark = pytest.mark.skipif(IMPL != 'turbosio', reason='metrics are turbosio-only')


def wait_for_snapshot(sio, check):
    """``sio.metrics()`` once ``check`` holds for it; fail after WAIT_TIMEOUT."""
    deadline = time.monotonic() + WAIT_TIMEOUT
    while not check(snapshot := sio.metrics()):
        assert time.monotonic() < deadline, f'never held: {snapshot}'
        time.sleep(0.01)  # re-read; the condition itself is what is waited for
    return snapshot


def test_counting_is_off_until_asked_and_the_snapshot_has_its_documented_shape():
    sio = make_server()
    server = NativeThread(sio)  # no metrics_path: nothing counts
    client = socketio.Client(reconnection=False)
    try:
        client.connect(server.url, transports=['websocket'], wait_timeout=WAIT_TIMEOUT)
        assert client.call('echo', 1, timeout=WAIT_TIMEOUT) == 1
        off = sio.metrics()
        assert off['enabled'] is False
        assert off['events_received'] == 0 and off['handler_duration']['count'] == 0
        assert off['sessions'] == {'polling': 0, 'websocket': 1}  # gauges are read from the engine regardless
        assert off['sockets'] == {'/': 1}

        sio.enable_metrics()
        assert client.call('join', 'a', timeout=WAIT_TIMEOUT) == 'joined'
        assert client.call('echo', 2, timeout=WAIT_TIMEOUT) == 2
        # A coroutine handler's time reaches Rust on the loop iteration after it finished, maybe after its ack.
        on = wait_for_snapshot(sio, lambda m: m['handler_duration']['count'] >= 2)
    finally:
        client.disconnect()
        server.stop()
    assert set(on) == {
        'enabled', 'sessions', 'sessions_opened', 'sockets', 'rooms', 'upgrades', 'upgrade_failures',
        'packets_received', 'bytes_received', 'packets_sent', 'bytes_sent', 'events_received', 'acks_received',
        'ack_timeouts', 'slow_client_disconnects', 'rejected', 'outbox', 'handler_duration',
    }  # fmt: skip
    assert on['enabled'] is True
    assert on['events_received'] == 2
    assert on['rooms'] == {'/': 1}
    assert on['slow_client_disconnects'] == {'outbox_full': 0, 'write_timeout': 0}
    assert set(on['outbox']) == {'frames', 'bytes', 'max_frames'}
    assert 'malformed_packet' in on['rejected'] and all(n == 0 for n in on['rejected'].values())
    latency = on['handler_duration']
    assert latency['count'] == 2 and latency['sum'] > 0
    bounds = [bound for bound, _ in latency['buckets']]
    assert bounds == sorted(bounds) and bounds[-1] == float('inf')
    assert latency['buckets'][-1][1] == 2


def test_the_collector_yields_the_families_that_metrics_path_serves():
    sio = make_server()
    registry = CollectorRegistry()
    registry.register(Collector(turbosio.ASGIApp(sio)))  # an app wrapping the server works too
    server = NativeThread(sio, metrics_path='/metrics')
    client = socketio.Client(reconnection=False)
    try:
        client.connect(server.url, transports=['websocket'], wait_timeout=WAIT_TIMEOUT)
        assert client.call('echo', 'x', timeout=WAIT_TIMEOUT) == 'x'
        wait_for_snapshot(sio, lambda m: m['handler_duration']['count'] >= 1)
        exported = parse(generate_latest(registry).decode())
        served = scrape(server.url)
    finally:
        client.disconnect()
        server.stop()
    assert exported[('turbosio_events_received_total', ())] == 1
    assert exported[('turbosio_sessions', (('transport', 'websocket'),))] == 1
    assert exported[('turbosio_handler_duration_seconds_count', ())] == 1
    # The same samples as /metrics (the byte counters and the gauges moved in between only by the scrape itself).
    assert set(exported) == set(served)
    assert exported[('turbosio_events_received_total', ())] == served[('turbosio_events_received_total', ())]


def test_the_collector_needs_a_turbosio_server():
    with pytest.raises(TypeError):
        Collector(object())


def test_a_threaded_server_times_its_handlers_on_the_worker_threads():
    # A long-poll left waiting when the client goes holds werkzeug's stop() until the next ping: keep it short.
    sio = turbosio.Server(async_mode='threading', ping_interval=1)

    @sio.event
    def echo(sid, data):
        return data

    sio.enable_metrics()
    server = WerkzeugThread(turbosio.WSGIApp(sio))
    client = socketio.Client(reconnection=False)
    try:
        client.connect(server.url, transports=['polling'], wait_timeout=WAIT_TIMEOUT)
        for n in range(3):
            assert client.call('echo', n, timeout=WAIT_TIMEOUT) == n
        snapshot = wait_for_snapshot(sio, lambda m: m['handler_duration']['count'] >= 3)
    finally:
        client.disconnect()
        server.stop()
    assert snapshot['events_received'] == 3
    assert snapshot['sessions_opened'] == {'polling': 1, 'websocket': 0}
    assert snapshot['handler_duration']['sum'] > 0
