"""Exceptions, with the same names and hierarchy as ``socketio.exceptions``."""


class SocketIOError(Exception):
    """Base of every turbosio exception."""


class ConnectionError(SocketIOError):
    """A connection could not be made or was lost."""


class ConnectionRefusedError(ConnectionError):
    """Raised by a ``connect`` handler to turn the client away.

    The first positional argument becomes the ``message`` the client sees, the second (or all the rest, as a
    list) becomes ``data``. With no arguments the message is ``'Connection rejected by server'``.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        if not args:
            self.error_args: dict[str, object] = {'message': 'Connection rejected by server'}
            return
        self.error_args = {'message': str(args[0])}
        if len(args) == 2:
            self.error_args['data'] = args[1]
        elif len(args) > 2:
            self.error_args['data'] = list(args[1:])


class TimeoutError(SocketIOError):
    """A ``call()`` got no answer in time."""


class BadNamespaceError(SocketIOError):
    """The namespace is not connected."""


class DisconnectedError(SocketIOError):
    """The client is not connected."""
