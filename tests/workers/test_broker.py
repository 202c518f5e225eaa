"""The workers' built-in broker, driven by the ``redis`` PyPI client over its unix socket: SUBSCRIBE, PUBLISH,
UNSUBSCRIBE and PING behave as Redis's pub/sub does, so the Redis client managers can use it unchanged.

The broker speaks RESP2 only and answers HELLO with NOPROTO, as a Redis without RESP3 would; redis-py 8 asks for
RESP3 by default and only some 8.x versions fall back, so these clients ask for RESP2 (``protocol=2``)."""

from __future__ import annotations

import pytest
from support.clients import arun
from support.settings import IMPL

pytestmark = pytest.mark.skipif(IMPL != 'turbosio', reason='the broker is turbosio-only')

redis = pytest.importorskip('redis')


@pytest.fixture
def broker(tmp_path):
    from turbosio import _core

    path = tmp_path / 'broker.sock'
    core = _core.BrokerCore(str(path))
    yield str(path)
    core.close()
    assert not path.exists()


def _next_message(pubsub, timeout=5.0):
    message = pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
    assert message is not None, 'no message within the timeout'
    return message


def test_publish_reaches_every_subscriber_of_the_channel_only(broker):
    publisher = redis.Redis.from_url(f'unix://{broker}', protocol=2)
    a = redis.Redis(unix_socket_path=broker, protocol=2).pubsub()
    b = redis.Redis(unix_socket_path=broker, protocol=2).pubsub()
    a.subscribe('socketio')
    b.subscribe('socketio', 'other')
    for pubsub, count in ((a, 1), (b, 2)):
        confirmations = [pubsub.get_message(timeout=5) for _ in range(count)]
        assert [c['type'] for c in confirmations] == ['subscribe'] * count
        assert confirmations[-1]['data'] == count
    assert publisher.publish('socketio', b'\x00binary\r\n payload') == 2
    assert publisher.publish('other', 'only b') == 1
    assert publisher.publish('nobody', 'lost') == 0
    assert _next_message(a) == {'type': 'message', 'pattern': None, 'channel': b'socketio',
                                'data': b'\x00binary\r\n payload'}
    assert _next_message(b)['data'] == b'\x00binary\r\n payload'
    assert _next_message(b) == {'type': 'message', 'pattern': None, 'channel': b'other', 'data': b'only b'}
    assert a.get_message(timeout=0.2) is None  # 'other' never reached a


def test_unsubscribe_stops_delivery_and_ping_answers(broker):
    client = redis.Redis(unix_socket_path=broker, protocol=2)
    assert client.ping() is True
    pubsub = client.pubsub()
    pubsub.subscribe('socketio')
    assert pubsub.get_message(timeout=5)['type'] == 'subscribe'
    pubsub.ping('still there')
    assert pubsub.get_message(timeout=5) == {'type': 'pong', 'pattern': None, 'channel': None, 'data': b'still there'}
    pubsub.unsubscribe('socketio')
    assert pubsub.get_message(timeout=5) == {'type': 'unsubscribe', 'pattern': None, 'channel': b'socketio', 'data': 0}
    assert client.publish('socketio', 'after') == 0


def test_a_subscriber_that_leaves_is_forgotten(broker):
    client = redis.Redis(unix_socket_path=broker, protocol=2)
    pubsub = redis.Redis(unix_socket_path=broker, protocol=2).pubsub()
    pubsub.subscribe('socketio')
    assert pubsub.get_message(timeout=5)['type'] == 'subscribe'
    assert client.publish('socketio', 'one') == 1
    pubsub.close()
    for _ in range(100):  # the broker notices the closed connection asynchronously
        if client.publish('socketio', 'two') == 0:
            break
    else:
        pytest.fail('a closed subscriber still counted')


def test_unknown_commands_get_an_error_and_the_connection_stays_usable(broker):
    client = redis.Redis(unix_socket_path=broker, protocol=2)
    with pytest.raises(redis.ResponseError, match='unknown command'):
        client.set('key', 'value')
    with pytest.raises(redis.ResponseError):
        client.execute_command('PUBLISH', 'only-a-channel')
    assert client.ping() is True


def test_malformed_input_ends_only_that_connection(broker):
    import socket

    with socket.socket(socket.AF_UNIX) as raw:
        raw.connect(broker)
        raw.sendall(b'*1\r\n:12\r\n')
        raw.settimeout(5)
        answer = raw.recv(4096)
        assert answer.startswith(b'-ERR Protocol error')
        assert raw.recv(4096) == b''  # closed
    assert redis.Redis(unix_socket_path=broker, protocol=2).ping() is True


def test_the_async_client_subscribes_and_receives(broker):
    arun(_async_subscribe(broker))


async def _async_subscribe(broker):
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(f'unix://{broker}', protocol=2)
    pubsub = client.pubsub()
    await pubsub.subscribe('socketio')
    assert (await pubsub.get_message(timeout=5))['type'] == 'subscribe'
    assert await client.publish('socketio', 'async') == 1
    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
    assert message is not None and message['data'] == b'async'
    await pubsub.aclose()
    await client.aclose()


def test_a_subscriber_that_stops_reading_is_cut_off_and_others_carry_on(broker):
    import socket

    publisher = redis.Redis(unix_socket_path=broker, protocol=2)
    fast = redis.Redis(unix_socket_path=broker, protocol=2).pubsub()
    fast.subscribe('socketio')
    assert fast.get_message(timeout=5)['type'] == 'subscribe'
    with socket.socket(socket.AF_UNIX) as slow:
        slow.connect(broker)
        slow.sendall(b'*2\r\n$9\r\nSUBSCRIBE\r\n$8\r\nsocketio\r\n')
        slow.settimeout(10)
        assert slow.recv(4096).startswith(b'*3\r\n$9\r\nsubscribe')
        message = b'x' * (1024 * 1024)
        reached = []
        for _ in range(200):  # the broker holds 64 MiB for a subscriber, the socket buffers a little more
            reached.append(publisher.publish('socketio', message))
            assert _next_message(fast)['data'] == message
            if reached[-1] == 1:
                break
        assert reached[-1] == 1, 'the subscriber that never reads was never cut off'
        assert set(reached[:-1]) == {2}
        received = 0
        while chunk := slow.recv(1 << 20):  # what was queued before the cut, then the end of the connection
            received += len(chunk)
        assert received < len(reached) * len(message)
