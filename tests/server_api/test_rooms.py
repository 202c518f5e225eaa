"""Rooms: members get room messages and others do not, skip_sid, leave, close_room, rooms(), broadcasts.

A missing message is proven, not slept on: after the room message the server sends 'marker' to a room that
every client of the test joined; a client's packets arrive in order, so once its marker is in, any room message
meant for it is in too.
"""

import asyncio
import uuid

from support.clients import AsyncPeers, arun


def names() -> tuple[str, str]:
    key = uuid.uuid4().hex[:8]
    return f'room-{key}', f'everyone-{key}'


async def send_to_room(sender, peers, room, marker_room, *, skip_self=False, msg='hi'):
    """``sender`` asks the server to emit to ``room``; returns once every peer has its marker."""
    before = [len(peer.received('marker')) for peer in peers]
    data = {'room': room, 'msg': msg, 'marker_room': marker_room, 'skip_self': skip_self}
    assert await sender.sio.call('to_room', data, timeout=5) is True
    await asyncio.gather(*(peer.wait_event('marker', count=n + 1) for peer, n in zip(peers, before, strict=True)))


def test_member_gets_room_message_outsider_does_not(server):
    srv = server()
    room, everyone = names()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            member = await peers.connect()
            outsider = await peers.connect()
            await member.sio.call('join', room, timeout=5)
            for peer in (member, outsider):
                await peer.sio.call('join', everyone, timeout=5)
            await send_to_room(outsider, [member, outsider], room, everyone, msg='for members')
            assert member.received('room_msg') == [({'room': room, 'msg': 'for members', 'from': outsider.sid()},)]
            assert outsider.received('room_msg') == []

    arun(scenario())


def test_member_gets_room_message_outsider_does_not_node(server, node_scenario):
    srv = server()
    room, everyone = names()
    result = node_scenario(srv.url, 'rooms', {'room': room, 'marker_room': everyone, 'msg': 'node'})
    assert result['sent'] == [True]
    assert result['member'] == [{'room': room, 'msg': 'node', 'from': result['outsider_id']}]
    assert result['outsider'] == []


def test_skip_sid_leaves_the_sender_out(server):
    srv = server()
    room, everyone = names()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            sender = await peers.connect()
            other = await peers.connect()
            for peer in (sender, other):
                await peer.sio.call('join', room, timeout=5)
                await peer.sio.call('join', everyone, timeout=5)
            await send_to_room(sender, [sender, other], room, everyone, skip_self=True)
            assert len(other.received('room_msg')) == 1
            assert sender.received('room_msg') == []
            await send_to_room(sender, [sender, other], room, everyone, skip_self=False)
            assert len(other.received('room_msg')) == 2
            assert len(sender.received('room_msg')) == 1

    arun(scenario())


def test_leave_room_stops_room_messages(server):
    srv = server()
    room, everyone = names()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            leaver = await peers.connect()
            sender = await peers.connect()
            for peer in (leaver, sender):
                await peer.sio.call('join', everyone, timeout=5)
            assert await leaver.sio.call('join', room, timeout=5) == sorted([leaver.sid(), room, everyone])
            await send_to_room(sender, [leaver, sender], room, everyone, msg='one')
            assert await leaver.sio.call('leave', room, timeout=5) == sorted([leaver.sid(), everyone])
            await send_to_room(sender, [leaver, sender], room, everyone, msg='two')
            assert [args[0]['msg'] for args in leaver.received('room_msg')] == ['one']

    arun(scenario())


def test_close_room_removes_every_member(server):
    srv = server()
    room, everyone = names()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            first = await peers.connect()
            second = await peers.connect()
            for peer in (first, second):
                await peer.sio.call('join', room, timeout=5)
                await peer.sio.call('join', everyone, timeout=5)
            await send_to_room(first, [first, second], room, everyone, msg='before')
            assert await first.sio.call('close_room', room, timeout=5) is True
            for peer in (first, second):
                assert room not in await peer.sio.call('rooms', timeout=5)
            await send_to_room(first, [first, second], room, everyone, msg='after')
            for peer in (first, second):
                assert [args[0]['msg'] for args in peer.received('room_msg')] == ['before']

    arun(scenario())


def test_rooms_lists_the_sid_room_and_joined_rooms_per_namespace(server):
    srv = server()
    room, other_room = names()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            peer = await peers.connect(namespaces=('/', '/chat'))
            assert await peer.sio.call('rooms', timeout=5) == [peer.sid()]
            await peer.sio.call('join', room, timeout=5)
            await peer.sio.call('join', other_room, namespace='/chat', timeout=5)
            assert await peer.sio.call('rooms', timeout=5) == sorted([peer.sid(), room])
            assert await peer.sio.call('rooms', namespace='/chat', timeout=5) == sorted([peer.sid('/chat'), other_room])

    arun(scenario())


def test_room_message_stays_in_its_namespace(server):
    srv = server()
    room, everyone = names()

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            # one connection in both namespaces, in a room of the same name in each: packets of both namespaces
            # share its transport, so the '/' marker arriving last proves no '/chat' room message is on its way
            peer = await peers.connect(namespaces=('/', '/chat'))
            await peer.sio.call('join', everyone, timeout=5)
            await peer.sio.call('join', room, namespace='/chat', timeout=5)
            await peer.sio.call('join', room, timeout=5)
            await send_to_room(peer, [peer], room, everyone)
            assert len(peer.received('room_msg')) == 1
            assert peer.received('room_msg', ns='/chat') == []

    arun(scenario())


def test_broadcast_reaches_every_client(server):
    srv = server()
    payload = {'broadcast': uuid.uuid4().hex}

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            clients = [await peers.connect() for _ in range(3)]
            assert await clients[0].sio.call('emit_to_all', payload, timeout=5) is True
            for peer in clients:
                assert await peer.wait_event('broadcast') == (payload,)

    arun(scenario())
