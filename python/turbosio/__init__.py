"""turbosio: python-socketio's API on a Rust Engine.IO v4 / Socket.IO v5 server.

Change ``import socketio`` to ``import turbosio as socketio`` and keep the rest.
"""

from . import exceptions

try:
    # The version's one source is Cargo.toml: the compiled module carries it.
    from ._core import __version__
except ImportError as _missing:  # a source tree never built, or a wheel for another platform or Python
    raise ImportError(
        'turbosio: its compiled part, the extension module turbosio._core, cannot be loaded '
        f'({_missing}). Install a wheel built for this platform (`pip install turbosio-*.whl`: CPython >= 3.10, '
        'Linux x86-64), build from the sdist with a Rust toolchain (`pip install turbosio-*.tar.gz`), or in a '
        'checkout run `maturin develop --release`.'
    ) from _missing
from .asgi import ASGIApp
from .async_client import AsyncClient
from .async_manager import AsyncManager
from .async_pubsub_manager import AsyncPubSubManager
from .async_redis_manager import AsyncRedisManager
from .async_server import AsyncServer
from .async_simple_client import AsyncSimpleClient
from .client import Client
from .hosting import run, serve
from .manager import Manager
from .middleware import Middleware
from .namespace import AsyncClientNamespace, AsyncNamespace, ClientNamespace, Namespace
from .pubsub_manager import PubSubManager
from .redis_manager import RedisManager
from .server import Server
from .simple_client import SimpleClient
from .wsgi import WSGIApp

__all__ = [
    'ASGIApp',
    'AsyncClient',
    'AsyncClientNamespace',
    'AsyncManager',
    'AsyncNamespace',
    'AsyncPubSubManager',
    'AsyncRedisManager',
    'AsyncServer',
    'AsyncSimpleClient',
    'Client',
    'ClientNamespace',
    'Manager',
    'Middleware',
    'Namespace',
    'PubSubManager',
    'RedisManager',
    'Server',
    'SimpleClient',
    'WSGIApp',
    '__version__',
    'exceptions',
    'run',
    'serve',
]
