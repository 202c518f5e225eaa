"""The numbers at the boundary with ``turbosio._core``, in one module that everything dispatching on them imports.

They are defined once, in Rust (``src/py/kinds.rs``), and exported by ``_core``; this module only re-exports them
under the same names. ``_core.pyi`` gives the tuple each kind of drained item carries.
"""

from ._core import (
    ACK,
    ANSWER_ACCEPT_WEBSOCKET,
    ANSWER_RESPOND,
    ANSWER_WAIT,
    BODY_BROKEN,
    BODY_END,
    BODY_MORE,
    CONNECT,
    DISCONNECT,
    EIO_CONNECT,
    EIO_DISCONNECT,
    EIO_MESSAGE,
    EVENT,
    HTTP,
    HTTP_BODY,
    WAKE,
    WARNING,
    WEBSOCKET,
    WEBSOCKET_GONE,
    WEBSOCKET_MESSAGE,
    WS_CLOSED,
    WS_CONTINUE,
    WS_ENDED,
    WS_ENDED_NOTIFY,
    WS_OPEN,
    WS_UPGRADED,
)

__all__ = [
    # The kind of each tuple ServerCore.drain() returns.
    'EIO_CONNECT',
    'EIO_MESSAGE',
    'EIO_DISCONNECT',
    'CONNECT',
    'EVENT',
    'ACK',
    'DISCONNECT',
    'WARNING',
    'WAKE',
    'HTTP',
    'WEBSOCKET',
    'WEBSOCKET_MESSAGE',
    'WEBSOCKET_GONE',
    'HTTP_BODY',
    # The state an HTTP_BODY item carries: more follows, the body is complete, it never will be.
    'BODY_MORE',
    'BODY_END',
    'BODY_BROKEN',
    # What ExternalDriverCore.http() and ws_open() answer: the first element of the tuple.
    'ANSWER_RESPOND',
    'ANSWER_WAIT',
    'ANSWER_ACCEPT_WEBSOCKET',
    # What ExternalDriverCore.ws_text() / ws_binary() return when not a str to send at once.
    'WS_CONTINUE',
    'WS_UPGRADED',
    'WS_CLOSED',
    # The state ExternalDriverCore.ws_take() returns beside its frames: open, ended, ended with a close packet.
    'WS_OPEN',
    'WS_ENDED',
    'WS_ENDED_NOTIFY',
]
