"""The JavaScript socket.io-client 4.8 with socket.io-msgpack-parser 3 against turbosio's msgpack server.

The same scenario runs against python-socketio's msgpack server, which proves the expectations.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from support.settings import JS_DIR

NODE_TIMEOUT = 30


def run_client(url: str, transport: str) -> dict:
    node = shutil.which('node')
    if node is None or not (JS_DIR / 'node_modules' / 'socket.io-msgpack-parser').is_dir():
        pytest.skip('node or socket.io-msgpack-parser missing (scripts/setup.sh installs them)')
    done = subprocess.run(
        [node, str(JS_DIR / 'msgpack_client.js'), url, transport],
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
        cwd=JS_DIR,
    )
    assert done.returncode == 0, f'node client failed:\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}'
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize('transport', ['polling', 'websocket'])
@pytest.mark.parametrize('impl', ['turbosio', 'socketio'], ids=['turbosio-server', 'python-socketio-server'])
def test_js_msgpack_client(msgpack_server, impl, transport):
    result = run_client(msgpack_server(impl), transport)
    sent = {'blob': {'$hex': '0001feff'}, 'nested': [{'$hex': ''}, {'n': -1.5}], 'text': 'é'}
    assert result['welcome'] == [{'token': 'abc'}]
    assert result['ack'] == sent  # emitWithAck resolves with the first argument
    assert result['pushed'] == [sent, 7]
    types = result['types']
    assert types.pop('big') == 2**53
    assert types == {
        'int': -5,
        'float': 1.5,
        'str': 'é',
        'bytes': {'$hex': '00ff'},
        'none': None,
        'list': [True, False],
    }
    assert result['refused'] == {'message': 'not welcome', 'data': {'code': 4001}}
