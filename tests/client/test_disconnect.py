"""Disconnecting: the reason the ``disconnect`` handler gets, ``wait()`` returning, and reconnection after the
server restarts.

compat: the reasons are python-socketio 5.18's (``Client.reason``: 'client disconnect', 'server disconnect',
'transport error'); Node's socket.io-client says 'io client disconnect', 'io server disconnect' and
'transport close' for the same three cases.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time

import pytest
from support.clients import arun

from .peers import AsyncInbox, Inbox, close, record

CLIENT_DISCONNECT = 'client disconnect'
SERVER_DISCONNECT = 'server disconnect'
TRANSPORT_ERROR = 'transport error'


def test_reason_names_are_python_socketios(client_impl):
    reason = client_impl.Client.reason
    assert (reason.CLIENT_DISCONNECT, reason.SERVER_DISCONNECT, reason.TRANSPORT_ERROR) == (
        CLIENT_DISCONNECT,
        SERVER_DISCONNECT,
        TRANSPORT_ERROR,
    )


def test_client_disconnect_reason(client_impl, target_server):
    async def body():
        sio = client_impl.AsyncClient(reconnection=False)
        inbox = AsyncInbox()
        record(sio, inbox, namespaces=('/', '/chat'))
        await sio.connect(target_server.url, namespaces=['/', '/chat'], wait_timeout=5)
        sid = sio.get_sid('/chat')
        await asyncio.wait_for(sio.disconnect(), 10)
        assert sorted(inbox.of('disconnect')) == [('/', CLIENT_DISCONNECT), ('/chat', CLIENT_DISCONNECT)]
        assert not sio.connected
        await target_server.await_for({'ev': 'disconnect', 'ns': '/chat', 'sid': sid})

    arun(body())


def test_server_disconnect_reason_and_wait_returns(client_impl, target_server):
    async def body():
        sio = client_impl.AsyncClient()  # reconnection on: a server's disconnect is still final
        inbox = AsyncInbox()
        record(sio, inbox)
        await sio.connect(target_server.url, wait_timeout=5)
        waiting = asyncio.ensure_future(sio.wait())
        try:
            await sio.emit('disconnect_me')
            assert await inbox.wait_for('disconnect') == ('/', SERVER_DISCONNECT)
            await asyncio.wait_for(waiting, 10)
            assert not sio.connected
            assert len(inbox.of('connect')) == 1
        finally:
            waiting.cancel()
            await close(sio)

    arun(body())


def test_sync_wait_returns_after_disconnect(client_impl, target_server):
    sio = client_impl.Client(reconnection=False)
    inbox = Inbox()
    record(sio, inbox)
    sio.connect(target_server.url, wait_timeout=5)
    waiter = threading.Thread(target=lambda: (sio.wait(), inbox.put('wait returned')), daemon=True)
    waiter.start()
    try:
        inbox.wait_for('connect')
        assert inbox.of('wait returned') == []
        sio.disconnect()
        assert inbox.wait_for('disconnect') == ('/', CLIENT_DISCONNECT)
        inbox.wait_for('wait returned')
    finally:
        if sio.connected:
            sio.disconnect()
        waiter.join(timeout=5)


def test_server_restart_reconnects_and_connect_fires_again(client_impl, fresh_target_server):
    async def body():
        sio = client_impl.AsyncClient(reconnection_delay=0.1, reconnection_delay_max=0.5, randomization_factor=0)
        inbox = AsyncInbox()
        record(sio, inbox, namespaces=('/', '/chat'))
        await sio.connect(fresh_target_server.url, namespaces=['/', '/chat'], auth={'n': 1}, wait_timeout=5)
        try:
            first_sid = sio.get_sid('/chat')
            await asyncio.to_thread(fresh_target_server.process.restart)
            await inbox.wait_until(lambda: len(inbox.of('disconnect')) == 2, what='both namespaces disconnected')
            assert sorted(inbox.of('disconnect')) == [('/', TRANSPORT_ERROR), ('/chat', TRANSPORT_ERROR)]
            await inbox.wait_until(lambda: len(inbox.of('connect')) == 4, timeout=20, what='both reconnected')
            assert sio.get_sid('/chat') != first_sid
            # The auth goes with the reconnection too, and the namespaces work again.
            seen = await fresh_target_server.await_for({'ev': 'connect', 'ns': '/chat', 'sid': sio.get_sid('/chat')})
            assert seen['auth'] == {'n': 1}
            assert await sio.call('echo', 'again', namespace='/chat', timeout=5) == 'again'
            # compat: python-socketio sets ``connected`` after the connect handlers ran, so it is read only now.
            assert sio.connected
        finally:
            await close(sio)

    arun(body(), timeout=45)


def test_sync_client_reconnects_after_server_restart(client_impl, fresh_target_server):
    sio = client_impl.Client(reconnection_delay=0.1, reconnection_delay_max=0.5, randomization_factor=0)
    inbox = Inbox()
    record(sio, inbox)
    sio.connect(fresh_target_server.url, wait_timeout=5)
    try:
        inbox.wait_for('connect')
        fresh_target_server.process.restart()
        assert inbox.wait_for('disconnect') == ('/', TRANSPORT_ERROR)
        inbox.wait_for('connect', count=2, timeout=20)
        assert sio.call('echo', 'again', timeout=5) == 'again'
    finally:
        sio.disconnect()


def test_shutdown_stops_reconnecting(client_impl, fresh_target_server):
    async def body():
        sio = client_impl.AsyncClient(reconnection_delay=0.1, reconnection_delay_max=0.5, randomization_factor=0)
        inbox = AsyncInbox()
        record(sio, inbox)
        await sio.connect(fresh_target_server.url, wait_timeout=5)
        waiting = asyncio.ensure_future(sio.wait())
        try:
            await asyncio.to_thread(fresh_target_server.process.kill)
            assert await inbox.wait_for('disconnect') == ('/', TRANSPORT_ERROR)
            if client_impl.name == 'socketio':
                # python-socketio's AsyncClient makes its abort event only once its reconnect task first runs; a
                # shutdown() before that raises AttributeError (seen on 3.12+). Wait for that task to have begun.
                deadline = asyncio.get_running_loop().time() + 5
                while sio._reconnect_abort is None:
                    assert asyncio.get_running_loop().time() < deadline, 'the reconnect task never began'
                    await asyncio.sleep(0.01)
            await asyncio.wait_for(sio.shutdown(), 5)  # the client is trying to reconnect now
            await asyncio.wait_for(waiting, 10)
            assert not sio.connected
            assert len(inbox.of('connect')) == 1
        finally:
            waiting.cancel()

    arun(body())


@pytest.mark.parametrize('server_kind', ['node'], ids=['node-server'])  # the client's behaviour: one server will do
def test_silent_server_is_noticed_by_the_ping_timeout(client_impl, fresh_target_server):
    async def body():
        sio = client_impl.AsyncClient(reconnection_delay=0.1, reconnection_delay_max=0.5, randomization_factor=0)
        inbox = AsyncInbox()
        record(sio, inbox)
        await sio.connect(fresh_target_server.url, transports=['websocket'], wait_timeout=5)
        pid = fresh_target_server.process.proc.pid
        began = time.monotonic()
        os.kill(pid, signal.SIGSTOP)  # the connection stays open, and no ping comes any more
        try:
            # pingInterval 2 s + pingTimeout 5 s, plus slack
            assert await inbox.wait_for('disconnect', timeout=12) == ('/', TRANSPORT_ERROR)
            assert time.monotonic() - began > 5
        finally:
            os.kill(pid, signal.SIGCONT)
        try:
            await inbox.wait_for('connect', count=2, timeout=20)
            assert await sio.call('echo', 'back', timeout=5) == 'back'
        finally:
            await close(sio)

    arun(body(), timeout=45)


# A threaded client program that connects and waits, as a user's script does until Ctrl-C.
_WAITING_PROGRAM = """
import importlib, sys
sio = importlib.import_module(sys.argv[1]).Client(reconnection=False)
sio.connect(sys.argv[2], wait_timeout=5)
print('ready', sio.get_sid('/'), flush=True)
sio.wait()
"""


@pytest.mark.parametrize('server_kind', ['turbosio'], ids=['turbosio-server'], indirect=True)
def test_ctrl_c_disconnects_a_waiting_client(client_impl, target_server):
    """handle_sigint (the default): Ctrl-C ends the program, and turbosio's client says goodbye first (the server's
    reason is 'client disconnect', not the 'transport close' of a process that merely died)."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, '-c', _WAITING_PROGRAM, client_impl.module.__name__, target_server.url],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()  # the program prints once it is connected
        assert line[:1] == ['ready'], line
        sid = line[1]
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        if client_impl.name == 'socketio':
            # python-socketio's handler closes the Engine.IO transport without a Socket.IO DISCONNECT, so its server
            # sees 'transport close', as for a process that died; only that the client left can be checked.
            target_server.wait_for({'ev': 'disconnect', 'ns': '/', 'sid': sid})
        else:
            target_server.wait_for({'ev': 'disconnect', 'ns': '/', 'sid': sid, 'reason': 'client disconnect'})
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()
