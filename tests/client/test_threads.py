"""The threaded ``Client``: events, acks and ``call`` from plain code, emits from other threads, and handlers that
answer the server's acks with their return value."""

from __future__ import annotations

import threading
import time

import pytest

from .peers import Inbox, record

THREADS = 4
EMITS_PER_THREAD = 5


@pytest.fixture
def sync_client(client_impl, target_server):
    """A connected threaded Client whose events go into an Inbox; yields (client, inbox)."""
    sio = client_impl.Client(reconnection=False)
    inbox = Inbox()
    record(sio, inbox, namespaces=('/', '/chat'))

    @sio.on('question', namespace='/chat')
    def on_question(data):
        inbox.put('question', threading.get_ident())
        return {'twice': data * 2}

    sio.connect(target_server.url, namespaces=['/', '/chat'], wait_timeout=5)
    yield sio, inbox
    sio.disconnect()


def test_sync_client_events_acks_and_call(client_impl, sync_client):
    sio, inbox = sync_client
    sio.emit('echo', ('plain', b'\x00\x01'), namespace='/chat', callback=lambda *args: inbox.put('ack', *args))
    assert inbox.wait_for('ack') == ('plain', b'\x00\x01')
    assert inbox.wait_for('echo_reply') == ('/chat', 'plain', b'\x00\x01')
    assert sio.call('echo', {'n': 3}, timeout=5) == {'n': 3}
    answer = sio.call('ask', {'event': 'question', 'data': 'ab'}, namespace='/chat', timeout=10)
    assert answer == {'twice': 'abab'}
    # A sync Client's handlers run on a thread of the client's, not on the thread that called it.
    assert inbox.of('question')[0][0] != threading.get_ident()
    with pytest.raises(client_impl.exceptions.TimeoutError):
        sio.call('nobody_listens', timeout=0.3)
    assert sio.transport() in ('polling', 'websocket')


def test_emit_from_other_threads(sync_client):
    sio, inbox = sync_client
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def emitter(n: int) -> None:
        try:
            start.wait(timeout=5)
            for i in range(EMITS_PER_THREAD):
                sio.emit('echo', f'{n}-{i}', callback=lambda *args: inbox.put('ack', *args))
        except BaseException as exc:  # reported by the test below
            failures.append(exc)

    threads = [threading.Thread(target=emitter, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not failures
    total = THREADS * EMITS_PER_THREAD
    inbox.wait_for('ack', count=total)
    inbox.wait_for('echo_reply', count=total)
    expected = sorted(f'{n}-{i}' for n in range(THREADS) for i in range(EMITS_PER_THREAD))
    assert sorted(args[0] for args in inbox.of('ack')) == expected
    assert sorted(args[1] for args in inbox.of('echo_reply')) == expected


def test_background_task_and_sleep(sync_client):
    sio, inbox = sync_client

    def task(word: str) -> None:
        began = time.monotonic()
        sio.sleep(0.1)  # sio.sleep() is what this test checks
        inbox.put('slept', time.monotonic() - began)
        sio.emit('echo', word)

    sio.start_background_task(task, 'from a task').join(timeout=5)
    assert inbox.wait_for('slept')[0] >= 0.09
    assert inbox.wait_for('echo_reply') == ('/', 'from a task')
