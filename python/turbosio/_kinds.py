"""The kinds of the tuples ``ServerCore.drain()`` returns (``_core.pyi`` and ``src/py/dispatch.rs`` list their
fields), in one module that everything dispatching on them can import."""

EIO_CONNECT, EIO_MESSAGE, EIO_DISCONNECT, CONNECT, EVENT, ACK, DISCONNECT, WARNING, WAKE, HTTP = range(10)
# The hosted web app's own WebSocket routes: a request, a message on one, its end.
WEBSOCKET, WEBSOCKET_MESSAGE, WEBSOCKET_GONE = range(10, 13)
HTTP_BODY = 13  # a piece of a hosted request's body

# The state an HTTP_BODY item carries: more follows, the body is complete, it never will be.
BODY_MORE, BODY_END, BODY_BROKEN = range(3)

# What ExternalDriverCore.http() and ws_open() answer: the first element of the tuple.
ANSWER_RESPOND, ANSWER_WAIT, ANSWER_ACCEPT_WEBSOCKET = range(3)
# What ExternalDriverCore.ws_text() / ws_binary() return when not a str to send at once.
WS_CONTINUE, WS_UPGRADED, WS_CLOSED = range(3)
# The state ExternalDriverCore.ws_take() returns beside its frames: still open, ended, ended with a close packet.
WS_OPEN, WS_ENDED, WS_ENDED_NOTIFY = range(3)
