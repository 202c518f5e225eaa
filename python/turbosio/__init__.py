"""turbosio: python-socketio's API on a Rust Engine.IO v4 / Socket.IO v5 server.

Change ``import socketio`` to ``import turbosio as socketio`` and keep the rest.
"""

from . import exceptions
from ._core import __version__
from .asgi import ASGIApp
from .async_server import AsyncServer
from .hosting import run, serve
from .middleware import Middleware
from .namespace import AsyncNamespace, Namespace
from .server import Server
from .wsgi import WSGIApp

__all__ = [
    'ASGIApp',
    'AsyncNamespace',
    'AsyncServer',
    'Middleware',
    'Namespace',
    'Server',
    'WSGIApp',
    '__version__',
    'exceptions',
    'run',
    'serve',
]
