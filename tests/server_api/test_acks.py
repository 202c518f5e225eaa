"""Acknowledgements both ways: client -> server acks, server -> client call(), and call() timing out."""

import asyncio
import uuid

from support.clients import AsyncPeers, arun
from support.marks import require_wsgi_server


def test_concurrent_acks_come_back_to_their_own_callers(server):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect()
            payloads = [{'i': i, 'key': uuid.uuid4().hex} for i in range(100)]
            answers = await asyncio.gather(*(peer.sio.call('echo', p, timeout=10) for p in payloads))
            assert answers == payloads

    arun(scenario())


def test_acks_are_per_namespace(server):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(namespaces=('/', '/chat'))
            both = await asyncio.gather(
                peer.sio.call('whoami', timeout=5), peer.sio.call('whoami', namespace='/chat', timeout=5)
            )
            assert both == [{'sid': peer.sid(), 'ns': '/'}, {'sid': peer.sid('/chat'), 'ns': '/chat'}]

    arun(scenario())


def test_many_acks_node(server, node_scenario):
    srv = server()
    result = node_scenario(srv.url, 'many_acks', {'n': 200})
    assert result == {'sequential': 200, 'concurrent': 200, 'wrong': []}


def test_server_call_answered_by_python_client(server):
    srv = server()
    question = {'q': uuid.uuid4().hex}

    async def ask(data):
        return {'answer_to': data, 'from': 'python'}

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(handlers={'ask': ask})
            await peer.sio.emit('call_client', question)
            assert await peer.wait_event('call_result') == ({'answer': {'answer_to': question, 'from': 'python'}},)

    arun(scenario())


def test_server_call_gets_every_ack_arg(server):
    srv = server()

    async def ask(data):
        return 'one', data, 3

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(handlers={'ask': ask})
            await peer.sio.emit('call_client', 'two')
            assert await peer.wait_event('call_result') == ({'answer': ['one', 'two', 3]},)

    arun(scenario())


def test_server_call_answered_by_node_client(server, node_scenario):
    srv = server()
    result = node_scenario(srv.url, 'server_call', {'question': 'why?'})
    assert result == {'result': {'answer': {'answer_to': 'why?', 'from': 'node'}}}


def test_server_call_times_out(server):
    srv = server()

    async def scenario():
        release = asyncio.Event()

        async def never_answered(data):
            # python-socketio's client acks as soon as its handler returns, so this one returns only at the end
            await release.wait()

        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(handlers={'never_answered': never_answered})
            try:
                await peer.sio.emit('call_timeout', 'anyone there?')
                result = await peer.wait_event('call_timeout_result', timeout=10)
            finally:
                release.set()
            assert result == ({'error': 'TimeoutError', 'is_impl_timeout': True},)
            fact = await srv.await_for({'ev': 'call_timeout', 'sid': peer.sid()})
            assert fact['error'] == 'TimeoutError'

    arun(scenario())


def test_threaded_server_call_from_a_handler_to_the_same_client(server, mode):
    """The sync Server's handler blocks in call(); the client's ack must still reach it (not queue behind it)."""
    require_wsgi_server(mode)
    srv = server(sync=True)

    async def ask(data):
        return {'answer_to': data}

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            # Default transports: through a WSGI server turbosio serves long-polling only (see test_events).
            peer = await peers.connect(handlers={'ask': ask}, transports=None)
            await peer.sio.emit('call_client', 'sync')
            return await peer.wait_event('call_result', timeout=4)

    assert arun(scenario()) == ({'answer': {'answer_to': 'sync'}},)
