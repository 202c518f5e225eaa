"""How an AsyncServer runs ``async def`` handlers (``_asyncio_pump._invoke``, the step every drained event takes):
on Python 3.12+ a handler that finishes without awaiting runs to its end inside the call (an eager task: no loop
iteration, nothing left running); on 3.10/3.11 it finishes one loop iteration later. On every version the result,
the exception and ``asyncio.current_task()`` inside the handler are the same. scripts/test_pythons.sh runs this
file on 3.10, 3.12 and 3.13."""

from __future__ import annotations

import asyncio
import sys

import pytest
import turbosio

EAGER = sys.version_info >= (3, 12)


def _invoke(server: turbosio.AsyncServer, handler, *args) -> tuple[list, list]:
    """Call ``handler(*args)`` the way a drained event does; (results, errors) as they stand right after the call."""
    results: list = []
    errors: list = []
    server._invoke(handler, args, results.append, errors.append, 'test handler')
    return results, errors


def test_a_handler_that_does_not_await_finishes_inside_the_call_on_312():
    server = turbosio.AsyncServer()
    seen: dict = {}

    async def handler(sid, data):
        seen['task'] = asyncio.current_task()
        return ['ack', sid, data]

    async def scenario():
        results, errors = _invoke(server, handler, 'sid1', 7)
        at_once = (list(results), len(server._running))
        await asyncio.sleep(0)  # one loop iteration: where a lazily started task runs its first step
        return at_once, results, errors

    (at_once, running), results, errors = asyncio.run(scenario())
    assert results == [['ack', 'sid1', 7]] and errors == []
    if EAGER:
        assert at_once == [['ack', 'sid1', 7]]
        assert running == 0  # nothing kept running: the task finished in its first step
    else:
        assert at_once == []
        assert running == 1
    assert seen['task'] is not None  # a real task on every version (asyncio.timeout() and friends work)


def test_a_handler_that_awaits_finishes_later_on_every_version():
    server = turbosio.AsyncServer()
    release = asyncio.Event()

    async def handler(sid):
        await release.wait()
        return sid

    async def scenario():
        results, errors = _invoke(server, handler, 'sid2')
        before = (list(results), len(server._running))
        release.set()
        for _ in range(3):
            await asyncio.sleep(0)
        return before, results, errors, len(server._running)

    before, results, errors, running_after = asyncio.run(scenario())
    assert before == ([], 1)
    assert results == ['sid2'] and errors == []
    assert running_after == 0


@pytest.mark.parametrize('awaits', [False, True], ids=['no-await', 'await'])
def test_an_exception_reaches_the_error_callback_on_every_version(awaits):
    server = turbosio.AsyncServer()

    async def handler():
        if awaits:
            await asyncio.sleep(0)
        raise ValueError('boom')

    async def scenario():
        results, errors = _invoke(server, handler)
        for _ in range(3):
            await asyncio.sleep(0)
        return results, errors

    results, errors = asyncio.run(scenario())
    assert results == []
    assert [str(e) for e in errors] == ['boom']
