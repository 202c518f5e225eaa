"""A turbosio server with metrics, served natively or by uvicorn on a thread of this process, and a scraper that
parses ``/metrics`` with prometheus_client's own parser."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
import turbosio
from prometheus_client.parser import text_string_to_metric_families
from support.inprocess import UvicornThread
from support.servers import free_port
from support.settings import WAIT_TIMEOUT

CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def make_server(**options: Any) -> turbosio.AsyncServer:
    """An AsyncServer whose handlers give the tests something to count."""
    sio = turbosio.AsyncServer(**options)

    @sio.event
    async def echo(sid, data):
        return data

    @sio.event
    async def join(sid, room):
        await sio.enter_room(sid, room)
        return 'joined'

    @sio.event
    async def ask(sid):
        # The client never answers 'question': the call times out.
        try:
            await sio.call('question', to=sid, timeout=0.2)
        except turbosio.exceptions.TimeoutError:
            return 'timed out'
        return 'answered'

    @sio.event
    async def flood(sid, count, size):
        for _ in range(count):
            await sio.emit('blob', 'x' * size, to=sid)

    return sio


class NativeThread:
    """``turbosio.serve(sio, ...)`` on an event loop in a thread of its own, on a free port."""

    def __init__(self, sio: Any, **options: Any) -> None:
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

        async def main() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            ready.set()
            await turbosio.serve(sio, '127.0.0.1', self.port, stop=self._stop, **options)

        self.thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
        self.thread.start()
        assert ready.wait(WAIT_TIMEOUT), 'the server thread did not start'
        deadline = time.monotonic() + WAIT_TIMEOUT
        while True:
            try:
                socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and self.thread.is_alive(), 'the server is not accepting'
                time.sleep(0.02)  # the port is not bound yet

    def stop(self) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(WAIT_TIMEOUT)


def serve(mode: str, sio: Any, metrics_path: str | None = '/metrics', other_asgi_app: Any = None) -> Any:
    """Serve ``sio`` natively (``turbosio.serve``) or as an ``ASGIApp`` under uvicorn; ``.url``, ``.stop()``."""
    if mode == 'native':
        return NativeThread(sio, metrics_path=metrics_path)
    return UvicornThread(turbosio.ASGIApp(sio, other_asgi_app=other_asgi_app, metrics_path=metrics_path))


def parse(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(url: str, path: str = '/metrics') -> Samples:
    """GET the metrics path: a 200 in the text format, parsed."""
    response = requests.get(url + path, timeout=WAIT_TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.headers['content-type'] == CONTENT_TYPE
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; absent samples fail (a family that vanished is a bug, not a zero)."""
    key = (name, tuple(sorted(labels.items())))
    assert key in samples, f'{name}{labels} not scraped; have {sorted(k for k in samples if k[0] == name)}'
    return samples[key]


def wait_until(url: str, check: Callable[[Samples], bool], what: str) -> Samples:
    """Scrape until ``check`` holds (what is counted may land just after the client saw its effect: a disconnect
    is counted when the server notices it); fail after WAIT_TIMEOUT."""
    deadline = time.monotonic() + WAIT_TIMEOUT
    while True:
        samples = scrape(url)
        if check(samples):
            return samples
        assert time.monotonic() < deadline, f'never: {what}'
        time.sleep(0.02)  # re-scrape; the condition itself is what is waited for


def wait_for(url: str, name: str, at_least: float, **labels: str) -> Samples:
    """Scrape until ``name{labels}`` reaches ``at_least``."""
    return wait_until(url, lambda s: value(s, name, **labels) >= at_least, f'{name}{labels} >= {at_least}')
