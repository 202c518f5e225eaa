"""The numbers at the boundary with ``turbosio._core``, in one module that everything dispatching on them imports.

They are defined once, in Rust (``src/py/kinds.rs``), and exported by ``_core``; this module only re-exports them
under the same names. ``_core.pyi`` gives the tuple each kind of drained item carries.
"""

from typing import Final

from . import _core

# `from . import _core` rather than `from ._core import ...`: the package's face stays out of this module's imports.
# The kind of each tuple ServerCore.drain() returns.
EIO_CONNECT: Final = _core.EIO_CONNECT
EIO_MESSAGE: Final = _core.EIO_MESSAGE
EIO_DISCONNECT: Final = _core.EIO_DISCONNECT
CONNECT: Final = _core.CONNECT
EVENT: Final = _core.EVENT
ACK: Final = _core.ACK
DISCONNECT: Final = _core.DISCONNECT
WARNING: Final = _core.WARNING
WAKE: Final = _core.WAKE
HTTP: Final = _core.HTTP
WEBSOCKET: Final = _core.WEBSOCKET
WEBSOCKET_MESSAGE: Final = _core.WEBSOCKET_MESSAGE
WEBSOCKET_GONE: Final = _core.WEBSOCKET_GONE
HTTP_BODY: Final = _core.HTTP_BODY
PUBSUB: Final = _core.PUBSUB
PUBSUB_LOG: Final = _core.PUBSUB_LOG
# The kind of each tuple ClientHubCore.drain() returns.
CLIENT_OPEN: Final = _core.CLIENT_OPEN
CLIENT_FAILED: Final = _core.CLIENT_FAILED
CLIENT_CONNECT: Final = _core.CLIENT_CONNECT
CLIENT_CONNECT_ERROR: Final = _core.CLIENT_CONNECT_ERROR
CLIENT_EVENT: Final = _core.CLIENT_EVENT
CLIENT_ACK: Final = _core.CLIENT_ACK
CLIENT_DISCONNECT: Final = _core.CLIENT_DISCONNECT
CLIENT_CLOSE: Final = _core.CLIENT_CLOSE
CLIENT_WARNING: Final = _core.CLIENT_WARNING
# The state an HTTP_BODY item carries: more follows, the body is complete, it never will be.
BODY_MORE: Final = _core.BODY_MORE
BODY_END: Final = _core.BODY_END
BODY_BROKEN: Final = _core.BODY_BROKEN
# What ExternalDriverCore.http() and ws_open() answer: the first element of the tuple.
ANSWER_RESPOND: Final = _core.ANSWER_RESPOND
ANSWER_WAIT: Final = _core.ANSWER_WAIT
ANSWER_ACCEPT_WEBSOCKET: Final = _core.ANSWER_ACCEPT_WEBSOCKET
# What ExternalDriverCore.ws_text() / ws_binary() return when not a str to send at once.
WS_CONTINUE: Final = _core.WS_CONTINUE
WS_UPGRADED: Final = _core.WS_UPGRADED
WS_CLOSED: Final = _core.WS_CLOSED
# The state ExternalDriverCore.ws_take() returns beside its frames: open, ended, ended with a close packet.
WS_OPEN: Final = _core.WS_OPEN
WS_ENDED: Final = _core.WS_ENDED
WS_ENDED_NOTIFY: Final = _core.WS_ENDED_NOTIFY
