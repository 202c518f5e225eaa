"""What serializer= accepts, and the msgpack combinations turbosio refuses with NotImplementedError."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import turbosio
from support.servers import free_port


@pytest.mark.parametrize('make', [turbosio.AsyncServer, turbosio.Server, turbosio.Client, turbosio.AsyncClient])
def test_serializer_names_other_than_default_and_msgpack_are_refused(make):
    with pytest.raises(NotImplementedError, match='serializer'):
        make(serializer='pickle')


def test_msgpack_with_a_pubsub_manager_is_refused():
    # The channel carries python-socketio's JSON messages; nothing connects before the refusal.
    manager = turbosio.AsyncRedisManager('redis://127.0.0.1:1')
    with pytest.raises(NotImplementedError, match='msgpack'):
        turbosio.AsyncServer(serializer='msgpack', client_manager=manager)


def test_msgpack_with_workers_is_refused(tmp_path):
    (tmp_path / 'msgpack_workers_app.py').write_text(
        textwrap.dedent(f"""
            import turbosio
            sio = turbosio.AsyncServer(serializer='msgpack')
            if __name__ == '__main__':
                turbosio.run('msgpack_workers_app:sio', port={free_port()}, workers=2, log_level='warning')
        """)
    )
    done = subprocess.run(
        [sys.executable, 'msgpack_workers_app.py'], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "serializer='msgpack' with workers" in done.stderr
