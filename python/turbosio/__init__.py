"""turbosio: python-socketio's API on a Rust Engine.IO v4 / Socket.IO v5 server.

Change ``import socketio`` to ``import turbosio as socketio`` and keep the rest.
"""

from . import exceptions
from ._core import __version__
from .asgi import ASGIApp
from .async_client import AsyncClient
from .async_server import AsyncServer
from .client import Client
from .hosting import run, serve
from .namespace import AsyncClientNamespace, AsyncNamespace, ClientNamespace, Namespace
from .server import Server
from .wsgi import WSGIApp

__all__ = [
    'ASGIApp',
    'AsyncClient',
    'AsyncClientNamespace',
    'AsyncNamespace',
    'AsyncServer',
    'Client',
    'ClientNamespace',
    'Namespace',
    'Server',
    'WSGIApp',
    '__version__',
    'exceptions',
    'run',
    'serve',
]
