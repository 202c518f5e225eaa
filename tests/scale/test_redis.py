"""``client_manager=AsyncRedisManager(url)``: servers of one fleet share emits, acks, joins and disconnects through
a real ``redis-server``, with python-socketio's JSON messages, so turbosio and python-socketio nodes mix; the
write-only emitters of both libraries reach each other's clients; Redis going away never stops local delivery,
and cross-node delivery resumes once it is back."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest
import socketio
import turbosio
from support.clients import arun
from support.servers import free_port

from .redis_fleet import REDIS_SERVER, Node, Peer, RedisProcess, SyncNode, new_channel, next_message

pytestmark = [
    pytest.mark.skipif(REDIS_SERVER is None, reason='redis-server is not installed (scripts/setup.sh)'),
]


@pytest.fixture(scope='module')
def redis(tmp_path_factory) -> Iterator[RedisProcess]:
    process = RedisProcess(tmp_path_factory.mktemp('redis'))
    process.start()
    yield process
    process.stop()


@pytest.fixture
def fleet(redis):
    """Factory: ``fleet(lib, channel, logger=None) -> Node``; every node stops when the test ends."""
    nodes: list[Node] = []

    def start(lib, channel, logger=None) -> Node:
        node = Node(lib, redis.url, channel, logger)
        nodes.append(node)
        return node

    yield start
    for node in nodes:
        node.stop()


async def _until(peer: Peer, event: str, data, timeout: float = 15) -> None:
    """Read ``peer``'s events until ``(event, data)`` arrives."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got = await peer.next_event(max(0.1, deadline - loop.time()))
        if got == (event, data):
            return


async def _mixed_pair(redis: RedisProcess, fleet, room: str) -> tuple[Peer, Peer]:
    """A turbosio node and a python-socketio node on a fresh channel, a client of each in ``room``."""
    channel = new_channel()
    ours, theirs = fleet(turbosio, channel), fleet(socketio, channel)
    a, p = await Peer().connect(ours.url), await Peer().connect(theirs.url)
    a.channel = p.channel = channel
    # python-socketio subscribes when its first client connects.
    await asyncio.to_thread(redis.wait_subscribers, channel, 2)
    await a.client.call('join', room, timeout=5)
    await p.client.call('join', room, timeout=5)
    return a, p


async def _both_ways(x: Peer, y: Peer, room: str, from_x, from_y) -> None:
    """Clients of two nodes, both in ``room``: each one's broadcast reaches the other, and each node's call() to
    the other's client gets its ack back across the channel."""
    await x.client.call('shout', (room, from_x), timeout=5)
    await _until(y, 'news', from_x)
    await y.client.call('shout', (room, from_y), timeout=5)
    await _until(x, 'news', from_y)
    assert await x.client.call('ask', y.sid, timeout=15) == f'answer from {y.sid}'
    assert await y.client.call('ask', x.sid, timeout=15) == f'answer from {x.sid}'


def test_two_turbosio_nodes_deliver_each_others_room_broadcasts(redis, fleet):
    channel = new_channel()
    one, two = fleet(turbosio, channel), fleet(turbosio, channel)
    redis.wait_subscribers(channel, 2)

    async def scenario():
        a, b, outsider = await Peer().connect(one.url), await Peer().connect(two.url), await Peer().connect(two.url)
        try:
            assert await a.client.call('join', 'room', timeout=5) == 'joined'
            assert await b.client.call('join', 'room', timeout=5) == 'joined'
            data = {'from': 'one', 'n': [1, 2.5, None, 'é']}
            assert await a.client.call('shout', ('room', data), timeout=5) == 'sent'
            assert await a.next_event() == ('news', data)
            assert await b.next_event() == ('news', data)
            await b.client.call('shout', ('room', b'\x00binary\xff'), timeout=5)
            assert await a.next_event() == ('news', b'\x00binary\xff')
            assert await b.next_event() == ('news', b'\x00binary\xff')
            # ignore_queue=True stays on its node: b's next news is the marker that follows it.
            await a.client.call('local_shout', ('room', 'only on one'), timeout=5)
            assert await a.next_event() == ('news', 'only on one')
            await a.client.call('shout', ('room', 'marker'), timeout=5)
            assert await b.next_event() == ('news', 'marker')
            # The outsider (on node two, never in the room) got none of these broadcasts.
            await b.client.call('shout', (b.sid, 'just b'), timeout=5)
            assert await b.next_event() == ('news', 'just b')
            return outsider.events.empty()
        finally:
            for peer in (a, b, outsider):
                await peer.close()

    assert arun(scenario())
    assert one.manager.stats()['dropped'] == 0


def test_acks_disconnect_and_enter_room_of_a_remote_sid(redis, fleet):
    channel = new_channel()
    one, two = fleet(turbosio, channel), fleet(turbosio, channel)
    redis.wait_subscribers(channel, 2)

    async def scenario():
        a, b = await Peer().connect(one.url), await Peer().connect(two.url)
        try:
            # node one asks b (on node two) and waits for its ack, which comes back over Redis.
            assert await a.client.call('ask', b.sid, timeout=15) == f'answer from {b.sid}'
            # node one puts b in a room; node two holds the membership, so a broadcast to the room reaches b.
            assert await a.client.call('put', (b.sid, 'blue'), timeout=5) == 'put'
            deadline = asyncio.get_running_loop().time() + 10
            while True:  # the join travels over Redis: shout until it has taken effect
                await a.client.call('shout', ('blue', 'to blue'), timeout=5)
                try:
                    assert await b.next_event(0.5) == ('news', 'to blue')
                    break
                except asyncio.TimeoutError:
                    assert asyncio.get_running_loop().time() < deadline, 'b never joined blue'
            assert a.events.empty()
            # node one disconnects b.
            assert await a.client.call('kick', b.sid, timeout=5) == 'kicked'
            await asyncio.wait_for(b.gone.wait(), 10)
        finally:
            await a.close()
            await b.close()

    arun(scenario())


def test_a_threaded_server_with_redis_manager_joins_an_asyncio_fleet(redis, fleet):
    channel = new_channel()
    threaded, ours = SyncNode(redis.url, channel), fleet(turbosio, channel)
    try:
        redis.wait_subscribers(channel, 2)

        async def scenario():
            s, a = await Peer().connect(threaded.url), await Peer().connect(ours.url)
            try:
                await s.client.call('join', 'mixed', timeout=5)
                await a.client.call('join', 'mixed', timeout=5)
                await _both_ways(s, a, 'mixed', 'from the threaded server', 'from the asyncio server')
            finally:
                await s.close()
                await a.close()

        arun(scenario())
    finally:
        threaded.stop()


def test_python_socketio_and_turbosio_nodes_share_one_channel(redis, fleet):
    async def scenario():
        a, p = await _mixed_pair(redis, fleet, 'mixed')
        try:
            await _both_ways(a, p, 'mixed', ['from turbosio', {'k': 1}], {'from': 'python-socketio'})
            await p.client.call('shout', ('mixed', b'bin\x00'), timeout=5)
            await _until(a, 'news', b'bin\x00')
        finally:
            await a.close()
            await p.close()

    arun(scenario())


def test_write_only_emitters_of_both_libraries_reach_each_others_clients(redis, fleet):
    async def scenario():
        a, p = await _mixed_pair(redis, fleet, 'w')
        channel = a.channel
        try:

            def python_socketio_emitter():
                socketio.RedisManager(redis.url, channel=channel, write_only=True).emit('news', 'from ps', room='w')

            await asyncio.to_thread(python_socketio_emitter)
            await _until(a, 'news', 'from ps')

            def turbosio_sync_emitter():
                emitter = turbosio.RedisManager(redis.url, channel=channel, write_only=True)
                emitter.emit('news', {'from': 'sync'}, room='w', namespace='/')
                emitter.close()

            await asyncio.to_thread(turbosio_sync_emitter)
            await _until(p, 'news', {'from': 'sync'})
            await _until(a, 'news', {'from': 'sync'})

            emitter = turbosio.AsyncRedisManager(redis.url, channel=channel, write_only=True)
            await emitter.emit('news', ('two', b'args\x01'), room='w')
            await _until(p, 'news', 'two')  # python-socketio's catch-all sees the first argument
            emitter.close()
        finally:
            await a.close()
            await p.close()

    arun(scenario())


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisProcess]:
    process = RedisProcess(tmp_path)
    process.start()
    yield process
    process.stop()


def test_redis_outage_keeps_local_delivery_and_cross_node_delivery_resumes(own_redis):
    channel = new_channel()
    records = _Records()
    logger = logging.getLogger('turbosio.test.redis_outage')
    logger.setLevel(logging.DEBUG)
    logger.addHandler(records)
    one = Node(turbosio, own_redis.url, channel, logger)
    two = Node(turbosio, own_redis.url, channel)
    try:
        own_redis.wait_subscribers(channel, 2)

        async def scenario():
            a, a2, b = (await Peer().connect(one.url), await Peer().connect(one.url), await Peer().connect(two.url))
            try:
                for peer in (a, a2, b):
                    await peer.client.call('join', 'r', timeout=5)
                await a.client.call('shout', ('r', 'before'), timeout=5)
                for peer in (a, a2, b):
                    assert await peer.next_event() == ('news', 'before')
                own_redis.stop()
                for n in range(20):  # local delivery goes on, message after message
                    await a.client.call('shout', ('r', f'during {n}'), timeout=5)
                    assert await a2.next_event() == ('news', f'during {n}')
                    assert await a.next_event() == ('news', f'during {n}')
                own_redis.start()
                await asyncio.to_thread(own_redis.wait_subscribers, channel, 2, 30)
                await a.client.call('shout', ('r', 'after'), timeout=5)
                await _until(b, 'news', 'after')
                await b.client.call('shout', ('r', 'back'), timeout=5)
                await _until(a2, 'news', 'back')
            finally:
                for peer in (a, a2, b):
                    await peer.close()

        arun(scenario(), timeout=90)
    finally:
        one.stop()
        two.stop()
        logger.removeHandler(records)
    outages = [r for r in records.records if 'unreachable' in r.getMessage()]
    assert len(outages) == 1, [r.getMessage() for r in records.records]
    assert outages[0].levelno == logging.ERROR
    assert any('reachable again' in r.getMessage() for r in records.records)


def test_a_full_outbound_queue_counts_what_it_drops(tmp_path):
    """While Redis is unreachable, emits wait in a bounded queue; the rest are counted (and logged: the report
    itself is checked in src/scale/outbound.rs) and local delivery is not held up."""
    dead = RedisProcess(tmp_path)  # never started: nothing listens on its port
    manager = turbosio.RedisManager(dead.url, redis_options={'max_queue': 2, 'socket_connect_timeout': 0.2})
    sio = turbosio.Server(client_manager=manager)
    try:
        for n in range(5):
            sio.emit('news', n)
        stats = manager.stats()
    finally:
        manager.close()
    assert stats == {'published': 0, 'dropped': 3, 'queued': 2}


def test_messages_are_byte_for_byte_what_python_socketio_publishes(redis):
    """The same emits from both libraries' write-only emitters publish the same bytes, host_id aside."""
    channel = new_channel()
    listener = redis.listen(channel)
    ours = turbosio.RedisManager(redis.url, channel=channel, write_only=True)
    theirs = socketio.RedisManager(redis.url, channel=channel, write_only=True)
    emits = [
        ('ev', {'text': 'héllo ✓', 'nested': [1, 2.5, True, None, {'k': 'v'}]}, {'room': 'r1'}),
        ('ev', ('several', 'args', 3), {'room': ['r1', 'r2'], 'skip_sid': 'abc', 'namespace': '/chat'}),
        ('bin', {'blob': b'\x00\x01\xff', 'more': [b'x']}, {}),
    ]
    try:
        for event, data, kwargs in emits:
            ours.emit(event, data, **kwargs)
            mine = next_message(listener)
            theirs.emit(event, data, **kwargs)
            reference = next_message(listener)
            assert mine.replace(ours.host_id.encode(), theirs.host_id.encode()) == reference
        ours.close_room('r1', namespace='/chat')
        mine = next_message(listener)
        theirs.close_room('r1', namespace='/chat')
        assert mine.replace(ours.host_id.encode(), theirs.host_id.encode()) == next_message(listener)
    finally:
        ours.close()
        listener.close()


def test_a_unix_socket_url_and_a_script_that_exits_right_after_emitting(redis):
    """``unix://`` URLs work, and a plain script's emit has left before the script ends."""
    channel = new_channel()
    node = Node(turbosio, redis.unix_url, channel)
    script = (
        'import os, sys, turbosio\n'
        'turbosio.RedisManager(sys.argv[1], channel=sys.argv[2], write_only=True).emit("news", "from a script")\n'
        # A Celery-style worker: the manager is made before the fork and used in the child.
        'emitter = turbosio.RedisManager(sys.argv[1], channel=sys.argv[2], write_only=True)\n'
        'child = os.fork()\n'
        'if child == 0:\n'
        '    emitter.emit("news", "from a forked worker")\n'
        '    os._exit(0)\n'
        'assert os.waitpid(child, 0)[1] == 0\n'
    )
    try:
        redis.wait_subscribers(channel, 1)

        async def scenario():
            a = await Peer().connect(node.url)
            try:
                done = await asyncio.to_thread(
                    subprocess.run, [sys.executable, '-c', script, redis.unix_url, channel], timeout=30
                )
                assert done.returncode == 0
                assert await a.next_event() == ('news', 'from a script')
                assert await a.next_event() == ('news', 'from a forked worker')
            finally:
                await a.close()

        arun(scenario())
    finally:
        node.stop()


def _openssl(cwd, *args: str) -> None:
    openssl = shutil.which('openssl')
    assert openssl, 'the openssl command is needed to make the test certificates'
    subprocess.run([openssl, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def test_a_rediss_url_publishes_over_tls(tmp_path):
    """``rediss://`` with a certificate the system trusts (here: ``SSL_CERT_FILE``, as rustls-native-certs reads)."""
    _openssl(tmp_path, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem',
             '-days', '2', '-subj', '/CN=turbosio redis test CA')
    (tmp_path / 'server.ext').write_text('subjectAltName=DNS:localhost,IP:127.0.0.1\n')
    _openssl(tmp_path, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr',
             '-subj', '/CN=localhost')
    _openssl(tmp_path, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
             '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem')
    redis = RedisProcess(tmp_path, tls=(tmp_path / 'server.pem', tmp_path / 'server.key'))
    redis.start()
    channel = new_channel()
    listener = redis.listen(channel)  # on the plain port: the channel is the same
    script = (
        'import sys, turbosio\n'
        'turbosio.RedisManager(sys.argv[1], channel=sys.argv[2], write_only=True).emit("news", "over tls")\n'
    )
    try:
        url = f'rediss://localhost:{redis.tls_port}/0'
        env = {**os.environ, 'SSL_CERT_FILE': str(tmp_path / 'ca.pem')}
        done = subprocess.run([sys.executable, '-c', script, url, channel], env=env, timeout=30)
        assert done.returncode == 0
        assert b'"data": ["over tls"]' in next_message(listener)
    finally:
        listener.close()
        redis.stop()


def test_a_sentinel_url_finds_the_master(redis, tmp_path):
    """``redis+sentinel://host:port/db/service``: the sentinel (redis-server --sentinel) names the master."""
    port = free_port()
    (tmp_path / 'sentinel.conf').write_text(
        f'port {port}\nbind 127.0.0.1\nsentinel monitor fleet 127.0.0.1 {redis.port} 1\n'
    )
    sentinel = subprocess.Popen(
        [REDIS_SERVER, str(tmp_path / 'sentinel.conf'), '--sentinel', '--dir', str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    channel = new_channel()
    listener = redis.listen(channel)
    try:
        emitter = turbosio.RedisManager(f'redis+sentinel://127.0.0.1:{port}/0/fleet', channel=channel, write_only=True)
        # The sentinel may still be starting: the emitter retries until it answers (the emit waits for that).
        emitter.emit('news', 'via sentinel')
        emitter.close()
        assert b'"data": ["via sentinel"]' in next_message(listener)
    finally:
        listener.close()
        sentinel.kill()
        sentinel.wait(10)


def test_bad_urls_and_foreign_managers_are_refused():
    with pytest.raises(ValueError, match='Unsupported Redis URL scheme'):
        turbosio.AsyncRedisManager('http://localhost')
    with pytest.raises(NotImplementedError, match='AsyncRedisManager'):
        turbosio.AsyncServer(client_manager=socketio.AsyncRedisManager('redis://localhost'))
