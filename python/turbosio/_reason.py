"""Why a session ended: an Engine.IO notion that Socket.IO passes on, so both layers import it from here."""


class Reason:
    """Why a client disconnected: the values passed to ``disconnect(sid, reason)`` handlers."""

    CLIENT_DISCONNECT = 'client disconnect'
    SERVER_DISCONNECT = 'server disconnect'
    PING_TIMEOUT = 'ping timeout'
    TRANSPORT_CLOSE = 'transport close'
    TRANSPORT_ERROR = 'transport error'
