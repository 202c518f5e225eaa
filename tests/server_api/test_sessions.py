"""User sessions: saved in connect, kept across events, separate per client and per namespace."""

import uuid

from support.clients import AsyncPeers, arun


def test_session_saved_at_connect_and_updated_by_events(server):
    srv = server()
    auth = {'user': uuid.uuid4().hex}

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(auth=auth)
            assert await peer.sio.call('get_session', timeout=5) == {'auth': auth, 'ns': '/'}
            assert await peer.sio.call('set_session', {'visits': 1}, timeout=5) is True
            assert await peer.sio.call('set_session', {'cart': ['apple']}, timeout=5) is True
            expected = {'auth': auth, 'ns': '/', 'visits': 1, 'cart': ['apple']}
            assert await peer.sio.call('get_session', timeout=5) == expected

    arun(scenario())


def test_sessions_are_per_client(server):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            alice = await peers.connect(auth={'user': 'alice'})
            bob = await peers.connect(auth={'user': 'bob'})
            await alice.sio.call('set_session', {'secret': 'alice only'}, timeout=5)
            assert await bob.sio.call('get_session', timeout=5) == {'auth': {'user': 'bob'}, 'ns': '/'}
            assert (await alice.sio.call('get_session', timeout=5))['secret'] == 'alice only'

    arun(scenario())


def test_sessions_are_per_namespace(server):
    srv = server()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(namespaces=('/', '/chat'), auth={'user': 'carol'})
            await peer.sio.call('set_session', {'where': 'chat'}, namespace='/chat', timeout=5)
            assert await peer.sio.call('get_session', timeout=5) == {'auth': {'user': 'carol'}, 'ns': '/'}
            chat = await peer.sio.call('get_session', namespace='/chat', timeout=5)
            assert chat == {'auth': {'user': 'carol'}, 'ns': '/chat', 'where': 'chat'}

    arun(scenario())
