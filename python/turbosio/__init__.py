"""turbosio: python-socketio's API on a Rust Engine.IO v4 / Socket.IO v5 server.

Change ``import socketio`` to ``import turbosio as socketio`` and keep the rest.
"""

from . import exceptions
from ._core import __version__
from .asgi import ASGIApp
from .async_client import AsyncClient
from .async_manager import AsyncManager
from .async_server import AsyncServer
from .async_simple_client import AsyncSimpleClient
from .client import Client
from .hosting import run, serve
from .manager import Manager
from .middleware import Middleware
from .namespace import AsyncClientNamespace, AsyncNamespace, ClientNamespace, Namespace
from .server import Server
from .simple_client import SimpleClient
from .wsgi import WSGIApp

__all__ = [
    'ASGIApp',
    'AsyncClient',
    'AsyncClientNamespace',
    'AsyncManager',
    'AsyncNamespace',
    'AsyncServer',
    'AsyncSimpleClient',
    'Client',
    'ClientNamespace',
    'Manager',
    'Middleware',
    'Namespace',
    'Server',
    'SimpleClient',
    'WSGIApp',
    '__version__',
    'exceptions',
    'run',
    'serve',
]
