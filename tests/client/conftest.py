"""Fixtures of the client suite: which client implementation, and which real server it talks to.

- ``client_impl``: a ``peers.ClientImpl`` for ``socketio`` (python-socketio 5.18's own clients, which prove the
  tests right) and ``turbosio`` (skipped, with the reason, while ``turbosio.Client`` does not exist).
- ``server_kind`` / ``target_server``: a ``peers.PeerView`` of a server shared by the session, one per kind:
  ``node`` (socket.io 4.8), ``socketio`` (python-socketio under uvicorn), ``turbosio`` (``turbosio.run``).
- ``fresh_target_server``: a server of that kind for this test alone (it may be restarted).

Run one side only with ``-k``: ``-k turbosio-client`` selects turbosio's clients, ``-k node-server`` the
Node server (ids read ``[socketio-client-node-server]``).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from support.settings import JS_DIR

from .peers import SERVER_KINDS, ClientImpl, PeerServer, PeerView, socketio_impl, turbosio_impl


@pytest.fixture(params=['socketio', 'turbosio'], ids=['socketio-client', 'turbosio-client'])
def client_impl(request) -> ClientImpl:
    if request.param == 'socketio':
        return socketio_impl()
    impl = turbosio_impl()
    if impl is None:
        pytest.skip('turbosio.Client does not exist yet (issue 9: the client engine is being written)')
    return impl


@pytest.fixture(scope='session')
def _node_server_modules() -> None:
    """tests/js/node_modules with the socket.io server package (scripts/setup.sh installs it; a checkout made
    before the package was added to tests/js/package.json may lack it)."""
    if shutil.which('node') is None:
        pytest.skip('node is not installed: the socket.io 4.8 server cannot run')
    if not (JS_DIR / 'node_modules' / 'socket.io').is_dir():
        npm = shutil.which('npm')
        if npm is None:
            pytest.skip('tests/js/node_modules has no socket.io and npm is not installed')
        subprocess.run([npm, 'install', '--no-audit', '--no-fund'], cwd=JS_DIR, check=True, timeout=300)


@pytest.fixture(params=list(SERVER_KINDS), ids=[f'{kind}-server' for kind in SERVER_KINDS])
def server_kind(request) -> str:
    if request.param == 'node':
        request.getfixturevalue('_node_server_modules')
    return request.param


def _show_on_failure(request, views: list[PeerView]) -> None:
    report = getattr(request.node, 'rep_call', None)
    if report is not None and report.failed:
        for view in views:
            print(f'--- {view.process.describe()} printed since the test began:')
            print('\n'.join(str(line) for line in view.lines))
            print(view.stderr)


@pytest.fixture
def target_server(request, server_kind, _server_pool) -> PeerView:
    # The session's pool of tests/conftest.py, which stops its servers at the end.
    key = ('client_peer', server_kind)
    process = _server_pool.get(key)
    if process is None or not process.is_running():
        process = PeerServer(server_kind)
        process.start()
        _server_pool[key] = process
    view = PeerView(process)
    yield view
    _show_on_failure(request, [view])


@pytest.fixture
def fresh_target_server(request, server_kind) -> PeerView:
    process = PeerServer(server_kind)
    process.start()
    view = PeerView(process)
    yield view
    _show_on_failure(request, [view])
    process.stop(grace=1)
