"""What the external WSGI driver's pieces share: WSGIApp served by someone else's WSGI server (eventlet,
gunicorn, werkzeug), its requests handed to ``ExternalDriverCore``. The request's headers and peer as the driver
takes them, and the driver's answer as a WSGI response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_STATUS_TEXT = {200: 'OK', 204: 'No Content', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found',
                413: 'Payload Too Large'}


def request_headers(environ: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    """The request's headers as (lower-case name, value) bytes, from the environ's ``HTTP_*`` and content keys."""
    out = []
    for key, value in environ.items():
        if key.startswith('HTTP_'):
            out.append((key[5:].replace('_', '-').lower().encode('latin-1'), str(value).encode('latin-1')))
        elif key in ('CONTENT_TYPE', 'CONTENT_LENGTH') and value:
            out.append((key.replace('_', '-').lower().encode('latin-1'), str(value).encode('latin-1')))
    return out


def remote_of(environ: dict[str, Any]) -> tuple[str, int]:
    """The peer as (host, port)."""
    return environ.get('REMOTE_ADDR', ''), int(environ.get('REMOTE_PORT') or 0)


def answer(driver_answer: tuple[Any, ...], start_response: Callable[..., Any]) -> list[bytes]:
    """Send the driver's ``(0, status, headers, body)`` answer as the WSGI response."""
    _, status, response_headers, payload = driver_answer
    start_response(
        f'{status} {_STATUS_TEXT.get(status, "")}'.strip(),
        [(name.decode('latin-1'), value.decode('latin-1')) for name, value in response_headers],
    )
    return [payload]
