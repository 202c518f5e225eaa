"""``turbosio module:app [--host H] [--port P] [--workers N] [--ssl-certfile F --ssl-keyfile F]``: serve an app
natively, like ``uvicorn module:app``.

The app is a turbosio ``AsyncServer``/``Server``, or an ``ASGIApp``/``WSGIApp`` wrapping one. Exits non-zero with
a one-line reason when the app cannot be imported or the port cannot be bound.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from . import __version__
from ._import_string import load_app
from .hosting import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='turbosio', description='Serve a turbosio app natively.')
    parser.add_argument('--version', action='version', version=f'turbosio {__version__}')
    parser.add_argument('app', help='the app to serve, as module:attribute')
    parser.add_argument('--host', default='127.0.0.1', help='address to bind (default 127.0.0.1)')
    parser.add_argument('--port', type=int, default=8000, help='port to bind (default 8000)')
    parser.add_argument('--log-level', default='info', help='logging level (default info)')
    parser.add_argument('--workers', type=int, default=1, help='processes serving the port (default 1, at most 64)')
    parser.add_argument('--ssl-certfile', default=None, help='PEM certificate chain: serve HTTPS/WSS (as uvicorn)')
    parser.add_argument('--ssl-keyfile', default=None, help="PEM private key of --ssl-certfile's certificate")
    parser.add_argument('--metrics-path', default=None, help='serve Prometheus metrics at this path (e.g. /metrics)')
    args = parser.parse_args(argv)
    app: Any = args.app  # several workers each import it; the supervisor does not
    if args.workers == 1:
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
            workers=args.workers,
            metrics_path=args.metrics_path,
        )
    except (OSError, TypeError, ValueError, NotImplementedError, RuntimeError) as exc:
        print(f'turbosio: {exc}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
