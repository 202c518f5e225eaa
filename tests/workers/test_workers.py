"""Several worker processes on one port (``turbosio module:app --workers 2``, ``turbosio.run(app, workers=2)``):
long-polling sessions stay valid wherever their requests land, broadcasts reach clients of every worker, a killed
worker is replaced, and SIGINT/SIGTERM stop every worker with the graceful drain."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from support.clients import AsyncPeers, arun
from support.servers import free_port, wait_until_accepting
from support.settings import IMPL, STARTUP_TIMEOUT

pytestmark = pytest.mark.skipif(IMPL != 'turbosio', reason='workers are turbosio-only')

APP = """
import os
import turbosio

sio = turbosio.AsyncServer()
GONE = os.environ['GONE_FILE']


@sio.event
async def whoami(sid):
    return os.getpid()


@sio.event
async def echo(sid, data):
    return data


@sio.event
async def shout(sid, data):
    await sio.emit('heard', data)


@sio.event
def hang(sid):  # blocks its worker's event loop, so that worker cannot drain
    open(GONE + '.hanging', 'w').close()
    time.sleep(120)


@sio.event
def disconnect(sid, reason):
    with open(GONE, 'a') as gone:
        gone.write(json.dumps([os.getpid(), sid, reason]) + '\\n')
"""
APP = 'import json\nimport time\n' + APP

SCRIPT = APP + """

if __name__ == '__main__':
    turbosio.run(sio, port=int(os.environ['PORT']), workers=2)
"""


SYNC_APP = """
import turbosio

sio = turbosio.Server()


@sio.event
def echo(sid, data):
    return data
"""


class Served:
    """A multi-worker server in a subprocess: the supervisor's process and its port."""

    def __init__(self, tmp_path, *, script: bool = False, app: str = APP, extra: tuple[str, ...] = ()):
        self.port = free_port()
        self.tls: ssl.SSLContext | None = None
        self.gone = tmp_path / 'gone.jsonl'
        (tmp_path / 'chat.py').write_text(SCRIPT if script else app)
        command = ['chat.py'] if script else ['-m', 'turbosio', 'chat:sio', '--workers', '2', '--port', str(self.port)]
        command += extra
        env = dict(os.environ, GONE_FILE=str(self.gone), PORT=str(self.port))
        self.proc = subprocess.Popen(
            [sys.executable, *command], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True,
        )
        # The port accepts as soon as the first worker listens; the supervisor logs once every worker does, and
        # until then each handshake would land on the first one.
        self.err: list[str] = []
        self.serving = threading.Event()
        self.reader = threading.Thread(target=self._read_stderr, daemon=True)
        self.reader.start()
        if not self.serving.wait(STARTUP_TIMEOUT):
            raise AssertionError(f'no "workers serving" line within {STARTUP_TIMEOUT} s: {self.stop()}')
        problem = wait_until_accepting(self.proc, self.port)
        assert not problem, (problem, self.stop())
        self.url = f'http://127.0.0.1:{self.port}'

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err.append(line)
            if 'workers serving' in line:
                self.serving.set()
        self.serving.set()  # the supervisor exited; the waiter finds out from the port

    def stop(self, sig: int | None = signal.SIGTERM) -> tuple[int, str]:
        """Send ``sig`` (None: none, it was sent already) and wait for the supervisor to exit."""
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=30)
        self.reader.join(timeout=30)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        return self.proc.returncode, ''.join(self.err)

    def gone_lines(self) -> list[list]:
        if not self.gone.exists():
            return []
        return [json.loads(line) for line in self.gone.read_text().splitlines()]


@pytest.fixture
def served(tmp_path):
    server = Served(tmp_path)
    yield server
    server.stop()


async def _peers_on_both_workers(peers: AsyncPeers, transports=('polling',), each: int = 1, limit: int = 200):
    """Connect clients until at least ``each`` are served by each of the two workers (the kernel decides where a
    handshake lands); returns {pid: [peer, ...]}."""
    by_pid: dict[int, list] = {}
    for _ in range(limit):
        peer = await peers.connect(transports=transports)
        pid = await peer.sio.call('whoami', timeout=10)
        by_pid.setdefault(pid, []).append(peer)
        if len(by_pid) == 2 and all(len(v) >= each for v in by_pid.values()):
            return by_pid
    raise AssertionError(f'{limit} handshakes never reached two workers: {list(by_pid)}')


def test_polling_sessions_survive_thousands_of_requests_across_workers(served):
    async def scenario():
        async with AsyncPeers(served.url) as peers:
            by_pid = await _peers_on_both_workers(peers, each=3)
            clients = [p for group in by_pid.values() for p in group]

            async def chat(peer, n):
                for i in range(n):
                    assert await peer.sio.call('echo', [peer.sid(), i], timeout=10) == [peer.sid(), i]

            await asyncio.gather(*(chat(peer, 2000 // len(clients) + 1) for peer in clients))
            assert all(peer.disconnects == [] for peer in clients)
            return len(by_pid)

    assert arun(scenario(), timeout=240) == 2


def _request(served: Served, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    """One request on a connection of its own, so the kernel picks a worker for each."""
    conn = (
        http.client.HTTPSConnection('127.0.0.1', served.port, timeout=10, context=served.tls)
        if served.tls
        else http.client.HTTPConnection('127.0.0.1', served.port, timeout=10)
    )
    try:
        conn.request(method, path, body=body, headers={'Connection': 'close'})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize('flavour', ['AsyncServer', 'Server'])
def test_every_request_on_a_new_connection_reaches_its_session(tmp_path, flavour):
    served = Served(tmp_path, app=APP if flavour == 'AsyncServer' else SYNC_APP)
    try:
        _requests_on_new_connections(served)
    finally:
        code, err = served.stop()
    assert code == 0, err


def test_requests_over_tls_are_relayed_too(tmp_path, pki):
    served = Served(tmp_path, extra=('--ssl-certfile', str(pki.cert), '--ssl-keyfile', str(pki.key)))
    served.tls = ssl.create_default_context(cafile=str(pki.ca))
    try:
        _requests_on_new_connections(served, rounds=100)
    finally:
        code, err = served.stop()
    assert code == 0, err


def _requests_on_new_connections(served: Served, rounds: int = 500) -> None:
    path = '/socket.io/?EIO=4&transport=polling'
    owners = set()
    for _ in range(200):  # handshakes land where the kernel puts them; each sid names its worker
        status, body = _request(served, 'GET', path)
        assert status == 200, body
        sid = json.loads(body[1:])['sid']
        owners.add(sid[0])
        if len(owners) == 2:
            break
    assert owners == {'A', 'B'}, f'handshakes reached workers {owners} only'
    session = f'{path}&sid={sid}'
    assert _request(served, 'POST', session, b'40') == (200, b'ok')
    status, body = _request(served, 'GET', session)
    assert status == 200 and body.startswith(b'40{"sid":'), body
    for i in range(rounds):  # about half of these land on the other worker and are relayed to the owner
        assert _request(served, 'POST', session, f'42{i}["echo",{i}]'.encode()) == (200, b'ok')
        assert _request(served, 'GET', session) == (200, f'43{i}[{i}]'.encode())


def test_upgrades_to_websocket_are_relayed_to_the_owner(served):
    async def scenario():
        async with AsyncPeers(served.url) as peers:
            # Polling handshakes, then each client's upgrade request lands on either worker.
            by_pid = await _peers_on_both_workers(peers, transports=('polling', 'websocket'), each=5)
            clients = [p for group in by_pid.values() for p in group]
            for i in range(20):
                answers = await asyncio.gather(*(peer.sio.call('echo', i, timeout=10) for peer in clients))
                assert answers == [i] * len(clients)
            # A failed upgrade leaves a client on polling (python-socketio gives up on the probe and carries on).
            assert [peer.sio.transport() for peer in clients] == ['websocket'] * len(clients)
            assert all(peer.disconnects == [] for peer in clients)

    arun(scenario(), timeout=120)


@pytest.mark.skipif(
    not hasattr(__import__('turbosio'), 'AsyncRedisManager'),
    reason="needs turbosio.AsyncRedisManager and AsyncServer._use_client_manager (the Redis helper's branch)",
)
def test_broadcasts_reach_clients_of_every_worker(served):
    async def scenario():
        async with AsyncPeers(served.url) as peers:
            by_pid = await _peers_on_both_workers(peers, transports=('websocket',), each=2)
            clients = [p for group in by_pid.values() for p in group]
            await clients[0].sio.emit('shout', 'to everyone')
            for peer in clients:
                assert await peer.wait_event('heard', timeout=10) == ('to everyone',)

    arun(scenario(), timeout=120)


def test_a_killed_worker_is_replaced(tmp_path):
    server = Served(tmp_path, script=True)  # turbosio.run(sio, workers=2) in a script
    try:

        async def scenario():
            async with AsyncPeers(server.url) as peers:
                by_pid = await _peers_on_both_workers(peers, transports=('websocket',))
                victim, survivor = list(by_pid)
                os.kill(victim, signal.SIGKILL)
                await by_pid[victim][0].wait_disconnect(timeout=10)
                assert await by_pid[survivor][0].sio.call('echo', 'still here', timeout=10) == 'still here'
                deadline = time.monotonic() + 60
                while True:  # new handshakes reach the survivor until the replacement serves
                    assert time.monotonic() < deadline, 'no replacement worker served within 60 s'
                    peer = await peers.connect(transports=('websocket',))
                    pid = await peer.sio.call('whoami', timeout=10)
                    if pid not in by_pid:
                        return
                    await peer.sio.disconnect()

        arun(scenario(), timeout=120)
        assert server.proc.poll() is None
    finally:
        code, err = server.stop()
    assert code == 0, err
    assert 'starting another' in err


@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_every_worker_with_the_drain(served, sig):
    async def scenario():
        async with AsyncPeers(served.url) as peers:
            by_pid = await _peers_on_both_workers(peers, transports=('polling',))
            more = await _peers_on_both_workers(peers, transports=('websocket',))
            clients = [p for group in (*by_pid.values(), *more.values()) for p in group]
            sids = {peer.sid() for peer in clients}
            served.proc.send_signal(sig)
            reasons = await asyncio.gather(*(peer.wait_disconnect(timeout=20) for peer in clients))
            return list(by_pid), sids, reasons

    pids, sids, reasons = arun(scenario(), timeout=120)
    code, err = served.stop(None)
    assert code == 0, err
    assert len(reasons) == len(sids) >= 4
    gone = served.gone_lines()
    assert {sid for _, sid, _ in gone} >= sids, (gone, sids)
    assert {reason for _, sid, reason in gone if sid in sids} == {'server disconnect'}
    assert {pid for pid, _, _ in gone} == set(pids)
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_workers_out_of_range_and_unloadable_apps_fail_clearly(tmp_path):
    (tmp_path / 'broken.py').write_text('raise ImportError("no such thing")\n')
    for args, needle in (
        (['x:y', '--workers', '65'], 'workers must be between'),
        (['broken:sio', '--workers', '2', '--port', str(free_port())], 'before it served'),
    ):
        done = subprocess.run(
            [sys.executable, '-m', 'turbosio', *args], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 1 and needle in done.stderr, done.stderr


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0) until its parent reaps it; the killed supervisor's children are reaped by
    # init, and a zombie is gone for our purposes.
    try:
        with open(f'/proc/{pid}/stat') as stat:
            return stat.read().rsplit(')', 1)[1].split()[0] == 'Z'
    except FileNotFoundError:
        return True


def test_workers_stop_when_the_supervisor_is_killed(tmp_path, monkeypatch):
    # Where the supervisor makes its directory of sockets: short, since a unix socket's path is short.
    sockets = Path(tempfile.mkdtemp(prefix='tw-'))
    monkeypatch.setenv('TMPDIR', str(sockets))
    try:
        served = Served(tmp_path)
        try:
            assert len(list(sockets.iterdir())) == 1
            _supervisor_killed(served)
            assert list(sockets.iterdir()) == []  # the workers did not leave the dead supervisor's sockets behind
        finally:
            served.stop()
    finally:
        shutil.rmtree(sockets, ignore_errors=True)


def _supervisor_killed(served: Served) -> None:
    async def scenario():
        async with AsyncPeers(served.url) as peers:
            by_pid = await _peers_on_both_workers(peers, transports=('websocket',))
            served.proc.kill()  # no chance to stop its workers itself
            await asyncio.gather(*(group[0].wait_disconnect(timeout=20) for group in by_pid.values()))
            return list(by_pid)

    pids = arun(scenario(), timeout=120)
    deadline = time.monotonic() + 30
    while not all(_gone(pid) for pid in pids):
        assert time.monotonic() < deadline, f'workers {pids} still running 30 s after their supervisor died'
        time.sleep(0.1)  # waiting for other processes to exit: nothing to wait on but their pids
    gone = served.gone_lines()
    assert {pid for pid, _, reason in gone if reason == 'server disconnect'} == set(pids)  # they drained


@pytest.mark.parametrize('second_signal', [False, True], ids=['timeout', 'second-signal'])
def test_a_worker_that_does_not_drain_is_killed(served, second_signal):
    hanging = f'{served.gone}.hanging'

    async def scenario():
        async with AsyncPeers(served.url) as peers:
            by_pid = await _peers_on_both_workers(peers, transports=('websocket',))
            stuck, other = list(by_pid)
            await by_pid[stuck][0].sio.emit('hang')
            deadline = time.monotonic() + 20
            while not await asyncio.to_thread(os.path.exists, hanging):  # the handler's only sign of life
                assert time.monotonic() < deadline, 'the hang handler never ran'
                await asyncio.sleep(0.02)
            served.proc.send_signal(signal.SIGTERM)
            await by_pid[other][0].wait_disconnect(timeout=20)  # the other worker drained: the signal was seen
            return stuck, other

    stuck, other = arun(scenario(), timeout=120)
    if second_signal:
        deadline = time.monotonic() + 20
        while not _gone(other):  # a second signal before the other worker exits would kill it too
            assert time.monotonic() < deadline, 'the worker that could drain never exited'
            time.sleep(0.05)  # waiting for another process to exit: nothing to wait on but its pid
        served.proc.send_signal(signal.SIGTERM)
    code, err = served.stop(None)
    assert code == 0, err
    why = 'a second signal came' if second_signal else 'it did not stop within 10 s'
    assert f'killing worker pid {stuck}: {why}' in err, err
    assert f'killing worker pid {other}' not in err, err
    assert _gone(stuck) and _gone(other)
