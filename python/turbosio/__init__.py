"""turbosio: python-socketio's API on a Rust Engine.IO v4 / Socket.IO v5 server.

Change ``import socketio`` to ``import turbosio as socketio`` and keep the rest.
"""

from . import exceptions
from ._core import __version__
from .asgi import ASGIApp
from .async_manager import AsyncManager
from .async_server import AsyncServer
from .hosting import run, serve
from .manager import Manager
from .middleware import Middleware
from .namespace import AsyncNamespace, Namespace
from .server import Server
from .wsgi import WSGIApp

__all__ = [
    'ASGIApp',
    'AsyncManager',
    'AsyncNamespace',
    'AsyncServer',
    'Manager',
    'Middleware',
    'Namespace',
    'Server',
    'WSGIApp',
    '__version__',
    'exceptions',
    'run',
    'serve',
]
