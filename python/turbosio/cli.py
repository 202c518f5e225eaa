"""``turbosio module:app [--host H] [--port P] [--ssl-certfile F --ssl-keyfile F]``: serve an app natively, like
``uvicorn module:app``.

The app is a turbosio ``AsyncServer``/``Server``, or an ``ASGIApp``/``WSGIApp`` wrapping one. Exits non-zero with
a one-line reason when the app cannot be imported or the port cannot be bound.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any

from . import __version__
from .hosting import run


def load_app(target: str) -> Any:
    """Import ``module:attribute`` (the current directory first on the path, as uvicorn does).

    Raises:
        ValueError: when ``target`` is not ``module:attribute`` or the attribute is missing.
        ImportError: when the module cannot be imported.
    """
    module_name, _, attribute = target.partition(':')
    if not module_name or not attribute:
        raise ValueError(f'expected "module:attribute", got {target!r}')
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    app: Any = module
    for part in attribute.split('.'):
        try:
            app = getattr(app, part)
        except AttributeError:
            raise ValueError(f'module {module_name!r} has no attribute {attribute!r}') from None
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='turbosio', description='Serve a turbosio app natively.')
    parser.add_argument('--version', action='version', version=f'turbosio {__version__}')
    parser.add_argument('app', help='the app to serve, as module:attribute')
    parser.add_argument('--host', default='127.0.0.1', help='address to bind (default 127.0.0.1)')
    parser.add_argument('--port', type=int, default=8000, help='port to bind (default 8000)')
    parser.add_argument('--log-level', default='info', help='logging level (default info)')
    parser.add_argument('--ssl-certfile', default=None, help='PEM certificate chain: serve HTTPS/WSS (as uvicorn)')
    parser.add_argument('--ssl-keyfile', default=None, help="PEM private key of --ssl-certfile's certificate")
    args = parser.parse_args(argv)
    try:
        app = load_app(args.app)
    except (ImportError, ValueError) as exc:
        print(f'turbosio: cannot load {args.app}: {exc}', file=sys.stderr)
        return 1
    try:
        run(
            app,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            ssl_certfile=args.ssl_certfile,
            ssl_keyfile=args.ssl_keyfile,
        )
    except (OSError, TypeError, ValueError, NotImplementedError) as exc:
        print(f'turbosio: {exc}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
