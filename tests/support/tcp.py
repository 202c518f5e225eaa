"""What the kernel says about a loopback TCP connection, from the server's side: how many bytes a server has not
read yet. Tests wait on these facts (the server read a request; the server stopped reading) instead of sleeping.
Linux only (``/proc/net/tcp``)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from .settings import WAIT_TIMEOUT

_ESTABLISHED = '01'


def _connections() -> Iterator[tuple[int, int, int]]:
    """(local port, remote port, bytes received and not read) of every established IPv4/IPv6 TCP connection."""
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(table, encoding='ascii') as rows:
                next(rows)
                for row in rows:
                    fields = row.split()
                    if fields[3] != _ESTABLISHED:
                        continue
                    local, remote = fields[1].rsplit(':', 1)[1], fields[2].rsplit(':', 1)[1]
                    rx_queue = fields[4].split(':')[1]
                    yield int(local, 16), int(remote, 16), int(rx_queue, 16)
        except FileNotFoundError:
            continue


def unread_by_server(server_port: int, client_port: int) -> int | None:
    """Bytes the client on ``client_port`` sent that the server on ``server_port`` has not read; None if there is
    no such connection (any more)."""
    for local, remote, unread in _connections():
        if local == server_port and remote == client_port:
            return unread
    return None


def wait_until_read(server_port: int, client_port: int, timeout: float = WAIT_TIMEOUT) -> None:
    """Wait until the server has read everything this client sent (call after the client's send returned: on
    loopback the bytes are in the server's receive queue by then)."""
    deadline = time.monotonic() + timeout
    while (unread := unread_by_server(server_port, client_port)) is not None and unread > 0:
        assert time.monotonic() < deadline, f'the server left {unread} bytes unread for {timeout} s'
        time.sleep(0.01)  # polling the kernel's table, with a deadline


def wait_until_unread(server_port: int, at_least: int, timeout: float = WAIT_TIMEOUT) -> int:
    """Wait until some client's connection to ``server_port`` holds ``at_least`` bytes the server has not read
    (the server stopped reading it); returns how many."""
    deadline = time.monotonic() + timeout
    while True:
        most = max((unread for local, _, unread in _connections() if local == server_port), default=0)
        if most >= at_least:
            return most
        assert time.monotonic() < deadline, f'the server kept reading: at most {most} bytes unread after {timeout} s'
        time.sleep(0.01)  # polling the kernel's table, with a deadline
