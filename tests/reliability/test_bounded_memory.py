"""Bounded memory, end to end over real sockets, with the server's RSS sampled from /proc.

Outbound: a client that stops reading (its TCP window fills) is disconnected with reason ``transport error`` once
its queue passes ``max_queue_bytes``, while another client keeps getting its acks. Inbound: a client that emits
faster than its handlers return is slowed by TCP backpressure (the server stops reading), not buffered.
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import socket
import threading
import time

import pytest
import websocket
from support.clients import AsyncPeers, arun
from support.settings import IMPL, WAIT_TIMEOUT

pytestmark = pytest.mark.skipif(IMPL != 'turbosio', reason='python-socketio bounds neither direction')

MIB = 1024 * 1024
SENT = 200 * MIB  # what is pushed at the server; its RSS must not grow with it
GROWTH_LIMIT = 50 * MIB
STALL = 2.0  # seconds without the server taking a byte before the sender calls it stalled


def rss(pid: int) -> int:
    """The resident set of process ``pid``, in bytes."""
    with open(f'/proc/{pid}/status', encoding='ascii') as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
    raise AssertionError(f'no VmRSS for process {pid}')


class PeakRss:
    """Samples a process's RSS in a thread until stopped; ``peak`` is the highest sample."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak = rss(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        # The wait is the sampling period, not a synchronisation: the test never waits on this thread's timing.
        while not self._stop.wait(0.02):
            try:
                self.peak = max(self.peak, rss(self.pid))
            except OSError:
                return

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.peak = max(self.peak, rss(self.pid))


class RawSocketIO:
    """A Socket.IO client over a raw WebSocket whose receive buffer is small, so a few unread frames fill its
    TCP window; it reads only when told to."""

    def __init__(self, port: int):
        self.ws = websocket.create_connection(
            f'ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket',
            timeout=WAIT_TIMEOUT,
            sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),),
        )
        assert self.ws.recv().startswith('0{')
        self.ws.send('40')
        connected = self.ws.recv()
        assert connected.startswith('40{"sid":'), connected
        self.sid = connected[len('40{"sid":"') :].split('"', 1)[0]

    def __enter__(self) -> RawSocketIO:
        return self

    def __exit__(self, *exc_info) -> None:
        self.ws.shutdown()


def frame(text: str) -> bytes:
    """A masked WebSocket text frame, as a client sends it."""
    return websocket.ABNF.create_frame(text, websocket.ABNF.OPCODE_TEXT).format()


def send_until_stalled(sock: socket.socket, data: bytes, total: int) -> tuple[int, bool, bytes]:
    """Send ``data`` over and over (``total`` bytes at most) as fast as the server takes it. Returns the number of
    whole copies sent, whether the server stopped taking them (no byte taken for STALL s), and the rest of the copy
    under way when it stopped."""
    sock.setblocking(False)
    copies = 0
    view = memoryview(data)
    offset = 0
    stalled = False
    progress = time.monotonic()
    while copies * len(data) < total:
        try:
            offset += sock.send(view[offset:])
        except BlockingIOError:
            # (select may call the socket writable while send still finds no room: progress decides)
            select.select([], [sock], [], 0.1)
            if time.monotonic() - progress > STALL:
                stalled = True
                break
            continue
        progress = time.monotonic()
        if offset == len(data):
            copies, offset = copies + 1, 0
    sock.setblocking(True)
    return copies, stalled, bytes(view[offset:]) if offset else b''


@pytest.fixture(params=[False, True], ids=['async', 'sync'])
def flavoured_server(request, server, mode):
    """A fresh reliability_app.py: the AsyncServer, and the threaded Server natively."""
    if request.param and mode == 'asgi':
        pytest.skip('ASGIApp serves the async server only')
    return server(app='reliability_app.py', sync=request.param, fresh=True)


def test_a_client_that_stops_reading_is_dropped_and_the_others_are_served(flavoured_server):
    srv = flavoured_server
    pid = srv.process.proc.pid

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            other = await peers.connect()
            assert await other.sio.call('echo', 'warm', timeout=5) == 'warm'
            with RawSocketIO(srv.port) as stalled, PeakRss(pid) as peak:
                base = rss(pid)
                stalled.ws.send('42["flood",2000,100000]')  # 200 MB of chunks that are never read
                flooded = asyncio.ensure_future(srv.await_for({'ev': 'flooded', 'sid': stalled.sid}, 60))
                answered = 0
                while not flooded.done():
                    assert await other.sio.call('echo', answered, timeout=5) == answered
                    answered += 1
                await flooded
                await srv.await_for({'ev': 'disconnect', 'sid': stalled.sid, 'reason': 'transport error'})
                assert await other.sio.call('echo', 'after', timeout=5) == 'after'
            return base, peak.peak, answered

    base, peak, answered = arun(scenario(), timeout=120)
    print(f'outbound: RSS +{(peak - base) / MIB:.1f} MiB for 200 MB sent; {answered} acks to the other client')
    assert answered > 0
    assert peak - base < GROWTH_LIMIT, f'RSS grew by {(peak - base) / MIB:.1f} MiB while 200 MB were sent'
    assert 'outbound queue full' in srv.stderr


def test_a_client_that_stops_reading_under_the_bound_is_dropped_at_the_write_timeout(server, mode):
    # 10 MB: more than the kernel's buffers take (so a write stalls), less than the 16 MiB bound (so the queue never
    # overflows). The server gives up on the stalled write after 30 s, before the ping timeout (25 s + 20 s) could.
    srv = server(app='reliability_app.py', fresh=True)
    with RawSocketIO(srv.port) as stalled:
        stalled.ws.send('42["flood",100,100000]')
        srv.wait_for({'ev': 'flooded', 'sid': stalled.sid})
        gone = srv.wait_for({'ev': 'disconnect', 'sid': stalled.sid}, timeout=60)
    assert gone['reason'] == 'transport error'
    assert 'outbound queue full' not in srv.stderr


def test_max_queue_bytes_bounds_what_may_wait_for_one_client(server, mode):
    srv = server(app='reliability_app.py', fresh=True, max_queue_bytes=50_000)

    async def scenario():
        async with AsyncPeers(srv.url) as peers:
            client = await peers.connect()
            await client.sio.emit('flood', (1, 20_000))
            assert len((await client.wait_event('chunk'))[0]) == 20_000
            # One packet larger than the bound can never be queued: the client is dropped, not the bound raised.
            await client.sio.emit('flood', (1, 60_000))
            await srv.await_for({'ev': 'disconnect', 'sid': client.sid(), 'reason': 'transport error'})
            await client.wait_disconnect()

    arun(scenario())


def test_a_client_that_emits_faster_than_its_handlers_return_is_held_back(flavoured_server):
    srv = flavoured_server
    with RawSocketIO(srv.port) as flooder:
        copies, answer = flood_until_held_back(flooder, srv.process.proc.pid)
    assert answer == f'431[{copies}]'


def flood_until_held_back(flooder: RawSocketIO, pid: int) -> tuple[int, str]:
    """Flood ``held`` events until the server stops reading; check its memory; release the handlers and return
    how many events were sent and the server's answer to the tally that follows them."""
    packet = frame('42["held","' + 'y' * 10_000 + '"]')
    base = rss(pid)
    with PeakRss(pid) as peak:
        copies, stalled, rest = send_until_stalled(flooder.ws.sock, packet, SENT)
    print(f'inbound: held back after {copies * len(packet) / MIB:.1f} MiB, RSS +{(peak.peak - base) / MIB:.1f} MiB')
    assert stalled, f'the server read all {copies * len(packet) / MIB:.0f} MiB while its handlers were held'
    assert peak.peak - base < GROWTH_LIMIT, f'RSS grew by {(peak.peak - base) / MIB:.1f} MiB'
    # Nothing was lost: once the handlers return, every event sent is handled, in order before the tally.
    os.kill(pid, signal.SIGUSR1)
    if rest:
        flooder.ws.sock.sendall(rest)  # the frame under way goes through once the server reads again
        copies += 1
    flooder.ws.send('421["tally"]')
    deadline = time.monotonic() + 60
    while True:
        answer = flooder.ws.recv()
        if answer.startswith('431'):
            break
        assert time.monotonic() < deadline, 'no answer to the tally'
    return copies, answer
