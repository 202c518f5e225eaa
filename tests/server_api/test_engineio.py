"""Bare Engine.IO servers (``turbosio.engineio``) driven by python-engineio's own client."""

from __future__ import annotations

import asyncio

import engineio
import pytest
import requests
from support.clients import arun
from support.marks import reference_deviates
from support.settings import IMPL


async def _echo_round_trip(url: str, transports: list[str]) -> list:
    client = engineio.AsyncClient()
    received: asyncio.Queue = asyncio.Queue()

    @client.on('message')
    async def on_message(data):
        await received.put(data)

    await client.connect(url, transports=transports, engineio_path='engine.io')
    try:
        await client.send('hello é')
        await client.send(b'\x00\x01\xff')
        return [await asyncio.wait_for(received.get(), 10), await asyncio.wait_for(received.get(), 10)]
    finally:
        await client.disconnect()


POLLING_ONLY = pytest.param(
    ['polling'],
    marks=reference_deviates("a client's close packet does not release its pending GET, so disconnect hangs"),
    id='polling',
)


@pytest.mark.parametrize('transports', [['websocket'], POLLING_ONLY, ['polling', 'websocket']])
def test_messages_echo_both_ways_text_and_binary(server, transports):
    srv = server(app='engineio_app.py')
    assert arun(_echo_round_trip(srv.url, transports)) == ['hello é', b'\x00\x01\xff']
    connect = srv.wait_for({'ev': 'connect'})
    assert connect['remote_addr'] == '127.0.0.1'
    assert srv.wait_for({'ev': 'message', 'binary': True, 'sid': connect['sid']})['data'] == '0001ff'
    srv.wait_for({'ev': 'disconnect', 'sid': connect['sid']})


def test_threaded_server_echoes(server):
    if IMPL == 'socketio':
        pytest.skip('the reference threaded server needs a WSGI server with websocket support; covered by turbosio')
    srv = server(app='engineio_app.py', sync=True, mode='native')
    assert arun(_echo_round_trip(srv.url, ['websocket'])) == ['hello é', b'\x00\x01\xff']


def test_connect_handler_returning_false_ends_the_session(server):
    srv = server(app='engineio_app.py')
    r = requests.get(f'{srv.url}/engine.io/', params={'EIO': '4', 'transport': 'polling', 'refuse': '1'}, timeout=5)
    assert r.status_code in (200, 401)
    if r.status_code == 200:
        sid = r.text.split('"sid":"')[1].split('"')[0]
        srv.wait_for({'ev': 'connect', 'sid': sid})
        # The refused session is closed: polling it is answered with a close packet or refused as unknown.
        answer = requests.get(
            f'{srv.url}/engine.io/', params={'EIO': '4', 'transport': 'polling', 'sid': sid}, timeout=5
        )
        assert answer.status_code == 400 or answer.text.endswith('1')


def test_callable_cors_allows_only_what_it_approves(server, mode):
    if mode == 'native' and IMPL == 'turbosio':
        pytest.skip('the native server refuses a callable cors_allowed_origins (tested in test_cors_callable_native)')
    srv = server(app='engineio_app.py', cors_only='http://good.example')
    params = {'EIO': '4', 'transport': 'polling'}
    good = requests.get(f'{srv.url}/engine.io/', params=params, headers={'Origin': 'http://good.example'}, timeout=5)
    assert good.status_code == 200
    assert good.headers.get('Access-Control-Allow-Origin') == 'http://good.example'
    bad = requests.get(f'{srv.url}/engine.io/', params=params, headers={'Origin': 'http://evil.example'}, timeout=5)
    assert bad.status_code == 400


def test_cors_callable_native_is_refused_clearly():
    if IMPL != 'turbosio':
        pytest.skip('turbosio-only: python-socketio has no native server')
    import turbosio
    import turbosio.engineio as teio

    server = teio.AsyncServer(cors_allowed_origins=lambda origin: True)
    with pytest.raises(ValueError, match='callable'):
        turbosio.run(server, port=0)
