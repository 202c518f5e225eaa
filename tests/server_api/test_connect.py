"""Connecting: auth reaches the connect handler, refusals reach the client, namespaces connect independently."""

import uuid

import pytest
import socketio
from support.clients import AsyncPeers, arun
from support.marks import reference_deviates


def tag() -> str:
    return uuid.uuid4().hex[:10]


def test_auth_and_environ_reach_connect_handler(server):
    srv = server()
    auth = {'user': tag(), 'roles': ['a', 'b']}

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(auth=auth)
            fact = await srv.await_for({'ev': 'connect', 'sid': peer.sid()})
            assert fact['ns'] == '/'
            assert fact['auth'] == auth
            assert fact['remote_addr'] == '127.0.0.1'
            assert await peer.sio.call('echo', {'after': 'connect'}, timeout=5) == {'after': 'connect'}

    arun(scenario())


def test_query_string_reaches_environ(server):
    srv = server()
    marker = tag()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(query=f'?marker={marker}')
            fact = await srv.await_for({'ev': 'connect', 'sid': peer.sid()})
            assert f'marker={marker}' in fact['query'].split('&')

    arun(scenario())


def test_connect_without_auth_gives_none(server):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect()
            assert (await srv.await_for({'ev': 'connect', 'sid': peer.sid()}))['auth'] is None

    arun(scenario())


def test_node_client_auth_and_echo(server, node_scenario):
    srv = server()
    auth = {'user': tag()}
    result = node_scenario(srv.url, 'auth_echo', {'auth': auth, 'payload': {'n': [1, 2, 3]}})
    assert result['ack'] == [{'n': [1, 2, 3]}]
    fact = srv.wait_for({'ev': 'connect', 'sid': result['id']})
    assert fact['auth'] == auth
    assert fact['remote_addr'] == '127.0.0.1'


def test_refused_with_message_and_data_python(server):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            with pytest.raises(socketio.exceptions.ConnectionError):
                await peers.connect(auth={'token': 'bad'})
            peer = peers.peers[-1]
            assert peer.connect_errors == [('/', ({'message': 'bad token', 'data': {'code': 401}},))]
            assert not peer.sio.connected

    arun(scenario())
    refusal = srv.wait_for({'ev': 'connect_refused', 'how': 'exception'})
    assert refusal['auth'] == {'token': 'bad'}
    assert not [line for line in srv.lines if line['ev'] == 'connect' and line['sid'] == refusal['sid']]


def test_refused_with_message_and_data_node(server, node_scenario):
    srv = server()
    result = node_scenario(srv.url, 'connect_error', {'auth': {'token': 'bad'}})
    assert result == {'connected': False, 'message': 'bad token', 'data': {'code': 401}}


def test_connect_returning_false_refuses_python(server):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            with pytest.raises(socketio.exceptions.ConnectionError):
                await peers.connect(auth={'refuse': True})
            assert peers.peers[-1].connect_errors == [('/', ({'message': 'Connection rejected by server'},))]

    arun(scenario())
    srv.wait_for({'ev': 'connect_refused', 'how': 'return_false'})


def test_connect_returning_false_refuses_node(server, node_scenario):
    srv = server()
    result = node_scenario(srv.url, 'connect_error', {'auth': {'refuse': True}})
    assert result == {'connected': False, 'message': 'Connection rejected by server', 'data': None}


def test_unknown_namespace_is_refused(server, node_scenario):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            with pytest.raises(socketio.exceptions.ConnectionError, match='/nope'):
                await peers.connect(namespaces=['/nope'])
            assert [ns for ns, _ in peers.peers[-1].connect_errors] == ['/nope']

    arun(scenario())
    assert node_scenario(srv.url, 'connect_error', {'namespace': '/nope'})['connected'] is False


@reference_deviates("an unknown namespace gets CONNECT_ERROR 'Unable to connect' (a bare string), not an object")
def test_unknown_namespace_error_is_spec_text(server, node_scenario):
    # spec: the reference server answers `44/nope,{"message":"Invalid namespace"}`.
    srv = server()
    result = node_scenario(srv.url, 'connect_error', {'namespace': '/nope'})
    assert result == {'connected': False, 'message': 'Invalid namespace', 'data': None}

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            with pytest.raises(socketio.exceptions.ConnectionError):
                await peers.connect(namespaces=['/nope'])
            assert peers.peers[-1].connect_errors == [('/nope', ({'message': 'Invalid namespace'},))]

    arun(scenario())


def test_namespaces_connect_with_their_own_sid(server):
    srv = server()
    namespaces = ('/', '/chat', '/private')

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(namespaces=namespaces, auth={'token': 'letmein'})
            sids = {ns: peer.sid(ns) for ns in namespaces}
            assert len(set(sids.values())) == 3
            for ns in namespaces:
                assert await peer.sio.call('whoami', namespace=ns, timeout=5) == {'sid': sids[ns], 'ns': ns}
                assert await peer.sio.call('echo', ns, namespace=ns, timeout=5) == ns
                assert (await srv.await_for({'ev': 'connect', 'sid': sids[ns]}))['ns'] == ns

    arun(scenario())


def test_namespace_refusal_is_per_namespace(server):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            with pytest.raises(socketio.exceptions.ConnectionError, match='/private'):
                await peers.connect(namespaces=['/', '/private'], auth={'token': 'wrong'})
            refused = peers.peers[-1]
            assert refused.connect_errors == [('/private', ({'message': 'private namespace needs a token'},))]
            await srv.await_for({'ev': 'connect_refused', 'how': 'private', 'ns': '/private'})

    arun(scenario())


def test_namespaces_node(server, node_scenario):
    srv = server()
    result = node_scenario(srv.url, 'namespaces', {'token': 'letmein', 'payload': 'p'})
    assert result['engines'] == 1  # the three namespaces share one Engine.IO connection
    for ns in ('/', '/chat', '/private'):
        assert result[ns]['ack'] == ['p', ns]
        assert result[ns]['who'] == {'sid': result[ns]['id'], 'ns': ns}
        assert srv.wait_for({'ev': 'connect', 'sid': result[ns]['id']})['ns'] == ns
